"""Time to acknowledge and the SLA breach: the one definition the handover record and the ack report share.

Both state BREACH_DEFINITION in their text and decide a breach with `breached`; the times
they pass it come from `ack_seconds`/`grouped_ack_seconds` (the report computes the plain
case in SQL, to the microsecond, for speed: the same formula) or `waiting_seconds`.
"""

from __future__ import annotations

from datetime import datetime

from watchdesk.i18n import N_

BREACH_DEFINITION = N_(
    "SLA breach: an alert whose time to acknowledge is longer than the ack target of its severity "
    "(severities.<severity>.ack_target); an alert not acknowledged yet is a breach (still waiting) once it has "
    "waited longer than its target. Time to acknowledge runs from received_at to the first acknowledgment, minus "
    "the time snoozed before it. A grouped alert (joined to another) is acknowledged with its parent: timed from "
    "its own arrival to the parent's first acknowledgment, 0 when it arrived after it. An alert cleared by the "
    "system (its question answered: a check-in, an accepted handover, a source that recovered) was no person's to "
    "acknowledge and is never a breach."
)


def breached(seconds: float | None, target_seconds: float) -> bool:
    """True when a time to acknowledge (or a time still waiting) is past the target."""
    return seconds is not None and seconds > target_seconds


def ack_seconds(received_at: datetime, first_acked_at: datetime, snoozed_seconds: float) -> float:
    """An alert's own time to acknowledge: received → first acknowledgment, snoozed time excluded."""
    return (first_acked_at - received_at).total_seconds() - float(snoozed_seconds or 0.0)


def grouped_ack_seconds(received_at: datetime, parent_first_acked_at: datetime) -> float:
    """A grouped alert's time to acknowledge: its own arrival → its parent's first acknowledgment (never negative)."""
    return max(0.0, (parent_first_acked_at - received_at).total_seconds())


def waiting_seconds(received_at: datetime, now: datetime, snoozed_seconds: float, snoozed_until: datetime | None) -> float:
    """How long an unacknowledged alert has waited so far, the past part of its snoozes excluded.

    A running snooze is counted whole in snoozed_seconds when it starts; the part still ahead is
    not excluded yet.
    """
    ahead = max((snoozed_until - now).total_seconds(), 0.0) if snoozed_until is not None else 0.0
    return (now - received_at).total_seconds() - max(float(snoozed_seconds or 0.0) - ahead, 0.0)
