"""Who is on duty (the roster's answer used by escalation, handover and reports)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from watchdesk.core.records import OfficerRecord
from watchdesk.services.officers import to_record
from watchdesk.services.runtime import Runtime
from watchdesk.store.models import Officer, Shift


def shifts_covering(session: Session, level: int, at: datetime) -> list[Shift]:
    """Shifts at `level` covering `at`, overrides winning over the shifts they replace."""
    rows = session.exec(
        select(Shift).where(
            Shift.level == level,
            Shift.cancelled == False,  # noqa: E712
            col(Shift.starts_at) <= at,
            col(Shift.ends_at) > at,
        )
    ).all()
    replaced = {r.replaces_id for r in rows if r.replaces_id}
    return [r for r in rows if r.id not in replaced]


def on_duty(rt: Runtime, level: int, at: datetime | None = None) -> list[OfficerRecord]:
    """Officers on duty at `level` at `at` (default now); [] means nobody."""
    at = at or rt.now()
    with rt.db.read() as session:
        shifts = shifts_covering(session, level, at)
        ids = [s.officer_id for s in shifts]
        if not ids:
            return []
        officers = session.exec(select(Officer).where(col(Officer.id).in_(ids)).order_by(Officer.handle)).all()
    return [to_record(o) for o in officers]
