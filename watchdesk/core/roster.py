"""The roster as pure rules: patterns, rotation, overrides, coverage, duty hours.

Everything here works on aware datetimes. Handover times are wall-clock times in the desk's
zone (a 07:30 handover stays at 07:30 across a daylight-saving change, so that night's shift
is an hour shorter or longer); the results are aware UTC instants, as they are stored.

An override (or one side of a swap) is a shift whose `replaces` names another shift: it wins
over the part of that shift it covers and nothing more, so "Lan covers 23:00–03:00 of Minh's
night" leaves Minh on duty before 23:00 and after 03:00.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from watchdesk.core.limits import LimitError, check_length, check_year, csv_rows
from watchdesk.core.text import clean_line
from watchdesk.i18n import N_, _

UTC = timezone.utc
LEVELS = (1, 2, 3)
LEVEL_NAMES = {1: N_("duty officer"), 2: N_("shift lead"), 3: N_("supervisor on call")}


class RosterError(ValueError):
    """Input the roster cannot use; the message is one sentence for a person."""


# -- local times -----------------------------------------------------------------------------
_LOCAL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M")


def parse_local(text: str, zone: ZoneInfo) -> datetime:
    """'YYYY-MM-DD HH:MM' (or 'DD/MM/YYYY HH:MM') on the desk's wall clock → aware UTC.

    A wall-clock time that does not exist (skipped when clocks go forward) is refused
    rather than guessed; an ambiguous one (clocks go back) is the first of the two.
    """
    return local_to_utc(parse_wall_clock(text), zone, strict=True)


def parse_wall_clock(text: str) -> datetime:
    """The naive wall-clock time a person typed, in the years FIRST_YEAR..LAST_YEAR."""
    value = " ".join(str(text).split())
    shown = value if len(value) <= 40 else value[:40] + "…"
    naive = None
    if len(value) <= 19:  # the longest format; strptime is not given a megabyte
        for fmt in _LOCAL_FORMATS:
            try:
                naive = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if naive is None:
        raise RosterError(_("'{value}' is not a time; use YYYY-MM-DD HH:MM (desk time).").format(value=clean_line(shown)))
    try:
        check_year(naive)
    except LimitError as exc:
        raise RosterError(_("'{shown}' {exc}.").format(shown=shown, exc=exc)) from None
    return naive


def local_to_utc(naive: datetime, zone: ZoneInfo, *, strict: bool = False) -> datetime:
    aware = naive.replace(tzinfo=zone)
    instant = aware.astimezone(UTC)
    if strict and instant.astimezone(zone).replace(tzinfo=None) != naive:
        raise RosterError(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key} (the clocks skip it); pick a time outside the change."
        )
    return instant


def local_text(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M")


# -- patterns --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pattern:
    """Handover times of day (desk wall clock); a shift runs from one to the next."""

    name: str
    handovers: tuple[time, ...]


_PRESETS = {"3x8": (time(6, 0), 8), "2x12": (time(7, 0), 12), "24h": (time(7, 0), 24)}
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock(text: str) -> time:
    match = _HHMM.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise RosterError(_("'{text}' is not a time of day; use HH:MM such as 07:30.").format(text=text))
    return time(int(match.group(1)), int(match.group(2)))


def parse_pattern(text: str) -> Pattern:
    """'3x8', '2x12', '24h' (optionally '@HH:MM' for the first handover) or handover times '07:30/19:30'."""
    value = text.strip().lower()
    name, _sep, at = value.partition("@")
    if name in _PRESETS:
        first, hours = _PRESETS[name]
        if at:
            first = parse_clock(at)
        base = datetime.combine(date(2000, 1, 1), first)
        times = tuple(sorted((base + timedelta(hours=hours * k)).time() for k in range(24 // hours)))
        return Pattern(value, times)
    parts = [p for p in value.split("/") if p.strip()]
    if not parts:
        raise RosterError(_("pattern '{text}' is not known; use 3x8, 2x12, 24h or handover times like 07:30/19:30.").format(text=text))
    try:
        times = tuple(sorted({parse_clock(p) for p in parts}))
    except RosterError:
        raise RosterError(
            f"pattern '{text}' is not known; use 3x8, 2x12, 24h (e.g. 2x12@07:30) or handover times like 07:30/19:30."
        ) from None
    return Pattern("/".join(t.strftime("%H:%M") for t in times), times)


def pattern_slots(start: datetime, end: datetime, pattern: Pattern, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The shifts of `pattern` between two instants, cut at the period's ends (UTC)."""
    if end <= start:
        raise RosterError(_("the period ends before it starts."))
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    bounds: set[datetime] = set()
    day = first_day
    while day <= last_day:
        for t in pattern.handovers:
            bounds.add(local_to_utc(datetime.combine(day, t), zone))
        day += timedelta(days=1)
    ordered = sorted(bounds)
    slots = []
    for a, b in zip(ordered, ordered[1:]):
        s, e = max(a, start), min(b, end)
        if s < e:
            slots.append((s, e))
    return slots


@dataclass(frozen=True)
class PlannedShift:
    officer: str
    level: int
    start: datetime
    end: datetime


def rotate(slots: Sequence[tuple[datetime, datetime]], officers: Sequence[str], level: int, first: int = 0) -> list[PlannedShift]:
    """Officers take the slots in turn (the first slot goes to officers[first])."""
    if not officers:
        raise RosterError(_("a rotation needs at least one officer."))
    return [PlannedShift(officers[(first + i) % len(officers)], level, s, e) for i, (s, e) in enumerate(slots)]


# -- shifts and their effective parts ------------------------------------------------------
@dataclass(frozen=True)
class Span:
    """A stored shift as the rules see it."""

    id: int
    officer: str
    level: int
    start: datetime
    end: datetime
    origin: str = "pattern"
    replaces: int | None = None
    full_name: str = ""
    checked_in_at: datetime | None = None
    reason: str = ""
    approved_by: str = ""
    note: str = ""


@dataclass(frozen=True)
class Segment:
    """The part of a shift that is really worked (not covered by an override of it)."""

    span: Span
    start: datetime
    end: datetime

    @property
    def officer(self) -> str:
        return self.span.officer

    @property
    def level(self) -> int:
        return self.span.level


def subtract(start: datetime, end: datetime, cuts: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """[start, end) minus the cut intervals, in order."""
    pieces = [(start, end)]
    for cs, ce in sorted(cuts):
        out = []
        for s, e in pieces:
            if ce <= s or cs >= e:
                out.append((s, e))
                continue
            if s < cs:
                out.append((s, cs))
            if ce < e:
                out.append((ce, e))
        pieces = out
    return pieces


def effective(spans: Iterable[Span]) -> list[Segment]:
    """Each shift minus the parts its overrides cover, sorted by start."""
    spans = list(spans)
    cuts: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for s in spans:
        if s.replaces is not None:
            cuts[s.replaces].append((s.start, s.end))
    out = [Segment(s, a, b) for s in spans for a, b in subtract(s.start, s.end, cuts.get(s.id, ()))]
    out.sort(key=lambda g: (g.start, g.level, g.officer))
    return out


def union(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[list[datetime]] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def gaps(intervals: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end) that no interval covers."""
    return subtract(start, end, union(intervals))


# -- coverage --------------------------------------------------------------------------------
GAP, OVERLAP, TWO_PLACES, TOO_LONG, INACTIVE = "gap", "overlap", "two-places", "too-long", "inactive"


@dataclass(frozen=True)
class Issue:
    kind: str
    level: int | None
    start: datetime
    end: datetime
    officers: tuple[str, ...] = ()
    shift_ids: tuple[int, ...] = ()

    def sentence(self, zone: ZoneInfo) -> str:
        from watchdesk.core.humane import human_duration
        from watchdesk.i18n import _

        when = f"{local_text(self.start, zone)} – {local_text(self.end, zone)}"
        span = human_duration(self.end - self.start)
        who = ", ".join(self.officers)
        if self.kind == GAP:
            return _("level {level}: nobody on duty {when} ({span}).").format(level=self.level, when=when, span=span)
        if self.kind == OVERLAP:
            return _("level {level}: {who} are on duty at the same time {when}.").format(level=self.level, who=who, when=when)
        if self.kind == TWO_PLACES:
            return _("{who} is in two places at once {when} (shifts {ids}).").format(
                who=who, when=when, ids=", ".join(map(str, self.shift_ids)))
        if self.kind == TOO_LONG:
            return _("{who} is on duty {span} without a break {when}.").format(who=who, span=span, when=when)
        return _("{who} is inactive but rostered at level {level} {when}.").format(who=who, level=self.level, when=when)


ISSUE_WORD = {GAP: N_("gap"), OVERLAP: N_("overlap"), TWO_PLACES: N_("two-places"), TOO_LONG: N_("too-long"),
              INACTIVE: N_("inactive")}


@dataclass(frozen=True)
class CoverageReport:
    start: datetime
    end: datetime
    issues: tuple[Issue, ...]
    max_on_duty: timedelta
    shifts: int = 0

    def of(self, kind: str, level: int | None = None) -> list[Issue]:
        return [i for i in self.issues if i.kind == kind and (level is None or i.level == level)]

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def level1_gap(self) -> bool:
        return bool(self.of(GAP, 1))


def _hours(delta: timedelta) -> str:
    value = delta.total_seconds() / 3600
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def check_coverage(
    segments: Sequence[Segment],
    start: datetime,
    end: datetime,
    *,
    max_on_duty: timedelta,
    inactive: Iterable[str] = (),
    levels: Iterable[int] = LEVELS,
) -> CoverageReport:
    """Gaps, overlaps, double bookings, over-long duty and inactive officers over [start, end).

    `segments` may reach beyond the period (a run of duty that started before it counts
    whole); only issues that touch the period are reported.
    """
    issues: list[Issue] = []
    inside = [g for g in segments if g.start < end and g.end > start]
    by_level: dict[int, list[Segment]] = defaultdict(list)
    for g in inside:
        by_level[g.level].append(g)
    for level in levels:
        for s, e in gaps(((g.start, g.end) for g in by_level.get(level, [])), start, end):
            issues.append(Issue(GAP, level, s, e))
        issues.extend(
            replace(i, start=max(i.start, start), end=min(i.end, end))
            for i in _overlaps(by_level.get(level, []), level) if i.start < end and i.end > start
        )
    by_officer: dict[str, list[Segment]] = defaultdict(list)
    for g in segments:
        by_officer[g.officer].append(g)
    for officer, own in sorted(by_officer.items()):
        issues.extend(i for i in _pairs(own) if i.start < end and i.end > start)
        for s, e in union((g.start, g.end) for g in own):
            if e - s > max_on_duty and s < end and e > start:
                ids = tuple(sorted({g.span.id for g in own if g.start < e and g.end > s}))
                issues.append(Issue(TOO_LONG, None, s, e, (officer,), ids))
    dead = set(inactive)
    for g in inside:
        if g.officer in dead:
            issues.append(Issue(INACTIVE, g.level, max(g.start, start), min(g.end, end), (g.officer,), (g.span.id,)))
    issues.sort(key=lambda i: (i.start, i.level or 0, i.kind))
    return CoverageReport(start, end, tuple(issues), max_on_duty, len({g.span.id for g in inside}))


def _pairs(segments: list[Segment]) -> list[Issue]:
    """One officer's overlapping segments: in two places at once."""
    out = []
    ordered = sorted(segments, key=lambda g: g.start)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.start >= a.end:
                break
            if a.span.id != b.span.id:
                out.append(Issue(TWO_PLACES, None, max(a.start, b.start), min(a.end, b.end), (a.officer,), tuple(sorted((a.span.id, b.span.id)))))
    return out


def _overlaps(segments: list[Segment], level: int) -> list[Issue]:
    """Stretches where two or more officers are on duty at one level, each reported once, merged.

    A sweep over start/end instants: linear in the shifts, so a roster with many posts in
    parallel gives one issue per stretch, not one per pair.
    """
    events: list[tuple[datetime, int, int]] = []
    for i, g in enumerate(segments):
        events.append((g.start, 1, i))
        events.append((g.end, 0, i))  # at one instant, ends before starts: a handover is not an overlap
    events.sort()
    active: dict[int, Segment] = {}
    count: dict[str, int] = defaultdict(int)
    out: list[Issue] = []
    since: datetime | None = None
    who: set[str] = set()
    ids: set[int] = set()
    k = 0
    while k < len(events):
        t = events[k][0]
        while k < len(events) and events[k][0] == t:
            _, kind, i = events[k]
            g = segments[i]
            if kind:
                active[i] = g
                count[g.officer] += 1
            else:
                active.pop(i, None)
                count[g.officer] -= 1
                if not count[g.officer]:
                    del count[g.officer]
            k += 1
        if len(count) >= 2:
            since = since or t
            who.update(count)
            ids.update(g.span.id for g in active.values())
        elif since is not None:
            out.append(Issue(OVERLAP, level, since, t, tuple(sorted(who)), tuple(sorted(ids))))
            since, who, ids = None, set(), set()
    return out


# -- duty hours ------------------------------------------------------------------------------
@dataclass(frozen=True)
class HoursRow:
    officer: str
    full_name: str
    shifts: int
    hours: float
    night_hours: float
    holiday_hours: float


def _windows(first: date, last: date, zone: ZoneInfo, a: time, b: time) -> list[tuple[datetime, datetime]]:
    """Local daily windows a→b (crossing midnight when b <= a) as UTC instants."""
    out = []
    day = first
    while day <= last:
        s = local_to_utc(datetime.combine(day, a), zone)
        e = local_to_utc(datetime.combine(day + timedelta(days=1) if b <= a else day, b), zone)
        out.append((s, e))
        day += timedelta(days=1)
    return out


def _overlap(s: datetime, e: datetime, windows: Iterable[tuple[datetime, datetime]]) -> timedelta:
    total = timedelta(0)
    for ws, we in windows:
        lo, hi = max(s, ws), min(e, we)
        if lo < hi:
            total += hi - lo
    return total


def duty_hours(
    segments: Sequence[Segment],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    night_start: time,
    night_end: time,
    holidays: Iterable[date] = (),
) -> list[HoursRow]:
    """Hours per officer in [start, end): all, at night (desk wall clock), on public holidays."""
    days = sorted(set(holidays))
    acc: dict[str, list] = {}
    for g in segments:
        s, e = max(g.start, start), min(g.end, end)
        if s >= e:
            continue
        row = acc.setdefault(g.officer, [g.span.full_name, set(), timedelta(0), timedelta(0), timedelta(0)])
        row[1].add(g.span.id)
        row[2] += e - s
        first = s.astimezone(zone).date() - timedelta(days=1)
        last = e.astimezone(zone).date()
        row[3] += _overlap(s, e, _windows(first, last, zone, night_start, night_end))
        hol = [(local_to_utc(datetime.combine(d, time(0)), zone), local_to_utc(datetime.combine(d + timedelta(days=1), time(0)), zone))
               for d in days if first <= d <= last]
        row[4] += _overlap(s, e, hol)
    h = lambda d: round(d.total_seconds() / 3600, 2)  # noqa: E731
    return [HoursRow(o, r[0], len(r[1]), h(r[2]), h(r[3]), h(r[4])) for o, r in sorted(acc.items())]


# -- the week grid (for the Roster screen) ---------------------------------------------------
@dataclass(frozen=True)
class Block:
    """One cell run of the grid: an officer on duty, or a gap (officer '')."""

    level: int
    start: datetime
    end: datetime
    officer: str = ""
    full_name: str = ""
    shift_id: int | None = None
    origin: str = ""

    @property
    def gap(self) -> bool:
        return not self.officer


@dataclass(frozen=True)
class GridDay:
    day: date
    level: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class WeekGrid:
    zone: str
    first_day: date
    days: int
    rows: tuple[GridDay, ...] = field(default=())

    def row(self, day: date, level: int) -> GridDay | None:
        return next((r for r in self.rows if r.day == day and r.level == level), None)


def week_grid(segments: Sequence[Segment], first_day: date, zone: ZoneInfo, days: int = 7, levels: Iterable[int] = LEVELS) -> WeekGrid:
    """Per local day and level: who is on duty when, gaps included, cut at local midnights."""
    rows = []
    for n in range(days):
        day = first_day + timedelta(days=n)
        ds = local_to_utc(datetime.combine(day, time(0)), zone)
        de = local_to_utc(datetime.combine(day + timedelta(days=1), time(0)), zone)
        for level in levels:
            blocks = [
                Block(level, max(g.start, ds), min(g.end, de), g.officer, g.span.full_name, g.span.id, g.span.origin)
                for g in segments if g.level == level and g.start < de and g.end > ds
            ]
            blocks += [Block(level, s, e) for s, e in gaps(((b.start, b.end) for b in blocks), ds, de)]
            blocks.sort(key=lambda b: (b.start, b.officer))
            rows.append(GridDay(day, level, tuple(blocks)))
    return WeekGrid(zone.key, first_day, days, tuple(rows))


# -- CSV -------------------------------------------------------------------------------------
CSV_COLUMNS = ("handle", "level", "start", "end", "note")


CSV_NOTE_MAX = 200
"""A roster row's note, in characters."""


@dataclass(frozen=True)
class CsvShift:
    line: int
    handle: str
    level: int
    start: datetime
    end: datetime
    note: str


def parse_roster_csv(text: str, zone: ZoneInfo, where: str) -> list[CsvShift]:
    """`handle,level,start,end,note` rows (header optional, times on the desk's wall clock).

    The first bad line raises RosterError naming the line and column; nothing is returned then.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    out: list[CsvShift] = []
    try:
        rows = list(csv_rows(text))
    except LimitError as exc:
        raise RosterError(_("{where}, {exc}.").format(where=where, exc=exc)) from None
    for lineno, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if not out and cells[0].strip().lower() == "handle":
            continue
        if len(cells) < 4 or len(cells) > 5:
            raise RosterError(_("{where}, line {lineno}: expected handle,level,start,end[,note], found {n} columns.").format(where=where, lineno=lineno, n=len(cells)))
        cells = [*cells, ""][:5]
        handle = clean_line(cells[0]).lower()
        if not handle:
            raise RosterError(_("{where}, line {lineno}, column handle: the handle is empty.").format(where=where, lineno=lineno))
        level_text = cells[1].strip()
        if level_text not in ("1", "2", "3"):
            raise RosterError(_("{where}, line {lineno}, column level: '{value}' is not a level; use 1, 2 or 3.").format(where=where, lineno=lineno, value=clean_line(level_text)))
        times = []
        for col, cell in (("start", cells[2]), ("end", cells[3])):
            try:
                times.append(parse_local(cell, zone))
            except RosterError as exc:
                raise RosterError(_("{where}, line {lineno}, column {col}: {exc}").format(where=where, lineno=lineno, col=col, exc=exc)) from None
        if times[1] <= times[0]:
            raise RosterError(_("{where}, line {lineno}, column end: the shift ends before it starts.").format(where=where, lineno=lineno))
        try:
            note = check_length(clean_line(cells[4]), CSV_NOTE_MAX)
        except LimitError as exc:
            raise RosterError(_("{where}, line {lineno}, column note: {exc}.").format(where=where, lineno=lineno, exc=exc)) from None
        out.append(CsvShift(lineno, handle, int(level_text), times[0], times[1], note))
    return out


def roster_csv(segments: Sequence[Segment], zone: ZoneInfo) -> str:
    """The CSV an import reads back (the effective roster, header first)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for g in sorted(segments, key=lambda g: (g.start, g.level, g.officer)):
        note = g.span.note
        # A note starting with = + - @ would run as a formula in a spreadsheet; make it text.
        if note[:1] in ("=", "+", "-", "@"):
            note = "'" + note
        writer.writerow([g.officer, g.level, local_text(g.start, zone), local_text(g.end, zone), note])
    return buf.getvalue()
