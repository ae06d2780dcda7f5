"""What people do to an alert (services.lifecycle): the compare-and-set update and the group's children."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from watchdesk.store.models import Alert

_ALERT = Alert.__table__  # type: ignore[attr-defined]


def set_if_unchanged(session: Session, alert_id: int, read_state: str, read_level: int, /, **values: Any) -> bool:
    """UPDATE the alert WHERE id, state and level are still as read; True when this writer won (rowcount 1)."""
    stmt = (
        update(_ALERT)
        .where(_ALERT.c.id == alert_id, _ALERT.c.state == read_state, _ALERT.c.level == read_level)
        .values(**values)
    )
    return session.connection().execute(stmt).rowcount == 1


def children(session: Session, parent_id: int, states: tuple[str, ...]) -> list[Alert]:
    """The alerts joined to `parent_id` in one of `states`, by id."""
    return list(session.exec(
        select(Alert).where(Alert.joined_to_id == parent_id, col(Alert.state).in_(states)).order_by(col(Alert.id))
    ).all())
