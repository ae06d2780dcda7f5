"""The shift handover (services.handover): the draft's reads over a shift, the handover rows, acceptance."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from watchdesk.store.models import Handover, Officer
from watchdesk.store.types import to_db_text


def id_list(session: Session) -> str:
    """A table `j` whose `value` column holds the ids bound as one JSON array (`:ids`): one bind, however many ids."""
    if session.connection().dialect.name == "postgresql":
        return "json_array_elements_text(CAST(:ids AS json)) AS j(value)"
    # SQLite-only: json_each unpacks the JSON array.
    return "json_each(:ids) AS j"


def officer_handles(session: Session) -> dict[int | None, str]:
    """Every officer's handle by id."""
    return dict(session.connection().execute(text("SELECT id, handle FROM officer")).all())  # type: ignore[arg-type]


def officer_id(session: Session, handle: str) -> int | None:
    return session.exec(select(Officer.id).where(Officer.handle == handle)).first()


def officers(session: Session) -> dict[int | None, Officer]:
    return {o.id: o for o in session.exec(select(Officer)).all()}


def alerts_received(session: Session, lo: str, hi: str) -> list[tuple]:
    """(id, title, severity, source_key, received_at, state) of the alerts received in [lo, hi), in order."""
    return list(session.connection().execute(text(
        "SELECT id, title, severity, source_key, received_at, state FROM alert "
        "WHERE received_at >= :lo AND received_at < :hi ORDER BY received_at, id"), {"lo": lo, "hi": hi}).all())


def alert_events(session: Session, kind: str, lo: str, hi: str) -> list[tuple[int, str, str, dict[str, Any]]]:
    """(alert id, at, actor, payload) of the events of `kind` at [lo, hi), in log order."""
    rows = session.connection().execute(text(
        "SELECT subject_id, at, actor, payload FROM event WHERE kind = :kind AND at >= :lo AND at < :hi ORDER BY seq"),
        {"kind": kind, "lo": lo, "hi": hi}).all()
    return [(int(r[0]), r[1], r[2], json.loads(r[3] or "{}")) for r in rows]


def titles(session: Session, ids: list[int]) -> dict[int, str]:
    """The titles of the given alerts."""
    if not ids:
        return {}
    return dict(session.connection().execute(text(
        f"SELECT id, title FROM alert WHERE id IN (SELECT CAST(value AS INTEGER) FROM {id_list(session)})"),
        {"ids": json.dumps(ids)}).all())  # type: ignore[arg-type]


def open_alerts(session: Session, resolved: str) -> list[tuple]:
    """Every alert not in state `resolved` with its parent's first acknowledgment, in received order."""
    return list(session.connection().execute(text(
        "SELECT a.id, a.title, a.severity, a.state, a.level, a.assignee_id, a.acked_by_id, a.next_escalation_at, "
        "a.received_at, a.snoozed_until, a.exhausted, a.first_acked_at, a.snoozed_us, a.joined_to_id, p.first_acked_at "
        "FROM alert a LEFT JOIN alert p ON p.id = a.joined_to_id WHERE a.state != :resolved ORDER BY a.received_at, a.id"),
        {"resolved": resolved}).all())


def first_acks_between(session: Session, lo: str, hi: str) -> list[tuple]:
    """First acknowledgments made in [lo, hi): an alert's own (with its stored ack_us), or (grouped) its parent's."""
    return list(session.connection().execute(text(
        "SELECT a.id, a.title, a.severity, a.received_at, a.first_acked_at, a.acked_by_id, a.acked_at, a.ack_us, "
        "a.joined_to_id, p.first_acked_at, p.acked_by_id, p.acked_at "
        "FROM alert a LEFT JOIN alert p ON p.id = a.joined_to_id "
        "WHERE (a.joined_to_id IS NULL AND a.first_acked_at >= :lo AND a.first_acked_at < :hi) "
        "OR (p.first_acked_at >= :lo AND p.first_acked_at < :hi)"), {"lo": lo, "hi": hi}).all())


def calls_between(session: Session, lo: str, hi: str) -> list[tuple]:
    """Call tasks created or done in [lo, hi)."""
    return list(session.connection().execute(text(
        "SELECT c.id, c.alert_id, c.contact_key, c.created_at, c.outcome, c.reference, c.note, c.done_by_id, c.done_at "
        "FROM call_task c WHERE (c.created_at >= :lo AND c.created_at < :hi) OR (c.done_at >= :lo AND c.done_at < :hi) "
        "ORDER BY c.created_at, c.id"), {"lo": lo, "hi": hi}).all())


def source_failures(session: Session, lo: str, hi: str) -> dict[str, tuple[int, str]]:
    """source key → (failures, the last one's time) of `source.failed` events at [lo, hi)."""
    rows = session.connection().execute(text(
        "SELECT subject_id, COUNT(*), MAX(at) FROM event WHERE kind = 'source.failed' AND at >= :lo AND at < :hi "
        "GROUP BY subject_id"), {"lo": lo, "hi": hi}).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def handover_of_shift(session: Session, shift_id: int) -> Handover | None:
    return session.exec(select(Handover).where(Handover.shift_id == shift_id).order_by(Handover.id)).first()  # type: ignore[arg-type]


def handovers_of_shifts(session: Session, shift_ids: list[int]) -> dict[int | None, Handover]:
    return {r.shift_id: r for r in session.exec(select(Handover).where(col(Handover.shift_id).in_(shift_ids))).all()}


def latest_handovers(session: Session, limit: int) -> list[Handover]:
    return list(session.exec(select(Handover).order_by(col(Handover.id).desc()).limit(limit)).all())


def awaiting_acceptance(session: Session) -> list[Handover]:
    """Signed, unaccepted handovers, the latest shift first."""
    return list(session.exec(select(Handover).where(col(Handover.signed_out_at).is_not(None), col(Handover.accepted_at).is_(None))
                             .order_by(col(Handover.period_end).desc())).all())


def accept_if_open(session: Session, handover_id: int, at: datetime, incoming_id: int | None, by_id: int | None,
                   early: bool, remarks: str) -> bool:
    """Mark the handover accepted unless someone did first (compare-and-set: rowcount 1 wins)."""
    return session.connection().execute(
        text("UPDATE handover SET accepted_at = :at, incoming_id = :incoming, accepted_by_id = :who, "
             "accepted_early = :early, remarks = :remarks "
             "WHERE id = :id AND accepted_at IS NULL AND signed_out_at IS NOT NULL"),
        {"at": to_db_text(at), "incoming": incoming_id, "who": by_id, "early": early, "remarks": remarks, "id": handover_id},
    ).rowcount == 1  # type: ignore[attr-defined]
