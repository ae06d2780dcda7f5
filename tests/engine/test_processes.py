"""Concurrency with real processes: one winner among twelve, two engines, kill -9 mid-tick."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from tests.engine import workers
from tests.engine.conftest import WebhookServer, alert_row, duty, kinds, new_alert, policies
from watchdesk.clock import FakeClock
from watchdesk.config import parse_config
from watchdesk.core.records import Actor
from watchdesk.engine import Engine
from watchdesk.notify.outbox import Outbox, delivery_log
from watchdesk.services.officers import add_officer
from watchdesk.services.runtime import Runtime, open_runtime
from watchdesk.store.audit import events_for, verify
from watchdesk.store.runners import JOBS
from watchdesk.store.types import UTCDateTime

SPAWN = multiprocessing.get_context("spawn")


def _hook_config(webhook: WebhookServer, waits: str = "10s", timeout: str = "5s") -> dict[str, Any]:
    return {
        "channels": {"hook": {"type": "webhook", "url": webhook.url, "timeout": timeout, "max_attempts": 5}},
        "policies": policies(["hook"], {s: waits for s in ("critical", "high", "medium", "low")}),
    }


def test_twelve_processes_acknowledge_one_alert(rt: Runtime, clock: FakeClock, db_target: str, staff: dict[str, Actor]) -> None:
    """Exactly one wins; one audit event; each of the other eleven is told who won and when."""
    handles = [f"officer{i:02d}" for i in range(12)]
    for h in handles:
        add_officer(rt, staff["minh"], h, f"Cán bộ {h}")
    alert = new_alert(rt)
    barrier, results = SPAWN.Barrier(12), SPAWN.Queue()
    start = clock.now().isoformat()
    procs = [
        SPAWN.Process(target=workers.acknowledge_one, args=(db_target, {}, start, h, alert, barrier, results))
        for h in handles
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    winners = [h for kind, h, _ in outcomes if kind == "won"]
    assert len(winners) == 1
    refusals = [msg for kind, _, msg in outcomes if kind == "refused"]
    assert refusals == [f"alert #{alert} was already acknowledged by {winners[0]} at 02:00."] * 11
    acks = [e for e in events_for(rt.db, "alert", alert) if e.kind == "alert.acknowledged"]
    assert len(acks) == 1 and acks[0].actor == winners[0]
    assert verify(rt.db).ok


@pytest.fixture
def config(webhook: WebhookServer) -> Any:  # the policies step every 10 s so a minute sees many escalations
    return parse_config(_hook_config(webhook))


def test_two_engines_one_minute_every_escalation_and_message_once(
    rt: Runtime, clock: FakeClock, db_target: str, webhook: WebhookServer, staff: dict[str, Actor]
) -> None:
    t0 = clock.now()
    for handle, level in (("hung", 1), ("lan", 2), ("minh", 3)):
        duty(rt, handle, level, t0 - timedelta(hours=1), t0 + timedelta(hours=2))
    alerts = []
    for i in range(5):  # received at +0, +7, +14, +21, +28 s
        clock.set(t0 + timedelta(seconds=7 * i))
        alerts.append(new_alert(rt, key=f"a{i}", title=f"Cảnh báo {i}"))
    steps = 60
    barrier, results = SPAWN.Barrier(2), SPAWN.Queue()
    procs = [
        SPAWN.Process(target=workers.tick_through, args=(db_target, _hook_config(webhook), t0.isoformat(), steps, barrier, results))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    totals = [results.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert sum(t["errors"] for t in totals) == 0

    # Level steps sit at offsets 0,10,20 (call at 30) | 40,50,60 (call at 70): those within 59 s of fake time.
    expected = []
    for i, alert in enumerate(alerts):
        for offset, who, level, rnd in ((0, "hung", 1, 0), (10, "lan", 2, 0), (20, "minh", 3, 0),
                                        (40, "hung", 1, 1), (50, "lan", 2, 1)):
            if 7 * i + offset <= steps - 1:
                expected.append((alert, level, rnd, who))
    got = [(r.body["alert_id"], r.body["level"], r.body["round"], r.body["target"]) for r in webhook.take()]
    assert sorted(got) == sorted(expected)  # every page once: none missing, none twice
    schedule = [(0, (0, 0)), (10, (0, 1)), (20, (0, 2)), (30, (0, 3)), (40, (1, 0)), (50, (1, 1))]
    for i, alert in enumerate(alerts):
        fired = [(e.payload["round"], e.payload["step"]) for e in events_for(rt.db, "alert", alert) if e.kind in ("alert.paged", "alert.escalated")]
        assert fired == [pos for offset, pos in schedule if 7 * i + offset <= steps - 1]  # each step once, in order
        assert all(d.status == "sent" and d.attempts == 1 for d in delivery_log(rt, alert))
    assert sum(t["delivered"] for t in totals) == len(expected)
    # One engine did every job every second (the first to tick took the leases and kept them while it
    # heartbeated); the other stood by the whole minute, doing nothing.
    active, standby = sorted(totals, key=lambda t: t["delivered"], reverse=True)
    assert active["held"] == [JOBS] * steps and standby["held"] == [()] * steps
    assert standby["delivered"] == standby["escalated"] == 0
    assert verify(rt.db).ok


def test_kill_9_of_the_active_engine_the_standby_takes_over_within_15_s_every_page_once(
    rt: Runtime, clock: FakeClock, db_target: str, webhook: WebhookServer, staff: dict[str, Actor]
) -> None:
    """Two engines tick a fake second at a time; the active one is killed (-9) between ticks. The standby
    held nothing before; it takes every job within 15 s of fake time, and every page due meanwhile (steps
    of the alerts already open, an alert raised during the gap) is sent once, none missing, none twice."""
    t0 = clock.now()
    for handle, level in (("hung", 1), ("lan", 2), ("minh", 3)):
        duty(rt, handle, level, t0 - timedelta(hours=1), t0 + timedelta(hours=2))
    arrivals = {}
    for offset in (0, 7):  # steps every 10 s: one of each alert's steps falls in the gap after the kill
        clock.set(t0 + timedelta(seconds=offset))
        arrivals[new_alert(rt, key=f"a{offset}", title=f"Cảnh báo {offset}")] = offset
    config = _hook_config(webhook)
    commands = {name: SPAWN.Queue() for name in ("active", "standby")}
    results = {name: SPAWN.Queue() for name in ("active", "standby")}
    procs = {name: SPAWN.Process(target=workers.tick_on_command,
                                 args=(db_target, config, t0.isoformat(), commands[name], results[name]))
             for name in ("active", "standby")}
    for p in procs.values():
        p.start()
    kill_at, steps = 20, 60
    held: dict[str, list[tuple[str, ...]]] = {"active": [], "standby": []}
    errors: list[str] = []
    began = time.monotonic()
    try:
        for second in range(steps):
            alive = ["active", "standby"] if second <= kill_at else ["standby"]
            if second == 0:
                alive = ["active"]  # the active one ticks first and takes the jobs
            elif second == kill_at + 1:
                os.kill(procs["active"].pid, signal.SIGKILL)  # type: ignore[arg-type]  # idle between ticks
                procs["active"].join(30)
                assert procs["active"].exitcode == -signal.SIGKILL
            if second == 25:  # raised while no engine does anything
                clock.set(t0 + timedelta(seconds=25))
                arrivals[new_alert(rt, key="a25", title="Cảnh báo 25")] = 25
            for name in alive:
                commands[name].put("tick")
                at, jobs, _delivered, errs = results[name].get(timeout=120)
                assert at == (t0 + timedelta(seconds=second)).isoformat()
                held[name].append(jobs)
                errors += errs
            if second == 0:
                commands["standby"].put("tick")
                at, jobs, _delivered, errs = results["standby"].get(timeout=120)
                held["standby"].append(jobs)
                errors += errs
        commands["standby"].put(None)
        procs["standby"].join(60)
    finally:
        for p in procs.values():
            if p.is_alive():
                p.kill()
    took = time.monotonic() - began
    assert errors == []
    assert procs["standby"].exitcode == 0
    assert held["active"] == [JOBS] * (kill_at + 1)
    took_over = next(i for i, jobs in enumerate(held["standby"]) if jobs)
    assert held["standby"][:took_over] == [()] * took_over and took_over > kill_at  # nothing before the kill
    assert held["standby"][took_over:] == [JOBS] * (steps - took_over)  # then all of it, for good
    assert took_over - kill_at <= 15, f"the standby took over {took_over - kill_at} s after the active engine's last tick"
    print(f"\ntakeover {took_over - kill_at} s of fake time after the active engine's last tick; test {took:.1f} s real")

    expected = []
    schedule = [(0, (0, 0)), (10, (0, 1)), (20, (0, 2)), (30, (0, 3)), (40, (1, 0)), (50, (1, 1))]
    pages = {0: ("hung", 1, 0), 10: ("lan", 2, 0), 20: ("minh", 3, 0), 40: ("hung", 1, 1), 50: ("lan", 2, 1)}
    for alert, arrived in arrivals.items():
        expected += [(alert, level, rnd, who) for offset, (who, level, rnd) in pages.items() if arrived + offset < steps]
        fired = [(e.payload["round"], e.payload["step"]) for e in events_for(rt.db, "alert", alert)
                 if e.kind in ("alert.paged", "alert.escalated")]
        assert fired == [pos for offset, pos in schedule if arrived + offset < steps]  # each step once, none skipped
        assert all(d.status == "sent" and d.attempts == 1 for d in delivery_log(rt, alert))
    got = [(r.body["alert_id"], r.body["level"], r.body["round"], r.body["target"]) for r in webhook.take()]
    assert sorted(got) == sorted(expected)  # every page once: none missing, none twice
    assert verify(rt.db).ok


def test_kill_9_mid_tick_then_restart_finishes_the_work(
    rt: Runtime, clock: FakeClock, db_target: str, webhook: WebhookServer, staff: dict[str, Actor]
) -> None:
    """The engine dies while the webhook is receiving its page; the next engine sends it again (at least once), nothing lost."""
    t0 = clock.now()
    for handle, level in (("hung", 1), ("lan", 2)):
        duty(rt, handle, level, t0 - timedelta(hours=1), t0 + timedelta(hours=2))
    alert = new_alert(rt)
    slow = _hook_config(webhook, "5m")  # steps 5 min apart: the restart below catches up nothing but the lost send
    webhook.hold = threading.Event()
    proc = SPAWN.Process(target=workers.tick_once, args=(db_target, slow, t0.isoformat()))
    proc.start()
    assert webhook.arrived.wait(120), "the engine never reached the webhook"
    os.kill(proc.pid, signal.SIGKILL)  # type: ignore[arg-type]
    proc.join(30)
    assert proc.exitcode == -signal.SIGKILL
    webhook.hold.set()
    webhook.hold = None

    (row,) = delivery_log(rt, alert)
    assert (row.status, row.attempts) == ("pending", 1)  # claimed, never recorded
    assert kinds(rt, alert).count("alert.paged") == 1  # the escalation itself committed before the send

    clock.fast_forward(timedelta(seconds=59))  # the dead engine's heartbeat is long stale: its claim is free
    restarted = open_runtime(parse_config(slow), db_path=db_target, clock=clock)
    engine = Engine(restarted, kind="tick")
    report = engine.tick()
    assert report.delivered == 1 and report.escalated == 0, report
    first, second = webhook.take()
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]  # a duplicate, never a miss
    (row,) = delivery_log(rt, alert)
    assert (row.status, row.attempts) == ("sent", 2)
    clock.set(t0 + timedelta(minutes=5))
    engine.tick()
    assert [(r.body["target"], r.body["level"]) for r in webhook.take()] == [("lan", 2)]
    assert alert_row(rt, alert).level == 2
    engine.close()
    restarted.db.dispose()
    assert verify(rt.db).ok


def _heartbeat(rt: Runtime) -> Any:
    with rt.db.read() as session:
        row = session.connection().execute(text("SELECT max(heartbeat_at) FROM runner")).one()
    return UTCDateTime().process_result_value(row[0], None) if row and row[0] else None


def test_a_claim_is_not_stolen_while_its_engine_heartbeats(
    rt: Runtime, clock: FakeClock, db_target: str, webhook: WebhookServer, staff: dict[str, Actor]
) -> None:
    """An engine whose send takes minutes (its claim's lease long run out) keeps its claim while it heartbeats:
    another engine ticking then leaves the row alone, and the page is sent once."""
    t0 = clock.now()
    duty(rt, "hung", 1, t0 - timedelta(hours=1), t0 + timedelta(hours=2))
    alert = new_alert(rt)
    # The send is held for real seconds while the engine's clock runs 100 fake seconds a real one: its
    # timeout (2 min, real) must outlast the waits below even on a loaded machine, or the send fails
    # and is retried (attempt 2, a second page: it did at 30 s, once, under load).
    slow = _hook_config(webhook, "15m", timeout="2m")  # no next step within the fake minutes below
    lease = timedelta(seconds=120 * 3 + 30)  # the claim's own lease (Outbox._lease): long run out below
    webhook.hold = threading.Event()
    stop = SPAWN.Event()
    proc = SPAWN.Process(target=workers.serve_time_lapse, args=(db_target, slow, t0.isoformat(), stop, 5))
    proc.start()
    try:
        assert webhook.arrived.wait(120)
        deadline = time.monotonic() + 60
        while (_heartbeat(rt) or t0) < t0 + lease + timedelta(seconds=30) and time.monotonic() < deadline:
            time.sleep(0.05)  # the engine's fake minutes pass while its send is held
        beat = _heartbeat(rt)
        assert beat is not None and beat >= t0 + lease + timedelta(seconds=30)
        other = open_runtime(parse_config(slow), db_path=db_target, clock=FakeClock(beat + timedelta(seconds=1)))
        engine = Engine(other, kind="tick")
        report = engine.tick()
        assert report.held == () and report.delivered == 0  # the serving engine holds every job: this one stands by
        # The second line: a claimer the lease does not stop (a courier whose engine lost `deliver` a moment
        # ago) leaves the row alone too, since the claim's engine heartbeats.
        stray = Outbox(other.db, other.config.channels, other.now, claimer=engine.runner_id)
        assert stray.claim(other.now()) == []
        (row,) = delivery_log(other, alert)
        assert (row.status, row.attempts) == ("pending", 1)
        engine.close()
        other.db.dispose()
        webhook.hold.set()
        deadline = time.monotonic() + 60
        while delivery_log(rt, alert)[0].status != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        proc.join(60)
    assert proc.exitcode == 0
    webhook.hold = None
    # The level-1 page once (the engine's fast clock may reach the policy's next round meanwhile: other pages).
    assert [(r.body["level"], r.body["round"]) for r in webhook.take()].count((1, 0)) == 1
    row = delivery_log(rt, alert)[0]
    assert (row.level, row.round, row.status, row.attempts) == (1, 0, "sent", 1)


def test_kill_9_of_serve_mid_send_is_resent_within_15_s_of_a_restart(
    rt: Runtime, clock: FakeClock, db_target: str, webhook: WebhookServer, staff: dict[str, Actor]
) -> None:
    """`serve` dies (kill -9) while the webhook holds its page; an engine started a second later takes the
    dead engine's claim over once its heartbeat is 10 s stale and sends the page again: within 15 s, not 45."""
    t0 = clock.now()
    duty(rt, "hung", 1, t0 - timedelta(hours=1), t0 + timedelta(hours=2))
    alert = new_alert(rt)
    slow = _hook_config(webhook, "5m")
    webhook.hold = threading.Event()
    proc = SPAWN.Process(target=workers.serve_fake, args=(db_target, slow, t0.isoformat()))
    proc.start()
    assert webhook.arrived.wait(120), "serve never reached the webhook"
    os.kill(proc.pid, signal.SIGKILL)  # type: ignore[arg-type]
    proc.join(30)
    webhook.hold.set()
    webhook.hold = None
    assert len(webhook.take()) == 1

    restart = FakeClock(t0 + timedelta(seconds=1))
    again = open_runtime(parse_config(slow), db_path=db_target, clock=restart)
    engine = Engine(again, kind="tick")
    resent_after = None
    for second in range(1, 31):  # one tick a (fake) second, as serve does
        if engine.tick().delivered:
            resent_after = second - 1
            break
        restart.fast_forward(timedelta(seconds=1))
    engine.close()
    again.db.dispose()
    assert resent_after is not None and resent_after <= 15, resent_after
    (page,) = webhook.take()
    assert page.body["alert_id"] == alert
    (row,) = delivery_log(rt, alert)
    assert (row.status, row.attempts) == ("sent", 2)


def test_kill_9_mid_poll_the_source_is_polled_again_within_15_s(
    rt: Runtime, clock: FakeClock, db_target: str, webhook: WebhookServer, staff: dict[str, Actor]
) -> None:
    """An engine dies while a slow source drips its feed; the next engine polls the source once the dead one's
    heartbeat is stale, instead of waiting out the poll's 90 s lease."""
    from tests.support.feed_server import FeedServer, Reply

    with FeedServer() as server:
        server.route("/slow.rss", Reply(body=b"<rss><channel></channel></rss>" * 10, drip=1.0))
        slow = {**_hook_config(webhook, "5m"),
                "sources": [{"key": "slow", "kind": "rss", "url": server.url("/slow.rss"), "deadline": "60s"}]}
        t0 = clock.now()
        proc = SPAWN.Process(target=workers.tick_once, args=(db_target, slow, t0.isoformat()))
        proc.start()
        deadline = time.monotonic() + 120
        while not server.hits("/slow.rss") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.hits("/slow.rss"), "the engine never polled"
        os.kill(proc.pid, signal.SIGKILL)  # type: ignore[arg-type]
        proc.join(30)

        restart = FakeClock(t0 + timedelta(seconds=1))
        again = open_runtime(parse_config(slow), db_path=db_target, clock=restart)
        engine = Engine(again, kind="serve")
        polled_after = None
        for second in range(1, 31):
            engine.tick()
            if len(server.hits("/slow.rss")) > 1:
                polled_after = second - 1
                break
            restart.fast_forward(timedelta(seconds=1))
            time.sleep(0.02)  # the poll runs in its own thread
        engine.close()
        again.db.dispose()
        assert polled_after is not None and polled_after <= 15, polled_after
