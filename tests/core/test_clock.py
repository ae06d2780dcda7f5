from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from watchdesk.clock import FakeClock, ensure_utc


def test_fake_clock_moves_only_forward() -> None:
    clock = FakeClock("2026-02-17T02:00:00+07:00")
    assert clock.now().isoformat() == "2026-02-16T19:00:00+00:00"
    clock.fast_forward(timedelta(minutes=5))
    clock.fast_forward(30)
    assert clock.now().isoformat() == "2026-02-16T19:05:30+00:00"
    with pytest.raises(ValueError):
        clock.fast_forward(-1)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        ensure_utc(datetime(2026, 1, 1))
