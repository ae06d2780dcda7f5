"""The SQL of alerts the system clears: the compare-and-set that resolves one, and finding it by key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from watchdesk.core.enums import AlertState
from watchdesk.store.models import Alert

_ALERT = Alert.__table__  # type: ignore[attr-defined]


def resolve_by_system(session: Session, alert_id: int, state: str, now: datetime, resolution: str, *, resolve_us: int) -> bool:
    """Resolve the alert with no person named, its timers off, if it is still in `state`; True when this call did.
    `resolve_us`: received → now in microseconds, stored with the resolution for the reports."""
    return session.connection().execute(
        update(_ALERT).where(_ALERT.c.id == alert_id, _ALERT.c.state == state).values(
            state=AlertState.RESOLVED.value, resolved_by_id=None, resolved_at=now, resolution=resolution,
            next_escalation_at=None, snoozed_until=None, resolve_us=resolve_us,
        )
    ).rowcount == 1


def alert_id_by_dedup_key(session: Session, dedup_key: str) -> int | None:
    """The id of the alert with this dedup key, if any."""
    return session.exec(select(Alert.id).where(Alert.dedup_key == dedup_key)).first()
