"""What people do to an alert: acknowledge, resolve, note, escalate, snooze, assign, split.

Each is ONE write transaction (BEGIN IMMEDIATE) holding a compare-and-set UPDATE
(`WHERE id=? AND state=? AND level=?`, rowcount decides) and its audit event. A refusal is
one sentence saying why ("alert #12 was already acknowledged by lan at 02:03."), with
times in the desk's zone.

A parent's acknowledgment, resolution and snooze cascade to its open joined children in the
same transaction, each child with its own event (`"with": parent`, "acknowledged with #8");
a resolved parent never leaves a child open. A joined child keeps no timers: it is not
snoozed or escalated alone; `split` takes it out of the group and it pages from level 1, now.
Acknowledgments record whether the officer was on duty at that instant (`on_duty`). The durations
the reports add up (ack_us, resolve_us, snoozed_us: integer microseconds) are written by the same
compare-and-set that acknowledges, resolves or snoozes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from watchdesk.config import format_duration
from watchdesk.core.enums import AlertState
from watchdesk.core.permissions import Action, PermissionDenied, require
from watchdesk.core.roster import LEVELS
from watchdesk.core.records import Actor, AlertRecord
from watchdesk.notify.messages import assignment_page
from watchdesk.notify.outbox import enqueue
from watchdesk.services.alerts import get_alert
from watchdesk.services.errors import InvalidInput, NotFound, Refused
from watchdesk.i18n import _
from watchdesk.services.limits import NOTE_MAX, REASON_MAX, person_text
from watchdesk.services.escalation import escalate_now, policy_for
from watchdesk.services.officers import get_officer
from watchdesk.services.roster import on_duty
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import append_event
from watchdesk.store.db import Session
from watchdesk.store.models import Alert, Officer
from watchdesk.store.queries import lifecycle as queries
from watchdesk.store.types import micros, to_db_text

OPEN = (AlertState.NEW.value, AlertState.ACKNOWLEDGED.value)


def _when(rt: Runtime, at: datetime | None) -> str:
    """'02:03' today, '16/02 23:50' another day (desk zone)."""
    if at is None:
        return "an unknown time"
    local, today = rt.local(at), rt.local(rt.now()).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%d/%m %H:%M")


def _handle(session: Session, officer_id: int | None) -> str:
    if not officer_id:
        return "the desk"
    row = session.get(Officer, officer_id)
    return row.handle if row else f"officer #{officer_id}"


def _load(session: Session, alert_id: int) -> Alert:
    row = session.get(Alert, alert_id)
    if row is None:
        raise NotFound(_("no alert #{alert_id}; see 'watchdesk alert list'.").format(alert_id=alert_id))
    return row


def _state_refusal(rt: Runtime, session: Session, row: Alert, doing: str) -> Refused:
    if row.state == AlertState.ACKNOWLEDGED.value:
        return Refused(f"alert #{row.id} was already acknowledged by {_handle(session, row.acked_by_id)} at {_when(rt, row.acked_at)}.")
    if row.state == AlertState.RESOLVED.value:
        return Refused(f"alert #{row.id} was already resolved by {_handle(session, row.resolved_by_id)} at {_when(rt, row.resolved_at)}; {doing} is not possible.")
    return Refused(f"alert #{row.id} is {row.state}; {doing} is not possible.")


def _cas(session: Session, row: Alert, **values: Any) -> bool:
    return queries.set_if_unchanged(session, row.id, row.state, row.level, **values)  # type: ignore[arg-type]


def _lost(alert_id: int) -> Refused:
    return Refused(f"alert #{alert_id} changed while you acted on it; look at it again.")


def _unsnoozed_us(row: Alert, now: datetime) -> int:
    """snoozed_us without the part of a running snooze that has not happened yet."""
    us = row.snoozed_us or 0
    if row.first_acked_at is None and row.snoozed_until is not None and row.snoozed_until > now:
        us -= micros(row.snoozed_until - now)
    return max(us, 0)


def _person(actor: Actor, doing: str) -> None:
    if actor.officer_id is None:
        raise PermissionDenied(_("{doing} needs an officer signed in at the desk; '{handle}' is not a person.").format(doing=doing, handle=actor.handle))


def acknowledge(rt: Runtime, actor: Actor, alert_id: int) -> AlertRecord:
    """Stop the escalation: a person on duty has seen the alert. Exactly one of many racing wins."""
    require(actor.handle, actor.role, Action.ACKNOWLEDGE)
    _person(actor, "acknowledging")
    now = rt.now()
    duty = on_duty_now(rt, actor, now)
    with rt.db.write() as session:
        row = _load(session, alert_id)
        if row.state != AlertState.NEW.value:
            raise _state_refusal(rt, session, row, "acknowledging")
        policy = policy_for(rt.config, row.severity)
        first = row.first_acked_at is None
        snoozed = _unsnoozed_us(row, now)
        received = row.received_at
        ack_us = micros(now - received) - snoozed  # type: ignore[operator]
        joined = row.joined_to_id is not None and row.next_escalation_at is None
        if not _cas(
            session, row, state=AlertState.ACKNOWLEDGED.value, acked_by_id=actor.officer_id, acked_at=now,
            first_acked_at=row.first_acked_at or now, snoozed_until=None, snoozed_us=snoozed,
            next_escalation_at=None if joined else now + policy.ack_timeout, **({"ack_us": ack_us} if first else {}),
        ):
            raise _lost(alert_id)
        ack_seconds = ack_us / 1e6
        target = rt.config.ack_target(row.severity).total_seconds()
        append_event(
            session, now, actor.handle, "alert.acknowledged", "alert", alert_id,
            {
                "by": actor.handle, "received_at": to_db_text(received), "severity": row.severity,  # type: ignore[arg-type]
                "level": row.level, "round": row.round, "step": row.step, "first": first,
                "ack_seconds": round(ack_seconds, 3), "snoozed_seconds": round(snoozed / 1e6, 3),
                "ack_target_seconds": target, "breached": first and ack_seconds > target,
                "ack_timeout_at": None if joined else to_db_text(now + policy.ack_timeout), "on_duty": duty,
            },
        )
        _cascade_ack(rt, session, actor, row, now, duty)
    return get_alert(rt, alert_id)


def on_duty_now(rt: Runtime, actor: Actor, now: datetime) -> bool:
    """Was the acting officer on duty at any level at `now`? (An off-duty acknowledgment is
    allowed; the report lists them.)"""
    return any(o.id == actor.officer_id for level in LEVELS for o in on_duty(rt, level, now))


def _children(session: Session, parent_id: int, states: tuple[str, ...] = OPEN) -> list[Alert]:
    return queries.children(session, parent_id, states)


def _cascade_ack(rt: Runtime, session: Session, actor: Actor, parent: Alert, now: datetime, duty: bool) -> None:
    """The parent's acknowledgment acknowledges its unacknowledged children, each with its event.
    A child's time to acknowledge runs from its own arrival to the parent's first acknowledgment
    (0 when it arrived after it)."""
    parent_first = parent.first_acked_at or now
    for child in _children(session, parent.id, (AlertState.NEW.value,)):  # type: ignore[arg-type]
        first = child.first_acked_at is None
        # Its own duration, as for any alert (the reports time a grouped alert from its parent's row).
        own = {"ack_us": micros(now - child.received_at) - (child.snoozed_us or 0)} if first else {}  # type: ignore[operator]
        if not _cas(session, child, state=AlertState.ACKNOWLEDGED.value, acked_by_id=actor.officer_id, acked_at=now,
                    first_acked_at=child.first_acked_at or now, next_escalation_at=None, snoozed_until=None, **own):
            continue
        ack_seconds = max(0.0, (parent_first - child.received_at).total_seconds())  # type: ignore[operator]
        target = rt.config.ack_target(child.severity).total_seconds()
        append_event(
            session, now, actor.handle, "alert.acknowledged", "alert", child.id,
            {"by": actor.handle, "with": parent.id, "received_at": to_db_text(child.received_at),  # type: ignore[arg-type]
             "severity": child.severity, "level": child.level, "round": child.round, "step": child.step,
             "first": first, "ack_seconds": round(ack_seconds, 3), "snoozed_seconds": 0.0,
             "ack_target_seconds": target, "breached": first and ack_seconds > target, "ack_timeout_at": None,
             "on_duty": duty, "text": f"acknowledged with #{parent.id}"},
        )


def resolve(rt: Runtime, actor: Actor, alert_id: int, note: str) -> AlertRecord:
    """Close the alert with a resolution note (what was done)."""
    require(actor.handle, actor.role, Action.RESOLVE)
    _person(actor, "resolving")
    text = person_text(note, NOTE_MAX, f"the resolution note for alert #{alert_id}")
    if not text:
        raise InvalidInput(_("resolving alert #{alert_id} needs a resolution note; say what was done.").format(alert_id=alert_id))
    now = rt.now()
    with rt.db.write() as session:
        row = _load(session, alert_id)
        if row.state not in OPEN:
            raise _state_refusal(rt, session, row, "resolving")
        implicit = row.first_acked_at is None  # resolving an unacknowledged alert acknowledges it too
        snoozed = _unsnoozed_us(row, now)
        resolve_us = micros(now - row.received_at)  # type: ignore[operator]
        values: dict[str, Any] = {
            "state": AlertState.RESOLVED.value, "resolved_by_id": actor.officer_id, "resolved_at": now,
            "resolution": text, "next_escalation_at": None, "snoozed_until": None, "snoozed_us": snoozed,
            "resolve_us": resolve_us,
        }
        if implicit:
            values.update(first_acked_at=now, acked_at=now, acked_by_id=actor.officer_id, ack_us=resolve_us - snoozed)
        if not _cas(session, row, **values):
            raise _lost(alert_id)
        append_event(
            session, now, actor.handle, "alert.resolved", "alert", alert_id,
            {
                "by": actor.handle, "note": text, "from_state": row.state, "received_at": to_db_text(row.received_at),  # type: ignore[arg-type]
                "severity": row.severity, "level": row.level, "implicit_ack": implicit,
                "resolve_seconds": round(resolve_us / 1e6, 3),
            },
        )
        for child in _children(session, alert_id):  # never an orphan: the children close with it
            implicit = child.first_acked_at is None
            resolve_us = micros(now - child.received_at)  # type: ignore[operator]
            values = {"state": AlertState.RESOLVED.value, "resolved_by_id": actor.officer_id, "resolved_at": now,
                      "resolution": f"resolved with #{alert_id}: {text}"[:5000], "next_escalation_at": None,
                      "snoozed_until": None, "resolve_us": resolve_us}
            if implicit:
                values.update(first_acked_at=now, acked_at=now, acked_by_id=actor.officer_id,
                              ack_us=resolve_us - (child.snoozed_us or 0))
            if not _cas(session, child, **values):
                continue
            append_event(
                session, now, actor.handle, "alert.resolved", "alert", child.id,
                {"by": actor.handle, "with": alert_id, "note": values["resolution"], "from_state": child.state,
                 "received_at": to_db_text(child.received_at), "severity": child.severity, "level": child.level,  # type: ignore[arg-type]
                 "implicit_ack": implicit, "resolve_seconds": round(resolve_us / 1e6, 3)},
            )
    return get_alert(rt, alert_id)


def add_note(rt: Runtime, actor: Actor, alert_id: int, text: str) -> None:
    """A note on any alert, in any state (the alert's timeline keeps it)."""
    require(actor.handle, actor.role, Action.ANNOTATE)
    body = person_text(text, NOTE_MAX, f"the note for alert #{alert_id}")
    if not body:
        raise InvalidInput(_("the note for alert #{alert_id} is empty; write what you want to record.").format(alert_id=alert_id))
    now = rt.now()
    with rt.db.write() as session:
        row = _load(session, alert_id)
        append_event(session, now, actor.handle, "alert.noted", "alert", alert_id, {"by": actor.handle, "text": body, "state": row.state, "level": row.level})


def escalate(rt: Runtime, actor: Actor, alert_id: int, reason: str = "") -> AlertRecord:
    """A lead or supervisor fires the next step now; an acknowledged alert becomes new again."""
    require(actor.handle, actor.role, Action.ESCALATE)
    why = person_text(reason, REASON_MAX, "the reason", multiline=False)
    now = rt.now()
    with rt.db.write() as session:
        row = _load(session, alert_id)
        if row.state not in OPEN:
            raise _state_refusal(rt, session, row, "escalating")
        if row.joined_to_id is not None:
            raise _grouped(row, "escalate")
        if row.exhausted:
            raise Refused(
                f"alert #{alert_id} has already climbed every step of its {row.severity} policy; "
                f"make the calls listed in 'watchdesk alert show {alert_id}'."
            )
        if escalate_now(session, rt, row, now, actor.handle, why) is None:
            raise _lost(alert_id)
    return get_alert(rt, alert_id)


def snooze(rt: Runtime, actor: Actor, alert_id: int, duration: timedelta, reason: str) -> AlertRecord:
    """Pause escalation until now + duration (at most alerts.snooze_max), with a reason."""
    require(actor.handle, actor.role, Action.SNOOZE)
    why = person_text(reason, REASON_MAX, "the reason", multiline=False)
    if not why:
        raise InvalidInput(_("snoozing alert #{alert_id} needs a reason (why may it wait?).").format(alert_id=alert_id))
    limit = rt.config.alerts.snooze_max
    if duration <= timedelta(0):
        raise InvalidInput(_("a snooze must last some time, e.g. '30m'."))
    if duration > limit:
        raise InvalidInput(
            f"a snooze may last at most {format_duration(limit)} (alerts.snooze_max); asked for {format_duration(duration)}."
        )
    now = rt.now()
    until = now + duration
    with rt.db.write() as session:
        row = _load(session, alert_id)
        if row.state not in OPEN:
            raise _state_refusal(rt, session, row, "snoozing")
        if row.joined_to_id is not None:
            raise _grouped(row, "snooze")
        snoozed = _unsnoozed_us(row, now)
        if row.first_acked_at is None:
            snoozed += micros(duration)  # excluded from time-to-acknowledge (trimmed if acked sooner)
        nxt = row.next_escalation_at
        if nxt is not None and nxt < until:
            nxt = until
        if not _cas(session, row, snoozed_until=until, snoozed_us=snoozed, next_escalation_at=nxt):
            raise _lost(alert_id)
        append_event(
            session, now, actor.handle, "alert.snoozed", "alert", alert_id,
            {"by": actor.handle, "until": to_db_text(until), "seconds": duration.total_seconds(), "reason": why,
             "state": row.state, "level": row.level},
        )
        # A joined child keeps no timers: the parent's snooze is what pauses it; its log says so.
        for child in _children(session, alert_id):
            append_event(
                session, now, actor.handle, "alert.snoozed", "alert", child.id,
                {"by": actor.handle, "with": alert_id, "until": to_db_text(until), "seconds": duration.total_seconds(),
                 "reason": why, "state": child.state, "level": child.level, "text": f"snoozed with #{alert_id}"},
            )
    return get_alert(rt, alert_id)


def _grouped(row: Alert, doing: str) -> Refused:
    return Refused(
        f"alert #{row.id} is grouped under #{row.joined_to_id}, whose escalation covers it; {doing} #{row.joined_to_id}, "
        f"or split #{row.id} off first ('watchdesk alert split {row.id}')."
    )


def split(rt: Runtime, actor: Actor, alert_id: int) -> AlertRecord:
    """Take a joined child out of its group: it escalates on its own from its first step, now."""
    require(actor.handle, actor.role, Action.ACKNOWLEDGE)
    _person(actor, "splitting an alert off")
    now = rt.now()
    with rt.db.write() as session:
        row = _load(session, alert_id)
        if row.state not in OPEN:
            raise _state_refusal(rt, session, row, "splitting it off")
        parent = row.joined_to_id
        if parent is None:
            raise Refused(_("alert #{alert_id} is not grouped under another alert; there is nothing to split it from.").format(alert_id=alert_id))
        if not _cas(session, row, joined_to_id=None, state=AlertState.NEW.value, level=1, step=0, round=0,
                    next_escalation_at=now, exhausted=False, acked_by_id=None, acked_at=None, snoozed_until=None):
            raise _lost(alert_id)
        append_event(session, now, actor.handle, "alert.split", "alert", alert_id,
                     {"by": actor.handle, "from": parent, "from_state": row.state, "text": f"split off #{parent}"})
        append_event(session, now, actor.handle, "alert.split_off", "alert", parent, {"by": actor.handle, "child": alert_id})
    return get_alert(rt, alert_id)


def assign(rt: Runtime, actor: Actor, alert_id: int, handle: str) -> AlertRecord:
    """A lead or supervisor gives the alert to an officer (their desks ring)."""
    require(actor.handle, actor.role, Action.REASSIGN)
    officer = get_officer(rt, handle)
    if not officer.active:
        raise Refused(_("officer '{handle}' is inactive; assign the alert to someone on duty.").format(handle=officer.handle))
    now = rt.now()
    with rt.db.write() as session:
        row = _load(session, alert_id)
        if row.state not in OPEN:
            raise _state_refusal(rt, session, row, "assigning")
        before = _handle(session, row.assignee_id) if row.assignee_id else ""
        if not _cas(session, row, assignee_id=officer.id):
            raise _lost(alert_id)
        seq = append_event(
            session, now, actor.handle, "alert.assigned", "alert", alert_id,
            {"by": actor.handle, "from": before, "to": officer.handle, "state": row.state, "level": row.level},
        )
        page = assignment_page(alert_id=alert_id, title=row.title, severity=row.severity, by=actor.handle)
        for name, conf in rt.config.channels.items():
            if conf.type == "terminal" and conf.enabled:
                enqueue(session, alert_id=alert_id, level=row.level, round=row.round, channel=name, channel_type="terminal",
                        target=officer.handle, page=page, now=now, key=f"alert:{alert_id}:assigned:{seq}:{name}")
    return get_alert(rt, alert_id)
