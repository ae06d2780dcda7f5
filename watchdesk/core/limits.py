"""The limits on values a person gives (config file, command line, forms, files), stated once.

A value past its limit is refused with one sentence naming the limit, never cut or wrapped:
- durations: one parser; each config key and option has its own range (watchdesk.config), and
  nothing may exceed DURATION_CEILING, so adding a duration to a date can never overflow;
- dates a person types (watch periods, roster rows, command-line times): the years
  FIRST_YEAR to LAST_YEAR; dates in feeds stay as published;
- ids: 1 to MAX_ID (SQLite's and PostgreSQL's largest integer);
- text: each field states its length (services/limits.py), counted after cleaning.

LimitError's message is the tail of a sentence ("must be at least 1s (got '0s')"); callers
prefix the key, line or option it belongs to.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from watchdesk.i18n import N_, _

FIRST_YEAR = 2000
LAST_YEAR = 2100
MAX_ID = 2**63 - 1
DURATION_CEILING = timedelta(days=3660)
"""No duration may exceed ten years: `now + duration` then always stays inside datetime's range."""
DURATION_HELP = N_("a duration like '15m', '1h30m' or a number of seconds")


class LimitError(ValueError):
    """A value outside its stated limit; the message is a sentence's tail ('must be …')."""


_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?\s*$")


def parse_duration(value: Any, low: timedelta = timedelta(0), high: timedelta = DURATION_CEILING) -> timedelta:
    """'90s', '15m', '1h30m', '2d', or a number of seconds, refused outside [low, high]."""
    if isinstance(value, timedelta):
        span = value
    elif isinstance(value, bool):
        raise LimitError(_("must be {help}").format(help=_(DURATION_HELP)))
    elif isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise LimitError(_("must be {help}").format(help=_(DURATION_HELP)))
        span = _bounded_seconds(value, low, high)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if not (match and any(match.groups())):
            raise LimitError(_("must be {help}").format(help=_(DURATION_HELP)))
        # Digits are counted before timedelta sees them: '99999999999d' would overflow it.
        d, h, m, s = (int(g) if g and len(g) <= 12 else (10**12 if g else 0) for g in match.groups())
        span = _bounded_seconds(d * 86400 + h * 3600 + m * 60 + s, low, high)
    else:
        raise LimitError(_("must be {help}").format(help=_(DURATION_HELP)))
    return check_duration(span, low, high)


def _bounded_seconds(seconds: float, low: timedelta, high: timedelta) -> timedelta:
    if seconds < 0:
        raise LimitError(_("must not be negative"))
    if seconds > high.total_seconds():
        raise LimitError(_("must be {span}").format(span=duration_range(low, high)))
    return timedelta(seconds=seconds)


def check_duration(span: timedelta, low: timedelta = timedelta(0), high: timedelta = DURATION_CEILING) -> timedelta:
    """`span` when it lies in [low, high], else LimitError stating the range."""
    if span < timedelta(0):
        raise LimitError(_("must not be negative"))
    if not low <= span <= high:
        raise LimitError(_("must be {span}").format(span=duration_range(low, high)))
    return span


def format_duration(value: timedelta) -> str:
    """'1h30m' for 5400 s: the inverse of parse_duration, for display."""
    total = int(value.total_seconds())
    if total == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, total = divmod(total, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)


def duration_range(low: timedelta, high: timedelta) -> str:
    """'from 1s to 1m', as the README and the sentences state a range."""
    return _("from {low} to {high}").format(low=format_duration(low), high=format_duration(high))


def check_year(when: date | datetime) -> None:
    """Dates a person types lie in FIRST_YEAR..LAST_YEAR."""
    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise LimitError(_("must lie in the years {first_year} to {last_year} (got year {year})").format(first_year=FIRST_YEAR, last_year=LAST_YEAR, year=when.year))


def parse_id(value: Any) -> int:
    """An id as typed ('42' or '#42'): a whole number from 1 to MAX_ID."""
    if isinstance(value, bool):
        raise LimitError(_("must be a whole number from 1 to {max_id}").format(max_id=MAX_ID))
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().removeprefix("#")
        # Digits only (no sign, no '1_000', no other scripts' digits int() would take), and few
        # enough of them that int() never works on a megabyte of digits.
        if not (text.isascii() and text.isdigit() and len(text) <= 19):
            raise LimitError(_("must be a whole number from 1 to {max_id}").format(max_id=MAX_ID))
        number = int(text)
    if not 1 <= number <= MAX_ID:
        raise LimitError(_("must be a whole number from 1 to {max_id}").format(max_id=MAX_ID))
    return number


def parse_whole(value: Any, low: int, high: int) -> int:
    """A count or year typed by a person: a whole number in [low, high]."""
    text = str(value).strip()
    digits = text.removeprefix("-")
    if isinstance(value, bool) or not (digits.isascii() and digits.isdigit() and len(digits) <= 19):
        raise LimitError(_("must be a whole number from {low} to {high}").format(low=low, high=high))
    number = int(text)
    if not low <= number <= high:
        raise LimitError(_("must be a whole number from {low} to {high}").format(low=low, high=high))
    return number


def check_length(text: str, limit: int) -> str:
    """`text` when it has at most `limit` characters; longer text is refused, never cut."""
    if len(text) > limit:
        raise LimitError(_("{length:,} characters, more than the {limit:,} allowed; shorten it").format(length=len(text), limit=limit))
    return text


def csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of CSV text. A line the csv module cannot read (a cell past its
    field limit, often a quote left open) raises LimitError: 'line N: …'."""
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise LimitError(
                    _("line {line}: a cell is longer than {most:,} characters, the limit "
                      "(a quote left open makes the rest of the file one cell); shorten it").format(line=reader.line_num, most=csv.field_size_limit())
                ) from None
            raise LimitError(_("line {line}: the line is not valid CSV; check its quotes").format(line=reader.line_num)) from None
        yield reader.line_num, cells
