"""The demo's clock: real time flowing from a fixed start (02:00, first night of Tết 2026).

Until `go_live()` it stands still and can be moved (the seed replays the last day); after,
it runs at the wall clock's pace (measured with the monotonic clock), so escalations happen
while the officer watches.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from watchdesk.clock import ensure_utc

TET_2026_NIGHT = datetime.fromisoformat("2026-02-17T02:00:00+07:00")


class DemoClock:
    def __init__(self, start: datetime = TET_2026_NIGHT) -> None:
        self._base = ensure_utc(start)
        self._since: float | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            if self._since is None:
                return self._base
            return self._base + timedelta(seconds=time.monotonic() - self._since)

    def set(self, when: datetime) -> None:
        with self._lock:
            self._base, self._since = ensure_utc(when), (None if self._since is None else time.monotonic())

    def fast_forward(self, delta: timedelta | float) -> datetime:
        delta = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        self.set(self.now() + delta)
        return self.now()

    def go_live(self) -> None:
        with self._lock:
            if self._since is None:
                self._since = time.monotonic()
