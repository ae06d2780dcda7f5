"""Process bodies for the identity tests (importable, so `spawn` can start them)."""

from __future__ import annotations

from typing import Any

from watchdesk.clock import FakeClock
from watchdesk.config import parse_config
from watchdesk.services.runtime import open_runtime


def try_pins(db_path: str, at: str, handle: str, pins: list[str], results: Any, barrier: Any = None) -> None:
    """Sign in as `handle` with each PIN in turn, at the fake time `at`; report each outcome
    (after `barrier`, when given, so that several processes try at once)."""
    from watchdesk.services.errors import PermissionDenied
    from watchdesk.services.officers import sign_in

    rt = open_runtime(parse_config({}), db_path=db_path, clock=FakeClock(at))
    if barrier is not None:
        barrier.wait(60)
    for pin in pins:
        try:
            sign_in(rt, handle, pin, where="a test process")
            results.put("signed in")
        except PermissionDenied as exc:
            results.put(str(exc))
    rt.db.dispose()
