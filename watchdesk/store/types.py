"""Column types: aware-UTC datetimes stored as sortable text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC.

    Fixed-width text sorts and compares in SQL exactly as the instants do. A naive datetime
    is refused: it would be read as UTC and silently shift a deadline by seven hours.
    """

    impl = String(26)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {value!r}")
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC times")
        return value.astimezone(timezone.utc).strftime(_FORMAT)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        return from_db_text(value)


def to_db_text(value: datetime) -> str:
    """The stored text of an aware datetime (for raw SQL comparisons)."""
    return value.astimezone(timezone.utc).strftime(_FORMAT)


def from_db_text(value: str | datetime | None) -> datetime | None:
    """A stored time read back (the text `to_db_text` wrote, or a driver's datetime): aware UTC; None for none or ''.

    The one parser of stored times: every raw-SQL reader goes through it, as the ORM does.
    """
    if not value:
        return None
    # fromisoformat reads our fixed-width text about ten times faster than strptime.
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when


MICROSECOND = timedelta(microseconds=1)


def micros(delta: timedelta) -> int:
    """A duration as the integer microseconds the alert's duration columns store (exact)."""
    return delta // MICROSECOND
