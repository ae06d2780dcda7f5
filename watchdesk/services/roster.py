"""The roster: who is on duty, generating, overriding, swapping, checking in, coverage, hours.

Escalation, handover and reports ask `on_duty`; the Roster screen reads `week_grid`,
`list_shifts` and `roster_now`. Every change is one write transaction with its audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from watchdesk.core import roster as core
from watchdesk.core.enums import Role, ShiftOrigin
from watchdesk.core.holidays_vn import public_holidays
from watchdesk.core.permissions import Action, allowed, require
from watchdesk.core.records import Actor, OfficerRecord
from watchdesk.core.roster import CoverageReport, HoursRow, Segment, Span, WeekGrid
from watchdesk.core.text import clean_line
from watchdesk.services.clearing import clear_by_key
from watchdesk.services.errors import InvalidInput, NotFound, PermissionDenied, Refused
from watchdesk.i18n import _
from watchdesk.services.limits import REASON_MAX, person_text
from watchdesk.services.officers import to_record
from watchdesk.services.periods import PeriodRecord, get_period
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import append_event
from watchdesk.store.db import Session
from watchdesk.store.models import Officer, Shift
from watchdesk.store.queries import officers as officer_q
from watchdesk.store.queries import roster as q
from watchdesk.store.queries.periods import period_id_at

# No stored shift is longer than this: it bounds the "who is on duty at T" index scan to two
# days of rows instead of every shift that ever started before T. (A 24 h shift across a
# daylight-saving change is 25 h; anything longer is split into several shifts.)
MAX_SHIFT = timedelta(hours=48)
CHECKIN_EARLY = timedelta(minutes=30)


def roll_call_key(shift_id: int | None) -> str:
    """The dedup key of a shift's roll-call alert (raised by services.roll_call, cleared by `checkin`)."""
    return f"roll-call:shift:{shift_id}"

UTC = timezone.utc


def on_duty(rt: Runtime, level: int, at: datetime | None = None) -> list[OfficerRecord]:
    """Officers on duty at `level` at `at` (default now); [] means nobody.

    The escalation of every alert asks this, so it is one indexed query on (level, starts_at)
    read as plain rows, overrides winning over the shifts they replace.
    """
    at = at or rt.now()
    with rt.db.read() as session:
        rows = q.on_duty_rows(session, level, at, MAX_SHIFT)
    replaced = {replaces for _id, replaces, _o in rows if replaces}
    officers = {o.handle: o for shift_id, _r, o in rows if shift_id not in replaced}
    return [to_record(officers[h]) for h in sorted(officers)]


# -- reading ---------------------------------------------------------------------------------
def _to_span(row: Shift, officer: Officer) -> Span:
    assert row.starts_at is not None and row.ends_at is not None
    return Span(
        id=row.id or 0, officer=officer.handle, level=row.level, start=row.starts_at, end=row.ends_at,
        origin=row.origin, replaces=row.replaces_id, full_name=officer.full_name, checked_in_at=row.checked_in_at,
        reason=row.reason, approved_by=row.approved_by, note=row.note,
    )


def _spans(session: Session, start: datetime, end: datetime, level: int | None = None) -> list[Span]:
    """Stored, not cancelled shifts overlapping [start, end), read as plain rows (this is the hot path)."""
    return q.spans(session, start, end, core.LEVELS if level is None else (level,), MAX_SHIFT)


def _segments(session: Session, start: datetime, end: datetime, level: int | None = None) -> list[Segment]:
    """The effective roster overlapping [start, end) (segments are not cut at the ends)."""
    return [g for g in core.effective(_spans(session, start, end, level)) if g.start < end and g.end > start]


def list_shifts(rt: Runtime, start: datetime, end: datetime, level: int | None = None, officer: str = "") -> list[Span]:
    """Stored shifts overlapping [start, end), overridden ones included (their `replaces` links show it)."""
    with rt.db.read() as session:
        spans = _spans(session, start, end, level)
    if officer:
        spans = [s for s in spans if s.officer == officer.strip().lower()]
    return sorted(spans, key=lambda s: (s.start, s.level, s.officer))


def effective_shifts(rt: Runtime, start: datetime, end: datetime, level: int | None = None) -> list[Segment]:
    """Who really works when in [start, end): overrides applied."""
    with rt.db.read() as session:
        return _segments(session, start, end, level)


def week_grid(rt: Runtime, first_day: date, days: int = 7) -> WeekGrid:
    """Days × levels from `first_day` (desk calendar): blocks of duty and gaps, for the Roster screen."""
    zone = rt.zone
    start = core.local_to_utc(datetime.combine(first_day, datetime.min.time()), zone)
    end = core.local_to_utc(datetime.combine(first_day + timedelta(days=days), datetime.min.time()), zone)
    return core.week_grid(effective_shifts(rt, start, end), first_day, zone, days)


def roster_now(rt: Runtime, at: datetime | None = None) -> dict[int, list[Segment]]:
    """Per level 1-3, who is on duty at `at` (default now); an empty list is 'nobody'."""
    at = at or rt.now()
    with rt.db.read() as session:
        segments = _segments(session, at, at + timedelta(microseconds=1))
    return {level: [g for g in segments if g.level == level and g.start <= at < g.end] for level in core.LEVELS}


@dataclass(frozen=True)
class NextShift:
    """An officer's current or next stretch of duty (segment None: nothing rostered ahead)."""

    officer: str
    full_name: str
    segment: Segment | None
    on_duty_now: bool


def next_shifts(rt: Runtime, at: datetime | None = None, horizon: timedelta = timedelta(days=90)) -> list[NextShift]:
    """For each active officer: the shift they are on now, else their next one."""
    at = at or rt.now()
    with rt.db.read() as session:
        segments = _segments(session, at, at + horizon)
        officers = officer_q.officers(session, active_only=True)
    first: dict[str, Segment] = {}
    for g in segments:
        if g.end > at and g.officer not in first:
            first[g.officer] = g
    out = []
    for o in officers:
        g = first.get(o.handle)
        out.append(NextShift(o.handle, o.full_name, g, g is not None and g.start <= at))
    return out


# -- changing --------------------------------------------------------------------------------
def _officer(session: Session, handle: str, *, active: bool = True) -> Officer:
    row = officer_q.officer_by_handle(session, clean_line(handle).lower())
    if row is None:
        raise NotFound(_("no officer with handle '{handle}'; see 'watchdesk officer list'.").format(handle=handle))
    if active and not row.active:
        raise Refused(_("officer '{handle}' is inactive and cannot be rostered; a supervisor can reactivate them.").format(handle=row.handle))
    return row


def _approver(session: Session, actor: Actor, approved_by: str) -> str:
    """The lead or supervisor who approved an override or swap (the actor when not named)."""
    if not approved_by:
        return actor.handle
    row = _officer(session, approved_by)
    if not allowed(Role(row.role), Action.OVERRIDE_SHIFT):
        raise PermissionDenied(_("{handle} is an officer and may not approve roster changes; name a lead or a supervisor.").format(handle=row.handle))
    return row.handle


def _check_level(level: int) -> int:
    if level not in core.LEVELS:
        raise InvalidInput(_("level {level} does not exist; use 1 (duty officer), 2 (shift lead) or 3 (supervisor on call).").format(level=level))
    return level


def _check_span(start: datetime, end: datetime) -> None:
    if end <= start:
        raise InvalidInput(_("the shift ends before it starts; check the times."))
    if end - start > MAX_SHIFT:
        raise InvalidInput(_("a shift may last at most 48 hours; split it into shorter shifts."))


def _span_event(row: Shift, handle: str) -> dict[str, object]:
    assert row.starts_at is not None and row.ends_at is not None
    return {
        "officer": handle, "level": row.level, "starts_at": row.starts_at.isoformat(), "ends_at": row.ends_at.isoformat(),
        "origin": row.origin, "replaces": row.replaces_id, "reason": row.reason, "approved_by": row.approved_by,
    }


def generate(
    rt: Runtime,
    actor: Actor,
    period_name: str,
    level: int,
    pattern: str,
    officers: Iterable[str],
    *,
    first: int = 0,
    replace: bool = False,
) -> list[Span]:
    """Rotate `officers` through `pattern` at `level` over a watch period (supervisors).

    A level already generated for the period is refused unless `replace`, which cancels the
    earlier generated shifts (overrides and imports stay).
    """
    require(actor.handle, actor.role, Action.EDIT_ROSTER)
    _check_level(level)
    period = get_period(rt, period_name)
    rotation = [clean_line(h).lower() for h in officers if clean_line(h)]
    try:
        slots = core.pattern_slots(period.starts_at, period.ends_at, core.parse_pattern(pattern), rt.zone)
        plan = core.rotate(slots, rotation, level, first)
    except core.RosterError as exc:
        raise InvalidInput(str(exc)) from None
    now = rt.now()
    with rt.db.write() as session:
        rows_by_handle = {h: _officer(session, h) for h in sorted({p.officer for p in plan})}
        existing = q.generated_shifts(session, period.id, level)
        if existing and not replace:
            raise Refused(
                f"level {level} of '{period.name}' is already generated ({len(existing)} shifts); "
                "use --replace to generate it again."
            )
        for row in existing:
            row.cancelled = True
            session.add(row)
        rows = [
            Shift(period_id=period.id, officer_id=rows_by_handle[p.officer].id, level=level, starts_at=p.start, ends_at=p.end,
                  origin=ShiftOrigin.PATTERN.value)
            for p in plan
        ]
        session.add_all(rows)
        session.flush()
        append_event(
            session, now, actor.handle, "roster.generated", "watch_period", period.id,
            {"period": period.name, "level": level, "pattern": pattern, "officers": rotation,
             "shifts": len(rows), "cancelled": [r.id for r in existing], "first_id": rows[0].id if rows else None},
        )
        return [_to_span(r, rows_by_handle[p.officer]) for r, p in zip(rows, plan)]


def override(
    rt: Runtime,
    actor: Actor,
    handle: str,
    level: int,
    start: datetime,
    end: datetime,
    reason: str,
    *,
    approved_by: str = "",
    replacing: str = "",
) -> list[Span]:
    """`handle` takes [start, end) at `level` (leads and supervisors).

    Each shift on duty then (only `replacing`'s, when named) is replaced for the part the
    override covers; any part with nobody on duty gets a new shift. Returns the new shifts.
    """
    require(actor.handle, actor.role, Action.OVERRIDE_SHIFT)
    _check_level(level)
    _check_span(start, end)
    reason = person_text(reason, REASON_MAX, "the reason", multiline=False)
    if not reason:
        raise InvalidInput(_("an override needs a reason (--reason), e.g. 'Minh is ill'."))
    now = rt.now()
    with rt.db.write() as session:
        who = _officer(session, handle)
        approver = _approver(session, actor, approved_by)
        segments = _segments(session, start, end, level)
        if replacing:
            gone = _officer(session, replacing, active=False)
            segments = [g for g in segments if g.officer == gone.handle]
            if not segments:
                raise Refused(_("{handle} has no level-{level} shift between {start} and {end}.").format(handle=gone.handle, level=level, start=core.local_text(start, rt.zone), end=core.local_text(end, rt.zone)))
        pieces: list[tuple[datetime, datetime, Segment | None]] = [
            (max(g.start, start), min(g.end, end), g) for g in segments if g.officer != who.handle
        ]
        if not replacing:
            pieces += [(s, e, None) for s, e in core.gaps(((g.start, g.end) for g in segments), start, end)]
        if not pieces:
            raise Refused(_("{handle} is already on duty at level {level} for all of that time; nothing to override.").format(handle=who.handle, level=level))
        rows = []
        for s, e, g in sorted(pieces, key=lambda p: p[0]):
            rows.append(Shift(
                period_id=period_id_at(session, s), officer_id=who.id, level=level, starts_at=s, ends_at=e,
                origin=ShiftOrigin.OVERRIDE.value, replaces_id=g.span.id if g else None, reason=reason, approved_by=approver,
            ))
        session.add_all(rows)
        session.flush()
        for row in rows:
            payload = _span_event(row, who.handle)
            append_event(session, now, actor.handle, "shift.override", "shift", row.id, payload)
        return [_to_span(r, who) for r in rows]


def _segment_of(session: Session, handle: str, at: datetime, rt: Runtime) -> Segment:
    segments = [g for g in _segments(session, at, at + timedelta(microseconds=1)) if g.officer == handle and g.start <= at < g.end]
    if not segments:
        raise Refused(_("{handle} is not on duty at {at}; give a time inside their shift.").format(handle=handle, at=core.local_text(at, rt.zone)))
    if len(segments) > 1:
        raise Refused(_("{handle} has {n} shifts at {at}; run 'watchdesk roster check' first.").format(handle=handle, n=len(segments), at=core.local_text(at, rt.zone)))
    return segments[0]


def swap(
    rt: Runtime, actor: Actor, handle_a: str, at_a: datetime, handle_b: str, at_b: datetime, reason: str, *, approved_by: str = ""
) -> tuple[Span, Span]:
    """Officer A's shift (the one covering at_a) goes to B and B's (covering at_b) to A (leads)."""
    require(actor.handle, actor.role, Action.OVERRIDE_SHIFT)
    reason = person_text(reason, REASON_MAX, "the reason", multiline=False)
    if not reason:
        raise InvalidInput(_("a swap needs a reason (--reason)."))
    now = rt.now()
    with rt.db.write() as session:
        a, b = _officer(session, handle_a), _officer(session, handle_b)
        if a.id == b.id:
            raise InvalidInput(_("a swap needs two different officers."))
        approver = _approver(session, actor, approved_by)
        seg_a, seg_b = _segment_of(session, a.handle, at_a, rt), _segment_of(session, b.handle, at_b, rt)
        made = []
        for segment, taker in ((seg_a, b), (seg_b, a)):
            row = Shift(
                period_id=period_id_at(session, segment.start), officer_id=taker.id, level=segment.level,
                starts_at=segment.start, ends_at=segment.end, origin=ShiftOrigin.SWAP.value,
                replaces_id=segment.span.id, reason=reason, approved_by=approver,
            )
            session.add(row)
            made.append((row, taker))
        session.flush()
        append_event(
            session, now, actor.handle, "shift.swapped", "shift", made[0][0].id,
            {"a": _span_event(made[0][0], b.handle), "b": _span_event(made[1][0], a.handle), "reason": reason, "approved_by": approver},
        )
        return _to_span(made[0][0], b), _to_span(made[1][0], a)


def checkin(rt: Runtime, actor: Actor, at: datetime | None = None) -> Span:
    """The incoming officer reports for their shift (now, or up to 30 min before it starts)."""
    require(actor.handle, actor.role, Action.CHECKIN)
    at = at or rt.now()
    with rt.db.write() as session:
        mine = [g for g in _segments(session, at, at + CHECKIN_EARLY + timedelta(microseconds=1)) if g.officer == actor.handle]
        if not mine:
            raise Refused(_("{handle} has no shift now or in the next 30 minutes; see 'watchdesk roster now'.").format(handle=actor.handle))
        segment = min(mine, key=lambda g: g.start)
        if not q.mark_checked_in(session, segment.span.id, at):
            row = session.get(Shift, segment.span.id)
            when = core.local_text(row.checked_in_at, rt.zone) if row and row.checked_in_at else "earlier"
            raise Refused(_("{handle} already checked in for this shift at {when}.").format(handle=actor.handle, when=when))
        append_event(
            session, at, actor.handle, "shift.checked_in", "shift", segment.span.id,
            {"level": segment.level, "starts_at": segment.start.isoformat(), "late_by_s": max(0.0, (at - segment.start).total_seconds())},
        )
        # The check-in answers the roll call: its alert (if one was raised) stops paging now.
        clear_by_key(session, at, roll_call_key(segment.span.id),
                     f"{actor.handle} checked in at {core.local_text(at, rt.zone)}", shift_id=segment.span.id, answered_by=actor.handle)
        officer = _officer(session, actor.handle, active=False)
        row = session.get(Shift, segment.span.id)
        session.refresh(row)
        return _to_span(row, officer)


# -- checking --------------------------------------------------------------------------------
def coverage(rt: Runtime, period: PeriodRecord | str) -> CoverageReport:
    """Gaps, overlaps, double bookings, over-long duty, inactive officers over a watch period."""
    period = get_period(rt, period) if isinstance(period, str) else period
    limit = rt.config.roster.max_on_duty
    with rt.db.read() as session:
        # Look beyond the period so a run of duty that began before it is measured whole.
        segments = _segments(session, period.starts_at - limit, period.ends_at + limit)
        inactive = officer_q.inactive_handles(session)
    return core.check_coverage(segments, period.starts_at, period.ends_at, max_on_duty=limit, inactive=inactive)


def hours(rt: Runtime, period: PeriodRecord | str) -> list[HoursRow]:
    """Duty hours per officer over a period: all, night (roster.night_start–night_end), public holidays."""
    period = get_period(rt, period) if isinstance(period, str) else period
    zone, cfg = rt.zone, rt.config.roster
    days = public_holidays(period.starts_at.astimezone(zone).date(), period.ends_at.astimezone(zone).date())
    segments = effective_shifts(rt, period.starts_at, period.ends_at)
    return core.duty_hours(segments, period.starts_at, period.ends_at, zone, night_start=cfg.night_start,
                           night_end=cfg.night_end, holidays=days)
