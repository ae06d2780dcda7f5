"""Roll call: an officer who has not checked in `roster.checkin_grace` after their shift began raises an alert.

The engine calls `check_roll_call` every tick. The alert's dedup key names the shift, so it
is raised once however many ticks (or processes) see the miss; it then escalates like any
other alert until someone acknowledges it, or until the officer checks in: the check-in
(`services.roster.checkin`) clears it by the system, in its own transaction. Title and summary are
written once, in the desk's language.
"""

from __future__ import annotations

from datetime import timedelta

from watchdesk.core.enums import AlertState, Category, Severity
from watchdesk.core.roster import LEVEL_NAMES, Segment, local_text
from watchdesk.i18n import _
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.roster import MAX_SHIFT, _segments, roll_call_key
from watchdesk.services.runtime import Runtime
from watchdesk.store.queries import roll_call as q

SOURCE_KEY = "roster"


def missed_roll_calls(rt: Runtime) -> list[Segment]:
    """Duty under way now whose officer has not checked in within the grace."""
    now = rt.now()
    grace = rt.config.roster.checkin_grace
    with rt.db.read() as session:
        segments = _segments(session, now - MAX_SHIFT, now + timedelta(microseconds=1))
    return [
        g for g in segments
        if g.start <= now < g.end and g.span.checked_in_at is None and now - g.start >= grace
    ]


def check_roll_call(rt: Runtime) -> list[int]:
    """Raise one roll-call alert per shift whose officer has not checked in; returns the new alert ids."""
    missed = missed_roll_calls(rt)
    if missed:
        # A miss already raised needs no write lock on every tick while it lasts.
        keys = [roll_call_key(g.span.id) for g in missed]
        with rt.db.read() as session:
            raised = q.existing_dedup_keys(session, keys)
        missed = [g for g, key in zip(missed, keys) if key not in raised]
    if not missed:
        return []  # the common case takes no write lock
    now = rt.now()
    created: list[int] = []
    with rt.db.write() as session:
        for g in missed:
            # The miss was read before this transaction: a check-in committed since answers it.
            if q.checked_in(session, g.span.id):
                continue
            alert, new = raise_alert(
                session, now,
                source_key=SOURCE_KEY,
                dedup_key=roll_call_key(g.span.id),
                title=_("Roll call: {officer} has not checked in for the level {level} shift that began {start}").format(
                    officer=g.officer, level=g.level, start=local_text(g.start, rt.zone)),
                summary=_("{name} ({officer}) is rostered as {role} from {start} to {end} ({zone}) and has not checked in "
                          "within {grace}. Call them; if they cannot come, a lead overrides the shift "
                          "('watchdesk roster override').").format(
                    name=g.span.full_name or g.officer, officer=g.officer, role=_(LEVEL_NAMES[g.level]),
                    start=local_text(g.start, rt.zone), end=local_text(g.end, rt.zone), zone=rt.zone.key,
                    grace=rt.config.roster.checkin_grace),
                severity=Severity.HIGH,
                category=Category.ROLL_CALL,
            )
            if new and alert.id is not None:
                created.append(alert.id)
    return created


def cleared_roll_call(rt: Runtime, shift_id: int) -> int | None:
    """The shift's roll-call alert if its check-in cleared it (to tell the officer), else None."""
    with rt.db.read() as session:
        row = q.alert_by_dedup_key(session, roll_call_key(shift_id))
    if row is None or row.state != AlertState.RESOLVED.value or row.resolved_by_id is not None:
        return None
    return row.id
