"""Holiday watch suggestions from the Vietnamese calendar (lunar Tết, make-up days, weekends)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from watchdesk.core.holidays_vn import public_holidays, suggest
from watchdesk.core.roster import RosterError, local_text

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def test_tet_2025_runs_from_the_evening_before_the_first_day_off_to_the_morning_after() -> None:
    s = suggest("tet", 2025, HANOI)
    # Tết Ất Tỵ: first day 29/01/2025; days off Sat 25/01 – Sun 02/02 (9 days).
    assert date(2025, 1, 29) in dict(s.days)
    assert dict(s.days)[date(2025, 1, 29)] == "Tết Nguyên Đán"
    assert (s.first_day_off, s.last_day_off) == (date(2025, 1, 25), date(2025, 2, 2))
    assert local_text(s.starts_at, HANOI) == "2025-01-24 17:00"
    assert local_text(s.ends_at, HANOI) == "2025-02-03 08:00"
    assert s.period_name == "tet-2025"


def test_tet_2026() -> None:
    s = suggest("Tết", 2026, HANOI)
    # Tết Bính Ngọ: first day 17/02/2026; days off Sat 14/02 – Sun 22/02.
    assert dict(s.days)[date(2026, 2, 17)] == "Tết Nguyên Đán"
    assert (s.first_day_off, s.last_day_off) == (date(2026, 2, 14), date(2026, 2, 22))
    assert local_text(s.starts_at, HANOI) == "2026-02-13 17:00"
    assert local_text(s.ends_at, HANOI) == "2026-02-23 08:00"


def test_make_up_day_off_joins_30_4_and_1_5() -> None:
    # 2025: Fri 02/05 is a day off swapped for Sat 26/04 (worked), so 30/4 – 4/5 is one run.
    s = suggest("30/4", 2025, HANOI)
    assert (s.first_day_off, s.last_day_off) == (date(2025, 4, 30), date(2025, 5, 4))
    assert suggest("1-5", 2025, HANOI).first_day_off == date(2025, 4, 30)


def test_unknown_holiday_is_named() -> None:
    with pytest.raises(RosterError, match="holiday 'christmas' is not known"):
        suggest("christmas", 2026, HANOI)


def test_public_holidays_for_the_ledger() -> None:
    days = public_holidays(date(2026, 2, 13), date(2026, 2, 23))
    assert sorted(days) == [date(2026, 2, d) for d in (16, 17, 18, 19, 20)]
