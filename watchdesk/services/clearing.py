"""Alerts the desk raised about itself, cleared by the system when their question is answered.

A roll-call alert asks "is the officer here?", a late-handover alert "has the next shift taken
over?", a source-health alert "is the source alive / publishing?". The answer (a check-in, an
accepted handover, a source that recovers or publishes) resolves the alert in the answer's own
write transaction: compare-and-set on the state, `resolved_by` NULL (no person resolved it), a
resolution saying what answered it, and an `alert.cleared` event by the system actor. No person
acknowledged it, so `first_acked_at` stays NULL and the reports count it apart ("cleared by the
system"), never as anyone's time to acknowledge. Pages still pending for it are cancelled by the
outbox when they come due (it never sends a page of a resolved alert).
"""

from __future__ import annotations

from datetime import datetime

from watchdesk.core.enums import AlertState
from watchdesk.core.text import clean_line
from watchdesk.store.audit import SYSTEM, append_event
from watchdesk.store.db import Session
from watchdesk.store.models import Alert
from watchdesk.store.queries import clearing as q
from watchdesk.store.types import micros, to_db_text

RESOLUTION_PREFIX = "Cleared by the system: "


def clear_by_system(session: Session, now: datetime, alert_id: int | None, reason: str, **details: object) -> bool:
    """Resolve an open alert because its question was answered; False if it was not open (nothing to do).

    Runs in the caller's write transaction, next to the answer itself. `reason` is one sentence
    saying what answered it ("thu checked in at 19:32"); `details` go into the event's payload.
    """
    if alert_id is None:
        return False
    row = session.get(Alert, alert_id)
    if row is None or row.state not in (AlertState.NEW.value, AlertState.ACKNOWLEDGED.value):
        return False
    why = clean_line(reason, max_length=300)
    resolve_us = micros(now - row.received_at)  # type: ignore[operator]
    if not q.resolve_by_system(session, alert_id, row.state, now, RESOLUTION_PREFIX + why, resolve_us=resolve_us):
        return False  # another writer changed it first (it is not open any more)
    append_event(session, now, SYSTEM, "alert.cleared", "alert", alert_id, {
        "by": SYSTEM, "reason": why, "from_state": row.state, "severity": row.severity, "level": row.level,
        "category": row.category, "received_at": to_db_text(row.received_at),  # type: ignore[arg-type]
        "acknowledged_by_a_person": row.first_acked_at is not None,
        "resolve_seconds": round(resolve_us / 1e6, 3),
        **details,
    })
    session.expire(row)  # the ORM copy is stale after the core UPDATE
    return True


def clear_by_key(session: Session, now: datetime, dedup_key: str, reason: str, **details: object) -> int | None:
    """`clear_by_system` for the alert with this dedup key; returns its id when it was cleared."""
    alert_id = q.alert_id_by_dedup_key(session, dedup_key)
    return alert_id if clear_by_system(session, now, alert_id, reason, **details) else None
