"""Argument types for values a person types on the command line: ids, counts, years, desk
times, days and durations, each with the limits of watchdesk.core.limits.

A bad value is one sentence naming the argument and the limit, exit status 2, like every other
error a person can meet: the types raise InvalidInput (shown by the root group's error
mapping), not click's usage error with its three lines of usage text.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import click

from watchdesk.core import limits
from watchdesk.core.text import clean_line
from watchdesk.services.errors import InvalidInput
from watchdesk.i18n import _


def shown(value: Any) -> str:
    """The value as a sentence quotes it: cleaned, on one line, at most 40 characters."""
    text = clean_line(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _name(param: click.Parameter | None) -> str:
    if param is None:
        return "the value"
    if isinstance(param, click.Option) and param.opts:
        return max(param.opts, key=len)
    return (param.name or "value").upper()


class _Value(click.ParamType):
    def refusal(self, value: Any, param: click.Parameter | None, tail: str) -> InvalidInput:
        return InvalidInput(f"{_name(param)} '{shown(value)}' {tail}.")


class IdType(_Value):
    """An id ('42' or '#42'): 1 to 2^63-1."""

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            return limits.parse_id(value)
        except limits.LimitError as exc:
            raise self.refusal(value, param, f"is not an id: it {exc}") from None


class WholeType(_Value):
    """A count or a year in [low, high]."""

    name = "N"

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            return limits.parse_whole(value, self.low, self.high)
        except limits.LimitError as exc:
            raise self.refusal(value, param, str(exc)) from None


class DeskTimeType(_Value):
    """'YYYY-MM-DD HH:MM' (or 'DD/MM/YYYY HH:MM') on the desk's wall clock, years 2000–2100:
    a naive datetime; `at_desk` makes it an instant in the desk's zone."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        from watchdesk.core.roster import RosterError, parse_wall_clock

        if isinstance(value, datetime):
            return value
        try:
            return parse_wall_clock(value)
        except RosterError as exc:
            raise InvalidInput(_("{name}: {exc}").format(name=_name(param), exc=exc)) from None


class DayType(_Value):
    """'YYYY-MM-DD', years 2000–2100."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise self.refusal(value, param, "is not a date; write it as YYYY-MM-DD, e.g. 2026-02-16")
        try:
            limits.check_year(day)
        except limits.LimitError as exc:
            raise self.refusal(value, param, str(exc)) from None
        return day


class DurationType(_Value):
    """'30m', '1h30m', '2d' or seconds, within [low, high]."""

    name = "DURATION"

    def __init__(self, low: str, high: str) -> None:
        self.low, self.high = limits.parse_duration(low), limits.parse_duration(high)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            return limits.parse_duration(str(value), self.low, self.high)
        except limits.LimitError as exc:
            raise self.refusal(value, param, str(exc)) from None


ID = IdType()
DESK_TIME = DeskTimeType()
DAY = DayType()
YEAR = WholeType(limits.FIRST_YEAR, limits.LAST_YEAR)
LIMIT = WholeType(1, 1_000_000)
"""How many rows to list (`-n`, `--limit`)."""
LEVEL = WholeType(1, 3)
"""A roster level: 1 duty officer, 2 shift lead, 3 supervisor on call."""


def at_desk(state: Any, naive: datetime | None) -> datetime:
    """A wall-clock time from DESK_TIME as an aware UTC instant in the desk's zone (None: now)."""
    from watchdesk.core.roster import RosterError, local_to_utc

    if naive is None:
        return state.runtime.now()
    try:
        return local_to_utc(naive, state.runtime.zone, strict=True)
    except RosterError as exc:
        raise InvalidInput(str(exc)) from None
