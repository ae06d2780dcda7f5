"""A tampered log is named in the first line of every report; the CLI commands; make_history builds a verifiable history."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from watchdesk.cli.main import cli
from watchdesk.reports.acks import render
from watchdesk.services import lifecycle
from watchdesk.services.reports import ack_report, date_window
from watchdesk.store.audit import verify

from tests.reports.history import cli_database, duty, edit, lift_event_triggers, local, new_alert

ROOT = Path(__file__).resolve().parents[2]


def _history(rt, clock, staff):
    L = lambda t: local(rt, t)  # noqa: E731
    duty(rt, "hung", 1, L("2026-02-16 19:00"), L("2026-02-17 07:00"))
    aid = new_alert(rt, clock, L("2026-02-16 20:00"), "late one", "critical")
    clock.set(L("2026-02-16 20:30"))
    lifecycle.acknowledge(rt, staff["hung"], aid)
    return aid


def _tamper(rt, aid: int) -> int:
    """What an intruder does: lift the triggers, rewrite the acknowledgment to look fast. Returns the edited seq."""
    lift_event_triggers(rt)
    with rt.db.read() as session:
        seq, body = session.connection().execute(
            text("SELECT seq, body FROM event WHERE kind = 'alert.acknowledged' AND subject_id = :aid"), {"aid": str(aid)}).one()
    data = json.loads(body)
    data["data"]["ack_seconds"], data["data"]["breached"] = 60.0, False
    edit(rt, "UPDATE event SET body = :body WHERE seq = :seq",
         body=json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False), seq=seq)
    edit(rt, "UPDATE alert SET first_acked_at = received_at, acked_at = received_at WHERE id = :aid", aid=aid)
    return seq


def test_tampered_log_is_flagged_in_the_first_line(rt, clock, staff):
    aid = _history(rt, clock, staff)
    seq = _tamper(rt, aid)
    assert not verify(rt.db).ok
    start, end, name = date_window(rt, "2026-02-16", "2026-02-17")
    r = ack_report(rt, start, end, name)
    assert not r.proof.ok and r.proof.bad_seq == seq
    for fmt in ("md", "html", "csv", "json"):
        first = render(r, fmt).splitlines()[0]
        assert "TAMPERED" in first and f"seq {seq}" in first, (fmt, first)


def test_cli_report_acks_exits_1_on_a_tampered_log(rt, clock, staff, tmp_path):
    aid = _history(rt, clock, staff)
    runner = CliRunner()
    out = tmp_path / "r.json"
    db = cli_database(rt, tmp_path)
    ok = runner.invoke(cli, [*db, "report", "acks", "--from", "2026-02-16", "--to", "2026-02-17",
                             "--format", "json", "-o", str(out)])
    assert ok.exit_code == 0, ok.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["overall"]["count"] == 1 and data["breaches"][0]["alert_id"] == aid
    _tamper(rt, aid)
    bad = runner.invoke(cli, [*db, "report", "acks", "--from", "2026-02-16", "--to", "2026-02-17", "--format", "md"])
    assert bad.exit_code == 1
    assert bad.output.splitlines()[0].startswith("WARNING: the audit log is TAMPERED")


def test_cli_report_refuses_unclear_windows(rt, tmp_path):
    db = cli_database(rt, tmp_path)
    runner = CliRunner()
    res = runner.invoke(cli, [*db, "report", "acks"])
    assert res.exit_code == 2 and "--period NAME" in res.output
    res = runner.invoke(cli, [*db, "report", "acks", "--from", "16/02/2026", "--to", "2026-02-17"])
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output
    res = runner.invoke(cli, [*db, "report", "acks", "--period", "nope"])
    assert res.exit_code == 2


def test_cli_handover_show_sign_accept_export(rt, clock, staff, tmp_path, monkeypatch):
    L = lambda t: local(rt, t)  # noqa: E731
    shift = duty(rt, "hung", 1, L("2026-02-16 19:00"), L("2026-02-17 07:00"))
    duty(rt, "thu", 1, L("2026-02-17 07:00"), L("2026-02-17 19:00"))
    new_alert(rt, clock, L("2026-02-16 23:00"), "open one", "high")
    # The CLI reads the system clock; give it the fixture's fake one.
    import watchdesk.services.runtime as runtime_mod

    real = runtime_mod.open_runtime
    clock.set(L("2026-02-17 06:50"))
    monkeypatch.setattr(runtime_mod, "open_runtime", lambda *a, **k: real(*a, **{**k, "clock": clock}))
    runner = CliRunner()
    base = [*cli_database(rt, tmp_path), "handover"]
    res = runner.invoke(cli, [*base, "show", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["shift_id"] == shift and data["status"] == "draft" and data["summary"]["counts"]["open"] == 1
    res = runner.invoke(cli, [*base, "sign", "--as", "hung", "--notes", "ghi chú"])
    assert res.exit_code == 0 and "signed out by hung" in res.output
    res = runner.invoke(cli, [*base, "accept", "--as", "hung"])
    assert res.exit_code == 2 and res.output.startswith("watchdesk: hung signed shift")
    clock.set(L("2026-02-17 07:03"))
    res = runner.invoke(cli, [*base, "accept", "--as", "thu", "--remarks", "ok"])
    assert res.exit_code == 0, res.output
    page = tmp_path / "bb.html"
    res = runner.invoke(cli, [*base, "export", "--shift", str(shift), "--format", "html", "-o", str(page)])
    assert res.exit_code == 0
    assert page.read_text(encoding="utf-8").startswith("<!-- Audit log verified")
    res = runner.invoke(cli, [*base, "list", "--json"])
    assert json.loads(res.output)[0]["status"] == "accepted"


def test_make_history_builds_a_history_the_log_verifies(tmp_path):
    path = tmp_path / "h.db"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_history.py"), str(path), "--alerts", "600",
                           "--events", "8000"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "alerts" in done.stdout and "8,000" in done.stdout
    conn = sqlite3.connect(path)
    states = dict(conn.execute("SELECT state, COUNT(*) FROM alert GROUP BY state").fetchall())
    assert set(states) == {"new", "acknowledged", "resolved"} and sum(states.values()) == 600
    assert conn.execute("SELECT MAX(seq) FROM event").fetchone()[0] == 8000
    kinds = {k for (k,) in conn.execute("SELECT DISTINCT kind FROM event")}
    assert {"alert.raised", "alert.paged", "alert.escalated", "alert.acknowledged", "alert.resolved",
            "handover.signed", "handover.accepted", "shift.checked_in"} <= kinds
    assert conn.execute("SELECT COUNT(*) FROM notification").fetchone()[0] > 0
    conn.close()
    res = CliRunner().invoke(cli, ["--db", str(path), "log", "verify"])
    assert res.exit_code == 0, res.output


def test_a_hand_edited_duration_is_named_by_the_proof(rt, clock, staff):
    """ack_us, resolve_us and snoozed_us are held against the chained events like the time columns."""
    from datetime import timedelta

    L = lambda t: local(rt, t)  # noqa: E731
    duty(rt, "hung", 1, L("2026-02-16 19:00"), L("2026-02-17 07:00"))
    a = new_alert(rt, clock, L("2026-02-16 20:00"), "A", "critical")
    b = new_alert(rt, clock, L("2026-02-16 20:05"), "B", "high")
    clock.set(L("2026-02-16 20:06"))
    lifecycle.snooze(rt, staff["hung"], b, timedelta(minutes=10), "chờ nhà cung cấp")
    clock.set(L("2026-02-16 20:30"))
    lifecycle.acknowledge(rt, staff["hung"], a)
    lifecycle.acknowledge(rt, staff["hung"], b)
    clock.set(L("2026-02-16 21:00"))
    lifecycle.resolve(rt, staff["hung"], a, "đã vá")
    start, end, name = date_window(rt, "2026-02-16", "2026-02-17")
    honest = ack_report(rt, start, end, name)
    assert honest.proof.ok and honest.proof.figures_checked
    by_id = {x.id: x for x in honest.alerts}
    assert (by_id[a].ack_seconds, by_id[a].resolve_seconds) == (1800.0, 3600.0)
    assert (by_id[b].ack_seconds, by_id[b].snoozed_seconds) == (1500.0 - 600.0, 600.0)

    def edited(sql: str) -> tuple[str, ...]:
        edit(rt, sql)
        return ack_report(rt, start, end, name).proof.disagree

    assert edited(f"UPDATE alert SET ack_us = 60000000 WHERE id = {a}") == (
        f"#{a}: ack_us is 60000000 but the log's first acknowledgment makes it 1800000000",)
    assert ack_report(rt, start, end, name).overall.max == 900.0  # the edit flatters the figures, and is named
    edited(f"UPDATE alert SET ack_us = 1800000000 WHERE id = {a}")
    assert edited(f"UPDATE alert SET resolve_us = 1 WHERE id = {a}") == (
        f"#{a}: resolve_us is 1 but the log's resolution makes it 3600000000",)
    edited(f"UPDATE alert SET resolve_us = 3600000000 WHERE id = {a}")
    # A snooze that grows, with the acknowledgment made to match, disagrees with the acknowledgment's event.
    assert edited(f"UPDATE alert SET snoozed_us = 1500000000, ack_us = 0 WHERE id = {b}") == (
        f"#{b}: snoozed_us is 1500000000 but the acknowledgment was counted with 600 s",)
    assert edited(f"UPDATE alert SET snoozed_us = 600000000, ack_us = 900000000 WHERE id = {b}") == ()
