"""Answers clear their questions: a check-in ends the roll call's pages, an acceptance the late handover's.

The engine runs tick by tick on the fake clock against a real webhook server; after the answer,
no page of the cleared alert may arrive (`Desk.expect()` with nothing fails on any).
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from tests.engine.conftest import Desk, alert_row, duty, kinds
from watchdesk.services import roster
from watchdesk.services.handover import accept, sign_out
from watchdesk.store.audit import events_for
from watchdesk.store.models import Alert, Notification, Officer, Shift


def _unchecked_shift(rt, handle: str, level: int, start, end) -> int:  # noqa: ANN001
    """A shift whose officer has not checked in (the roll call's question)."""
    with rt.db.write() as session:
        officer = session.exec(select(Officer).where(Officer.handle == handle)).one()
        row = Shift(officer_id=officer.id, level=level, starts_at=start, ends_at=end)
        session.add(row)
        session.flush()
        return row.id  # type: ignore[return-value]


def _only(rt, category: str) -> Alert:  # noqa: ANN001
    with rt.db.read() as session:
        (row,) = session.exec(select(Alert).where(Alert.category == category)).all()
        return row


def test_check_in_clears_the_roll_call_and_no_page_of_it_is_delivered_after(rt, clock, webhook, staff) -> None:  # noqa: ANN001
    t0 = clock.now()
    shift = _unchecked_shift(rt, "thu", 1, t0, t0 + timedelta(hours=12))
    duty(rt, "lan", 2, t0 - timedelta(hours=1), t0 + timedelta(hours=12))
    desk = Desk(rt, clock, webhook)
    try:
        webhook.script = [(500, {})]  # the first page to thu fails: its retry is pending when she checks in
        desk.at(10.5)
        desk.tick()
        alert = _only(rt, "roll-call")
        desk.expect(("thu", 1))
        with rt.db.read() as session:
            pending = session.exec(select(Notification).where(Notification.alert_id == alert.id,
                                                              Notification.status == "pending")).all()
        assert [p.channel for p in pending] == ["hook"]

        clock.fast_forward(timedelta(seconds=2))
        roster.checkin(rt, staff["thu"])
        row = alert_row(rt, alert.id)
        assert (row.state, row.resolved_by_id, row.first_acked_at) == ("resolved", None, None)
        assert row.resolution.startswith("Cleared by the system: thu checked in at ")
        cleared = [e for e in events_for(rt.db, "alert", alert.id) if e.kind == "alert.cleared"]
        assert [(e.actor, e.payload["shift_id"], e.payload["answered_by"]) for e in cleared] == [("system", shift, "thu")]

        for minutes in (11, 26, 41, 60):  # the retry comes due, then every escalation step would have
            desk.at(minutes)
            desk.tick()
            desk.expect()
        with rt.db.read() as session:
            statuses = {p.channel: p.status for p in session.exec(select(Notification).where(Notification.alert_id == alert.id))}
        assert statuses["hook"] == "cancelled"
        # Level 1 paged before the check-in; after it, only the clearing and the page it made moot.
        assert kinds(rt, alert.id) == ["alert.raised", "alert.paged", "alert.cleared", "notification.cancelled"]
    finally:
        desk.close()


def test_a_check_in_racing_the_roll_call_check_raises_nothing(rt, clock, webhook, staff) -> None:  # noqa: ANN001
    """The check reads the misses before its write: a check-in committed in between wins."""
    from watchdesk.services import roll_call

    t0 = clock.now()
    _unchecked_shift(rt, "thu", 1, t0, t0 + timedelta(hours=12))
    clock.fast_forward(timedelta(minutes=11))
    misses = roll_call.missed_roll_calls(rt)
    assert len(misses) == 1
    roster.checkin(rt, staff["thu"])
    real = roll_call.missed_roll_calls
    roll_call.missed_roll_calls = lambda _rt: misses  # as read just before the check-in committed
    try:
        assert roll_call.check_roll_call(rt) == []
    finally:
        roll_call.missed_roll_calls = real
    with rt.db.read() as session:
        assert session.exec(select(Alert).where(Alert.category == "roll-call")).first() is None


def test_accepting_the_handover_clears_its_late_alert_and_the_lead_is_paged_no_more(rt, clock, webhook, staff) -> None:  # noqa: ANN001
    t0 = clock.now()
    hung = duty(rt, "hung", 1, t0 - timedelta(hours=12), t0)
    duty(rt, "thu", 1, t0, t0 + timedelta(hours=12))
    duty(rt, "lan", 2, t0 - timedelta(hours=12), t0 + timedelta(hours=12))
    desk = Desk(rt, clock, webhook)
    try:
        desk.at(16)  # past handover.accept_within (15 min)
        desk.tick()
        alert = _only(rt, "handover")
        desk.expect(("thu", 1))
        sign_out(rt, staff["hung"], "muộn", hung)
        desk.at(17)
        done = accept(rt, staff["thu"], "đã nhận")
        assert done.alert_id == alert.id
        row = alert_row(rt, alert.id)
        assert (row.state, row.resolved_by_id, row.first_acked_at) == ("resolved", None, None)
        assert row.resolution == f"Cleared by the system: the handover of shift #{hung} was accepted by thu at " + row.resolution.split(" at ")[-1]
        assert kinds(rt, alert.id)[-1] == "alert.cleared"
        for minutes in (32, 47, 62, 120):  # level 2 (lan) and on would have been paged
            desk.at(minutes)
            desk.tick()
            desk.expect()
    finally:
        desk.close()
