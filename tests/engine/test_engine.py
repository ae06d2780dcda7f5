"""The engine itself: phases, checks, heartbeats, `serve` stopping cleanly, a daylight-saving zone, the dry run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from tests.engine.conftest import Desk, WebhookServer, desk_config, duty, new_alert
from watchdesk import engine as engine_module
from watchdesk.clock import FakeClock
from watchdesk.core.records import Actor
from watchdesk.engine import Engine, other_engine_alive
from watchdesk.store import runners
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.alerts import list_alerts
from watchdesk.services.escalation import plan_escalation, plan_for_alert
from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in
from watchdesk.services.runtime import Runtime, open_runtime


def test_checks_run_every_tick_and_their_alerts_are_paged_at_once(desk: Desk, rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    def late_handover(rt: Runtime) -> list[int]:
        with rt.db.write() as session:
            row, created = raise_alert(session, rt.now(), source_key="desk", dedup_key="handover:1", title="Handover not accepted")
            return [row.id] if created else []  # type: ignore[list-item]

    def broken(rt: Runtime) -> None:
        raise RuntimeError("the check itself is buggy")

    monkeypatch.setattr(engine_module, "CHECKS", [broken, late_handover])
    report = desk.engine.tick()
    assert report.checks == 2 and report.escalated == 1
    assert report.errors and "the check itself is buggy" in report.errors[0]  # logged, the other phases still ran
    desk.expect(("hung", 1))


def test_heartbeat_and_other_engine_alive(rt: Runtime, clock: FakeClock) -> None:
    engine = Engine(rt, kind="serve")
    engine.tick()
    assert other_engine_alive(rt, kind="serve") is False  # our own process does not count
    with rt.db.write() as session:
        runners.heartbeat(session, "other-host:4242:serve", "serve", clock.now(), clock.now())
    assert other_engine_alive(rt, kind="serve")
    assert not other_engine_alive(rt, kind="desk")
    clock.fast_forward(11)
    assert not other_engine_alive(rt, kind="serve")  # its heartbeat is older than 10 s
    engine.close()
    with rt.db.read() as session:
        assert [tuple(r) for r in session.connection().execute(text("SELECT id FROM runner"))] == [("other-host:4242:serve",)]


_RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Cảnh báo</title><link>http://127.0.0.1/</link><description>x</description>
<item><title>Cảnh báo lỗ hổng bảo mật nghiêm trọng trong FortiOS (CVE-2024-21762)</title>
<link>http://127.0.0.1/canh-bao/1</link><guid>canh-bao-1</guid>
<pubDate>Mon, 16 Feb 2026 08:00:00 +0700</pubDate><description>Văn bản số 1547/CATTT-NCSC</description></item>
</channel></rss>"""


def test_a_polled_warning_is_paged_in_the_same_tick(rt: Runtime, clock: FakeClock, webhook: WebhookServer, tmp_path: Path) -> None:
    class Feed(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = _RSS.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/feed.rss"
        config = desk_config(webhook, sources=[{"key": "khonggianmang", "kind": "rss", "url": url, "interval": "15m"}])
        feed_rt = open_runtime(config, db_path=str(tmp_path / "feed.db"), clock=clock)
        bootstrap_supervisor(feed_rt, "minh", "Minh", "246810")
        add_officer(feed_rt, sign_in(feed_rt, "minh", "246810"), "hung", "Hùng")
        duty(feed_rt, "hung", 1, clock.now() - timedelta(hours=1), clock.now() + timedelta(hours=8))
        engine = Engine(feed_rt, kind="tick")
        report = engine.tick()
        assert report.polled == 1 and report.escalated == 1, report
        (alert,) = list_alerts(feed_rt)
        assert "FortiOS" in alert.title
        (page,) = webhook.take()
        assert (page.body["target"], page.body["alert_id"], page.body["level"]) == ("hung", alert.id, 1)
        engine.close()
        feed_rt.db.dispose()
    finally:
        server.shutdown()
        server.server_close()


def test_serve_stops_cleanly_on_sigterm(rt: Runtime, db_target: str, staff: dict[str, Actor]) -> None:
    """`watchdesk serve` heartbeats while it runs; SIGTERM ends the current tick, removes the heartbeat, exits 0."""
    env = {**os.environ, "WATCHDESK_DB": db_target}
    proc = subprocess.Popen([sys.executable, "-m", "watchdesk", "serve", "--interval", "1s"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    live = open_runtime(rt.config, db_path=db_target)  # the real clock, like the desk's
    try:
        deadline = time.monotonic() + 60
        while not other_engine_alive(live, kind="serve") and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.2)
        assert other_engine_alive(live, kind="serve")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "SIGTERM received" in err and "stopped after" in err
    assert not other_engine_alive(live, kind="serve")
    live.db.dispose()


# -- a daylight-saving zone -------------------------------------------------------------------
BERLIN = ZoneInfo("Europe/Berlin")


def test_escalation_across_the_dst_jump_in_berlin(webhook: WebhookServer, tmp_path: Path) -> None:
    """29/03/2026 02:00 CET → 03:00 CEST. A medium alert at 01:30 CET: level 2 is due 60 real minutes
    later, 03:30 CEST — after the shift change at 03:00 CEST, so thu is paged, not lan."""
    clock = FakeClock(datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN))
    config = desk_config(webhook, desk={"timezone": "Europe/Berlin"})
    rt = open_runtime(config, db_path=str(tmp_path / "berlin.db"), clock=clock)
    bootstrap_supervisor(rt, "minh", "Minh", "246810")
    boss = sign_in(rt, "minh", "246810")
    for h in ("hung", "lan", "thu"):
        add_officer(rt, boss, h, h.title(), "lead" if h == "lan" else "officer", pin="246810" if h == "lan" else "")
    duty(rt, "hung", 1, datetime(2026, 3, 28, 20, 0, tzinfo=BERLIN), datetime(2026, 3, 29, 8, 0, tzinfo=BERLIN))
    duty(rt, "lan", 2, datetime(2026, 3, 28, 20, 0, tzinfo=BERLIN), datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN))
    duty(rt, "thu", 2, datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN), datetime(2026, 3, 29, 8, 0, tzinfo=BERLIN))
    duty(rt, "minh", 3, datetime(2026, 3, 28, 20, 0, tzinfo=BERLIN), datetime(2026, 3, 29, 8, 0, tzinfo=BERLIN))

    plan = plan_escalation(rt, "medium", clock.now())
    assert [(p.at.astimezone(BERLIN).strftime("%H:%M %Z"), p.officers) for p in plan[:3]] == [
        ("01:30 CET", ("hung",)), ("03:30 CEST", ("thu",)), ("04:30 CEST", ("minh",)),
    ]
    desk = Desk(rt, clock, webhook)
    alert = new_alert(rt, severity="medium")
    desk.tick()
    (first,) = webhook.take()
    assert first.body["target"] == "hung" and "Received 29/03/2026 01:30 (Europe/Berlin)" in first.body["text"]
    clock.set(datetime(2026, 3, 29, 3, 29, tzinfo=BERLIN))  # 59 real minutes later
    desk.tick()
    desk.expect()
    clock.set(datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN))
    desk.tick()
    desk.expect(("thu", 2))
    assert plan_for_alert(rt, alert)[0].at == datetime(2026, 3, 29, 4, 30, tzinfo=BERLIN)
    desk.close()
    rt.db.dispose()


# -- the dry run ------------------------------------------------------------------------------
def test_plan_follows_the_roster_at_each_step(rt: Runtime, clock: FakeClock, staff: dict[str, Actor]) -> None:
    """Before Tết: who would hear of a critical alert at 02:00 on 17/02, step by step, and whom to call."""
    t0 = clock.now()
    duty(rt, "hung", 1, t0 - timedelta(hours=2), t0 + timedelta(minutes=4))
    duty(rt, "thu", 1, t0 + timedelta(minutes=4), t0 + timedelta(hours=8))
    duty(rt, "minh", 3, t0 - timedelta(hours=2), t0 + timedelta(hours=8))
    plan = plan_escalation(rt, "critical", t0)
    rows = [(int((p.at - t0).total_seconds() // 60), p.round, p.label, p.officers, p.nobody, [c["key"] for c in p.calls]) for p in plan]
    assert rows[:5] == [
        (0, 0, "level 1", ("hung",), False, []),
        (5, 0, "level 2", (), True, []),  # nobody at level 2: level 3 at once
        (5, 0, "level 3", ("minh",), False, []),
        (10, 0, "call vncert", (), False, ["vncert"]),
        (15, 1, "level 1", ("thu",), False, []),  # thu's shift has begun by then
    ]
    assert plan[-1].final and plan[-1].round == 2 and [c["key"] for c in plan[-1].calls] == ["vncert"]
    assert plan[3].calls[0]["phone"] == "024.3640.4421"


def test_plan_for_an_alert_shows_the_steps_ahead(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt, severity="high")
    desk.tick()
    ahead = plan_for_alert(rt, alert)
    assert [(p.label, p.officers) for p in ahead[:2]] == [("level 2", ("lan",)), ("level 3", ("minh",))]
    assert ahead[0].at == desk.t0 + timedelta(minutes=15)
    from watchdesk.services.lifecycle import acknowledge

    acknowledge(rt, staff["hung"], alert)
    again = plan_for_alert(rt, alert)  # acknowledged: what its ack timeout would start, a fresh round
    assert (again[0].at, again[0].round, again[0].step, again[0].officers) == (rt.now() + timedelta(hours=4), 1, 0, ("hung",))



def test_a_dripping_source_does_not_hold_back_escalation(clock: FakeClock, webhook: WebhookServer, tmp_path: Path) -> None:
    """A feed server that answers one byte a second must not delay the page of an alert already due:
    a running engine's tick does not wait for its poll; it escalates, and the poll finishes (or is cut) on its own."""
    from tests.support.feed_server import FeedServer, Reply

    with FeedServer() as server:
        server.route("/slow.rss", Reply(body=_RSS.encode(), headers={"Content-Type": "application/rss+xml"}, drip=1.0))
        config = desk_config(webhook, sources=[{"key": "slow", "kind": "rss", "url": server.url("/slow.rss"), "deadline": "8s"}])
        slow_rt = open_runtime(config, db_path=str(tmp_path / "slow.db"), clock=clock)
        bootstrap_supervisor(slow_rt, "minh", "Minh", "246810")
        add_officer(slow_rt, sign_in(slow_rt, "minh", "246810"), "hung", "Hùng")
        duty(slow_rt, "hung", 1, clock.now() - timedelta(hours=1), clock.now() + timedelta(hours=8))
        with slow_rt.db.write() as session:
            raise_alert(session, clock.now(), source_key="manual", dedup_key="manual:1", title="Cảnh báo khẩn")
        engine = Engine(slow_rt, kind="desk")
        began = time.monotonic()
        report = engine.tick()
        took = time.monotonic() - began
        assert report.escalated == 1 and report.polled == 0, report
        assert took < 1, f"the tick waited {took:.1f} s for a dripping source"
        assert webhook.arrived.wait(5), "the page never went out"  # sent beside the tick, by the courier
        (page,) = webhook.take()
        assert page.body["target"] == "hung"
        # The next tick does not start a second poll of the source still being fetched.
        assert engine.tick().polled == 0
        assert len([r for r in server.requests if r.path == "/slow.rss"]) == 1
        engine._poll_thread.join(15)  # type: ignore[union-attr]
        engine.close()
        slow_rt.db.dispose()


def test_serve_sees_an_alert_due_at_once_written_by_another_writer(desk: Desk, rt: Runtime, db_target: str) -> None:
    """`serve` sleeps until the next tick or deadline, but an alert typed in elsewhere (due at once) wakes it:
    due_now() answers after such a commit, and stays quiet when nothing was committed or nothing is due."""
    from watchdesk.services.runtime import open_runtime as reopen

    engine = Engine(rt, kind="serve")
    engine.tick()
    assert engine.due_now() is False  # nothing due after the tick
    other = reopen(rt.config, db_path=db_target, clock=desk.clock)  # another writer, its own connections
    new_alert(other, title="Typed in at the other desk")
    # SQLite's data_version moves with the commit; PostgreSQL's notification reaches the listening
    # connection a moment after it (asynchronously), so the look is repeated until then.
    deadline = time.monotonic() + 5
    while not engine.due_now():
        assert time.monotonic() < deadline, "no change seen 5 s after another writer's commit"
        time.sleep(0.01)
    assert engine.due_now() is False  # no commit since the last look
    engine.tick()
    assert engine.due_now() is False  # paged: its next step is ahead
    engine.close()
    other.db.dispose()
