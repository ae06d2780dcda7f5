"""Call tasks' SQL: reading them, recording a call (the sweep creates them: store.queries.escalation.insert_call_tasks)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from watchdesk.store.models import CallTask, Officer

_CALL = CallTask.__table__  # type: ignore[attr-defined]
def call_tasks_of(session: Session, alert_id: int) -> list[CallTask]:
    """One alert's call tasks, oldest first."""
    return list(session.exec(select(CallTask).where(CallTask.alert_id == alert_id).order_by(col(CallTask.id))).all())


def open_call_tasks(session: Session) -> list[CallTask]:
    """Calls never made or not answered yet, across all alerts, oldest first."""
    return list(session.exec(select(CallTask).where(col(CallTask.outcome).in_(["", "no-answer"])).order_by(col(CallTask.id))).all())


def officer_handles(session: Session, officer_ids: Collection[int]) -> dict[int, str]:
    """Handle by officer id, for the ids given."""
    if not officer_ids:
        return {}
    return dict(session.exec(select(Officer.id, Officer.handle).where(col(Officer.id).in_(officer_ids))).all())  # type: ignore[arg-type]


def record_outcome(session: Session, call_id: int, was: str, *, outcome: str, reference: str, note: str,
                   done_by_id: int | None, done_at: datetime) -> bool:
    """Compare-and-set on the outcome read (`was`): True when this call recorded it."""
    return session.connection().execute(
        update(_CALL).where(_CALL.c.id == call_id, _CALL.c.outcome == was)
        .values(outcome=outcome, reference=reference, note=note, done_by_id=done_by_id, done_at=done_at)
    ).rowcount == 1
