"""Runners (engines alive against this database) and the claims they hold.

Each engine heartbeats its `runner` row every couple of seconds. A claim on an outbox row or a
source names the runner that took it and lasts as long as that runner heartbeats, however long
its send or poll takes; once the heartbeat is older than `STALE_AFTER` (the process died, or
closed while a send was still out) another engine takes the claim over. A duplicate rather
than a miss. Claims without a runner (a one-off CLI poll) keep their time lease.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, text
from sqlmodel import Session

from watchdesk.store.types import to_db_text

STALE_AFTER = timedelta(seconds=10)
"""A runner whose heartbeat is older than this is taken for dead and its claims are taken over."""

HEARTBEAT_EVERY = 2.0
"""Seconds (real time) between heartbeats of a running engine: well inside STALE_AFTER."""

_HEARTBEAT = text(
    "INSERT INTO runner (id, kind, started_at, heartbeat_at) VALUES (:id, :kind, :started_at, :now) "
    "ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, kind = excluded.kind"
)
_FORGET = text("DELETE FROM runner WHERE id = :id")
_LIVE = text("SELECT id FROM runner WHERE heartbeat_at >= :stale")


def heartbeat(session: Session, runner_id: str, kind: str, started_at: datetime, now: datetime) -> None:
    """Insert or refresh a runner's row (in the caller's write transaction)."""
    session.connection().execute(
        _HEARTBEAT, {"id": runner_id, "kind": kind, "started_at": to_db_text(started_at), "now": to_db_text(now)})


def forget(session: Session, runner_id: str) -> None:
    """Drop a runner's row: its claims become free at once (a closing engine's abandoned sends)."""
    session.connection().execute(_FORGET, {"id": runner_id})


def live_runners(conn: Connection, now: datetime) -> set[str]:
    """Ids of the runners that heartbeated within STALE_AFTER of `now`."""
    return {r[0] for r in conn.execute(_LIVE, {"stale": to_db_text(now - STALE_AFTER)}).all()}


def takeable(table: str) -> str:
    """SQL condition (named binds :now and :stale, from `takeable_args`) true when a row of `table`
    is not held by a live claim: the one copy of the free-claim rule.

    A named claim holds while its runner heartbeats; an unnamed one until its `claimed_until`."""
    return (
        f"(({table}.claimed_by = '' AND ({table}.claimed_until IS NULL OR {table}.claimed_until <= :now)) "
        f"OR ({table}.claimed_by != '' AND NOT EXISTS (SELECT 1 FROM runner WHERE runner.id = {table}.claimed_by "
        "AND runner.heartbeat_at >= :stale)))"
    )


def takeable_args(now: datetime) -> dict[str, str]:
    """The binds of `takeable` at `now`."""
    return {"now": to_db_text(now), "stale": to_db_text(now - STALE_AFTER)}
