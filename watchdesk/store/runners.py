"""Runners (engines alive against this database) and the claims they hold.

Each engine heartbeats its `runner` row every couple of seconds. A claim on an outbox row or a
source names the runner that took it and lasts as long as that runner heartbeats, however long
its send or poll takes; once the heartbeat is older than `STALE_AFTER` (the process died, or
closed while a send was still out) another engine takes the claim over. A duplicate rather
than a miss. Claims without a runner (a one-off CLI poll) keep their time lease.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from watchdesk.store.types import to_db_text

STALE_AFTER = timedelta(seconds=10)
"""A runner whose heartbeat is older than this is taken for dead and its claims are taken over."""

HEARTBEAT_EVERY = 2.0
"""Seconds (real time) between heartbeats of a running engine: well inside STALE_AFTER."""


def heartbeat(session: Session, runner_id: str, kind: str, started_at: datetime, now: datetime) -> None:
    """Insert or refresh a runner's row (in the caller's write transaction)."""
    session.connection().exec_driver_sql(
        "INSERT INTO runner (id, kind, started_at, heartbeat_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, kind = excluded.kind",
        (runner_id, kind, to_db_text(started_at), to_db_text(now)),
    )


def forget(session: Session, runner_id: str) -> None:
    """Drop a runner's row: its claims become free at once (a closing engine's abandoned sends)."""
    session.connection().exec_driver_sql("DELETE FROM runner WHERE id = ?", (runner_id,))


def live_runners(conn: Any, now: datetime) -> set[str]:
    """Ids of the runners that heartbeated within STALE_AFTER of `now` (a driver or SQLAlchemy connection)."""
    run = getattr(conn, "exec_driver_sql", None) or conn.execute
    rows = run("SELECT id FROM runner WHERE heartbeat_at >= ?", (to_db_text(now - STALE_AFTER),)).fetchall()
    return {r[0] for r in rows}


def takeable(table: str) -> str:
    """SQL condition (two binds: now, stale cut-off) true when a row of `table` is not held by a live claim.

    A named claim holds while its runner heartbeats; an unnamed one until its `claimed_until`."""
    return (
        f"(({table}.claimed_by = '' AND ({table}.claimed_until IS NULL OR {table}.claimed_until <= ?)) "
        f"OR ({table}.claimed_by != '' AND NOT EXISTS (SELECT 1 FROM runner WHERE runner.id = {table}.claimed_by "
        "AND runner.heartbeat_at >= ?)))"
    )


def takeable_args(now: datetime) -> tuple[str, str]:
    return to_db_text(now), to_db_text(now - STALE_AFTER)
