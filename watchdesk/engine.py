"""The runner: one `tick()` polls due sources, escalates due alerts, runs the periodic checks,
delivers the outbox, and heartbeats a `runner` row.

The same `Engine` runs in the desk (in a worker thread) and in `watchdesk serve` (headless).
Several engines may tick the same database at once: escalation and delivery are
compare-and-set, deadlines live in the database, so every step is safe to run twice and a
restart loses nothing. A phase that fails is logged and the others still run (fail open).
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from watchdesk.notify.outbox import Outbox
from watchdesk.services.damage import DamageWatch
from watchdesk.services.escalation import escalate_due
from watchdesk.services.handover import check_overdue_handovers
from watchdesk.services.roll_call import check_roll_call
from watchdesk.services.runtime import Runtime
from watchdesk.store.db import DatabaseDamaged, DatabaseError
from watchdesk.store.types import to_db_text

log = logging.getLogger("watchdesk.engine")

POLL_WAIT = 2.0  # seconds a tick waits for its poll before escalating anyway

CHECKS: list[Callable[[Runtime], object]] = [
    # Periodic checks run every tick, each `(rt) -> object` (e.g. the ids of alerts it raised),
    # one line each: the roster's roll call, the handover's late acceptance.
    check_roll_call,
    check_overdue_handovers,
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

    @property
    def busy(self) -> bool:
        return any((self.polled, self.escalated, self.retriggered, self.queued, self.delivered, self.retried, self.failed))


class Engine:
    """One engine per process and purpose: `kind` is desk, serve or tick."""

    def __init__(self, rt: Runtime, kind: str = "desk") -> None:
        self.rt = rt
        self.kind = kind
        self.runner_id = f"{socket.gethostname()}:{os.getpid()}:{kind}"
        self.outbox = Outbox(rt)
        self._poll_due: Callable[[Runtime], object] | None = None
        self._poll_missing = False
        self._started = rt.now()
        self._lock = threading.Lock()  # one tick at a time per engine, even if a desk worker overlaps
        self._closed = False  # after close(), a tick does nothing (its heartbeat would bring the row back)
        self._poll_thread: threading.Thread | None = None
        # A one-shot `watchdesk tick` waits for its poll; a running engine waits at most
        # POLL_WAIT seconds, so one dripping source never holds back escalation.
        self.poll_wait: float | None = None if kind == "tick" else POLL_WAIT
        # Damage: serve and the desk check the file when they start; any engine checks it after an
        # error that smells of damage, and once damaged it writes nothing more (tick raises).
        self.damage = DamageWatch(rt, self.runner_id)

    # -- phases ---------------------------------------------------------------------------
    def _poll(self) -> int:
        if self._poll_due is None and not self._poll_missing:
            try:
                self._poll_due = importlib.import_module("watchdesk.services.sources").poll_due
            except (ImportError, AttributeError):
                self._poll_missing = True
                log.warning("watchdesk.services.sources.poll_due is not available; sources are not polled")
        if self._poll_due is None:
            return 0
        if self._poll_thread is not None and self._poll_thread.is_alive():
            return 0  # an earlier tick's poll is still fetching; it stores what it gets
        poll_due, outcome = self._poll_due, {}

        def run() -> None:
            try:
                outcome["results"] = poll_due(self.rt)
            except Exception as exc:  # noqa: BLE001 - reported by the tick, or logged if it outlived it
                outcome["error"] = exc
                log.exception("engine %s: poll failed", self.kind)

        thread = threading.Thread(target=run, name=f"watchdesk-poll-{self.kind}", daemon=True)
        thread.start()
        thread.join(self.poll_wait)
        if thread.is_alive():
            self._poll_thread = thread
            log.info("engine %s: a slow source is still being polled; escalation goes on", self.kind)
            return 0
        if "error" in outcome:
            raise outcome["error"]
        results = outcome.get("results")
        return len(results) if hasattr(results, "__len__") else 0  # type: ignore[arg-type]

    def heartbeat(self) -> None:
        now = to_db_text(self.rt.now())
        with self.rt.db.write() as session:  # runner: no change-mark trigger, so desks do not reload every tick
            session.connection().exec_driver_sql(
                "INSERT INTO runner (id, kind, started_at, heartbeat_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, kind = excluded.kind",
                (self.runner_id, self.kind, to_db_text(self._started), now),
            )

    def tick(self) -> TickReport:
        """One cycle. Never raises for a failing phase: the error is logged and reported."""
        with self._lock:
            if self._closed:
                return TickReport()
            if (self.kind != "tick" and self.damage.start()) or self.damage.found:
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

            polled = guard("poll", self._poll) or 0  # type: ignore[assignment]
            sweep = guard("escalate", lambda: escalate_due(self.rt))
            if sweep is not None:
                escalated, retriggered = len(sweep.escalated), sweep.retriggered  # type: ignore[attr-defined]
                queued, calls = sweep.queued, sweep.calls  # type: ignore[attr-defined]
            for check in list(CHECKS):
                guard(f"check {getattr(check, '__name__', check)}", lambda c=check: c(self.rt))
                checks += 1
            if CHECKS:
                # Checks may have raised alerts: page their level 1 in this same tick.
                late = guard("escalate", lambda: escalate_due(self.rt))
                if late is not None:
                    escalated += len(late.escalated)  # type: ignore[attr-defined]
                    queued += late.queued  # type: ignore[attr-defined]
                    calls += late.calls  # type: ignore[attr-defined]
            delivery = guard("deliver", self.outbox.deliver_due)
            guard("checkpoint", self.damage.anchor)
            guard("heartbeat", self.heartbeat)
            if self.damage.found:
                raise DatabaseDamaged(self.damage.found)
            report = TickReport(
                polled=polled, escalated=escalated, retriggered=retriggered, queued=queued, calls=calls,
                delivered=getattr(delivery, "delivered", 0), retried=getattr(delivery, "retried", 0),
                failed=getattr(delivery, "failed", 0), checks=checks, errors=tuple(errors),
                seconds=time.perf_counter() - started,
            )
            if report.busy or errors:
                log.info(
                    "tick: polled %s, escalated %s, re-armed %s, queued %s, delivered %s, retrying %s, failed %s%s",
                    report.polled, report.escalated, report.retriggered, report.queued, report.delivered,
                    report.retried, report.failed, f", {len(errors)} error(s)" if errors else "",
                )
            return report

    def close(self) -> None:
        """Forget this engine's heartbeat (a desk then knows `serve` stopped) and close connections.

        Waits for a tick running in another thread to end; ticks after it do nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.outbox.close()
        if self.damage.found:
            return  # nothing more is written to a damaged file
        try:
            self.damage.anchor(f"{self.kind} engine stopped")
        except Exception as exc:  # noqa: BLE001 - the next start checks the chain again
            log.warning("no checkpoint at stop: %s", exc)
        try:
            with self.rt.db.write() as session:
                session.connection().exec_driver_sql("DELETE FROM runner WHERE id = ?", (self.runner_id,))
        except Exception:  # noqa: BLE001 - closing must not fail on a locked or missing database
            log.warning("could not remove runner row %s", self.runner_id)


def other_engine_alive(rt: Runtime, kind: str = "serve", within: timedelta = timedelta(seconds=10)) -> bool:
    """True when an engine of `kind` in another process heartbeated within `within`."""
    me = f"{socket.gethostname()}:{os.getpid()}:"
    conn = rt.db.raw()
    try:
        row = conn.execute(
            "SELECT 1 FROM runner WHERE kind = ? AND heartbeat_at >= ? AND substr(id, 1, ?) != ? LIMIT 1",
            (kind, to_db_text(rt.now() - within), len(me), me),
        ).fetchone()
    finally:
        conn.close()
    return row is not None


def serve(rt: Runtime, stop: threading.Event, interval: timedelta | None = None) -> int:
    """Tick every `interval` (config engine.tick_interval) until `stop` is set; returns ticks run."""
    step = (interval or rt.config.engine.tick_interval).total_seconds()
    engine = Engine(rt, kind="serve")
    log.info("serving %s every %.1f s (runner %s)", rt.db.path, step, engine.runner_id)
    ticks = 0
    try:
        while not stop.is_set():
            began = time.monotonic()  # scheduling only; domain time comes from rt.clock
            engine.tick()
            ticks += 1
            stop.wait(max(0.0, step - (time.monotonic() - began)))
    finally:
        engine.close()
        log.info("stopped after %s ticks", ticks)
    return ticks
