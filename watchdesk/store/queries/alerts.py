"""Alerts: creating them in bulk (for services.alert_factory) and reading them for lists and records.

Creation runs through the driver's executemany: a first poll of a 2,000-item feed must cost
little more than parsing it (benchmarks/ingest.py), and SQLAlchemy's executemany converts every
row's binds in Python first (about 40 % slower here). The INSERTs are still Core statements,
compiled for the session's dialect, so the driver gets its own placeholders.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Dialect, Table, insert
from sqlmodel import col, or_, select

from watchdesk.core.enums import AlertState
from watchdesk.store.audit import append_events_bulk
from watchdesk.store.db import Session
from watchdesk.store.models import Alert, AlertCve, InboundKey, Officer

CHUNK = 500
"""Ids or keys per IN list: a size every driver takes."""

OPEN_STATES = (AlertState.NEW.value, AlertState.ACKNOWLEDGED.value)


def in_chunks(values: Sequence[Any]) -> Iterator[list[Any]]:
    """`values` in lists of CHUNK, for IN lists."""
    for start in range(0, len(values), CHUNK):
        yield list(values[start:start + CHUNK])


# -- creating ---------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)  # one entry per (table, columns, engine's dialect)
def _bulk_insert(table: Table, names: tuple[str, ...], dialect: Dialect) -> tuple[str, bool, tuple[tuple[str, Callable[[Any], Any] | None], ...]]:
    """The INSERT of `names` into `table` written in the dialect's bind style, whether that style is
    positional (the order of the values then follows the compiled statement), and each column's
    bind conversion."""
    compiled = insert(table).compile(dialect=dialect, column_keys=list(names))
    order = compiled.positiontup if compiled.positional else names
    types = {c.name: c.type for c in table.columns}
    return str(compiled), compiled.positional, tuple((n, types[n].dialect_impl(dialect).bind_processor(dialect)) for n in order)


def _insert_many(session: Session, table: Table, names: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> None:
    conn = session.connection()
    sql, positional, binds = _bulk_insert(table, names, conn.dialect)
    if positional:
        params: list[Any] = [tuple(r[n] if bind is None else bind(r[n]) for n, bind in binds) for r in rows]
    else:
        params = [{n: r[n] if bind is None else bind(r[n]) for n, bind in binds} for r in rows]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


_ALERT_COLUMNS = tuple(c.name for c in Alert.__table__.columns if c.name != "id")  # type: ignore[attr-defined]


def insert_alerts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert alert rows (every column but id, as Python values) in one executemany."""
    _insert_many(session, Alert.__table__, _ALERT_COLUMNS, rows)  # type: ignore[arg-type]


def insert_cve_links(session: Session, links: Sequence[tuple[int, str, bool]]) -> None:
    """Insert alert_cve rows: (alert id, CVE, mentioned only?)."""
    _insert_many(session, AlertCve.__table__, ("alert_id", "cve", "mention"),  # type: ignore[arg-type]
                 ({"alert_id": a, "cve": c, "mention": m} for a, c, m in links))


def append_events(session: Session, events: Iterable[tuple[datetime, str, str, str, Any, dict[str, Any]]]) -> int:
    """Append many events in the session's write transaction (store.audit.append_events_bulk); the last seq."""
    return append_events_bulk(session.connection().connection.driver_connection, events)  # type: ignore[arg-type]


def alert_ids_by_dedup_key(session: Session, keys: Sequence[str]) -> dict[str, int]:
    """dedup_key -> alert id for those of `keys` already stored."""
    table = Alert.__table__.c  # type: ignore[attr-defined]
    conn = session.connection()  # Core rows: this runs twice per poll with new items
    found: dict[str, int] = {}
    for chunk in in_chunks(keys):
        found.update(conn.execute(select(table.dedup_key, table.id).where(table.dedup_key.in_(chunk))).all())  # type: ignore[arg-type]
    return found


def alert_heads(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str, int | None, int | None]]:
    """id -> (state, severity, acked_by_id, joined_to_id) of those of `ids` that exist."""
    table = Alert.__table__.c  # type: ignore[attr-defined]
    conn = session.connection()
    out: dict[int, tuple[str, str, int | None, int | None]] = {}
    for chunk in in_chunks(ids):
        query = select(table.id, table.state, table.severity, table.acked_by_id, table.joined_to_id).where(table.id.in_(chunk))
        for alert_id, *head in conn.execute(query).all():
            out[alert_id] = tuple(head)  # type: ignore[assignment]
    return out


# -- reading -------------------------------------------------------------------------------------------
def officer_handles(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Officer id -> handle for `ids`, Nones skipped (an officers query, kept here for the alert records)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.exec(select(Officer.id, Officer.handle).where(col(Officer.id).in_(wanted))).all())  # type: ignore[arg-type]


def alert_ids_sharing(session: Session, cves: Sequence[str]) -> list[int]:
    """Alerts with any of `cves` in their index (subject or mention)."""
    return list(session.exec(select(AlertCve.alert_id).where(col(AlertCve.cve).in_(cves))).all())


def joined_child_ids(session: Session, alert_id: int) -> list[int]:
    """Alerts joined to `alert_id`, whatever their state."""
    return list(session.exec(select(Alert.id).where(Alert.joined_to_id == alert_id)).all())  # type: ignore[arg-type]


def occurrence_links(session: Session, alert_id: int) -> list[tuple[int, int | None]]:
    """(alert, previous alert) of the inbound_key rows naming `alert_id` on either side."""
    return list(session.exec(select(InboundKey.alert_id, InboundKey.previous_alert_id).where(
        or_(InboundKey.alert_id == alert_id, InboundKey.previous_alert_id == alert_id))).all())


def _filtered(query: Any, states: Sequence[str], severities: Sequence[str], sources: Sequence[str]) -> Any:
    if states:
        query = query.where(col(Alert.state).in_(list(states)))
    if severities:
        query = query.where(col(Alert.severity).in_(list(severities)))
    if sources:
        query = query.where(col(Alert.source_key).in_(list(sources)))
    return query


def listed_alerts(session: Session, states: Sequence[str], severities: Sequence[str], sources: Sequence[str],
                  resolved_limit: int) -> list[Alert]:
    """The open alerts matching the filter, then the latest `resolved_limit` resolved ones."""
    query = _filtered(select(Alert), states, severities, sources)
    # IN (not !=) lets SQLite use the state index instead of scanning every alert.
    open_rows = session.exec(query.where(col(Alert.state).in_(OPEN_STATES))).all()
    closed_rows = session.exec(
        query.where(Alert.state == AlertState.RESOLVED.value).order_by(col(Alert.resolved_at).desc()).limit(resolved_limit)
    ).all()
    return list(open_rows) + list(closed_rows)


def _searched(states: Sequence[str], severities: Sequence[str], sources: Sequence[str]) -> Any:
    return _filtered(select(Alert.id, Alert.title, Alert.summary, Alert.cves, Alert.source_key, Alert.doc_number),
                     states, severities, sources)


def open_search_rows(session: Session, states: Sequence[str], severities: Sequence[str],
                     sources: Sequence[str]) -> Iterable[tuple]:
    """(id, title, summary, cves, source_key, doc_number) of the open alerts matching the filter."""
    return session.exec(_searched(states, severities, sources).where(col(Alert.state).in_(OPEN_STATES)))


def resolved_search_rows(session: Session, states: Sequence[str], severities: Sequence[str], sources: Sequence[str],
                         offset: int, limit: int) -> list[tuple]:
    """The same columns of resolved alerts matching the filter, the latest first, `limit` from `offset`."""
    query = _searched(states, severities, sources).where(Alert.state == AlertState.RESOLVED.value)
    query = query.order_by(col(Alert.resolved_at).desc(), col(Alert.id).desc())
    return list(session.exec(query.offset(offset).limit(limit)).all())


def alerts_by_ids(session: Session, ids: Sequence[int]) -> list[Alert]:
    """The alert rows of `ids` (in no particular order)."""
    rows: list[Alert] = []
    for chunk in in_chunks(ids):
        rows.extend(session.exec(select(Alert).where(col(Alert.id).in_(chunk))).all())
    return rows


def open_alert_states(session: Session) -> list[str]:
    """The state of every open alert (one per alert)."""
    return list(session.exec(select(Alert.state).where(or_(Alert.state == AlertState.NEW.value, Alert.state == AlertState.ACKNOWLEDGED.value))).all())
