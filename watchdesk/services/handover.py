"""Shift handover (biên bản bàn giao ca): the draft drawn from the log, sign-out, acceptance, the late check.

A handover belongs to one level-1 shift (the outgoing duty officer's). Its draft covers the
shift's worked span up to now: alerts received, acknowledged, resolved and escalated in it;
every alert still open (state, level, owner, next deadline), wherever it began — that is how
open work is carried over midnight and across shifts; SLA breaches of the shift; sources that
failed or went silent; calls to outside contacts; the outgoing officer's notes.

The outgoing officer signs out (the draft is frozen into the row with the notes); the incoming
officer reviews, may add remarks and accepts. Both are compare-and-set writes with their audit
events. The record keeps the rostered incoming officer and, apart, who accepted (a lead may
accept on their behalf: "nhận thay"). Signing out more than `handover.early_window` before the
shift ends, or accepting more than that before the incoming shift starts, is refused unless
confirmed (`early=True`), and then marked in the record. `check_overdue_handovers` (an engine
check) raises an alert to the shift lead for every shift change whose handover was not accepted
within `handover.accept_within`; the acceptance clears that alert by the system.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watchdesk.config import format_duration
from watchdesk.core.enums import AlertState, Category, Role, Severity
from watchdesk.core.permissions import Action, PermissionDenied, require
from watchdesk.core.records import Actor
from watchdesk.core.roster import Segment, local_text
from watchdesk.core.text import clean_line
from watchdesk.notify.messages import page_for
from watchdesk.notify.outbox import enqueue
from watchdesk.services import sla
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.clearing import clear_by_system
from watchdesk.services.errors import InvalidInput, NotFound, Refused
from watchdesk.i18n import _
from watchdesk.services.limits import person_text
from watchdesk.services.roster import MAX_SHIFT, effective_shifts
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import SYSTEM, append_event
from watchdesk.store.checkpoint import at_handover
from watchdesk.store.db import Session
from watchdesk.store.models import Handover, Officer, Shift
from watchdesk.store.queries import handover as queries
from watchdesk.store.types import from_db_text, to_db_text

SOURCE_KEY = "handover"
LOOK_BACK = timedelta(hours=24)  # shift changes older than this are not chased by the late check
NOTES_MAX = 10_000


@dataclass(frozen=True)
class HandoverRecord:
    """A handover as people see it: stored (id set) or a live draft (id None)."""

    id: int | None
    shift_id: int
    outgoing: str
    outgoing_name: str
    incoming: str
    incoming_name: str
    period_start: datetime
    period_end: datetime
    summary: dict[str, Any]
    notes: str = ""
    remarks: str = ""
    signed_out_at: datetime | None = None
    accepted_at: datetime | None = None
    accepted_by: str = ""
    due_at: datetime | None = None
    alert_id: int | None = None
    drafted_at: datetime | None = None
    accepted_by_name: str = ""
    signed_out_early: bool = False
    accepted_early: bool = False

    @property
    def on_behalf(self) -> bool:
        """Accepted by someone other than the rostered incoming officer (a lead: "nhận thay")."""
        return bool(self.accepted_by) and bool(self.incoming) and self.accepted_by != self.incoming

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.signed_out_at is not None:
            return "signed"
        return "draft"


class TooEarly(Refused):
    """A sign-out or acceptance more than handover.early_window ahead of the shift change: confirm it.

    `what` says how early, for a question ("… more than handover.early_window (30m) allows"); the
    message adds how to confirm on the command line.
    """

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}; if you mean it, confirm with --early.")
        self.what = what


# -- finding the shift -----------------------------------------------------------------------
def _shift_span(rt: Runtime, shift_id: int) -> tuple[Segment, datetime, datetime]:
    """The worked span of a level-1 shift (overrides cut it; its first and last pieces bound it)."""
    with rt.db.read() as session:
        row = session.get(Shift, shift_id)
    if row is None or row.cancelled:
        raise NotFound(_("no shift #{shift_id}; see 'watchdesk roster list'.").format(shift_id=shift_id))
    if row.level != 1:
        raise InvalidInput(_("shift #{shift_id} is a level {level} shift; handovers are between level-1 duty officers.").format(shift_id=shift_id, level=row.level))
    pieces = [g for g in effective_shifts(rt, row.starts_at - MAX_SHIFT, row.ends_at + MAX_SHIFT, level=1)  # type: ignore[operator]
              if g.span.id == shift_id]
    if not pieces:
        raise Refused(_("shift #{shift_id} was replaced in full by an override; hand over the shift that replaced it.").format(shift_id=shift_id))
    return pieces[0], pieces[0].start, pieces[-1].end


def current_shift_id(rt: Runtime, handle: str = "", at: datetime | None = None) -> int:
    """The level-1 shift to hand over now: the one under way (of `handle` if given), else the one that just ended."""
    at = at or rt.now()
    segments = effective_shifts(rt, at - MAX_SHIFT, at + timedelta(microseconds=1), level=1)
    mine = [g for g in segments if not handle or g.officer == handle]
    running = [g for g in mine if g.start <= at < g.end]
    if running:
        return running[0].span.id
    ended = sorted((g for g in mine if g.end <= at), key=lambda g: g.end)
    if ended:
        return ended[-1].span.id
    who = f"{handle} has" if handle else "nobody has"
    raise NotFound(_("{who} a level-1 shift under way or just ended; give the shift with --shift ID ('watchdesk roster list').").format(who=who))


def _incoming(rt: Runtime, end: datetime, outgoing: str) -> Segment | None:
    nxt = [g for g in effective_shifts(rt, end - MAX_SHIFT, end + timedelta(hours=1), level=1)
           if g.start <= end < g.end and g.officer != outgoing]
    return sorted(nxt, key=lambda g: g.start)[0] if nxt else None


# -- the draft -------------------------------------------------------------------------------
def draft_summary(rt: Runtime, start: datetime, end: datetime) -> dict[str, Any]:
    """Everything the incoming officer must know about [start, end), drawn from the tables and the log."""
    now = rt.now()
    lo, hi = to_db_text(start), to_db_text(min(end, now) if end > now else end)
    targets = {s.value: rt.config.ack_target(s).total_seconds() for s in Severity}
    targets_us = {s.value: sla.target_us(rt.config.ack_target(s)) for s in Severity}
    with rt.db.read() as session:  # one snapshot for every read below
        handles = queries.officer_handles(session)
        received = [{"id": r[0], "title": r[1], "severity": r[2], "source": r[3], "received_at": r[4], "state": r[5]}
                    for r in queries.alerts_received(session, lo, hi)]
        acted = {kind: [{"id": aid, "at": at, "by": by, "data": data} for aid, at, by, data in queries.alert_events(session, kind, lo, hi)]
                 for kind in ("alert.acknowledged", "alert.escalated", "alert.resolved")}
        cleared = [{"id": aid, "at": at, "reason": data.get("reason", "")}
                   for aid, at, _by, data in queries.alert_events(session, "alert.cleared", lo, hi)]
        titles = queries.titles(session, sorted({a["id"] for v in acted.values() for a in v} | {c["id"] for c in cleared}))
        open_rows = queries.open_alerts(session, AlertState.RESOLVED.value)
        first_acks = queries.first_acks_between(session, lo, hi)
        calls = queries.calls_between(session, lo, hi)
        failed = queries.source_failures(session, lo, hi)

    def item(kind: str, a: dict[str, Any]) -> dict[str, Any]:
        d = a["data"]
        out = {"id": a["id"], "title": titles.get(a["id"], ""), "at": a["at"], "by": d.get("by") or a["by"]}
        if kind == "alert.escalated":
            out.update(level=d.get("level"), notified=d.get("notified", []), calls=d.get("calls", []), manual=d.get("manual", False))
        if kind == "alert.resolved":
            out.update(note=d.get("note", ""))
        if kind == "alert.acknowledged":
            out.update(first=bool(d.get("first")), ack_seconds=d.get("ack_seconds"), on_duty=d.get("on_duty", True) is not False)
        return out

    open_items, waiting = [], []
    for (aid, title, sev, state, level, assignee, acked_by, nxt, recv, until, exhausted, first, snoozed, parent,
         parent_first) in open_rows:
        owner = handles.get(assignee) or handles.get(acked_by) or ""
        open_items.append({
            "id": aid, "title": title, "severity": sev, "state": state, "level": level, "owner": owner,
            "next_deadline": nxt, "received_at": recv, "snoozed_until": until if until and until > to_db_text(now) else None,
            "exhausted": bool(exhausted), "carried_over": recv < lo, "grouped_with": parent,
        })
        # Not acknowledged yet (a grouped alert: its parent not yet): it is still waiting.
        unacked = parent_first is None if parent is not None else first is None
        if unacked and recv >= lo:
            waiting.append((aid, title, sev, sla.waiting_us(from_db_text(recv), now, snoozed, from_db_text(until)), parent))
    # The breaches, by the one definition the ack report uses too (services.sla).
    breaches = []
    for aid, title, sev, recv, first, acked_by, acked_at, ack, parent, p_first, p_acked_by, p_acked_at in first_acks:
        if parent is not None and p_first is not None:  # grouped: acknowledged with its parent
            ack, first, acked_by, acked_at = sla.grouped_ack_us(from_db_text(recv), from_db_text(p_first)), p_first, p_acked_by, p_acked_at
        if sla.breached(ack, targets_us[sev]):
            breaches.append({"id": aid, "title": title, "severity": sev, "ack_seconds": round(ack / 1e6, 3),
                             "target_seconds": targets[sev], "by": handles.get(acked_by, "") if acked_at == first else "",
                             "acknowledged": True, "grouped_with": parent})
    for aid, title, sev, waited, parent in waiting:
        if sla.breached(waited, targets_us[sev]):
            breaches.append({"id": aid, "title": title, "severity": sev, "ack_seconds": round(waited / 1e6, 3),
                             "target_seconds": targets[sev], "by": "", "acknowledged": False, "grouped_with": parent})
    sources = _source_problems(rt, failed)
    call_items = [
        {"id": c[0], "alert_id": c[1], "contact": c[2], "created_at": c[3], "outcome": c[4] or "to do",
         "reference": c[5], "note": c[6], "by": handles.get(c[7], ""), "done_at": c[8]}
        for c in calls
    ]
    return {
        "from": lo, "to": hi, "drafted_at": to_db_text(now),
        "received": received,
        "acknowledged": [item("alert.acknowledged", a) for a in acted["alert.acknowledged"]],
        "resolved": [item("alert.resolved", a) for a in acted["alert.resolved"]],
        "escalated": [item("alert.escalated", a) for a in acted["alert.escalated"]],
        "cleared": [{**c, "title": titles.get(c["id"], "")} for c in cleared],
        "open": open_items,
        "breaches": sorted(breaches, key=lambda b: b["id"]),
        "sources": sources,
        "calls": call_items,
        "counts": {
            "received": len(received), "acknowledged": len(acted["alert.acknowledged"]),
            "resolved": len(acted["alert.resolved"]), "escalated": len(acted["alert.escalated"]),
            "open": len(open_items), "breaches": len(breaches), "calls": len(call_items), "sources": len(sources),
            "cleared": len(cleared),
        },
    }


def _source_problems(rt: Runtime, failed: dict[str, tuple[int, str]]) -> list[dict[str, Any]]:
    """Sources failing or silent now, and those that failed during the shift (even if they recovered)."""
    from watchdesk.services.sources import list_sources

    out = []
    for s in list_sources(rt):
        during = failed.get(s.key)
        if s.state in ("failing", "stale") or during:
            out.append({  # a source's name comes from the config file, unchecked: cleaned like feed text
                "key": s.key, "name": clean_line(s.name, max_length=200), "state": s.state, "failures": s.failures, "last_error": s.last_error,
                "failing_since": to_db_text(s.failing_since) if s.failing_since else None,
                "last_ok_at": to_db_text(s.last_ok_at) if s.last_ok_at else None,
                "last_new_item_at": to_db_text(s.last_new_item_at) if s.last_new_item_at else None,
                "failed_in_shift": during[0] if during else 0,
            })
    return out


def _record(rt: Runtime, session: Session, row: Handover | None, shift_id: int, seg: Segment, start: datetime,
            end: datetime, summary: dict[str, Any]) -> HandoverRecord:
    officers = queries.officers(session)
    incoming = _incoming(rt, end, seg.officer)
    inc_id = row.incoming_id if row and row.incoming_id else None
    inc = officers.get(inc_id) if inc_id else None
    by = officers.get(row.accepted_by_id) if row and row.accepted_at and row.accepted_by_id else None
    return HandoverRecord(
        id=row.id if row else None, shift_id=shift_id, outgoing=seg.officer, outgoing_name=seg.span.full_name,
        incoming=inc.handle if inc else (incoming.officer if incoming else ""),
        incoming_name=inc.full_name if inc else (incoming.span.full_name if incoming else ""),
        period_start=start, period_end=end, summary=summary, notes=row.notes if row else "",
        remarks=row.remarks if row else "", signed_out_at=row.signed_out_at if row else None,
        accepted_at=row.accepted_at if row else None, accepted_by=by.handle if by else "", accepted_by_name=by.full_name if by else "",
        due_at=row.due_at if row else end + rt.config.handover.accept_within,
        alert_id=row.alert_id if row else None, drafted_at=from_db_text(summary.get("drafted_at")),
        signed_out_early=bool(row and row.signed_out_early), accepted_early=bool(row and row.accepted_early),
    )


def _row_for(session: Session, shift_id: int) -> Handover | None:
    return queries.handover_of_shift(session, shift_id)


def get_handover(rt: Runtime, shift_id: int | None = None) -> HandoverRecord:
    """The stored handover of a shift if signed, else a fresh draft (the current shift by default)."""
    shift_id = shift_id or current_shift_id(rt)
    seg, start, end = _shift_span(rt, shift_id)
    with rt.db.read() as session:
        row = _row_for(session, shift_id)
        if row is not None and row.signed_out_at is not None:
            summary = json.loads(row.summary or "{}")
        else:
            summary = draft_summary(rt, start, end)
        return _record(rt, session, row, shift_id, seg, start, end, summary)


def list_handovers(rt: Runtime, limit: int = 20) -> list[HandoverRecord]:
    """The latest stored handovers, newest first (summaries as stored)."""
    with rt.db.read() as session:
        rows = queries.latest_handovers(session, limit)
        officers = queries.officers(session)
    out = []
    for row in rows:
        out_o, in_o = officers.get(row.outgoing_id), officers.get(row.incoming_id)
        by = officers.get(row.accepted_by_id) if row.accepted_at else None
        out.append(HandoverRecord(
            id=row.id, shift_id=row.shift_id or 0, outgoing=out_o.handle if out_o else "", outgoing_name=out_o.full_name if out_o else "",
            incoming=in_o.handle if in_o else "", incoming_name=in_o.full_name if in_o else "",
            period_start=row.period_start, period_end=row.period_end, summary=json.loads(row.summary or "{}"),  # type: ignore[arg-type]
            notes=row.notes, remarks=row.remarks, signed_out_at=row.signed_out_at, accepted_at=row.accepted_at,
            accepted_by=by.handle if by else "", accepted_by_name=by.full_name if by else "", due_at=row.due_at,
            alert_id=row.alert_id, signed_out_early=row.signed_out_early, accepted_early=row.accepted_early,
        ))
    return out


# -- signing out and accepting ---------------------------------------------------------------
def _too_early(rt: Runtime, doing: str, change: str, at: datetime, now: datetime) -> TooEarly | None:
    """The refusal for an action more than handover.early_window before `at`, else None."""
    window = rt.config.handover.early_window
    if now >= at - window:
        return None
    return TooEarly(
        f"{doing} now is {format_duration(at - now)} before {change} at {local_text(at, rt.zone)}, more than "
        f"handover.early_window ({format_duration(window)}) allows"
    )


def sign_out(rt: Runtime, actor: Actor, notes: str = "", shift_id: int | None = None, *, early: bool = False) -> HandoverRecord:
    """The outgoing officer (or a lead for them) freezes the draft with their notes and signs out.

    More than handover.early_window before the shift ends it raises TooEarly unless `early` confirms it.
    """
    require(actor.handle, actor.role, Action.HANDOVER)
    if actor.officer_id is None:
        raise PermissionDenied(_("signing out a handover needs an officer signed in; 'system' cannot sign."))
    shift_id = shift_id or current_shift_id(rt, actor.handle)
    seg, start, end = _shift_span(rt, shift_id)
    if seg.officer != actor.handle and Role(actor.role) == Role.OFFICER:
        raise PermissionDenied(
            f"shift #{shift_id} is {seg.officer}'s; only {seg.officer}, a lead or a supervisor may sign its handover out."
        )
    body = person_text(notes, NOTES_MAX, "the handover notes")
    now = rt.now()
    refusal = _too_early(rt, f"signing out shift #{shift_id}", "it ends", end, now)
    summary = draft_summary(rt, start, end)
    incoming = _incoming(rt, end, seg.officer)
    with rt.db.write() as session:
        row = _row_for(session, shift_id)
        if row is not None and row.signed_out_at is not None:
            raise Refused(_("the handover of shift #{shift_id} was already signed out at {at}.").format(shift_id=shift_id, at=local_text(row.signed_out_at, rt.zone)))
        if refusal is not None and not early:
            raise refusal
        out_id = queries.officer_id(session, seg.officer)
        if row is None:
            row = Handover(shift_id=shift_id, period_start=start, period_end=end,
                           due_at=end + rt.config.handover.accept_within)
        row.outgoing_id = out_id
        if incoming is not None:  # the rostered incoming officer, named in the record from the start
            row.incoming_id = queries.officer_id(session, incoming.officer)
        row.summary = json.dumps(summary, ensure_ascii=False, sort_keys=True)
        row.notes = body
        row.signed_out_at = now
        row.signed_out_early = refusal is not None
        session.add(row)
        session.flush()
        append_event(session, now, actor.handle, "handover.signed", "handover", row.id, {
            "by": actor.handle, "shift_id": shift_id, "outgoing": seg.officer,
            "incoming": incoming.officer if incoming else "", "period_start": to_db_text(start),
            "period_end": to_db_text(end), "notes": body, "counts": summary["counts"],
            "open": [o["id"] for o in summary["open"]], "early": refusal is not None,
            "before_end_seconds": round(max((end - now).total_seconds(), 0.0), 3),
        })
    at_handover(rt.db, f"handover #{row.id} signed")  # anchors the log outside the database
    return get_handover(rt, shift_id)


def accept(rt: Runtime, actor: Actor, remarks: str = "", shift_id: int | None = None, *, early: bool = False) -> HandoverRecord:
    """The incoming officer (or a lead on their behalf) reviews the signed handover, may add remarks, and accepts it.

    The record keeps the rostered incoming officer and who accepted apart. More than
    handover.early_window before the incoming shift starts it raises TooEarly unless `early`
    confirms it. The late-handover alert, if one was raised, is cleared by the system.
    """
    require(actor.handle, actor.role, Action.HANDOVER)
    if actor.officer_id is None:
        raise PermissionDenied(_("accepting a handover needs an officer signed in; 'system' cannot accept."))
    now = rt.now()
    if shift_id is None:
        shift_id = _awaiting(rt, actor)
    seg, start, end = _shift_span(rt, shift_id)
    if seg.officer == actor.handle:
        raise Refused(_("{handle} signed shift #{shift_id} out; the incoming officer (or a lead) accepts it.").format(handle=actor.handle, shift_id=shift_id))
    incoming = _incoming(rt, end, seg.officer)
    if Role(actor.role) == Role.OFFICER and incoming is not None and incoming.officer != actor.handle:
        raise PermissionDenied(
            f"the handover of shift #{shift_id} is for {incoming.officer}, who is on duty next; only they, a lead or a supervisor may accept it."
        )
    body = person_text(remarks, NOTES_MAX, "the remarks")
    starts = min(incoming.start, end) if incoming is not None else end
    refusal = _too_early(rt, f"accepting the handover of shift #{shift_id}", "the incoming shift starts", starts, now)
    with rt.db.write() as session:
        row = _row_for(session, shift_id)
        if row is None or row.signed_out_at is None:
            raise Refused(_("the handover of shift #{shift_id} is not signed out yet; {officer} signs it out first ('watchdesk handover sign').").format(shift_id=shift_id, officer=seg.officer))
        if row.accepted_at is not None:
            by = session.get(Officer, row.accepted_by_id or row.incoming_id) if (row.accepted_by_id or row.incoming_id) else None
            raise Refused(_("the handover of shift #{shift_id} was already accepted by {who} at {when}.").format(shift_id=shift_id, who=by.handle if by else _('someone'), when=local_text(row.accepted_at, rt.zone)))
        if refusal is not None and not early:
            raise refusal
        # The rostered incoming officer stays the record's incoming officer; who accepted is kept apart.
        rostered = queries.officer_id(session, incoming.officer) if incoming else None
        incoming_id = rostered or row.incoming_id or actor.officer_id
        if not queries.accept_if_open(session, row.id, now, incoming_id, actor.officer_id, refusal is not None, body):  # type: ignore[arg-type]
            raise Refused(_("the handover of shift #{shift_id} changed while you acted on it; look at it again.").format(shift_id=shift_id))
        late = row.due_at is not None and now > row.due_at
        incoming_handle = incoming.officer if incoming else (actor.handle if incoming_id == actor.officer_id else "")
        append_event(session, now, actor.handle, "handover.accepted", "handover", row.id, {
            "by": actor.handle, "shift_id": shift_id, "outgoing": seg.officer, "incoming": incoming_handle,
            "on_behalf": bool(incoming_handle) and incoming_handle != actor.handle, "remarks": body,
            "signed_out_at": to_db_text(row.signed_out_at), "late": late, "alert_id": row.alert_id,
            "early": refusal is not None, "before_start_seconds": round(max((starts - now).total_seconds(), 0.0), 3),
        })
        # The acceptance answers the late-handover alert: it stops paging the lead.
        clear_by_system(session, now, row.alert_id,
                        f"the handover of shift #{shift_id} was accepted by {actor.handle} at {local_text(now, rt.zone)}",
                        handover_id=row.id, shift_id=shift_id, answered_by=actor.handle)
    at_handover(rt.db, f"handover #{row.id} accepted")  # anchors the log outside the database
    return get_handover(rt, shift_id)


def _awaiting(rt: Runtime, actor: Actor) -> int:
    """The signed, unaccepted handover this officer should accept (the latest one)."""
    with rt.db.read() as session:
        rows = queries.awaiting_acceptance(session)
    if not rows:
        raise NotFound(_("no signed handover is waiting to be accepted; the outgoing officer signs out first."))
    return rows[0].shift_id or 0


# -- the late check (an engine check) ----------------------------------------------------------
def overdue_shift_changes(rt: Runtime) -> list[tuple[Segment, Handover | None]]:
    """Level-1 shift changes in the last day whose handover is not accepted past accept_within."""
    now = rt.now()
    within = rt.config.handover.accept_within
    segments = effective_shifts(rt, now - LOOK_BACK - MAX_SHIFT, now, level=1)
    ends: dict[int, Segment] = {}
    for g in segments:
        if g.span.id not in ends or g.end > ends[g.span.id].end:
            ends[g.span.id] = g
    # A shift's own end is a shift change; a cut made by an override mid-shift is not chased here
    # (the override itself is approved and logged by a lead, who arranged the takeover).
    due = [g for g in ends.values() if g.end == g.span.end and now - LOOK_BACK <= g.end and g.end + within <= now]
    if not due:
        return []
    with rt.db.read() as session:
        rows = queries.handovers_of_shifts(session, [g.span.id for g in due])
    # Only a change to somebody else is a handover; the same officer going on is not.
    out = []
    for g in sorted(due, key=lambda g: g.end):
        row = rows.get(g.span.id)
        if row is not None and (row.accepted_at is not None or row.alert_id is not None):
            continue
        nxt = _incoming(rt, g.end, g.officer)
        if nxt is None and row is None:
            continue  # nobody took over (a gap the roster check reports), nothing to hand over to
        out.append((g, row))
    return out


def check_overdue_handovers(rt: Runtime) -> list[int]:
    """Raise one alert per late handover (dedup key per shift); page the shift lead on duty. Returns new alert ids."""
    late = overdue_shift_changes(rt)
    if not late:
        return []  # the common case takes no write lock
    from watchdesk.services.roster import on_duty

    now = rt.now()
    leads = on_duty(rt, 2, now)
    created: list[int] = []
    with rt.db.write() as session:
        for g, _row in late:
            row = _row_for(session, g.span.id)
            if row is not None and (row.accepted_at is not None or row.alert_id is not None):
                continue  # another process got there first
            signed = row is not None and row.signed_out_at is not None
            state = "signed out but not accepted" if signed else "not signed out"  # the event's stable words
            said = _("signed out but not accepted") if signed else _("not signed out")
            nxt = _incoming(rt, g.end, g.officer)
            alert, new = raise_alert(
                session, now, source_key=SOURCE_KEY, dedup_key=f"handover:shift:{g.span.id}",
                title=_("Handover not accepted: {outgoing} → {incoming} at {at} ({state})").format(
                    outgoing=g.officer, incoming=nxt.officer if nxt else "?", at=local_text(g.end, rt.zone), state=said),
                summary=_("The level-1 shift of {name} ({officer}) ended at {at} ({zone}); its handover is {state} {within} "
                          "after the change. Open work may be lost: the shift lead makes sure the outgoing officer signs out "
                          "('watchdesk handover sign') and the incoming officer accepts ('watchdesk handover accept').").format(
                    name=g.span.full_name or g.officer, officer=g.officer, at=local_text(g.end, rt.zone), zone=rt.zone.key,
                    state=said, within=rt.config.handover.accept_within),
                severity=Severity.HIGH, category=Category.HANDOVER,
            )
            if not new or alert.id is None:
                continue
            created.append(alert.id)
            if leads:
                alert.assignee_id = leads[0].id
                session.add(alert)
                page = page_for(alert_id=alert.id, title=alert.title, severity=alert.severity, received_at=now, link="",
                                level=2, round=0, zone=rt.zone)
                for lead in leads:
                    for name, conf in rt.config.channels.items():
                        if conf.type == "terminal" and conf.enabled:
                            enqueue(session, alert_id=alert.id, level=2, round=0, channel=name, channel_type="terminal",
                                    target=lead.handle, page=page, now=now, key=f"handover:{g.span.id}:lead:{lead.handle}:{name}")
            if row is None:
                out_id = queries.officer_id(session, g.officer)
                row = Handover(shift_id=g.span.id, outgoing_id=out_id, period_start=g.start, period_end=g.end,
                               due_at=g.end + rt.config.handover.accept_within)
            row.alert_id = alert.id
            session.add(row)
            session.flush()
            append_event(session, now, SYSTEM, "handover.overdue", "handover", row.id, {
                "shift_id": g.span.id, "outgoing": g.officer, "incoming": nxt.officer if nxt else "",
                "state": state, "due_at": to_db_text(row.due_at), "alert_id": alert.id,  # type: ignore[arg-type]
                "lead": [lead.handle for lead in leads],
            })
    return created
