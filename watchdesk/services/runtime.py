"""The context every service takes: database, clock, config."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from watchdesk.clock import Clock, SystemClock
from watchdesk.config import Config, load_config
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


def open_runtime(
    config: Config | None = None,
    *,
    config_path: str | None = None,
    db_path: str | None = None,
    clock: Clock | None = None,
    upgrade: bool = True,
) -> Runtime:
    """Load config (unless given), open (and upgrade) the database, sync the contacts."""
    from watchdesk.services.contacts import sync_contacts
    from watchdesk.store.checkpoint import anchors_for

    config = config or load_config(config_path)
    db = Database(
        config.database.resolved_url(db_path),
        busy_timeout=config.database.busy_timeout.total_seconds(),
        upgrade=upgrade,
    )
    db.anchors = anchors_for(config.audit.checkpoint_file, db.path)
    runtime = Runtime(db=db, clock=clock or SystemClock(), config=config)
    if upgrade:
        sync_contacts(runtime)
    return runtime
