"""Vietnamese public holidays and the watch periods around them.

The `holidays` package keeps the calendar: Tết by the lunar calendar, 30/4, 1/5, 2/9, the
Hùng Kings' day, and the make-up arrangements the government decides each year (a day off
moved next to a holiday, the Saturday worked in exchange). A holiday's days off are the
run of non-working days around it (weekends included, make-up Saturdays excluded); the
watch runs from the evening before the first of them to the morning after the last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as _holidays

from watchdesk.core.roster import RosterError, local_to_utc
from watchdesk.i18n import _

# Key → a fragment of the package's English name for that holiday.
HOLIDAYS: dict[str, str] = {
    "tet": "Lunar New Year",
    "new-year": "New Year's Day",
    "hung-kings": "Hung Kings",
    "30-4": "Liberation Day",
    "1-5": "Labor Day",
    "2-9": "National Day",
    "culture-day": "Vietnam Cultural Day",
}
ALIASES = {
    "tết": "tet", "lunar-new-year": "tet", "newyear": "new-year", "hung": "hung-kings",
    "reunification": "30-4", "30/4": "30-4", "labour": "1-5", "labor": "1-5", "1/5": "1-5",
    "national": "2-9", "national-day": "2-9", "2/9": "2-9",
}


@dataclass(frozen=True)
class Suggestion:
    key: str
    year: int
    name: str  # Vietnamese name of the holiday
    first_day_off: date
    last_day_off: date
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    days: tuple[tuple[date, str], ...]  # the public holidays inside, Vietnamese names

    @property
    def period_name(self) -> str:
        return f"{self.key}-{self.year}"


def _calendar(years: range, language: str = "en_US") -> _holidays.HolidayBase:
    return _holidays.country_holidays("VN", years=list(years), language=language)


def public_holidays(first: date, last: date) -> dict[date, str]:
    """Vietnamese public holidays (Vietnamese names) between two dates, make-up days off included."""
    cal = _calendar(range(first.year, last.year + 1), "vi")
    return {d: n for d, n in sorted(cal.items()) if first <= d <= last}


def normalize_key(holiday: str) -> str:
    key = holiday.strip().lower().replace(" ", "-")
    key = ALIASES.get(key, key)
    if key not in HOLIDAYS:
        raise RosterError(_("holiday '{holiday}' is not known; use one of {names}.").format(holiday=holiday, names=', '.join(HOLIDAYS)))
    return key


def suggest(holiday: str, year: int, zone: ZoneInfo, *, evening: time = time(17, 0), morning: time = time(8, 0)) -> Suggestion:
    """The watch period around `holiday` in `year`: evening before the first day off → morning after the last."""
    key = normalize_key(holiday)
    if not 2000 <= year <= 2100:
        raise RosterError(_("year {year} is out of range; use a year such as 2026.").format(year=year))
    years = range(year - 1, year + 2)
    cal_en = _calendar(years)
    cal_vi = _calendar(years, "vi")
    fragment = HOLIDAYS[key]
    hits = sorted(d for d, n in cal_en.items() if d.year == year and any(fragment in part for part in n.split("; ")))
    if not hits:
        raise RosterError(_("the calendar has no '{key}' holiday in {year}.").format(key=key, year=year))
    # The day named exactly (Tết's first day, not '29 Tết') anchors the run and names it.
    anchor = next((d for d in hits if fragment in cal_en[d].split("; ")), hits[0])
    first = last = anchor
    while not cal_en.is_working_day(first - timedelta(days=1)):
        first -= timedelta(days=1)
    while not cal_en.is_working_day(last + timedelta(days=1)):
        last += timedelta(days=1)
    days = tuple((d, cal_vi.get(d, "")) for d in sorted(cal_vi) if first <= d <= last)
    name = cal_vi.get(anchor, key)
    return Suggestion(
        key=key,
        year=year,
        name=name,
        first_day_off=first,
        last_day_off=last,
        starts_at=local_to_utc(datetime.combine(first - timedelta(days=1), evening), zone),
        ends_at=local_to_utc(datetime.combine(last + timedelta(days=1), morning), zone),
        days=days,
    )
