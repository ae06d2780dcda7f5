"""Shifts: who is on duty, the shifts overlapping a span, the generated ones, and check-in.

The two range reads are the hot path (every escalation asks who is on duty), so they are
`text()` read as plain rows, bounded below by the longest shift so that the (level, starts_at,
ends_at) index scans a couple of days of rows, not every shift that ever started before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import BindParameter, bindparam, text
from sqlmodel import select

from watchdesk.core.enums import ShiftOrigin
from watchdesk.core.roster import Span
from watchdesk.store.db import Session
from watchdesk.store.models import Officer, Shift
from watchdesk.store.types import UTCDateTime, from_db_text


def _times() -> list[BindParameter[datetime]]:
    """The three time binds of a range read, typed: callers pass datetimes, the column type stores them."""
    return [bindparam(name, type_=UTCDateTime()) for name in ("after", "until", "ends_after")]


_ON_DUTY = text(
    "SELECT s.id, s.replaces_id, o.id, o.handle, o.full_name, o.role, o.phone, o.email, o.chat_ids, o.pin_hash, o.active "
    "FROM shift s JOIN officer o ON o.id = s.officer_id "
    "WHERE s.level = :level AND s.starts_at > :after AND s.starts_at <= :until AND s.ends_at > :ends_after "
    "AND NOT s.cancelled"
).bindparams(*_times())

_SPANS = text(
    "SELECT s.id, o.handle, s.level, s.starts_at, s.ends_at, s.origin, s.replaces_id, o.full_name, s.checked_in_at, "
    "s.reason, s.approved_by, s.note FROM shift s JOIN officer o ON o.id = s.officer_id "
    # 'level IN (…)' lets SQLite use the (level, starts_at, ends_at) index for every level.
    "WHERE s.level IN :levels AND s.starts_at > :after AND s.starts_at < :until AND s.ends_at > :ends_after "
    "AND NOT s.cancelled"
).bindparams(bindparam("levels", expanding=True), *_times())

_CHECK_IN = text(
    "UPDATE shift SET checked_in_at = :at WHERE id = :shift_id AND checked_in_at IS NULL"
).bindparams(bindparam("at", type_=UTCDateTime()))


def on_duty_rows(session: Session, level: int, at: datetime, longest: timedelta) -> list[tuple[int, int | None, Officer]]:
    """(shift id, id of the shift it replaces, officer) for each shift at `level` covering `at`,
    none longer than `longest`; cancelled shifts left out, replaced ones not."""
    rows = session.connection().execute(_ON_DUTY, {"level": level, "after": at - longest, "until": at, "ends_after": at}).all()
    return [
        (r[0], r[1], Officer(id=r[2], handle=r[3], full_name=r[4], role=r[5], phone=r[6], email=r[7], chat_ids=r[8],
                             pin_hash=r[9], active=bool(r[10])))
        for r in rows
    ]


def spans(session: Session, start: datetime, end: datetime, levels: Iterable[int], longest: timedelta) -> list[Span]:
    """Stored, not cancelled shifts at `levels` overlapping [start, end), none longer than `longest`."""
    rows = session.connection().execute(
        _SPANS, {"levels": [int(level) for level in levels], "after": start - longest, "until": end, "ends_after": start},
    ).all()
    return [
        Span(id=r[0], officer=r[1], level=r[2], start=from_db_text(r[3]), end=from_db_text(r[4]), origin=r[5], replaces=r[6], full_name=r[7],
             checked_in_at=from_db_text(r[8]), reason=r[9], approved_by=r[10], note=r[11])  # type: ignore[arg-type]
        for r in rows
    ]


def generated_shifts(session: Session, period_id: int, level: int) -> list[Shift]:
    """The not cancelled shifts a pattern generated at `level` of a period."""
    return list(session.exec(
        select(Shift).where(Shift.period_id == period_id, Shift.level == level,
                            Shift.origin == ShiftOrigin.PATTERN.value, Shift.cancelled == False)  # noqa: E712
    ).all())


def same_shift_id(session: Session, officer_id: int, level: int, start: datetime, end: datetime) -> int | None:
    """The id of a not cancelled shift of this officer at this level with exactly these times."""
    return session.exec(select(Shift.id).where(
        Shift.officer_id == officer_id, Shift.level == level, Shift.starts_at == start,
        Shift.ends_at == end, Shift.cancelled == False,  # noqa: E712
    )).first()


def mark_checked_in(session: Session, shift_id: int, at: datetime) -> bool:
    """Compare-and-set: True when this call recorded the check-in (the shift had none)."""
    return session.connection().execute(_CHECK_IN, {"at": at, "shift_id": shift_id}).rowcount == 1
