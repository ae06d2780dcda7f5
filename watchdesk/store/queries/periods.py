"""Watch periods: by name, all of them, and the ones running at an instant."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from watchdesk.store.db import Session
from watchdesk.store.models import WatchPeriod


def period_by_name(session: Session, name: str) -> WatchPeriod | None:
    return session.exec(select(WatchPeriod).where(WatchPeriod.name == name)).first()


def periods(session: Session, *, by_start: bool = False) -> list[WatchPeriod]:
    """Every watch period, in the order they were added (or by start)."""
    return list(session.exec(select(WatchPeriod).order_by(WatchPeriod.starts_at if by_start else WatchPeriod.id)).all())


def periods_running_at(session: Session, at: datetime) -> list[WatchPeriod]:
    """The periods with start <= `at` < end, by start."""
    return list(session.exec(
        select(WatchPeriod).where(col(WatchPeriod.starts_at) <= at, col(WatchPeriod.ends_at) > at).order_by(WatchPeriod.starts_at)
    ).all())


def period_id_at(session: Session, at: datetime) -> int | None:
    """The id of the earliest-starting period running at `at`; None outside every watch."""
    return session.exec(
        select(WatchPeriod.id).where(col(WatchPeriod.starts_at) <= at, col(WatchPeriod.ends_at) > at).order_by(WatchPeriod.starts_at)
    ).first()
