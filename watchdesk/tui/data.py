"""Reads the desk composes from several services (run in thread workers only)."""

from __future__ import annotations

from datetime import datetime

from watchdesk.services.periods import current_periods
from watchdesk.services.roster import on_duty
from watchdesk.services.runtime import Runtime


def header_data(rt: Runtime) -> tuple[str, datetime | None, dict[int, list[str]]]:
    """(current watch period's name, its end, {level: [handles on duty]}) at rt.now()."""
    now = rt.now()
    duty = {level: [o.handle for o in on_duty(rt, level, now)] for level in (1, 2, 3)}
    periods = current_periods(rt, now)
    if not periods:
        return "", None, duty
    period = periods[-1]
    return period.name, period.ends_at, duty
