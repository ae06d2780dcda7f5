"""Opening the context every service takes (`Runtime`: database, clock, config).

`Runtime` itself lives in services/context.py, which imports no service: modules that
`open_runtime` needs (contacts) can then take a Runtime without an import cycle."""

from __future__ import annotations

from watchdesk.clock import Clock, SystemClock
from watchdesk.config import Config, load_config
from watchdesk.services.contacts import sync_contacts
from watchdesk.services.context import Runtime
from watchdesk.store.checkpoint import anchors_for
from watchdesk.store.db import Database

__all__ = ["Runtime", "open_runtime"]


def open_runtime(
    config: Config | None = None,
    *,
    config_path: str | None = None,
    db_path: str | None = None,
    clock: Clock | None = None,
    upgrade: bool = True,
) -> Runtime:
    """Load config (unless given), open (and upgrade) the database, sync the contacts."""
    config = config or load_config(config_path)
    db = Database(
        config.database.resolved_url(db_path),
        busy_timeout=config.database.busy_timeout.total_seconds(),
        upgrade=upgrade,
    )
    db.anchors = anchors_for(config.audit.checkpoint_file, db.path, db.url)
    runtime = Runtime(db=db, clock=clock or SystemClock(), config=config)
    if upgrade:
        sync_contacts(runtime)
    return runtime
