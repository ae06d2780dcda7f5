"""Overrides applied to shifts, the coverage check and the duty-hours ledger (pure rules)."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from watchdesk.core.roster import (
    GAP,
    INACTIVE,
    OVERLAP,
    TOO_LONG,
    TWO_PLACES,
    Span,
    check_coverage,
    duty_hours,
    effective,
    parse_local,
    week_grid,
)

Z = ZoneInfo("Asia/Ho_Chi_Minh")


def t(text: str):
    return parse_local(text, Z)


def span(id: int, who: str, a: str, b: str, level: int = 1, replaces: int | None = None) -> Span:
    return Span(id, who, level, t(a), t(b), "override" if replaces else "pattern", replaces)


def test_an_override_wins_only_over_the_part_it_covers() -> None:
    night = span(1, "minh", "2025-01-29 19:30", "2025-01-30 07:30")
    cover = span(2, "lan", "2025-01-29 23:00", "2025-01-30 03:00", replaces=1)
    parts = [(g.officer, g.start, g.end) for g in effective([night, cover])]
    assert parts == [
        ("minh", t("2025-01-29 19:30"), t("2025-01-29 23:00")),
        ("lan", t("2025-01-29 23:00"), t("2025-01-30 03:00")),
        ("minh", t("2025-01-30 03:00"), t("2025-01-30 07:30")),
    ]
    # An override of the override: the last word wins, the first override keeps the rest.
    again = span(3, "hung", "2025-01-30 01:00", "2025-01-30 02:00", replaces=2)
    who_at = {g.officer for g in effective([night, cover, again]) if g.start <= t("2025-01-30 01:30") < g.end}
    assert who_at == {"hung"}


def test_coverage_finds_every_kind_of_problem() -> None:
    start, end = t("2025-01-29 07:00"), t("2025-01-30 07:00")
    spans = [
        span(1, "minh", "2025-01-29 07:00", "2025-01-29 19:00"),
        span(2, "thu", "2025-01-29 19:00", "2025-01-30 03:00"),  # 03:00-07:00 empty
        span(3, "hung", "2025-01-29 18:00", "2025-01-29 20:00"),  # overlaps minh and thu
        span(4, "lan", "2025-01-28 07:00", "2025-01-30 07:00", level=2),  # 48 h on
        span(5, "thu", "2025-01-29 20:00", "2025-01-29 21:00", level=2),  # thu at two levels
        span(6, "ghost", "2025-01-29 07:00", "2025-01-30 07:00", level=3),
    ]
    report = check_coverage(effective(spans), start, end, max_on_duty=timedelta(hours=24), inactive={"ghost"})
    assert [(i.start, i.end) for i in report.of(GAP, 1)] == [(t("2025-01-30 03:00"), t("2025-01-30 07:00"))]
    assert report.level1_gap and not report.ok
    # hung 18:00-20:00 overlaps minh's end and thu's start: one stretch, everyone named.
    assert [(i.start, i.end, i.officers) for i in report.of(OVERLAP, 1)] == [
        (t("2025-01-29 18:00"), t("2025-01-29 20:00"), ("hung", "minh", "thu"))]
    assert [(i.officers, i.shift_ids) for i in report.of(TWO_PLACES)] == [(("thu",), (2, 5))]
    too_long = report.of(TOO_LONG)
    assert [(i.officers, i.end - i.start) for i in too_long] == [(("lan",), timedelta(hours=48))]
    assert [i.officers for i in report.of(INACTIVE)] == [("ghost",)]
    assert report.of(GAP, 2) == [] and report.of(GAP, 3) == []
    assert "nobody on duty 2025-01-30 03:00 – 2025-01-30 07:00 (4h)" in report.of(GAP, 1)[0].sentence(Z)


def test_overlaps_are_merged_stretches_and_a_handover_is_not_one() -> None:
    spans = [span(1, "a", "2025-01-29 07:00", "2025-01-29 19:00"), span(2, "b", "2025-01-29 19:00", "2025-01-30 07:00"),
             span(3, "c", "2025-01-29 06:00", "2025-01-29 08:00"), span(4, "a", "2025-01-29 12:00", "2025-01-29 13:00")]
    report = check_coverage(effective(spans), t("2025-01-29 07:00"), t("2025-01-30 07:00"), max_on_duty=timedelta(hours=24))
    # c overlaps a 07:00-08:00 (clipped at the period start); a's own double booking is not an overlap.
    assert [(i.start, i.end, i.officers) for i in report.of(OVERLAP)] == [(t("2025-01-29 07:00"), t("2025-01-29 08:00"), ("a", "c"))]
    assert [i.officers for i in report.of(TWO_PLACES)] == [("a",)]


def test_contiguous_shifts_count_together_for_the_limit() -> None:
    spans = [span(1, "lan", "2025-01-29 07:00", "2025-01-29 19:00"), span(2, "lan", "2025-01-29 19:00", "2025-01-30 07:00", level=2),
             span(3, "lan", "2025-01-30 07:00", "2025-01-30 08:00")]
    report = check_coverage(effective(spans), t("2025-01-29 07:00"), t("2025-01-30 08:00"), max_on_duty=timedelta(hours=24), levels=())
    assert [(i.kind, i.end - i.start) for i in report.issues] == [(TOO_LONG, timedelta(hours=25))]
    exactly = check_coverage(effective(spans[:2]), t("2025-01-29 07:00"), t("2025-01-30 07:00"), max_on_duty=timedelta(hours=24), levels=())
    assert exactly.ok


def test_duty_hours_night_and_public_holidays() -> None:
    spans = [span(1, "thu", "2025-01-28 19:30", "2025-01-29 07:30"), span(2, "hung", "2025-01-29 07:30", "2025-01-29 19:30")]
    rows = duty_hours(effective(spans), t("2025-01-28 00:00"), t("2025-01-30 00:00"), Z, night_start=time(22), night_end=time(6),
                      holidays=[date(2025, 1, 29)])
    by = {r.officer: r for r in rows}
    assert (by["thu"].hours, by["thu"].night_hours, by["thu"].holiday_hours) == (12.0, 8.0, 7.5)
    assert (by["hung"].hours, by["hung"].night_hours, by["hung"].holiday_hours) == (12.0, 0.0, 12.0)
    # Cut at the period: only the part inside counts.
    cut = duty_hours(effective(spans[:1]), t("2025-01-29 00:00"), t("2025-01-30 00:00"), Z, night_start=time(22), night_end=time(6))
    assert (cut[0].hours, cut[0].night_hours) == (7.5, 6.0)


def test_duty_hours_across_daylight_saving_count_real_hours() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    night = Span(1, "anna", 1, parse_local("2026-03-28 19:30", berlin), parse_local("2026-03-29 07:30", berlin))
    rows = duty_hours(effective([night]), night.start, night.end, berlin, night_start=time(22), night_end=time(6))
    assert (rows[0].hours, rows[0].night_hours) == (11.0, 7.0)


def test_week_grid_marks_gaps_per_day_and_level() -> None:
    spans = [span(1, "thu", "2025-01-28 19:30", "2025-01-29 03:00")]
    grid = week_grid(effective(spans), date(2025, 1, 29), Z, days=1, levels=(1,))
    row = grid.row(date(2025, 1, 29), 1)
    assert row is not None
    assert [(b.officer, b.gap, b.start, b.end) for b in row.blocks] == [
        ("thu", False, t("2025-01-29 00:00"), t("2025-01-29 03:00")),
        ("", True, t("2025-01-29 03:00"), t("2025-01-30 00:00")),
    ]
