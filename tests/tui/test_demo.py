"""`watchdesk demo`: the desk on bundled data in a folder of its own, the engine running."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from tests.tui.conftest import settle, wait_until
from tests.tui.screen_text import screen_text
from watchdesk.cli import cli
from watchdesk.core.enums import AlertState
from watchdesk.demo.build import build_demo
from watchdesk.services.alerts import list_alerts
from watchdesk.tui.app import make_app
from watchdesk.tui.widgets.row_table import RowTable


async def test_demo_runs_the_engine_polls_the_bundled_feeds_and_escalates_live(tmp_path: Path):
    rt, clock = build_demo(tmp_path / "demo")
    seeded = {a.id for a in list_alerts(rt)}
    states = {a.state for a in list_alerts(rt)}
    assert states == {AlertState.NEW, AlertState.ACKNOWLEDGED, AlertState.RESOLVED}
    assert any(a.snoozed_until for a in list_alerts(rt)) and any(a.exhausted for a in list_alerts(rt))
    live = next(a for a in list_alerts(rt) if a.native_id == "fortios")
    assert live.level == 1 and live.next_escalation_at - rt.now() <= timedelta(minutes=1)
    app = make_app(rt, run_engine=True, watch=True, ask_sign_in=False, blink=False)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, app)
            # the engine's first cycle polls both bundled feeds: their warnings arrive with the bell
            assert await wait_until(pilot, lambda: len(list_alerts(rt)) > len(seeded), timeout=15), app.engine_note
            assert await wait_until(pilot, lambda: "NEW ALERT" in screen_text(app), timeout=5)
            sources = {a.source for a in list_alerts(rt) if a.id not in seeded}
            assert {"khonggianmang", "cisa-kev"} <= sources  # (the roll call may raise its own: nobody checked in)
            # a minute later the live alert is paged at level 2, and the board says so
            clock.set(clock.now() + timedelta(seconds=61))
            table = app.screen.query_one("#board", RowTable)
            assert await wait_until(pilot, lambda: table.cell(live.id, "level").plain == "2", timeout=10)
            # the page to level 2 reaches the desk's terminal channel: the banner names the live alert again
            assert await wait_until(pilot, lambda: live.id in [a.id for a in app.unseen], timeout=5)
            assert app.engine_note == ""
    finally:
        rt.db.dispose()


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path):
    (tmp_path / "x").write_text("mine")
    result = CliRunner().invoke(cli, ["demo", "--keep", str(tmp_path)])
    assert result.exit_code == 2
    assert "the folder is not empty" in result.output
    assert (tmp_path / "x").read_text() == "mine"
