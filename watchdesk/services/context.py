"""The context every service takes: database, clock, config (opened by services.runtime)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from watchdesk.clock import Clock
from watchdesk.config import Config
from watchdesk.store.db import Database


@dataclass(frozen=True)
class Runtime:
    db: Database
    clock: Clock
    config: Config

    @property
    def zone(self) -> ZoneInfo:
        return self.config.desk.zone

    def now(self) -> datetime:
        return self.clock.now()

    def local(self, when: datetime) -> datetime:
        """An aware time shown in the desk's zone."""
        return when.astimezone(self.zone)
