"""CSV import (all or nothing, the bad line named), CSV and iCalendar export read back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlmodel import func, select

from watchdesk.services import roster
from watchdesk.services.errors import InvalidInput
from watchdesk.services.roster_io import export_csv, export_ics, export_ics_per_officer, import_csv
from watchdesk.store.models import Event, Shift

GOOD = (
    "handle,level,start,end,note\n"
    "hung,1,2025-01-28 19:30,2025-01-29 07:30,Giao thừa\n"
    "thu,1,2025-01-29 07:30,2025-01-29 19:30,Mùng một\n"
    "lan,2,2025-01-28 19:30,2025-01-29 19:30,\n"
)


def count(rt, model) -> int:
    with rt.db.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_a_spreadsheet_csv_with_bom_and_vietnamese_notes_imports(rt, staff, tmp_path: Path, local) -> None:
    path = tmp_path / "lich-truc.csv"
    path.write_bytes(("\ufeff" + GOOD.replace("\n", "\r\n")).encode("utf-8"))  # Excel's "CSV UTF-8"
    made = import_csv(rt, staff["minh"], path)
    assert [(s.officer, s.level, s.note) for s in made] == [("hung", 1, "Giao thừa"), ("thu", 1, "Mùng một"), ("lan", 2, "")]
    assert [o.handle for o in roster.on_duty(rt, 1, local("2025-01-29 00:00"))] == ["hung"]
    assert [o.handle for o in roster.on_duty(rt, 2, local("2025-01-29 12:00"))] == ["lan"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("thu,1,2025-01-29 19:30,2025-01-29 07:30,", "line 3, column end: the shift ends before it starts"),
        ("thu,4,2025-01-29 19:30,2025-01-30 07:30,", "line 3, column level: '4' is not a level"),
        ("thu,1,29-01-2025 19h30,2025-01-30 07:30,", "line 3, column start: '29-01-2025 19h30' is not a time"),
        ("nobody,1,2025-01-29 19:30,2025-01-30 07:30,", "line 3, column handle: no officer 'nobody'"),
        ("thu,1,2025-01-29 19:30", "line 3: expected handle,level,start,end[,note], found 3 columns"),
        ("thu,1,2025-01-29 19:30,2025-01-31 19:31,", "line 3, column end: a shift may last at most 48 hours"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_imported(rt, staff, tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("hung,1,2025-01-29 07:30,2025-01-29 19:30,ok\n\n" + line + "\nlan,2,2025-01-29 07:30,2025-01-30 07:30,\n", encoding="utf-8")
    events_before = count(rt, Event)
    with pytest.raises(InvalidInput) as exc:
        import_csv(rt, staff["minh"], path)
    assert message in str(exc.value) and str(path) in str(exc.value)
    assert count(rt, Shift) == 0 and count(rt, Event) == events_before


def test_a_file_that_is_not_utf8_names_the_line(rt, staff, tmp_path: Path) -> None:
    path = tmp_path / "cp1258.csv"
    path.write_bytes(b"hung,1,2025-01-29 07:30,2025-01-29 19:30,ok\nthu,1,2025-01-29 19:30,2025-01-30 07:30,Gi\xe0o\n")
    with pytest.raises(InvalidInput, match="line 2: the file is not UTF-8"):
        import_csv(rt, staff["minh"], path)
    assert count(rt, Shift) == 0


def test_importing_the_same_file_twice_is_refused(rt, staff, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(GOOD, encoding="utf-8")
    import_csv(rt, staff["minh"], path)
    with pytest.raises(InvalidInput, match="line 2: hung already has this shift"):
        import_csv(rt, staff["minh"], path)
    assert count(rt, Shift) == 3


def test_export_csv_reads_back_as_the_same_roster(rt, staff, tet, tmp_path: Path, local) -> None:
    roster.generate(rt, staff["minh"], "tet-2026", 1, "2x12@07:30", ["hung", "thu"])
    roster.override(rt, staff["lan"], "lan", 1, local("2026-02-17 23:00"), local("2026-02-18 03:00"), "cover")
    text = export_csv(rt, tet.starts_at, tet.ends_at)
    assert text.splitlines()[0] == "handle,level,start,end,note"
    assert "lan,1,2026-02-17 23:00,2026-02-18 03:00," in text.splitlines()
    # Load it into a second desk: the same people on duty at every hour.
    from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in
    from watchdesk.services.runtime import open_runtime

    other = open_runtime(rt.config, db_path=str(tmp_path / "other.db"), clock=rt.clock)
    try:
        bootstrap_supervisor(other, "minh", "Minh", "246810")
        boss = sign_in(other, "minh", "246810")
        for h in ("lan", "hung", "thu"):
            add_officer(other, boss, h, h)
        (tmp_path / "export.csv").write_text(text, encoding="utf-8")
        import_csv(other, boss, tmp_path / "export.csv")
        t = tet.starts_at
        while t < tet.ends_at:
            assert [o.handle for o in roster.on_duty(other, 1, t)] == [o.handle for o in roster.on_duty(rt, 1, t)], t
            t += timedelta(minutes=30)
    finally:
        other.db.dispose()


def test_icalendar_export_reads_back_with_a_real_parser(rt, staff, tet, local, tmp_path: Path) -> None:
    roster.generate(rt, staff["minh"], "tet-2026", 1, "07:30/19:30", ["hung", "thu"])
    roster.override(rt, staff["lan"], "lan", 1, local("2026-02-17 23:00"), local("2026-02-18 03:00"), "Thu ốm")
    whole = Calendar.from_ical(export_ics(rt, tet.starts_at, tet.ends_at))
    events = whole.walk("VEVENT")
    assert len(events) == 21 + 2  # the overridden night is split around Lan's cover
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    spans = sorted((e.decoded("DTSTART"), e.decoded("DTEND")) for e in events)
    assert spans[0][0] == tet.starts_at and spans[-1][1] == tet.ends_at
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))  # back to back, nothing lost
    lan = Calendar.from_ical(export_ics(rt, tet.starts_at, tet.ends_at, officer="lan"))
    [cover] = lan.walk("VEVENT")
    assert (cover.decoded("DTSTART"), cover.decoded("DTEND")) == (local("2026-02-17 23:00"), local("2026-02-18 03:00"))
    assert str(cover["SUMMARY"]) == "L1 duty officer: Trần Thị Lan"
    assert "reason: Thu ốm" in str(cover["DESCRIPTION"])
    per = export_ics_per_officer(rt, tet.starts_at, tet.ends_at)
    assert sorted(per) == ["hung", "lan", "thu"]
    assert sum(len(Calendar.from_ical(data).walk("VEVENT")) for data in per.values()) == len(events)
