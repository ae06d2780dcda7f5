"""from_db_text: the one parser of stored times, the inverse of to_db_text and of the ORM column."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from watchdesk.store.types import UTCDateTime, from_db_text, to_db_text

UTC = timezone.utc
HANOI = timezone(timedelta(hours=7))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_stored_text_reads_back_as_the_same_aware_instant(when: datetime) -> None:
    back = from_db_text(to_db_text(when))
    assert back == when and back.tzinfo is UTC
    assert UTCDateTime().process_result_value(to_db_text(when), None) == back  # the ORM reads it the same way


def test_nothing_stays_nothing_and_datetimes_pass_through() -> None:
    assert from_db_text(None) is None and from_db_text("") is None
    naive = datetime(2026, 2, 17, 2, 0)
    assert from_db_text(naive) == naive.replace(tzinfo=UTC)  # a driver's naive datetime is UTC, as stored
    aware = datetime(2026, 2, 17, 9, 0, tzinfo=HANOI)
    assert from_db_text(aware) is aware
    assert from_db_text("2026-02-17 09:00:00+07:00") == aware  # text with its offset keeps it
