"""The desk's own reads: where the data stands when it opens, what arrived since, which engines run."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, func, select

from watchdesk.core.enums import AlertState
from watchdesk.store.models import Alert, Notification
from watchdesk.store.types import to_db_text

_MARK = text("SELECT n FROM change_mark WHERE id = 1")


def high_water(session: Session) -> tuple[int, int, int | None]:
    """The highest alert id and notification id now, and the change mark (None when the
    database has no mark table yet)."""
    # SQLite-only: ids grow in commit order (single writer)
    alert = session.exec(select(func.max(Alert.id))).one() or 0
    note = session.exec(select(func.max(Notification.id))).one() or 0
    try:  # read last: on a database without the table nothing else is read after the error
        row = session.connection().execute(_MARK).first()
    except OperationalError:  # no mark table yet: the watcher counts every commit
        row = None
    return alert, note, (int(row[0]) if row else None)


def alerts_after(session: Session, after_id: int, limit: int) -> list[Alert]:
    """Alerts with id > after_id, oldest first."""
    # SQLite-only: ids grow in commit order (single writer)
    return list(session.exec(select(Alert).where(col(Alert.id) > after_id).order_by(col(Alert.id)).limit(limit)).all())


def alerts_by_ids(session: Session, ids: Collection[int]) -> list[Alert]:
    """The alerts `ids` (in no particular order)."""
    return list(session.exec(select(Alert).where(col(Alert.id).in_(sorted(ids)))).all()) if ids else []


def no_longer_new(session: Session, ids: Collection[int]) -> list[int]:
    """Those of `ids` whose alert is not `new` any more (acknowledged, resolved)."""
    if not ids:
        return []
    rows = session.exec(select(Alert.id).where(col(Alert.id).in_(sorted(ids)), Alert.state != AlertState.NEW.value)).all()
    return [i for i in rows if i is not None]


_ALIVE = text(
    "SELECT 1 FROM runner WHERE kind = :kind AND heartbeat_at >= :since AND substr(id, 1, :n) != :prefix LIMIT 1"
)


def engine_alive_elsewhere(session: Session, kind: str, since: datetime, prefix: str) -> bool:
    """True when a runner of `kind` whose id does not start with `prefix` heartbeated since `since`."""
    return session.connection().execute(
        _ALIVE, {"kind": kind, "since": to_db_text(since), "n": len(prefix), "prefix": prefix}).first() is not None
