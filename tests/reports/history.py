"""Building small histories through the real services (roster rows, raise_alert, lifecycle, escalation)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import select

from watchdesk.clock import FakeClock
from watchdesk.core.roster import parse_local
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.runtime import Runtime
from watchdesk.store.db import Database
from watchdesk.store.models import Officer, Shift


def local(rt: Runtime, text: str) -> datetime:
    """'2026-02-16 20:00' on the desk's wall clock → aware UTC."""
    return parse_local(text, rt.zone)


def duty(rt: Runtime, handle: str, level: int, start: datetime, end: datetime) -> int:
    """Put an officer on duty (a Shift row, checked in at its start)."""
    with rt.db.write() as session:
        officer = session.exec(select(Officer).where(Officer.handle == handle)).one()
        row = Shift(officer_id=officer.id, level=level, starts_at=start, ends_at=end, checked_in_at=start)
        session.add(row)
        session.flush()
        return row.id  # type: ignore[return-value]


def new_alert(rt: Runtime, clock: FakeClock, at: datetime, title: str, severity: str = "high", source: str = "manual") -> int:
    clock.set(at)
    with rt.db.write() as session:
        row, _ = raise_alert(session, rt.now(), source_key=source, dedup_key=f"test:{title}:{at.isoformat()}",
                             title=title, severity=severity)  # type: ignore[arg-type]
        return row.id  # type: ignore[return-value]


def edit(rt: Runtime | Database, sql: str, **binds: Any) -> None:
    """A hand edit of rows (named binds), as someone with the database's own rights would make it."""
    with getattr(rt, "db", rt).write() as session:
        session.connection().execute(text(sql), binds)


def lift_event_triggers(rt: Runtime | Database) -> None:
    """What an intruder who owns the database does first: lift the event table's append-only triggers
    (given a runtime or a bare database)."""
    db: Database = getattr(rt, "db", rt)
    with db.write() as session:
        conn = session.connection()
        if db.is_sqlite:
            for (name,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'event'")).all():
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        else:
            conn.execute(text("ALTER TABLE event DISABLE TRIGGER USER"))


def cli_database(rt: Runtime, folder: Path) -> list[str]:
    """The CLI options that open the runtime's database: --db for a SQLite file, else a config naming its URL."""
    if rt.db.is_sqlite:
        return ["--db", str(rt.db.path)]
    config = folder / "database.toml"
    config.write_text(f'[database]\nurl = "{rt.db.url}"\n', encoding="utf-8")
    return ["--config", str(config)]
