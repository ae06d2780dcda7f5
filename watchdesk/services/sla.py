"""Time to acknowledge and the SLA breach: the one definition the handover record and the ack report share.

Both state BREACH_DEFINITION in their text and decide a breach with `breached`, in integer
microseconds: an alert's own time to acknowledge is its stored `ack_us` (written with its first
acknowledgment, see services.lifecycle); a grouped alert's comes from `grouped_ack_us`, a waiting
one's from `waiting_us`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from watchdesk.i18n import N_
from watchdesk.store.types import micros

BREACH_DEFINITION = N_(
    "SLA breach: an alert whose time to acknowledge is longer than the ack target of its severity "
    "(severities.<severity>.ack_target); an alert not acknowledged yet is a breach (still waiting) once it has "
    "waited longer than its target. Time to acknowledge runs from received_at to the first acknowledgment, minus "
    "the time snoozed before it. A grouped alert (joined to another) is acknowledged with its parent: timed from "
    "its own arrival to the parent's first acknowledgment, 0 when it arrived after it. An alert cleared by the "
    "system (its question answered: a check-in, an accepted handover, a source that recovered) was no person's to "
    "acknowledge and is never a breach."
)


def breached(elapsed: float | None, target: float) -> bool:
    """True when a time to acknowledge (or a time still waiting) is past the target (both in one unit)."""
    return elapsed is not None and elapsed > target


def target_us(target: timedelta) -> int:
    """An ack target in the microseconds the stored durations use."""
    return micros(target)


def grouped_ack_us(received_at: datetime, parent_first_acked_at: datetime) -> int:
    """A grouped alert's time to acknowledge: its own arrival → its parent's first acknowledgment (never negative)."""
    return max(0, micros(parent_first_acked_at - received_at))


def waiting_us(received_at: datetime, now: datetime, snoozed_us: int, snoozed_until: datetime | None) -> int:
    """How long an unacknowledged alert has waited so far, the past part of its snoozes excluded.

    A running snooze is counted whole in snoozed_us when it starts; the part still ahead is
    not excluded yet.
    """
    ahead = max(micros(snoozed_until - now), 0) if snoozed_until is not None else 0
    return micros(now - received_at) - max((snoozed_us or 0) - ahead, 0)
