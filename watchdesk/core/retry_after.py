"""The one reading of an HTTP `Retry-After` answer, for the feeds' backoff and the channels' retries."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

# Longer than any cap a caller puts on the wait, short enough for timedelta and datetime arithmetic:
# a hostile "Retry-After: 99999999999999999999" is read as this, not as an OverflowError.
LONGEST = timedelta(days=3650)


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """`Retry-After` as a wait from `now`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).

    None when absent or unreadable (the caller's own backoff applies); a date in the past is 0.
    """
    value = (value or "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():  # str.isdigit() alone takes '²' and other digits int() refuses
        return LONGEST if len(value) > 9 else min(timedelta(seconds=int(value)), LONGEST)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return min(max(timedelta(0), when - now), LONGEST)
