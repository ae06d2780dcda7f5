"""The runner: one `tick()` polls due sources, escalates due alerts, runs the periodic checks,
hands the outbox to the courier, and heartbeats a `runner` row.

The same `Engine` runs in the desk (in a worker thread) and in `watchdesk serve` (headless).
Several engines may tick the same database at once: escalation and delivery are
compare-and-set, deadlines live in the database, so every step is safe to run twice and a
restart loses nothing. A phase that fails is logged and the others still run (fail open).

Nothing in a running engine's tick waits on the network: the poll runs in a thread of its own
(its outcome is counted by a later tick, and new alerts wake `serve` at once), and the sends run
beside the tick in the courier (notify/courier.py), woken as soon as pages are queued. Only a
one-shot `watchdesk tick` waits for its poll and its sends, each bounded by its deadline.

Several engines, one database (DESIGN: GoAlert's processing lock). Each job — `poll`, `escalate`,
`deliver`, `checks` — is done by one engine at a time: the tick's first write heartbeats and, in
the same transaction, takes every job lease no other live engine holds (store/runners.py); the
tick then runs only the jobs it holds, and the courier claims only while its engine holds
`deliver`. The others stand by, heartbeating and trying again every tick: when the active engine
dies its heartbeat goes stale after 10 s and the first standby to tick takes its jobs, within
15 s; a closing engine frees them at once. The per-row compare-and-sets stay underneath. An
engine is a runner, `host:pid:kind`: Engine objects of one kind in one process share one runner
row and its leases (a process runs one engine per purpose; tests that want two engines in one
process give them different kinds, or use processes).

A one-shot `watchdesk tick` is such an engine too: it takes the jobs that are free (a cron tick
is the backup of a dead `serve`) and does nothing of the jobs a live engine holds — it would
only race it. It says so: a line of its output names the jobs and the engine that does them, and
the report (`--json`) lists `held` and `held_elsewhere`; its exit status stays 0, since the work
is being done. Closing, it frees what it took. `serve` and the desk log when they become active
or stand by.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from watchdesk.notify.courier import Courier
from watchdesk.notify.outbox import Outbox
from watchdesk.services.damage import DamageWatch
from watchdesk.services.escalation import escalate_due
from watchdesk.services.handover import check_overdue_handovers
from watchdesk.services.roll_call import check_roll_call
from watchdesk.services.runtime import Runtime
from watchdesk.services.silent import check_silent_alerts
from watchdesk.services.sources import poll_due
from watchdesk.store import runners
from watchdesk.store.changes import ChangeWatcher
from watchdesk.store.db import DatabaseDamaged, DatabaseError
from watchdesk.store.queries.desk import engine_alive_elsewhere
from watchdesk.store.queries.escalation import any_due, next_deadline_after

log = logging.getLogger("watchdesk.engine")

CLOSE_WAIT = 2.0  # seconds close() gives a running tick and the sends still out before abandoning them
STOP_SLICE = 0.1  # seconds: how soon serve's sleep sees `stop`

CHECKS: list[Callable[[Runtime], object]] = [
    # Periodic checks run every tick, each `(rt) -> object` (e.g. the ids of alerts it raised),
    # one line each: the roster's roll call, the handover's late acceptance.
    check_roll_call,
    check_overdue_handovers,
    check_silent_alerts,
]


@dataclass(frozen=True)
class TickReport:
    """What one cycle did."""

    polled: int = 0
    escalated: int = 0
    retriggered: int = 0
    queued: int = 0
    calls: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    checks: int = 0
    errors: tuple[str, ...] = ()
    seconds: float = 0.0
    held: tuple[str, ...] = ()  # the jobs this engine did this tick (store.runners.JOBS)
    held_elsewhere: dict[str, str] = field(default_factory=dict)  # job -> the live runner doing it instead

    @property
    def busy(self) -> bool:
        return any((self.polled, self.escalated, self.retriggered, self.queued, self.delivered, self.retried, self.failed))


class Engine:
    """One engine per process and purpose: `kind` is desk, serve or tick."""

    def __init__(self, rt: Runtime, kind: str = "desk") -> None:
        self.rt = rt
        self.kind = kind
        self.runner_id = f"{socket.gethostname()}:{os.getpid()}:{kind}"
        self.outbox = Outbox(rt.db, rt.config.channels, rt.now, claimer=self.runner_id, lease="deliver")
        self.courier = Courier(self.outbox, may_claim=lambda: "deliver" in self.held)
        self.held: frozenset[str] = frozenset()  # the jobs whose lease this engine held at its last tick
        self.leases: dict[str, runners.Lease] = {}  # every job's lease as the last tick saw it
        self._started = rt.now()
        self._lock = threading.Lock()  # one tick at a time per engine, even if a desk worker overlaps
        self._closed = False  # after close(), a tick does nothing (its heartbeat would bring the row back)
        self._poll_thread: threading.Thread | None = None
        self._poll_outcome: dict[str, object] = {}
        self._pulse: threading.Thread | None = None
        self._beaten = 0.0  # monotonic time of the last heartbeat
        self._changes: ChangeWatcher | None = None  # serve's loop: data_version
        self._seen_version: int | None = None
        self._quit = threading.Event()  # ends the pulse
        self.nudged = threading.Event()  # set when a poll brought new alerts: `serve` ticks at once
        # A one-shot `watchdesk tick` waits for its poll and its sends; a running engine waits for
        # neither, so a dripping source or a hanging channel never holds back escalation.
        self.poll_wait: float | None = None if kind == "tick" else 0.0
        self.deliver_in_tick = kind == "tick"
        # Damage: serve and the desk check the file when they start; any engine checks it after an
        # error that smells of damage, and once damaged it writes nothing more (tick raises).
        self.damage = DamageWatch(rt, self.runner_id)

    # -- phases ---------------------------------------------------------------------------
    def _poll(self) -> int:
        if self._poll_thread is not None:
            if self._poll_thread.is_alive():
                return 0  # an earlier tick's poll is still fetching; it stores what it gets
            return self._harvest()  # it ended since the last tick: count it now, start the next one next tick
        outcome = self._poll_outcome
        outcome.clear()

        def run() -> None:
            try:
                results = poll_due(self.rt, runner=self.runner_id)
                outcome["results"] = results
                if any(getattr(r, "new", ()) for r in results or ()):  # type: ignore[union-attr]
                    self.nudged.set()  # page the new alerts now, not at the next tick
            except Exception as exc:  # noqa: BLE001 - reported by the tick that harvests it
                outcome["error"] = exc
                log.exception("engine %s: poll failed", self.kind)

        thread = threading.Thread(target=run, name=f"watchdesk-poll-{self.kind}", daemon=True)
        self._poll_thread = thread
        thread.start()
        if self.poll_wait != 0:
            thread.join(self.poll_wait)
        if thread.is_alive():
            if self.poll_wait:
                log.info("engine %s: a slow source is still being polled; escalation goes on", self.kind)
            return 0
        return self._harvest()

    def _harvest(self) -> int:
        """The outcome of the poll thread that ended: the number of sources polled, or its error."""
        self._poll_thread = None
        outcome = dict(self._poll_outcome)
        self._poll_outcome.clear()
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        results = outcome.get("results")
        return len(results) if hasattr(results, "__len__") else 0  # type: ignore[arg-type]

    def heartbeat(self) -> None:
        with self.rt.db.write() as session:  # runner: no change-mark trigger, so desks do not reload every tick
            runners.heartbeat(session, self.runner_id, self.kind, self._started, self.rt.now())
        self._beaten = time.monotonic()

    def _take_jobs(self) -> None:
        """Heartbeat and take the free job leases in one write; `held` is what this engine holds after it.

        When the write fails `held` stays as it was (fail open: the per-row compare-and-sets still
        keep two engines from firing one step twice)."""
        now = self.rt.now()
        with self.rt.db.write() as session:
            runners.heartbeat(session, self.runner_id, self.kind, self._started, now)
            leases = runners.take_leases(session, self.runner_id, now)
        self._beaten = time.monotonic()
        held = frozenset(job for job, lease in leases.items() if lease.held_by == self.runner_id)
        if held != self.held or not self.leases:
            self._say_jobs(held, leases)
        self.held, self.leases = held, leases

    def _elsewhere(self, leases: dict[str, runners.Lease]) -> dict[str, str]:
        return {job: lease.held_by for job, lease in leases.items()
                if job in runners.JOBS and lease.held_by != self.runner_id and lease.alive}

    def _say_jobs(self, held: frozenset[str], leases: dict[str, runners.Lease]) -> None:
        """Log a change of the jobs this engine does; a one-shot tick warns of the jobs it left to a live engine."""
        elsewhere = self._elsewhere(leases)
        others = ", ".join(f"{job} ({who})" for job, who in elsewhere.items())
        if self.kind == "tick":
            if elsewhere:  # `watchdesk tick` says it to the person in their language (TickReport.held_elsewhere)
                log.info("engine tick: not done by this tick, another engine does it and is alive: %s", others)
            return
        doing = ", ".join(job for job in runners.JOBS if job in held) or "nothing"
        log.info("engine %s (%s): doing %s%s", self.kind, self.runner_id, doing, f"; standing by for {others}" if others else "")

    def _beat(self) -> None:
        """Heartbeat at least every HEARTBEAT_EVERY s while the engine lives, whatever its tick is doing:
        the claims it holds (sends, polls) last exactly as long as this goes on."""
        while not self._quit.wait(runners.HEARTBEAT_EVERY / 2):
            if time.monotonic() - self._beaten < runners.HEARTBEAT_EVERY:
                continue  # a tick beat recently
            try:
                self.heartbeat()
            except Exception:  # noqa: BLE001 - a locked database: the next beat tries again
                log.warning("engine %s: heartbeat failed", self.kind, exc_info=True)

    def _halt(self) -> None:
        """Damage: the pulse and the courier write nothing more (sends already out finish or are cut at close)."""
        self._quit.set()
        self.courier.stop(0)

    def tick(self) -> TickReport:
        """One cycle. Never raises for a failing phase: the error is logged and reported."""
        with self._lock:
            if self._closed:
                return TickReport()
            if (self.kind != "tick" and self.damage.start()) or self.damage.found:
                self._halt()
                raise DatabaseDamaged(self.damage.found)
            started = time.perf_counter()  # duration only; domain time comes from rt.clock
            errors: list[str] = []
            polled = escalated = retriggered = queued = calls = checks = 0
            delivery = None

            def guard(phase: str, work: Callable[[], object]) -> object:
                if self.damage.found:
                    return None  # a phase found damage: nothing more is written this tick
                try:
                    return work()
                except Exception as exc:  # noqa: BLE001 - fail open: the next phase still runs
                    if isinstance(exc, DatabaseError):  # its own sentence says it all
                        log.error("engine %s: %s failed: %s", self.kind, phase, exc)
                    else:
                        log.exception("engine %s: %s failed", self.kind, phase)
                    errors.append(f"{phase}: {type(exc).__name__}: {exc}")
                    self.damage.seen(exc)
                    return None

            # First: claims taken in this tick name this runner, so its row must be fresh; and the
            # jobs this engine does this tick are the leases it holds after this write.
            guard("heartbeat", self._take_jobs)
            held = self.held
            if self._pulse is None:
                self._pulse = threading.Thread(target=self._beat, name=f"watchdesk-pulse-{self.kind}", daemon=True)
                self._pulse.start()
            if not self.deliver_in_tick:
                self.courier.start()
            self.nudged.clear()
            if "poll" in held:
                polled = guard("poll", self._poll) or 0  # type: ignore[assignment]
            elif self._poll_thread is not None and not self._poll_thread.is_alive():
                polled = guard("poll", self._harvest) or 0  # type: ignore[assignment]  # a poll from before the job moved
            if "escalate" in held:
                sweep = guard("escalate", lambda: escalate_due(self.rt))
                if sweep is not None:
                    escalated, retriggered = len(sweep.escalated), sweep.retriggered  # type: ignore[attr-defined]
                    queued, calls = sweep.queued, sweep.calls  # type: ignore[attr-defined]
                    if queued and not self.deliver_in_tick:
                        self.courier.wake()  # the pages go out while the checks run
            if "checks" in held:
                for check in list(CHECKS):
                    guard(f"check {getattr(check, '__name__', check)}", lambda c=check: c(self.rt))
                    checks += 1
            if CHECKS and "checks" in held and "escalate" in held:
                # Checks may have raised alerts: page their level 1 in this same tick.
                late = guard("escalate", lambda: escalate_due(self.rt))
                if late is not None:
                    escalated += len(late.escalated)  # type: ignore[attr-defined]
                    queued += late.queued  # type: ignore[attr-defined]
                    calls += late.calls  # type: ignore[attr-defined]
            if self.deliver_in_tick:
                if "deliver" in held:
                    delivery = guard("deliver", self.courier.deliver_now)
            else:
                self.courier.wake()  # retries come due with the clock; the courier also looks on its own
                delivery = self.courier.report()  # what its sends recorded, also those started before a takeover
            guard("checkpoint", self.damage.anchor)
            if self.damage.found:
                self._halt()
                raise DatabaseDamaged(self.damage.found)
            report = TickReport(
                polled=polled, escalated=escalated, retriggered=retriggered, queued=queued, calls=calls,
                delivered=getattr(delivery, "delivered", 0), retried=getattr(delivery, "retried", 0),
                failed=getattr(delivery, "failed", 0), checks=checks, errors=tuple(errors),
                seconds=time.perf_counter() - started, held=tuple(job for job in runners.JOBS if job in held),
                held_elsewhere=self._elsewhere(self.leases),
            )
            if report.busy or errors:
                log.info(
                    "tick: polled %s, escalated %s, re-armed %s, queued %s, delivered %s, retrying %s, failed %s%s",
                    report.polled, report.escalated, report.retriggered, report.queued, report.delivered,
                    report.retried, report.failed, f", {len(errors)} error(s)" if errors else "",
                )
            return report

    # -- scheduling (serve's loop; one thread) -----------------------------------------------
    def next_deadline_in(self) -> float | None:
        """Seconds until the earliest escalation deadline still ahead (None when none is ahead)."""
        now = self.rt.now()
        with self.rt.db.read() as session:
            due = next_deadline_after(session, now)
        return (due - now).total_seconds() if due else None

    def due_now(self) -> bool:
        """True when, since the last look, a commit made an alert due now (one typed in, or posted
        by another process). Cheap: PRAGMA data_version first, the indexed query only after a commit."""
        if self._changes is None:
            self._changes = ChangeWatcher(self.rt.db)
        version = self._changes.data_version()
        if version == self._seen_version:
            return False
        self._seen_version = version
        with self.rt.db.read() as session:
            return any_due(session, self.rt.now())

    def close(self) -> None:
        """Forget this engine's heartbeat and its job leases (a desk then knows `serve` stopped; the
        jobs and the claims it still holds are free for the next engine at once) and close connections.

        Waits up to CLOSE_WAIT in all for a tick running in another thread and for the sends still
        out; ticks after it do nothing. Sends that do not finish in time are cut and logged."""
        until = time.monotonic() + CLOSE_WAIT  # one budget for the tick, the pulse and the sends

        def left() -> float:
            return max(0.0, until - time.monotonic())

        got = self._lock.acquire(timeout=CLOSE_WAIT)
        try:
            if self._closed:
                return
            self._closed = True
        finally:
            if got:
                self._lock.release()
        if not got:
            log.warning("engine %s: a tick is still running; closing without it", self.kind)
        self._quit.set()
        if self._pulse is not None:
            self._pulse.join(min(0.5, left()))  # so no late beat brings the row back after it is forgotten
        self.courier.stop(left())
        self.outbox.close()
        if self._changes is not None:
            self._changes.close()
        if self.damage.found:
            return  # nothing more is written to a damaged file
        try:
            self.damage.anchor(f"{self.kind} engine stopped")
        except Exception as exc:  # noqa: BLE001 - the next start checks the chain again
            log.warning("no checkpoint at stop: %s", exc)
        self.held = frozenset()
        try:
            with self.rt.db.write() as session:
                runners.forget(session, self.runner_id)
        except Exception:  # noqa: BLE001 - closing must not fail on a locked or missing database
            log.warning("could not remove runner row %s", self.runner_id)


def other_engine_alive(rt: Runtime, kind: str = "serve", within: timedelta = runners.STALE_AFTER) -> bool:
    """True when an engine of `kind` in another process heartbeated within `within`."""
    with rt.db.read() as session:
        return engine_alive_elsewhere(session, kind, rt.now() - within, f"{socket.gethostname()}:{os.getpid()}:")


def serve(rt: Runtime, stop: threading.Event, interval: timedelta | None = None, wake: threading.Event | None = None) -> int:
    """Tick every `interval` (config engine.tick_interval) until `stop` is set; returns ticks run.

    Between ticks it sleeps until the next tick or the earliest escalation deadline, whichever
    comes first, so a page goes out at its deadline rather than up to a tick later; a poll that
    brought new alerts, or an alert due at once written by another process, wakes it within
    STOP_SLICE. `stop` is seen within STOP_SLICE seconds. `wake`, when given, is the engine's
    nudge: whoever else brings alerts (the inbound listener) sets it to have them paged now."""
    step = (interval or rt.config.engine.tick_interval).total_seconds()
    engine = Engine(rt, kind="serve")
    if wake is not None:
        engine.nudged = wake
    log.info("serving %s every %.1f s (runner %s)", rt.db.where, step, engine.runner_id)
    ticks = 0
    again = False  # the last tick was an immediate second one
    try:
        while not stop.is_set():
            began = time.monotonic()  # scheduling only; domain time comes from rt.clock
            engine.tick()
            ticks += 1
            wait = step - (time.monotonic() - began)
            check: Callable[[], bool] | None = None
            try:
                ahead = engine.next_deadline_in()
                if ahead is not None:
                    wait = min(wait, ahead)
                if engine.due_now():
                    # Due already: typed in during the tick (tick again at once), or a step the tick
                    # could not move (then keep the rhythm rather than spin).
                    wait, again = (0.0, True) if not again else (wait, False)
                else:
                    again, check = False, engine.due_now  # wake early for what becomes due while asleep
            except Exception:  # noqa: BLE001 - a locked database: keep the plain rhythm
                log.debug("engine serve: scheduling read failed", exc_info=True)
            _sleep(max(0.0, wait), stop, engine.nudged, check)
    finally:
        engine.close()
        log.info("stopped after %s ticks", ticks)
    return ticks


def _sleep(seconds: float, stop: threading.Event, nudged: threading.Event, due: Callable[[], bool] | None) -> None:
    """Wait `seconds`, ending early when `nudged` is set or `due()` says so; `stop` and `due` are
    looked at every STOP_SLICE."""
    until = time.monotonic() + seconds
    while not stop.is_set():
        left = until - time.monotonic()
        if left <= 0 or nudged.wait(min(left, STOP_SLICE)):
            return
        try:
            if due is not None and due():
                return
        except Exception:  # noqa: BLE001 - a locked database: sleep on
            due = None
