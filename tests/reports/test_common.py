"""The renderers' shared helpers."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from watchdesk.reports.common import iso
from watchdesk.store.types import to_db_text

UTC = timezone.utc


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_iso_of_stored_text_is_what_the_datetime_prints(when: datetime) -> None:
    """The stored-text fast path gives exactly datetime.isoformat(), with and without a fraction."""
    assert iso(to_db_text(when)) == when.isoformat() == iso(when)


def test_iso_of_nothing() -> None:
    assert iso(None) is None and iso("") is None
