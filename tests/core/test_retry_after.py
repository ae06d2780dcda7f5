"""retry_after: the one reading of `Retry-After`, shared by the feeds' backoff and the channels' retries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from watchdesk.core.retry_after import LONGEST, retry_after

NOW = datetime(2026, 2, 17, 2, 0, tzinfo=timezone.utc)


def test_delta_seconds_and_http_dates() -> None:
    assert retry_after("45", NOW) == timedelta(seconds=45)
    assert retry_after(" 600 ", NOW) == timedelta(seconds=600)
    assert retry_after("Tue, 17 Feb 2026 02:01:30 GMT", NOW) == timedelta(seconds=90)
    assert retry_after("Tue, 17 Feb 2026 01:00:00 GMT", NOW) == timedelta(0)  # already past: retry now


def test_absent_or_unreadable_is_none() -> None:
    for value in (None, "", "  ", "soon", "-5", "1.5", "Tue, 17 Feb 2026 02:01:30"):  # the last: a date without a zone
        assert retry_after(value, NOW) is None, value


def test_hostile_values_are_a_long_wait_or_none_never_an_exception() -> None:
    assert retry_after("9" * 20, NOW) == LONGEST  # timedelta(seconds=10**20) would raise OverflowError
    assert retry_after("9" * 5000, NOW) == LONGEST  # int() refuses more than 4300 digits
    assert retry_after("Fri, 31 Dec 9999 23:59:59 GMT", NOW) == LONGEST
    assert retry_after("²", NOW) is None  # a digit to str.isdigit(), not to int()
    assert retry_after("٤٥", NOW) is None  # Arabic-Indic digits: not delta-seconds
