"""Escalation's SQL: the due alerts, the compare-and-set that moves one, the call tasks of a sweep,
reopening joined children, raising a parent's severity, and the engine's look at the deadlines ahead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Dialect, TextClause, bindparam, text
from sqlmodel import Session

from watchdesk.store.queries.rows import insert_rows
from watchdesk.store.types import from_db_text, to_db_text

_DUE = text(
    "SELECT id FROM alert WHERE state IN ('new', 'acknowledged') AND next_escalation_at IS NOT NULL "
    "AND next_escalation_at <= :now ORDER BY next_escalation_at, id LIMIT :limit"
)


def due_alert_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Ids of the open alerts whose next step (or ack timeout) is due at `now`, earliest first."""
    return [r[0] for r in session.connection().execute(_DUE, {"now": to_db_text(now), "limit": limit})]


@dataclass(frozen=True, slots=True)
class DueAlert:
    """What a sweep needs of a due alert: its schedule's position, what its page says, what its
    ack timeout or snooze clears. Read as plain columns (the ORM's rows cost more than the sweep)."""

    id: int
    title: str
    link: str
    severity: str
    received_at: datetime
    state: str
    level: int
    step: int
    round: int
    next_escalation_at: datetime | None
    snoozed_until: datetime | None
    acked_by_id: int | None
    acked_at: datetime | None


_DUE_ROWS = text(
    "SELECT id, title, link, severity, received_at, state, level, step, round, next_escalation_at, snoozed_until, "
    "acked_by_id, acked_at FROM alert WHERE id IN :ids ORDER BY next_escalation_at, id"
).bindparams(bindparam("ids", expanding=True))


def alerts_in_due_order(session: Session, ids: Sequence[int]) -> list[DueAlert]:
    """The alerts of `ids` as they are now, earliest deadline first."""
    return [
        DueAlert(r[0], r[1], r[2], r[3], from_db_text(r[4]), r[5], r[6], r[7], r[8], from_db_text(r[9]),  # type: ignore[arg-type]
                 from_db_text(r[10]), r[11], from_db_text(r[12]))
        for r in session.connection().execute(_DUE_ROWS, {"ids": list(ids)})
    ]


@lru_cache(maxsize=64)
def _move(names: tuple[str, ...], deadline_set: bool) -> TextClause:
    # One statement per set of columns, built once: building a SQLAlchemy UPDATE per alert cost
    # more than the rest of a busy tick.
    return text(
        f"UPDATE alert SET {', '.join(f'{c} = :set_{c}' for c in names)} "
        "WHERE id = :id AND state = :state AND level = :level AND step = :step AND round = :round AND "
        + ("next_escalation_at = :deadline" if deadline_set else "next_escalation_at IS NULL")
    )


class Move(NamedTuple):
    """One compare-and-set: set `values` (column -> value, datetimes aware) on alert `alert_id`
    where it still has the state, level, step, round and deadline read."""

    values: Mapping[str, Any]
    alert_id: int | None
    state: str
    level: int
    step: int
    round: int
    next_escalation_at: datetime | None


def _args(move: Move) -> tuple[tuple[tuple[str, ...], bool], dict[str, Any]]:
    """(statement shape, binds) of a move."""
    args: dict[str, Any] = {f"set_{c}": to_db_text(v) if isinstance(v, datetime) else v for c, v in move.values.items()}
    args.update(id=move.alert_id, state=move.state, level=move.level, step=move.step, round=move.round)
    if move.next_escalation_at is not None:
        args["deadline"] = to_db_text(move.next_escalation_at)
    return (tuple(move.values), move.next_escalation_at is not None), args


def move_alert(session: Session, values: Mapping[str, Any], *, alert_id: int | None, state: str, level: int, step: int,
               round: int, next_escalation_at: datetime | None) -> bool:
    """The compare-and-set that decides which engine (or person) moves an alert: set `values`
    (column -> value, datetimes aware) where the row is still as read. True when this call won."""
    shape, args = _args(Move(values, alert_id, state, level, step, round, next_escalation_at))
    return session.connection().execute(_move(*shape), args).rowcount == 1


@lru_cache(maxsize=64)
def _driver_move(names: tuple[str, ...], deadline_set: bool, dialect: Dialect) -> str:
    """The statement as the driver takes it: psycopg's %(name)s binds; sqlite3 reads the :name ones as written."""
    statement = _move(names, deadline_set)
    return statement.text if dialect.name == "sqlite" else str(statement.compile(dialect=dialect))


def move_alerts(session: Session, moves: Sequence[Move]) -> list[bool]:
    """Many compare-and-sets (move_alert's statement each, on different alerts): for each, whether it won.

    Each UPDATE keeps its own rowcount. PostgreSQL gets each statement shape's UPDATEs in one
    pipelined executemany (psycopg's `returning=True` keeps one result per statement), not one
    round trip per alert; SQLite runs them in-process through its own cursor, without SQLAlchemy's
    cost per statement. Both in the caller's transaction, as move_alert."""
    if not moves:
        return []
    conn = session.connection()
    shaped: dict[tuple[tuple[str, ...], bool], list[tuple[int, dict[str, Any]]]] = {}
    for i, move in enumerate(moves):
        shape, args = _args(move)
        shaped.setdefault(shape, []).append((i, args))
    won = [False] * len(moves)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for (names, deadline_set), items in shaped.items():
            sql = _driver_move(names, deadline_set, conn.dialect)
            if conn.dialect.name == "postgresql":
                cursor.executemany(sql, [args for _i, args in items], returning=True)
                counts = [cursor.rowcount]
                while cursor.nextset():
                    counts.append(cursor.rowcount)
            else:
                counts = []
                for _i, args in items:
                    cursor.execute(sql, args)
                    counts.append(cursor.rowcount)
            for (i, _binds), count in zip(items, counts, strict=True):
                won[i] = count == 1
    finally:
        cursor.close()
    return won


_CALL_COLUMNS = ("alert_id", "contact_key", "step", "round", "created_at", "outcome", "reference", "note")


def insert_call_tasks(session: Session, tasks: Sequence[tuple[int, str, int, int]], now: datetime) -> None:
    """The call tasks of a sweep, (alert id, contact key, round, step) each, inserted together
    (store.queries.rows); one that exists (same alert, contact, round and step) is left as it is."""
    if tasks:
        stamp = to_db_text(now)
        insert_rows(session, "call_task", _CALL_COLUMNS, [
            {"alert_id": a, "contact_key": k, "step": s, "round": r, "created_at": stamp, "outcome": "", "reference": "", "note": ""}
            for a, k, r, s in tasks
        ], " ON CONFLICT(alert_id, contact_key, round, step) DO NOTHING")


_ACKED_CHILDREN = text("SELECT id FROM alert WHERE joined_to_id = :parent AND state = 'acknowledged' ORDER BY id")
_REOPEN = text("UPDATE alert SET state = 'new', acked_by_id = NULL, acked_at = NULL WHERE id = :id")


def acknowledged_children(session: Session, parent_id: int) -> list[int]:
    """Ids of the acknowledged alerts joined to `parent_id`."""
    return [r[0] for r in session.connection().execute(_ACKED_CHILDREN, {"parent": parent_id})]


def reopen(session: Session, alert_id: int) -> None:
    """An acknowledged alert is new again (its acknowledgment dropped)."""
    session.connection().execute(_REOPEN, {"id": alert_id})


_SEVERITY = text("UPDATE alert SET severity = :severity, next_escalation_at = :due WHERE id = :id")


def set_severity(session: Session, alert_id: int | None, severity: str, due: datetime | None) -> None:
    """A parent raised to `severity`, its next deadline `due`."""
    session.connection().execute(_SEVERITY, {"severity": severity, "due": to_db_text(due) if due else None, "id": alert_id})


_AHEAD = text("SELECT min(next_escalation_at) FROM alert WHERE state IN ('new', 'acknowledged') AND next_escalation_at > :now")
_DUE_ANY = text("SELECT 1 FROM alert WHERE state IN ('new', 'acknowledged') AND next_escalation_at <= :now LIMIT 1")


def next_deadline_after(session: Session, now: datetime) -> datetime | None:
    """The earliest escalation deadline of an open alert still ahead of `now`."""
    return from_db_text(session.connection().execute(_AHEAD, {"now": to_db_text(now)}).scalar())


def any_due(session: Session, now: datetime) -> bool:
    """True when an open alert's deadline has come at `now`."""
    return session.connection().execute(_DUE_ANY, {"now": to_db_text(now)}).first() is not None
