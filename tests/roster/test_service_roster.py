"""The roster services against a real SQLite file: who is on duty, overrides, swaps, coverage, hours."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import select

from watchdesk.clock import FakeClock
from watchdesk.config import parse_config
from watchdesk.core.roster import GAP, INACTIVE, TWO_PLACES
from watchdesk.services import roster
from watchdesk.services.errors import InvalidInput, PermissionDenied, Refused
from watchdesk.services.officers import add_officer, bootstrap_supervisor, set_active, sign_in
from watchdesk.services.periods import add_period, current_periods
from watchdesk.services.runtime import open_runtime
from watchdesk.store.models import Event


def handles(officers) -> list[str]:
    return [o.handle for o in officers]


def events(rt, kind: str) -> list[dict]:
    with rt.db.read() as session:
        rows = session.exec(select(Event).where(Event.kind == kind).order_by(Event.seq)).all()
    return [{"actor": r.actor, "subject": r.subject_id, **json.loads(r.payload or "{}")} for r in rows]


@pytest.fixture
def night_watch(rt, staff, tet):
    roster.generate(rt, staff["minh"], "tet-2026", 1, "07:30/19:30", ["hung", "thu"])
    return tet


def test_who_is_on_duty_across_midnight_and_the_period_ends(rt, staff, night_watch, local) -> None:
    assert handles(roster.on_duty(rt, 1, local("2026-02-13 16:59"))) == []  # before the watch: nobody
    assert handles(roster.on_duty(rt, 1, local("2026-02-13 17:00"))) == ["hung"]  # cut start: 17:00-19:30
    assert handles(roster.on_duty(rt, 1, local("2026-02-13 23:59"))) == ["thu"]
    assert handles(roster.on_duty(rt, 1, local("2026-02-14 00:01"))) == ["thu"]  # the same night shift
    assert handles(roster.on_duty(rt, 1, local("2026-02-14 07:30"))) == ["hung"]  # handover instant: the incoming officer
    assert handles(roster.on_duty(rt, 1, local("2026-02-23 07:59"))) != []
    assert handles(roster.on_duty(rt, 1, local("2026-02-23 08:00"))) == []  # after the watch: nobody
    assert handles(roster.on_duty(rt, 1)) == ["thu"]  # now = 17/02 02:00 (the clock fixture)
    now = roster.roster_now(rt)
    assert [g.officer for g in now[1]] == ["thu"] and now[2] == [] and now[3] == []
    assert [p.name for p in current_periods(rt)] == ["tet-2026"]
    upcoming = {n.officer: n for n in roster.next_shifts(rt)}
    assert upcoming["thu"].on_duty_now and upcoming["hung"].segment.start == local("2026-02-17 07:30")
    assert upcoming["minh"].segment is None
    assert events(rt, "roster.generated")[0]["shifts"] == 21
    grid = roster.week_grid(rt, date(2026, 2, 16), days=8)
    assert [b.officer for b in grid.row(date(2026, 2, 16), 1).blocks] == ["thu", "hung", "thu"]  # 00-07:30, -19:30, -24
    assert [b.gap for b in grid.row(date(2026, 2, 16), 3).blocks] == [True]
    last = grid.row(date(2026, 2, 23), 1).blocks
    assert [(b.officer, b.gap) for b in last] == [("thu", False), ("hung", False), ("", True)]  # the watch ends at 08:00


def test_an_override_covers_part_of_a_shift_and_is_audited(rt, staff, night_watch, local) -> None:
    made = roster.override(rt, staff["lan"], "lan", 1, local("2026-02-17 23:00"), local("2026-02-18 03:00"),
                           "Thu ốm, Lan trực thay", approved_by="minh")
    assert len(made) == 1 and made[0].replaces is not None
    assert handles(roster.on_duty(rt, 1, local("2026-02-17 22:59"))) == ["thu"]
    assert handles(roster.on_duty(rt, 1, local("2026-02-17 23:00"))) == ["lan"]
    assert handles(roster.on_duty(rt, 1, local("2026-02-18 02:59"))) == ["lan"]
    assert handles(roster.on_duty(rt, 1, local("2026-02-18 03:00"))) == ["thu"]
    [event] = events(rt, "shift.override")
    assert (event["actor"], event["officer"], event["reason"], event["approved_by"]) == ("lan", "lan", "Thu ốm, Lan trực thay", "minh")
    assert event["replaces"] == made[0].replaces


def test_an_override_over_two_shifts_and_a_gap_splits_per_shift(rt, staff, tet, local, tmp_path) -> None:
    from watchdesk.services.roster_io import import_csv

    csv = tmp_path / "r.csv"
    csv.write_text("hung,1,2026-02-17 07:30,2026-02-17 19:30,\nthu,1,2026-02-17 19:30,2026-02-18 03:00,\n", encoding="utf-8")
    import_csv(rt, staff["minh"], csv)
    made = roster.override(rt, staff["minh"], "lan", 1, local("2026-02-17 18:00"), local("2026-02-18 05:00"), "drill")
    assert [(s.start, s.end, s.replaces is None) for s in made] == [
        (local("2026-02-17 18:00"), local("2026-02-17 19:30"), False),
        (local("2026-02-17 19:30"), local("2026-02-18 03:00"), False),
        (local("2026-02-18 03:00"), local("2026-02-18 05:00"), True),  # was empty: now covered
    ]
    assert handles(roster.on_duty(rt, 1, local("2026-02-18 04:00"))) == ["lan"]


def test_who_may_change_the_roster(rt, staff, night_watch, local) -> None:
    with pytest.raises(PermissionDenied, match="only leads and supervisors"):
        roster.override(rt, staff["hung"], "hung", 1, local("2026-02-18 01:00"), local("2026-02-18 02:00"), "want it")
    with pytest.raises(PermissionDenied, match="only supervisors"):
        roster.generate(rt, staff["lan"], "tet-2026", 2, "24h", ["lan"])
    with pytest.raises(PermissionDenied, match="approve"):
        roster.override(rt, staff["lan"], "lan", 1, local("2026-02-18 01:00"), local("2026-02-18 02:00"), "x", approved_by="hung")
    with pytest.raises(InvalidInput, match="reason"):
        roster.override(rt, staff["lan"], "lan", 1, local("2026-02-18 01:00"), local("2026-02-18 02:00"), "  ")
    with pytest.raises(Refused, match="already generated"):
        roster.generate(rt, staff["minh"], "tet-2026", 1, "3x8", ["hung", "thu"])
    again = roster.generate(rt, staff["minh"], "tet-2026", 1, "3x8", ["thu", "hung"], replace=True)
    assert handles(roster.on_duty(rt, 1, local("2026-02-17 07:00"))) == ["hung"] and len(again) > 21


def test_a_swap_exchanges_two_shifts(rt, staff, night_watch, local) -> None:
    # 18/02: hung has the day (07:30-19:30), thu the night (19:30-07:30).
    a, b = roster.swap(rt, staff["lan"], "hung", local("2026-02-18 10:00"), "thu", local("2026-02-18 22:00"), "family visit")
    assert (a.officer, a.start, a.end) == ("thu", local("2026-02-18 07:30"), local("2026-02-18 19:30"))
    assert (b.officer, b.start, b.end) == ("hung", local("2026-02-18 19:30"), local("2026-02-19 07:30"))
    assert handles(roster.on_duty(rt, 1, local("2026-02-18 10:00"))) == ["thu"]
    assert handles(roster.on_duty(rt, 1, local("2026-02-18 22:00"))) == ["hung"]
    [event] = events(rt, "shift.swapped")
    assert event["reason"] == "family visit" and event["approved_by"] == "lan"
    with pytest.raises(Refused, match="not on duty"):
        roster.swap(rt, staff["lan"], "hung", local("2026-02-18 10:00"), "thu", local("2026-02-19 22:00"), "again")


def test_coverage_of_a_period(rt, staff, night_watch, local) -> None:
    report = roster.coverage(rt, "tet-2026")
    assert not report.level1_gap
    assert [i.level for i in report.of(GAP)] == [2, 3]  # nobody rostered at levels 2 and 3
    # Remove the cover 03:00-07:00 on 20/02 by overriding thu with a deactivated officer … and
    # put lan at level 1 while she is also rostered at level 2.
    roster.generate(rt, staff["minh"], "tet-2026", 2, "24h@07:30", ["lan"])
    roster.override(rt, staff["minh"], "lan", 1, local("2026-02-20 01:00"), local("2026-02-20 02:00"), "test")
    set_active(rt, staff["minh"], "thu", False)
    report = roster.coverage(rt, "tet-2026")
    assert report.of(TWO_PLACES) and report.of(TWO_PLACES)[0].officers == ("lan",)
    assert {i.officers for i in report.of(INACTIVE)} == {("thu",)}


def test_a_level_1_gap_is_found_before_the_holiday(rt, staff, tet, local, tmp_path) -> None:
    from watchdesk.services.roster_io import import_csv

    csv = tmp_path / "gap.csv"
    csv.write_text(
        "hung,1,2026-02-13 17:00,2026-02-15 17:00,\nthu,1,2026-02-15 17:00,2026-02-17 03:00,\n"  # then nobody 03:00-07:00
        "thu,1,2026-02-17 07:00,2026-02-19 07:00,\nhung,1,2026-02-19 07:00,2026-02-21 07:00,\n"
        "thu,1,2026-02-21 07:00,2026-02-22 07:00,\nhung,1,2026-02-22 07:00,2026-02-23 08:00,\n",
        encoding="utf-8",
    )
    import_csv(rt, staff["minh"], csv)
    report = roster.coverage(rt, "tet-2026")
    assert [(g.start, g.end) for g in report.of(GAP, 1)] == [(local("2026-02-17 03:00"), local("2026-02-17 07:00"))]
    assert report.level1_gap


def test_duty_hours_ledger(rt, staff, night_watch) -> None:
    rows = {r.officer: r for r in roster.hours(rt, "tet-2026")}
    assert rows["hung"].hours + rows["thu"].hours == pytest.approx(231.0)  # the whole watch, 13/02 17:00 → 23/02 08:00
    # Thu works every night 19:30-07:30: 10 nights × 8 h of 22:00-06:00.
    assert rows["thu"].night_hours == 80.0 and rows["hung"].night_hours == 0.0
    # Public holidays 16-20/02: 5 days × 24 h between them.
    assert rows["hung"].holiday_hours + rows["thu"].holiday_hours == 120.0


def test_checkin_and_roll_call(rt, staff, night_watch, clock: FakeClock, local) -> None:
    from watchdesk.services.roll_call import check_roll_call

    # Thu's night began at 19:30 on 16/02 and she never checked in: one alert, raised once.
    first = check_roll_call(rt)
    assert len(first) == 1
    assert check_roll_call(rt) == []
    clock.set(local("2026-02-17 07:00"))
    with pytest.raises(Refused, match="no shift now or in the next 30 minutes"):
        roster.checkin(rt, staff["lan"])
    roster.checkin(rt, staff["hung"])  # early for 07:30
    with pytest.raises(Refused, match="already checked in"):
        roster.checkin(rt, staff["hung"])
    clock.set(local("2026-02-17 19:39"))
    assert check_roll_call(rt) == []  # thu's next night began 9 min ago: still in grace
    clock.fast_forward(timedelta(minutes=1, seconds=1))
    [alert_id] = check_roll_call(rt)
    from watchdesk.store.models import Alert

    with rt.db.read() as session:
        alert = session.get(Alert, alert_id)
    assert alert.category == "roll-call" and "thu" in alert.title and alert.state == "new"
    assert events(rt, "shift.checked_in")[0]["actor"] == "hung"


def test_on_duty_on_both_sides_of_the_berlin_daylight_saving_change(tmp_path) -> None:
    """A desk in Europe/Berlin: clocks go 02:00 → 03:00 on 29/03/2026; handovers stay at 07:30/19:30 local."""
    clock = FakeClock("2026-03-27T12:00:00+01:00")
    rt = open_runtime(parse_config({"desk": {"timezone": "Europe/Berlin"}}), db_path=str(tmp_path / "b.db"), clock=clock)
    try:
        bootstrap_supervisor(rt, "boss", "Boss", "246810")
        boss = sign_in(rt, "boss", "246810")
        for h in ("anna", "ben"):
            add_officer(rt, boss, h, h.title())
        from watchdesk.core.roster import parse_local

        at = lambda text: parse_local(text, rt.zone)  # noqa: E731
        add_period(rt, boss, "easter", at("2026-03-27 19:30"), at("2026-03-31 07:30"))
        roster.generate(rt, boss, "easter", 1, "07:30/19:30", ["anna", "ben"])  # anna nights, ben days
        before = {"2026-03-28 07:15": "anna", "2026-03-28 07:45": "ben", "2026-03-28 19:45": "anna",
                  "2026-03-29 01:59": "anna", "2026-03-29 03:00": "anna", "2026-03-29 07:15": "anna",
                  "2026-03-29 07:45": "ben", "2026-03-29 19:15": "ben", "2026-03-29 19:45": "anna"}
        for text, who in before.items():
            assert handles(roster.on_duty(rt, 1, at(text))) == [who], text
        # 05:40 UTC on 29/03 is 07:40 CEST: the day shift, although it would be 06:40 at the winter offset.
        from datetime import datetime, timezone

        assert handles(roster.on_duty(rt, 1, datetime(2026, 3, 29, 5, 40, tzinfo=timezone.utc))) == ["ben"]
        assert handles(roster.on_duty(rt, 1, datetime(2026, 3, 28, 6, 40, tzinfo=timezone.utc))) == ["ben"]
        night = roster.roster_now(rt, at("2026-03-29 03:00"))[1][0]
        assert night.end - night.start == timedelta(hours=11)
    finally:
        rt.db.dispose()
