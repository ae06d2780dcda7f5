"""Process bodies for the concurrency tests (importable, so `spawn` can start them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from watchdesk.clock import FakeClock
from watchdesk.config import parse_config
from watchdesk.services.runtime import open_runtime


def acknowledge_one(db_path: str, config: dict[str, Any], start: str, handle: str, alert_id: int, barrier: Any, results: Any) -> None:
    from watchdesk.services.errors import Refused
    from watchdesk.services.lifecycle import acknowledge
    from watchdesk.services.officers import sign_in

    rt = open_runtime(parse_config(config), db_path=db_path, clock=FakeClock(start))
    actor = sign_in(rt, handle, "246810")
    barrier.wait(60)
    try:
        acknowledge(rt, actor, alert_id)
        results.put(("won", handle, ""))
    except Refused as exc:
        results.put(("refused", handle, str(exc)))
    rt.db.dispose()


def tick_through(db_path: str, config: dict[str, Any], start: str, steps: int, barrier: Any, results: Any) -> None:
    """An engine with its own fake clock, ticking once per second of fake time, in step with the others."""
    from watchdesk.engine import Engine

    clock = FakeClock(start)
    rt = open_runtime(parse_config(config), db_path=db_path, clock=clock)
    engine = Engine(rt, kind="tick")
    totals: dict[str, Any] = {"escalated": 0, "delivered": 0, "errors": 0, "held": [], "runner": engine.runner_id}
    for _ in range(steps):
        barrier.wait(60)
        report = engine.tick()
        totals["escalated"] += report.escalated
        totals["delivered"] += report.delivered
        totals["errors"] += len(report.errors)
        totals["held"].append(report.held)  # the jobs this engine did at each second
        clock.fast_forward(timedelta(seconds=1))
    engine.close()
    results.put(totals)
    rt.db.dispose()


def tick_once(db_path: str, config: dict[str, Any], start: str) -> None:
    """One tick; the test kills this process while the tick waits on the webhook."""
    from watchdesk.engine import Engine

    rt = open_runtime(parse_config(config), db_path=db_path, clock=FakeClock(start))
    Engine(rt, kind="tick").tick()


def serve_fake(db_path: str, config: dict[str, Any], start: str) -> None:
    """`serve` on a fake clock standing at `start`; the test kills this process mid-send."""
    import threading

    from watchdesk.engine import serve

    rt = open_runtime(parse_config(config), db_path=db_path, clock=FakeClock(start))
    serve(rt, threading.Event(), timedelta(seconds=1))


def serve_time_lapse(db_path: str, config: dict[str, Any], start: str, stop: Any, step: int = 1) -> None:
    """A running engine whose fake clock moves `step` s per tick, 20 ticks a real second, until `stop` is set."""
    import time

    from watchdesk.engine import Engine

    clock = FakeClock(start)
    rt = open_runtime(parse_config(config), db_path=db_path, clock=clock)
    engine = Engine(rt, kind="serve")
    while not stop.is_set():
        engine.tick()
        clock.fast_forward(timedelta(seconds=step))
        time.sleep(0.05)
    engine.close()
    rt.db.dispose()


def tick_on_command(db_path: str, config: dict[str, Any], start: str, commands: Any, results: Any) -> None:
    """An engine with its own fake clock that ticks once per command, then moves its clock a second;
    after each tick it puts (fake time of the tick, jobs held, delivered, errors). None ends it."""
    from watchdesk.engine import Engine

    clock = FakeClock(start)
    rt = open_runtime(parse_config(config), db_path=db_path, clock=clock)
    engine = Engine(rt, kind="tick")  # delivers in its tick: each answer comes after its sends are recorded
    while commands.get(timeout=120) is not None:
        report = engine.tick()
        results.put((clock.now().isoformat(), report.held, report.delivered, list(report.errors)))
        clock.fast_forward(timedelta(seconds=1))
    engine.close()
    rt.db.dispose()
