"""Call tasks: an outside contact (VNCERT/CC, NCSC, a hotline) the officer must call for an alert.

A contact step of a policy sends nothing by itself: it gives the officer whom to call, the
numbers and the e-mail, and records how the call went (called, no answer, reported with the
contact's reference number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watchdesk.core.permissions import Action, require
from watchdesk.core.records import Actor
from watchdesk.core.text import clean_line
from watchdesk.services.errors import InvalidInput, NotFound, Refused
from watchdesk.i18n import _
from watchdesk.services.limits import CALL_NOTE_MAX, REFERENCE_MAX, person_text
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import append_event
from watchdesk.store.db import Session
from watchdesk.store.models import CallTask
from watchdesk.store.queries import calls as q
from watchdesk.store.queries.contacts import contacts_by_key

OUTCOMES = ("called", "no-answer", "reported")


@dataclass(frozen=True)
class CallTaskRecord:
    id: int
    alert_id: int
    contact_key: str
    name: str
    phone: str
    hotline: str
    email: str
    round: int
    step: int
    created_at: datetime
    outcome: str  # "" while still to do
    reference: str
    note: str
    done_by: str
    done_at: datetime | None

    @property
    def open(self) -> bool:
        return self.outcome in ("", "no-answer")


def _records(rt: Runtime, session: Session, rows: list[CallTask]) -> list[CallTaskRecord]:
    contacts = contacts_by_key(session)
    handles = q.officer_handles(session, {r.done_by_id for r in rows if r.done_by_id})
    out = []
    for r in rows:
        c = rt.config.contact(r.contact_key) or contacts.get(r.contact_key)
        out.append(
            CallTaskRecord(
                id=r.id or 0, alert_id=r.alert_id, contact_key=r.contact_key,
                name=c.name if c else r.contact_key, phone=c.phone if c else "", hotline=c.hotline if c else "",
                email=c.email if c else "", round=r.round, step=r.step, created_at=r.created_at,  # type: ignore[arg-type]
                outcome=r.outcome, reference=r.reference, note=r.note,
                done_by=handles.get(r.done_by_id or 0, ""), done_at=r.done_at,
            )
        )
    return out


def list_calls(rt: Runtime, alert_id: int) -> list[CallTaskRecord]:
    """The call tasks of one alert, oldest first."""
    with rt.db.read() as session:
        return _records(rt, session, q.call_tasks_of(session, alert_id))


def open_calls(rt: Runtime) -> list[CallTaskRecord]:
    """Calls still to make (never made, or no answer yet), across all alerts."""
    with rt.db.read() as session:
        return _records(rt, session, q.open_call_tasks(session))


def record_call(
    rt: Runtime, actor: Actor, call_id: int, outcome: str, reference: str = "", note: str = ""
) -> CallTaskRecord:
    """How the call went; 'reported' needs the contact's reference number. One write + its event."""
    require(actor.handle, actor.role, Action.ANNOTATE)
    outcome = clean_line(outcome).lower()
    if outcome not in OUTCOMES:
        raise InvalidInput(_("call outcome '{outcome}' is not allowed; use {outcomes}.").format(outcome=outcome, outcomes=', '.join(OUTCOMES)))
    reference = person_text(reference, REFERENCE_MAX, "the reference", multiline=False)
    note = person_text(note, CALL_NOTE_MAX, "the call's note")
    if outcome == "reported" and not reference:
        raise InvalidInput(_("call #{call_id}: 'reported' needs the reference number the contact gave (--reference).").format(call_id=call_id))
    now = rt.now()
    with rt.db.write() as session:
        row = session.get(CallTask, call_id)
        if row is None:
            raise NotFound(_("no call task #{call_id}; see 'watchdesk alert show ALERT_ID'.").format(call_id=call_id))
        if row.outcome == "reported":
            raise Refused(_("call #{call_id} was already reported (reference {reference}).").format(call_id=call_id, reference=row.reference or '-'))
        if not q.record_outcome(session, call_id, row.outcome, outcome=outcome, reference=reference, note=note,
                                done_by_id=actor.officer_id, done_at=now):
            raise Refused(_("call #{call_id} changed while you recorded it; look again.").format(call_id=call_id))
        append_event(
            session, now, actor.handle, "call.recorded", "alert", row.alert_id,
            {"call": call_id, "contact": row.contact_key, "outcome": outcome, "reference": reference, "note": note,
             "round": row.round, "step": row.step},
        )
        alert_id = row.alert_id
    return next(c for c in list_calls(rt, alert_id) if c.id == call_id)
