"""Job leases: each engine job is done by one engine at a time, while it heartbeats (store/runners.py);
outbox claims on PostgreSQL run beside each other (FOR UPDATE SKIP LOCKED, no write lock)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from tests.engine.conftest import WebhookServer, duty, kinds, new_alert
from watchdesk.cli import cli
from watchdesk.clock import FakeClock, SystemClock
from watchdesk.core.records import Actor
from watchdesk.engine import Engine
from watchdesk.notify.messages import Page
from watchdesk.notify.outbox import Outbox, enqueue
from watchdesk.services.runtime import Runtime, open_runtime
from watchdesk.store import runners
from watchdesk.store.audit import SYSTEM, append_event
from watchdesk.store.db import Database
from watchdesk.store.queries import outbox as q

JOBS = runners.JOBS


def _beat(rt: Runtime, runner: str, at: Any) -> None:
    with rt.db.write() as session:
        runners.heartbeat(session, runner, "serve", at, at)


def _take(rt: Runtime, runner: str, at: Any) -> dict[str, str]:
    """Heartbeat `runner` at `at` and take what it can, as a tick does: {job: holder} after it."""
    with rt.db.write() as session:
        runners.heartbeat(session, runner, "serve", at, at)
        return {job: lease.held_by for job, lease in runners.take_leases(session, runner, at).items()}


# -- the store's rule, with the fake clock -----------------------------------------------------------
def test_a_lease_is_held_by_one_runner_while_it_heartbeats_then_taken_over(rt: Runtime, clock: FakeClock) -> None:
    t0 = clock.now()
    assert _take(rt, "a:1:serve", t0) == dict.fromkeys(JOBS, "a:1:serve")
    assert _take(rt, "b:2:serve", t0 + timedelta(seconds=1)) == dict.fromkeys(JOBS, "a:1:serve")  # a is alive
    # a's heartbeat exactly STALE_AFTER old still counts; a microsecond more and every job is b's.
    assert _take(rt, "b:2:serve", t0 + runners.STALE_AFTER) == dict.fromkeys(JOBS, "a:1:serve")
    later = t0 + runners.STALE_AFTER + timedelta(microseconds=1)
    assert _take(rt, "b:2:serve", later) == dict.fromkeys(JOBS, "b:2:serve")
    with rt.db.read() as session:
        leases = runners.leases(session, later)
    assert {lease.taken_at for lease in leases.values()} == {later} and all(lease.alive for lease in leases.values())
    # a comes back (its process was only stopped): b heartbeats, so a takes nothing back.
    assert _take(rt, "a:1:serve", later + timedelta(seconds=1)) == dict.fromkeys(JOBS, "b:2:serve")


def test_a_runner_keeps_its_own_lease_across_a_stale_heartbeat(rt: Runtime, clock: FakeClock) -> None:
    """Nobody else took it: the holder's next heartbeat holds it on, with its first taking time."""
    t0 = clock.now()
    _take(rt, "a:1:serve", t0)
    hour = t0 + timedelta(hours=1)
    assert _take(rt, "a:1:serve", hour) == dict.fromkeys(JOBS, "a:1:serve")
    with rt.db.read() as session:
        assert {lease.taken_at for lease in runners.leases(session, hour).values()} == {t0}


def test_a_forgotten_runner_frees_its_leases_at_once(rt: Runtime, clock: FakeClock) -> None:
    t0 = clock.now()
    _take(rt, "a:1:serve", t0)
    _beat(rt, "b:2:serve", t0)
    with rt.db.write() as session:
        runners.forget(session, "a:1:serve")
    with rt.db.read() as session:
        assert runners.leases(session, t0) == {}
        assert runners.holder(session, "deliver") is None
    assert _take(rt, "b:2:serve", t0) == dict.fromkeys(JOBS, "b:2:serve")  # no 10 s wait


def test_a_lease_whose_runner_row_is_gone_is_free(rt: Runtime, clock: FakeClock) -> None:
    """A runner row removed without its leases (a desk of an older watchdesk closing): the jobs are free."""
    t0 = clock.now()
    _take(rt, "a:1:serve", t0)
    with rt.db.write() as session:
        session.connection().execute(text("DELETE FROM runner WHERE id = 'a:1:serve'"))
    assert _take(rt, "b:2:serve", t0) == dict.fromkeys(JOBS, "b:2:serve")


# -- engines -----------------------------------------------------------------------------------------
def test_a_standby_engine_does_no_job_and_its_courier_claims_nothing(
    rt: Runtime, clock: FakeClock, webhook: WebhookServer, staff: dict[str, Actor]
) -> None:
    t0 = clock.now()
    duty(rt, "hung", 1, t0 - timedelta(hours=1), t0 + timedelta(hours=2))
    active = Engine(rt, kind="tick")  # another kind: another runner in this process
    standby = Engine(rt, kind="desk")
    try:
        assert active.tick().held == JOBS
        alert = new_alert(rt)
        report = standby.tick()
        assert report.held == () and report.escalated == 0 and report.polled == 0 and report.checks == 0
        assert report.held_elsewhere == dict.fromkeys(JOBS, active.runner_id)
        assert "alert.paged" not in kinds(rt, alert)  # nobody paged it: only the active engine escalates

        assert active.tick().escalated == 1  # queues the page; it delivers in its tick
        webhook.take()
        with rt.db.write() as session:  # a page due now, queued by hand: nobody has claimed it
            enqueue(session, alert_id=alert, level=1, round=0, channel="hook", channel_type="webhook", target="lan",
                    page=Page("s", "b"), now=t0)
        assert standby.courier.dispatch() == []  # its engine does not hold `deliver`
        standby.held = frozenset(JOBS)  # even a courier that thinks so: the claim's own transaction checks the lease
        assert standby.courier.dispatch() == []
        standby.held = frozenset()
        with rt.db.read() as session:
            assert session.connection().execute(text("SELECT attempts, claimed_by FROM notification WHERE target = 'lan'")).one() == (0, "")
        assert active.tick().delivered == 1
        assert [r.body["target"] for r in webhook.take()] == ["lan"]
    finally:
        standby.close()
        active.close()


def test_an_engine_whose_heartbeat_went_stale_loses_its_jobs_and_stands_by(
    rt: Runtime, clock: FakeClock, db_target: str, config: Any, staff: dict[str, Actor]
) -> None:
    """The standby (its own clock) ticks each second; it takes the jobs 11 s after the active one's last
    heartbeat. The old one, back, stands by: it does not take them back while the new one heartbeats."""
    t0 = clock.now()
    other_clock = FakeClock(t0)
    other = open_runtime(config, db_path=db_target, clock=other_clock)
    first, second = Engine(rt, kind="serve"), Engine(other, kind="desk")
    try:
        assert first.tick().held == JOBS
        # Its clock stands still (it froze): its pulse goes on writing the same heartbeat, t0.
        took_over = None
        for s in range(0, 16):
            other_clock.set(t0 + timedelta(seconds=s))
            if second.tick().held:
                took_over = s
                break
        assert took_over == 11  # heartbeat t0, stale once older than 10 s: the tick at t0+11 s
        clock.set(t0 + timedelta(seconds=12))
        report = first.tick()
        assert report.held == () and report.held_elsewhere == dict.fromkeys(JOBS, second.runner_id)
    finally:
        second.close()
        first.close()
        other.db.dispose()


def test_a_one_shot_tick_while_serve_holds_the_jobs_does_none_and_says_so(
    rt: Runtime, db_target: str, staff: dict[str, Actor]
) -> None:
    """`watchdesk tick` beside a live `serve` (another machine): nothing escalated, exit 0, a line naming
    the jobs and the engine doing them, and the report lists them; once serve is dead the tick does the work."""
    duty(rt, "hung", 1, rt.now() - timedelta(hours=1), rt.now() + timedelta(days=400))
    new_alert(rt)  # due at once
    now = SystemClock().now()  # the CLI runs on the wall clock
    _take(rt, "other-host:4242:serve", now)
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", db_target, "tick", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["escalated"] == 0 and report["held"] == []
    assert report["held_elsewhere"] == dict.fromkeys(JOBS, "other-host:4242:serve")
    said = runner.invoke(cli, ["--db", db_target, "tick"], catch_exceptions=False)  # and in words, to a person
    assert said.exit_code == 0 and said.output.splitlines()[-1] == (
        "left to the engine other-host:4242:serve, alive and doing them: polling the sources, escalating, "
        "sending the pages, the checks.")
    # serve died 11 s ago: the next cron tick is its backup.
    _beat(rt, "other-host:4242:serve", now - timedelta(seconds=11))
    again = runner.invoke(cli, ["--db", db_target, "tick", "--json"],
                          catch_exceptions=False)
    assert again.exit_code == 0, again.output
    report = json.loads(again.output)
    assert report["escalated"] == 1 and report["held"] == list(JOBS)
    with rt.db.read() as session:  # it closed: its jobs are free again
        assert runners.leases(session, now) == {}


# -- outbox claims on PostgreSQL: SKIP LOCKED, no write lock ---------------------------------------
def _queue(rt: Runtime, n: int) -> None:
    with rt.db.write() as session:
        for i in range(n):
            enqueue(session, alert_id=None, level=1, round=0, channel="hook", channel_type="webhook", target=f"t{i}",
                    page=Page("s", "b"), now=rt.now())


def test_two_claimers_take_disjoint_rows_and_neither_waits(
    rt: Runtime, backend: str, config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claimer a stops inside its claim transaction, holding its rows; claimer b (lock_timeout 2 s, so
    waiting would fail it) claims the next rows and commits meanwhile; then a finishes. Six rows, three each."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time (BEGIN IMMEDIATE): its claimers take turns")
    _queue(rt, 6)
    inside, release = threading.Event(), threading.Event()
    original = q.claim

    def claim_then_hold(*args: Any, **kwargs: Any) -> bool:
        took = original(*args, **kwargs)
        if threading.current_thread().name == "claimer-a" and not release.is_set():
            inside.set()
            release.wait(30)
        return took

    monkeypatch.setattr(q, "claim", claim_then_hold)
    db_b = Database(rt.db.url, busy_timeout=2.0)
    a = Outbox(rt.db, config.channels, rt.now, claimer="a", batch=3)
    b = Outbox(db_b, config.channels, rt.now, claimer="b", batch=3)
    taken: dict[str, Any] = {}

    def run_a() -> None:
        try:
            taken["a"] = [m.id for m in a.claim(rt.now())]
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            taken["a"] = exc

    thread = threading.Thread(target=run_a, name="claimer-a")
    thread.start()
    try:
        assert inside.wait(30), "claimer a never reached its claim"
        taken["b"] = [m.id for m in b.claim(rt.now())]  # while a's transaction is open
    finally:
        release.set()
        thread.join(30)
        db_b.dispose()
    assert sorted(taken["a"]) == [1, 2, 3] and sorted(taken["b"]) == [4, 5, 6], taken
    with rt.db.read() as session:
        rows = session.connection().execute(text("SELECT id, attempts, claimed_by FROM notification ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(i, 1, "a" if i <= 3 else "b") for i in range(1, 7)]


def test_an_unchained_write_may_not_append_an_event(rt: Runtime, backend: str) -> None:
    """On PostgreSQL `write(chain=False)` holds no write lock: an event there could break seq order = commit order."""
    if backend != "postgresql":
        pytest.skip("on SQLite write(chain=False) is BEGIN IMMEDIATE like any write")
    with pytest.raises(Exception, match="an audit event needs the write lock"):
        with rt.db.write(chain=False) as session:
            append_event(session, rt.now(), SYSTEM, "test.unchained")
    with rt.db.write() as session:
        append_event(session, rt.now(), SYSTEM, "test.chained")
