"""The acknowledgment report (services.reports): every read of one window, in the caller's read session.

The window's scan reads up to 100,000 rows: it goes to the driver's cursor (named binds, compiled
to the driver's own placeholders) so no per-row SQLAlchemy object is built; the other reads are
small. Reads of event bodies have a form per backend (`_FORMS`): SQLite's json_extract and named
partial indexes, PostgreSQL's json operators over the same partial indexes (migration 16).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from sqlalchemy import Dialect, text
from sqlmodel import Session

from watchdesk.store.queries.handover import id_list, officer_handles

__all__ = ["BASE_COLUMNS", "LINE_COLUMNS", "by_id", "driver_rows", "escalations_since", "first_acknowledgers",
           "first_raised_seq", "id_list", "off_duty_acks_since", "officer_handles", "window_scan", "OFF_DUTY_SQL", "SCAN_SQL"]

# The first acknowledger's officer id is on the row unless the alert was acknowledged again since
# (ack timeout): those rows say 0 and their first acknowledger comes from the `alert.acknowledged`
# event marked first. NULL: never acknowledged (or acknowledged by nobody known: shown as '?').
# `cleared` marks an alert cleared by the system (services.clearing): resolved, by nobody, never
# acknowledged by a person. The durations are the integers written with the acknowledgment,
# resolution and snoozes (microseconds): nothing is computed per row.
SCAN_SQL = (
    "SELECT a.id, a.severity, a.source_key, a.level, a.received_at, a.ack_us, a.resolve_us, "
    "CASE WHEN a.first_acked_at IS NULL THEN NULL WHEN a.acked_at = a.first_acked_at THEN a.acked_by_id ELSE 0 END, "
    "a.joined_to_id, a.first_acked_at IS NULL AND a.resolved_by_id IS NULL AND a.state = 'resolved', a.snoozed_us{lines} "
    "FROM alert a WHERE a.received_at >= :start AND a.received_at < :end ORDER BY a.received_at, a.id"
)
BASE_COLUMNS = 11
# The per-alert lines' own columns ride on the same scan when they are wanted.
LINE_COLUMNS = ", a.title, a.state, a.first_acked_at, a.resolved_at"

_FORMS: dict[str, dict[str, str]] = {
    # SQLite-only: json_extract reads the bodies; INDEXED BY names the partial indexes (migration 16), as
    # without statistics the planner would take the kind index and read every body of that kind.
    "sqlite": {
        "escalations": "SELECT CAST(subject_id AS INTEGER), json_extract(body, '$.data.level') FROM event "
                       "INDEXED BY ix_event_escalated WHERE kind = 'alert.escalated' AND seq >= :seq",
        "off_duty": "SELECT CAST(subject_id AS INTEGER), at, actor, json_extract(body, '$.data.first') FROM event "
                    "INDEXED BY ix_event_ack_off_duty WHERE kind = 'alert.acknowledged' "
                    "AND json_extract(body, '$.data.on_duty') = 0 AND seq >= :seq ORDER BY seq",
        "first": "json_extract(body, '$.data.first') = 1",
    },
    # The same partial indexes on PostgreSQL: their predicates are written as the index has them, so the
    # planner matches them (body::json -> 'data' ->> …, compared as text).
    "postgresql": {
        # PostgreSQL reads an expression index's rows from the table all the same (no index-only scan of an
        # expression): the level is read from the stored `payload`, a smaller JSON text to parse than the body.
        "escalations": "SELECT CAST(subject_id AS INTEGER), (CAST(payload AS json) ->> 'level') FROM event "
                       "WHERE kind = 'alert.escalated' AND seq >= :seq",
        "off_duty": "SELECT CAST(subject_id AS INTEGER), at, actor, (CAST(body AS json) -> 'data' ->> 'first') = 'true' "
                    "FROM event WHERE kind = 'alert.acknowledged' AND (CAST(body AS json) -> 'data' ->> 'on_duty') = 'false' "
                    "AND seq >= :seq ORDER BY seq",
        "first": "(CAST(payload AS json) ->> 'first') = 'true'",
    },
}

OFF_DUTY_SQL = _FORMS["sqlite"]["off_duty"]  # tests/reports/test_apart.py reads SQLite's plan of it

# The columns each list the report names apart reads by id.
_BY_ID = {
    "late": "title",
    "unacked": "title, severity, state, level, received_at, snoozed_us, snoozed_until, exhausted",
    "grouped": "title, snoozed_us, snoozed_until",
    "cleared": "title, category, resolved_at, resolution",
    "titles": "title",
    "parents": "first_acked_at, acked_at, acked_by_id",
}


@functools.lru_cache(maxsize=64)
def _compiled(sql: str, dialect: Dialect) -> str:
    """`sql` with its named binds in the driver's own style (sqlite3 takes `:name` as written)."""
    return sql if dialect.name == "sqlite" else str(text(sql).compile(dialect=dialect))


def driver_rows(session: Session, sql: str, params: dict[str, Any]) -> list[tuple]:
    """Every row of `sql` (named binds) fetched by the driver's cursor under the session's open transaction
    (same snapshot): plain tuples, no SQLAlchemy row per line."""
    conn = session.connection()
    return conn.connection.driver_connection.execute(_compiled(sql, conn.dialect), params).fetchall()  # type: ignore[union-attr]


def _form(session: Session, name: str) -> str:
    return _FORMS[session.connection().dialect.name][name]


def window_scan(session: Session, start: str, end: str, *, lines: bool) -> list[tuple]:
    """The window's alerts in received order (SCAN_SQL, with LINE_COLUMNS when `lines`)."""
    return driver_rows(session, SCAN_SQL.format(lines=LINE_COLUMNS if lines else ""), {"start": start, "end": end})


def first_raised_seq(session: Session, start: str, end: str) -> int:
    """The seq of the `alert.raised` event of the window's first alert (0 if none): every event of
    the window's alerts comes after it."""
    return session.connection().execute(text(
        "SELECT MIN(seq) FROM event WHERE subject_type = 'alert' AND kind = 'alert.raised' AND subject_id = "
        "(SELECT CAST(id AS TEXT) FROM alert WHERE received_at >= :start AND received_at < :end "
        "ORDER BY received_at, id LIMIT 1)"), {"start": start, "end": end}).scalar() or 0


def escalations_since(session: Session, seq: int) -> list[tuple[int, int]]:
    """(alert id, level reached) of every `alert.escalated` event from `seq` on (the partial index
    ix_event_escalated holds subject_id and the level, so no body is read)."""
    return [(aid, int(level or 0)) for aid, level in driver_rows(session, _form(session, "escalations"), {"seq": seq})]


def off_duty_acks_since(session: Session, seq: int) -> list[tuple[int, str, str, bool]]:
    """(alert id, at, actor, first) of the acknowledgments marked `"on_duty": false`, from `seq` on.

    The partial index ix_event_ack_off_duty holds just those, so no other body is read. Older
    acknowledgments, made before the field existed, count as on duty."""
    return [(aid, at, actor, bool(first)) for aid, at, actor, first in driver_rows(session, _form(session, "off_duty"), {"seq": seq})]


def first_acknowledgers(session: Session, ids: list[int]) -> dict[int, str]:
    """Who acknowledged each given alert first, from its `alert.acknowledged` event marked first."""
    out: dict[int, str] = {}
    if not ids:
        return out
    for sid, actor in session.connection().execute(text(
        "SELECT subject_id, actor FROM event WHERE kind = 'alert.acknowledged' AND subject_type = 'alert' "
        f"AND subject_id IN (SELECT CAST(value AS TEXT) FROM {id_list(session)}) AND {_form(session, 'first')} "
        "ORDER BY seq"), {"ids": json.dumps(ids)}):
        out.setdefault(int(sid), actor)
    return out


def by_id(session: Session, which: str, ids: list[int]) -> dict[int, tuple]:
    """The columns list `which` (see _BY_ID) needs of the given alerts, by id."""
    if not ids:
        return {}
    sql = f"SELECT a.id, {_BY_ID[which]} FROM {id_list(session)} JOIN alert a ON a.id = CAST(j.value AS INTEGER)"
    return {r[0]: r[1:] for r in driver_rows(session, sql, {"ids": json.dumps(sorted(ids))})}
