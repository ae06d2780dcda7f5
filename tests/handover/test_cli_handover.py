"""`watchdesk handover sign|accept|show` on the command line (the real clock: shifts are laid around it)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.reports.history import cli_database, duty
from watchdesk.cli import cli
from watchdesk.clock import SystemClock


@pytest.fixture
def run(rt, tmp_path: Path):  # noqa: ANN001
    runner = CliRunner()
    db = cli_database(rt, tmp_path)

    def invoke(*args: str):
        return runner.invoke(cli, [*db, *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def change(rt, staff):  # noqa: ANN001
    """hung on level 1 until 3 h from now, thu after him; lan leads throughout."""
    now = SystemClock().now()
    end = now + timedelta(hours=3)
    shift = duty(rt, "hung", 1, now - timedelta(hours=9), end)
    duty(rt, "thu", 1, end, end + timedelta(hours=12))
    duty(rt, "lan", 2, now - timedelta(hours=9), end + timedelta(hours=12))
    return shift


def test_early_sign_out_without_early_is_refused_in_one_sentence(run, change) -> None:  # noqa: ANN001
    refused = run("handover", "sign", "--as", "hung", "--notes", "về sớm")
    assert refused.exit_code == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"watchdesk: signing out shift #{change} now is 2h59m")
    assert "more than handover.early_window (30m) allows; if you mean it, confirm with --early." in lines[0]
    assert json.loads(run("handover", "show", "--json").output)["status"] == "draft"
    signed = run("handover", "sign", "--as", "hung", "--notes", "về sớm", "--early")
    assert signed.exit_code == 0, signed.output
    shown = run("handover", "show")
    assert "signed out" in shown.output and "(early, confirmed)" in shown.output


def test_lead_on_behalf_names_both_officers(run, change) -> None:  # noqa: ANN001
    assert run("handover", "sign", "--as", "hung", "--early").exit_code == 0
    early = run("handover", "accept", "--as", "lan")
    assert early.exit_code == 2 and "before the incoming shift starts" in early.stderr
    done = run("handover", "accept", "--as", "lan", "--early", "--remarks", "thu tới muộn")
    assert done.exit_code == 0, done.output
    assert done.output.strip() == f"Handover of shift #{change} from hung accepted by lan on behalf of thu."
    shown = run("handover", "show", "--shift", str(change))
    assert f"Handover of shift #{change} (accepted): hung → thu, accepted by lan," in shown.output
    assert "accepted by lan" in shown.output and "on behalf of thu (early, confirmed)" in shown.output
    data = json.loads(run("handover", "list", "--json").output)
    assert [(h["incoming"], h["accepted_by"], h["accepted_early"]) for h in data] == [("thu", "lan", True)]


def test_roster_checkin_clears_the_roll_call_and_says_so(run, rt, clock, staff) -> None:  # noqa: ANN001
    from sqlmodel import select

    from watchdesk.services.roll_call import check_roll_call
    from watchdesk.store.models import Alert, Officer, Shift

    now = SystemClock().now()
    with rt.db.write() as session:
        thu = session.exec(select(Officer).where(Officer.handle == "thu")).one()
        session.add(Shift(officer_id=thu.id, level=1, starts_at=now - timedelta(minutes=15), ends_at=now + timedelta(hours=8)))
    clock.set(now)
    [alert_id] = check_roll_call(rt)
    out = run("roster", "checkin", "--as", "thu")
    assert out.exit_code == 0, out.output
    assert out.output.strip().endswith(f"; roll-call alert #{alert_id} cleared.")
    with rt.db.read() as session:
        row = session.get(Alert, alert_id)
    assert (row.state, row.resolved_by_id) == ("resolved", None)
