"""Patterns and rotation: handover times on the desk's wall clock, shifts cut at the period's ends."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from watchdesk.core.roster import RosterError, local_text, parse_local, parse_pattern, pattern_slots, rotate

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")


def test_presets_and_custom_handover_times() -> None:
    assert parse_pattern("3x8").handovers == (time(6), time(14), time(22))
    assert parse_pattern("2x12").handovers == (time(7), time(19))
    assert parse_pattern("24h").handovers == (time(7),)
    assert parse_pattern("2x12@07:30").handovers == (time(7, 30), time(19, 30))
    assert parse_pattern("3x8@23:00").handovers == (time(7), time(15), time(23))
    assert parse_pattern("19:30/07:30").handovers == (time(7, 30), time(19, 30))
    for bad in ("4x6", "25:00", "", "7h30", "2x12@7"):
        with pytest.raises(RosterError):
            parse_pattern(bad)


def test_shifts_cross_midnight_and_are_cut_at_the_period_ends() -> None:
    start, end = parse_local("2025-01-24 17:00", HANOI), parse_local("2025-01-27 08:00", HANOI)
    slots = pattern_slots(start, end, parse_pattern("07:30/19:30"), HANOI)
    text = [(local_text(s, HANOI), local_text(e, HANOI)) for s, e in slots]
    assert text[0] == ("2025-01-24 17:00", "2025-01-24 19:30")  # cut at the start of the watch
    assert text[1] == ("2025-01-24 19:30", "2025-01-25 07:30")  # the night crosses midnight
    assert text[-1] == ("2025-01-27 07:30", "2025-01-27 08:00")  # cut at the end of the watch
    assert all(b == c for (_, b), (c, _) in zip(slots, slots[1:]))  # no gap, no overlap
    assert slots[0][0] == start and slots[-1][1] == end


def test_rotation_takes_officers_in_turn() -> None:
    start, end = parse_local("2026-02-16 06:00", HANOI), parse_local("2026-02-17 06:00", HANOI)
    plan = rotate(pattern_slots(start, end, parse_pattern("3x8"), HANOI), ["an", "binh", "chi"], 1, first=1)
    assert [p.officer for p in plan] == ["binh", "chi", "an"]
    assert [p.end - p.start for p in plan] == [timedelta(hours=8)] * 3
    with pytest.raises(RosterError):
        rotate([(start, end)], [], 1)


def test_handover_stays_on_the_wall_clock_across_daylight_saving() -> None:
    # Clocks go forward at 02:00 on 29/03/2026 in Berlin: that night is 11 h, not 12 h.
    start, end = parse_local("2026-03-28 07:30", BERLIN), parse_local("2026-03-30 07:30", BERLIN)
    slots = pattern_slots(start, end, parse_pattern("07:30/19:30"), BERLIN)
    assert [local_text(s, BERLIN)[-5:] for s, _ in slots] == ["07:30", "19:30", "07:30", "19:30"]
    assert [(e - s) / timedelta(hours=1) for s, e in slots] == [12, 11, 12, 12]


def test_a_local_time_the_clocks_skip_is_refused() -> None:
    with pytest.raises(RosterError, match="does not exist in Europe/Berlin"):
        parse_local("2026-03-29 02:30", BERLIN)
    assert parse_local("29/01/2025 19:00", HANOI) == datetime(2025, 1, 29, 12, tzinfo=ZoneInfo("UTC"))
    with pytest.raises(RosterError, match="not a time"):
        parse_local("2025-02-30 07:00", HANOI)
