"""The commands: what an officer types and sees; refusals are one sentence with exit status 2."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.engine.conftest import duty, new_alert
from watchdesk.cli import cli
from watchdesk.core.records import Actor
from watchdesk.services.runtime import Runtime


@pytest.fixture
def run(db_target: str):
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None):
        return runner.invoke(cli, ["--db", db_target, *args], env=env, catch_exceptions=False)

    return invoke


def test_ack_then_a_second_ack_is_refused(run, rt: Runtime, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt)
    first = run("alert", "ack", str(alert), "--as", "hung", "--json")
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert (data["id"], data["state"], data["acked_by"]) == (alert, "acknowledged", "hung")
    second = run("alert", "ack", str(alert), "--as", "thu")
    assert second.exit_code == 2
    assert second.stderr.startswith(f"watchdesk: alert #{alert} was already acknowledged by hung at ")


def test_resolve_note_snooze_assign_escalate(run, rt: Runtime, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt)
    assert run("alert", "note", str(alert), "Đã gọi cho đơn vị vận hành", "--as", "thu").exit_code == 0
    snoozed = run("alert", "snooze", str(alert), "30m", "--reason", "chờ nhà cung cấp", "--as", "thu")
    assert snoozed.exit_code == 0 and "snoozed until" in snoozed.output
    assert run("alert", "snooze", str(alert), "soon", "--reason", "x", "--as", "thu").exit_code == 2
    denied = run("alert", "escalate", str(alert), "--as", "thu")
    assert denied.exit_code == 2 and "only leads and supervisors may" in denied.stderr
    assert run("alert", "assign", str(alert), "hung", "--as", "lan").exit_code == 0
    escalated = run("alert", "escalate", str(alert), "--reason", "VPN down", "--as", "lan", "--json")
    assert escalated.exit_code == 0 and json.loads(escalated.output)["assignee"] == "hung"
    no_note = run("alert", "resolve", str(alert), "--as", "hung")
    assert no_note.exit_code == 2  # --note is required
    done = run("alert", "resolve", str(alert), "--note", "Đã vá bản 7.2.3", "--as", "hung")
    assert done.exit_code == 0 and "resolved by hung" in done.output


def test_show_text_and_json(run, rt: Runtime, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt, title="[bold]Chiến dịch[/bold] \x1b[31mAPT\x1b[0m")
    shown = run("alert", "show", str(alert))
    assert shown.exit_code == 0
    assert "[bold]Chiến dịch[/bold] APT" in shown.output and "\x1b" not in shown.output
    assert "timeline:" in shown.output and "  raised  " in shown.output and "alert.raised" not in shown.output  # the kind in words, as on the desk
    data = json.loads(run("alert", "show", str(alert), "--json").output)
    assert set(data) == {"alert", "timeline", "deliveries", "calls", "ahead"}
    assert data["alert"]["id"] == alert and data["timeline"][0]["kind"] == "alert.raised"
    missing = run("alert", "show", "999")
    assert missing.exit_code == 2 and missing.stderr == "watchdesk: no alert #999; see 'watchdesk alert list'.\n"


def test_tick_json(run, rt: Runtime, staff: dict[str, Actor]) -> None:
    new_alert(rt)
    result = run("tick", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["escalated"] == 1 and report["errors"] == []
    assert {"polled", "escalated", "retriggered", "queued", "calls", "delivered", "retried", "failed", "checks"} <= set(report)


def test_escalation_plan(run, rt: Runtime, clock, staff: dict[str, Actor]) -> None:
    t0 = clock.now()
    duty(rt, "hung", 1, t0 - timedelta(hours=1), t0 + timedelta(hours=12))
    duty(rt, "lan", 2, t0 - timedelta(hours=1), t0 + timedelta(hours=12))
    text = run("escalation", "plan", "--at", "2026-02-17 02:00", "--severity", "critical")
    assert text.exit_code == 0, text.output
    assert "17/02 02:00  1      level 1" in text.output and "hung" in text.output
    assert "NOBODY ON DUTY" in text.output  # level 3 has no shift
    data = json.loads(run("escalation", "plan", "--at", "2026-02-17 02:00", "--severity", "high", "--json").output)
    assert data["zone"] == "Asia/Ho_Chi_Minh" and data["steps"][1]["officers"] == ["lan"]
    assert data["steps"][1]["at"] == "2026-02-16T19:15:00+00:00"
    bad = run("escalation", "plan", "--at", "17 Feb", "--severity", "critical")
    assert bad.exit_code == 2 and "--at: '17 Feb' is not a time; use YYYY-MM-DD HH:MM" in bad.stderr


def test_record_a_call(run, rt: Runtime, staff: dict[str, Actor]) -> None:
    with rt.db.write() as session:
        from watchdesk.store.queries.escalation import insert_call_tasks

        alert = new_alert(rt)
        insert_call_tasks(session, [(alert, "ncsc", 0, 3)], rt.now())  # as the sweep makes it
    result = run("alert", "call", "1", "reported", "--reference", "NCSC-0217", "--as", "hung")
    assert result.exit_code == 0 and "(ref NCSC-0217)" in result.output


def test_notify_test(run, rt: Runtime, staff: dict[str, Actor], tmp_path: Path) -> None:
    assert run("notify", "test", "terminal").exit_code == 0
    unknown = run("notify", "test", "pager")
    assert unknown.exit_code == 2 and "no channel 'pager'" in unknown.stderr
    failed = run("notify", "test", "desktop", env={"PATH": str(tmp_path / "empty")})
    assert failed.exit_code == 1 and "notify-send is not installed" in failed.stderr
