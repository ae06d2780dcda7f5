"""Roster files: CSV in (all or nothing), CSV and iCalendar out (the effective roster)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from icalendar import Calendar, Event

from watchdesk.i18n import _
from watchdesk import __version__
from watchdesk.core import roster as core
from watchdesk.core.enums import ShiftOrigin
from watchdesk.core.permissions import Action, require
from watchdesk.core.records import Actor
from watchdesk.core.roster import Segment, Span
from watchdesk.services.errors import InvalidInput
from watchdesk.services.periods import get_period
from watchdesk.services.roster import MAX_SHIFT, _to_span, effective_shifts
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import append_event
from watchdesk.store.models import Officer, Shift
from watchdesk.store.queries.officers import officers_by_handle
from watchdesk.store.queries.periods import period_id_at
from watchdesk.store.queries.roster import same_shift_id


def import_csv(rt: Runtime, actor: Actor, path: Path, period_name: str = "") -> list[Span]:
    """Shifts from a CSV `handle,level,start,end,note` (desk time; UTF-8 with or without BOM).

    Every line is checked before anything is written: the first bad one is named (line and
    column) and the roster is left as it was.
    """
    require(actor.handle, actor.role, Action.EDIT_ROSTER)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(_("{path}: cannot read the file ({strerror}).").format(path=path, strerror=exc.strerror)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput(_("{path}, line {line}: the file is not UTF-8; save the spreadsheet as 'CSV UTF-8'.").format(path=path, line=line)) from None
    try:
        parsed = core.parse_roster_csv(text, rt.zone, str(path))
    except core.RosterError as exc:
        raise InvalidInput(str(exc)) from None
    if not parsed:
        raise InvalidInput(_("{path}: no shifts in the file; expected lines handle,level,start,end,note.").format(path=path))
    period = get_period(rt, period_name) if period_name else None
    now = rt.now()
    with rt.db.write() as session:
        handles = {p.handle for p in parsed}
        officers = officers_by_handle(session, handles)
        seen: set[tuple[str, int, datetime, datetime]] = set()
        rows: list[tuple[Shift, Officer]] = []
        for p in parsed:
            where = f"{path}, line {p.line}"
            officer = officers.get(p.handle)
            if officer is None:
                raise InvalidInput(_("{where}, column handle: no officer '{handle}'; add them first ('watchdesk officer add').").format(where=where, handle=p.handle))
            if not officer.active:
                raise InvalidInput(_("{where}, column handle: officer '{handle}' is inactive.").format(where=where, handle=p.handle))
            if p.end - p.start > MAX_SHIFT:
                raise InvalidInput(_("{where}, column end: a shift may last at most 48 hours; split it into shorter shifts.").format(where=where))
            key = (p.handle, p.level, p.start, p.end)
            if key in seen:
                raise InvalidInput(_("{where}: the same shift appears twice in the file.").format(where=where))
            seen.add(key)
            twin = same_shift_id(session, officer.id, p.level, p.start, p.end)  # type: ignore[arg-type]
            if twin is not None:
                raise InvalidInput(_("{where}: {handle} already has this shift (#{twin}); nothing was imported.").format(where=where, handle=p.handle, twin=twin))
            if period is not None and (p.end <= period.starts_at or p.start >= period.ends_at):
                raise InvalidInput(_("{where}, column start: the shift lies outside watch period '{name}'.").format(where=where, name=period.name))
            rows.append((Shift(
                period_id=period.id if period else period_id_at(session, p.start), officer_id=officer.id, level=p.level,
                starts_at=p.start, ends_at=p.end, origin=ShiftOrigin.IMPORT.value, note=p.note,
            ), officer))
        session.add_all([r for r, _ in rows])
        session.flush()
        append_event(
            session, now, actor.handle, "roster.imported", "shift", rows[0][0].id,
            {"file": path.name, "sha256": hashlib.sha256(raw).hexdigest(), "shifts": len(rows), "ids": [r.id for r, _ in rows],
             "period": period.name if period else None},
        )
        return [_to_span(r, o) for r, o in rows]


def export_csv(rt: Runtime, start: datetime, end: datetime, officer: str = "") -> str:
    """The effective roster in [start, end) as the CSV `import_csv` reads."""
    return core.roster_csv(_select(rt, start, end, officer), rt.zone)


def _select(rt: Runtime, start: datetime, end: datetime, officer: str) -> list[Segment]:
    segments = effective_shifts(rt, start, end)
    if officer:
        segments = [g for g in segments if g.officer == officer.strip().lower()]
    return segments


def export_ics(rt: Runtime, start: datetime, end: datetime, officer: str = "", name: str = "") -> bytes:
    """An iCalendar file of the effective roster (one officer's, or everyone's)."""
    return _calendar(_select(rt, start, end, officer), name or (f"watchdesk: {officer}" if officer else "watchdesk roster"), rt)


def export_ics_per_officer(rt: Runtime, start: datetime, end: datetime) -> dict[str, bytes]:
    """One iCalendar file per officer who has duty in [start, end)."""
    segments = _select(rt, start, end, "")
    return {h: _calendar([g for g in segments if g.officer == h], f"watchdesk: {h}", rt) for h in sorted({g.officer for g in segments})}


def _calendar(segments: list[Segment], name: str, rt: Runtime) -> bytes:
    cal = Calendar()
    cal.add("prodid", f"-//watchdesk {__version__}//roster//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", rt.zone.key)
    stamp = rt.now()
    for g in segments:
        event = Event()
        # Stable per shift part, so a re-import on the phone updates instead of duplicating.
        event.add("uid", f"shift-{g.span.id}-{g.start:%Y%m%dT%H%M%SZ}@watchdesk")
        event.add("dtstamp", stamp)
        event.add("dtstart", g.start)
        event.add("dtend", g.end)
        event.add("summary", f"L{g.level} {core.LEVEL_NAMES[g.level]}: {g.span.full_name or g.officer}")
        details = [f"officer: {g.officer}", f"origin: {g.span.origin}"]
        if g.span.reason:
            details.append(f"reason: {g.span.reason}")
        if g.span.note:
            details.append(f"note: {g.span.note}")
        event.add("description", "\n".join(details))
        cal.add_component(event)
    return cal.to_ical()
