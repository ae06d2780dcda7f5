"""People acting on alerts: refusals say why, permissions hold, each action is one audited change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.engine.conftest import Desk, alert_row, kinds, new_alert
from watchdesk.core.permissions import PermissionDenied
from watchdesk.core.records import SYSTEM_ACTOR, Actor
from watchdesk.notify.outbox import terminal_messages_since
from watchdesk.services import lifecycle
from watchdesk.services.calls import list_calls, open_calls, record_call
from watchdesk.services.errors import InvalidInput, NotFound, Refused
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import events_for, verify


def test_second_ack_is_refused_naming_who_and_when(rt: Runtime, clock, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt)
    clock.fast_forward(timedelta(minutes=3))
    record = lifecycle.acknowledge(rt, staff["lan"], alert)
    assert record.acked_by == "lan" and record.state.value == "acknowledged"
    with pytest.raises(Refused, match=rf"^alert #{alert} was already acknowledged by lan at 02:03\.$"):
        lifecycle.acknowledge(rt, staff["hung"], alert)
    assert kinds(rt, alert).count("alert.acknowledged") == 1


def test_ack_event_carries_what_the_report_needs(rt: Runtime, clock, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt, severity="critical")
    clock.fast_forward(timedelta(minutes=7))
    lifecycle.acknowledge(rt, staff["hung"], alert)
    (ack,) = [e for e in events_for(rt.db, "alert", alert) if e.kind == "alert.acknowledged"]
    p = ack.payload
    assert (p["by"], p["severity"], p["level"], p["first"]) == ("hung", "critical", 1, True)
    assert p["ack_seconds"] == 420 and p["ack_target_seconds"] == 300 and p["breached"] is True
    assert p["received_at"].startswith("2026-02-16 19:00:00")
    row = alert_row(rt, alert)
    assert row.first_acked_at == row.acked_at
    assert row.next_escalation_at == row.acked_at + timedelta(hours=2)  # the critical ack timeout


def test_the_system_cannot_acknowledge(rt: Runtime) -> None:
    alert = new_alert(rt)
    with pytest.raises(PermissionDenied, match="needs an officer signed in"):
        lifecycle.acknowledge(rt, SYSTEM_ACTOR, alert)


def test_resolve_needs_a_note_and_then_refuses_everything(rt: Runtime, clock, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt)
    with pytest.raises(InvalidInput, match="needs a resolution note"):
        lifecycle.resolve(rt, staff["hung"], alert, "   \x1b[2J ")
    clock.fast_forward(timedelta(minutes=10))
    record = lifecycle.resolve(rt, staff["hung"], alert, "Patched FortiOS to 7.2.3 on both gateways.")
    assert record.state.value == "resolved" and record.resolution.startswith("Patched")
    row = alert_row(rt, alert)
    assert row.first_acked_at is not None and row.next_escalation_at is None  # resolving acknowledges too
    for action in (
        lambda: lifecycle.acknowledge(rt, staff["thu"], alert),
        lambda: lifecycle.resolve(rt, staff["thu"], alert, "again"),
        lambda: lifecycle.escalate(rt, staff["lan"], alert, "x"),
        lambda: lifecycle.snooze(rt, staff["thu"], alert, timedelta(minutes=5), "x"),
        lambda: lifecycle.assign(rt, staff["lan"], alert, "thu"),
    ):
        with pytest.raises(Refused, match=rf"alert #{alert} was already resolved by hung at 02:10"):
            action()


def test_permissions(rt: Runtime, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt)
    with pytest.raises(PermissionDenied, match="hung is an officer and may not escalate; only leads and supervisors may"):
        lifecycle.escalate(rt, staff["hung"], alert)
    with pytest.raises(PermissionDenied, match="may not reassign"):
        lifecycle.assign(rt, staff["thu"], alert, "hung")
    assert kinds(rt, alert) == ["alert.raised"]


def test_unknown_alert(rt: Runtime, staff: dict[str, Actor]) -> None:
    with pytest.raises(NotFound, match="no alert #999"):
        lifecycle.acknowledge(rt, staff["hung"], 999)


def test_snooze_limits(rt: Runtime, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt)
    with pytest.raises(InvalidInput, match=r"at most 4h \(alerts.snooze_max\); asked for 5h"):
        lifecycle.snooze(rt, staff["hung"], alert, timedelta(hours=5), "later")
    with pytest.raises(InvalidInput, match="needs a reason"):
        lifecycle.snooze(rt, staff["hung"], alert, timedelta(minutes=5), " ")
    record = lifecycle.snooze(rt, staff["hung"], alert, timedelta(minutes=20), "vendor call at 02:20")
    assert record.snoozed_until == rt.now() + timedelta(minutes=20)
    assert record.next_escalation_at == record.snoozed_until


def test_note_is_cleaned_and_kept(rt: Runtime, staff: dict[str, Actor]) -> None:
    """An officer pastes a note with terminal escapes and a bidi override: the timeline keeps the words, not the controls."""
    alert = new_alert(rt)
    lifecycle.add_note(rt, staff["thu"], alert, "Gọi NCSC\x1b]52;c;ZXZpbA==\x07 lúc 02:05 [b]ok[/b]\u202e\x00")
    (note,) = [e for e in events_for(rt.db, "alert", alert) if e.kind == "alert.noted"]
    assert note.payload["text"] == "Gọi NCSC lúc 02:05 [b]ok[/b]"
    with pytest.raises(InvalidInput):
        lifecycle.add_note(rt, staff["thu"], alert, "\x1b[2J")


def test_assign_rings_the_assignees_desk(rt: Runtime, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt)
    record = lifecycle.assign(rt, staff["lan"], alert, "thu")
    assert record.assignee == "thu"
    (msg,) = terminal_messages_since(rt, 0, target="thu")
    assert msg.alert_id == alert and "assigned to you" in msg.subject
    with pytest.raises(NotFound):
        lifecycle.assign(rt, staff["lan"], alert, "nobody")


def test_escalating_an_exhausted_alert_is_refused(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt, severity="low")
    desk.tick()
    desk.at(24 * 60)
    desk.tick()
    assert alert_row(rt, alert).exhausted
    with pytest.raises(Refused, match="already climbed every step"):
        lifecycle.escalate(rt, staff["lan"], alert)


def test_call_tasks_record_outcomes(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    """The contact step gives whom to call with the numbers; the officer records no answer, then reported with a reference."""
    alert = new_alert(rt, severity="low")
    desk.tick()
    desk.at(3 * 240)
    desk.tick()
    (call,) = list_calls(rt, alert)
    assert call.contact_key == "vncert" and call.phone and call.email == "ir@vncert.vn" and call.open
    assert [c.id for c in open_calls(rt)] == [call.id]
    record_call(rt, staff["hung"], call.id, "no-answer", note="máy bận")
    with pytest.raises(InvalidInput, match="needs the reference number"):
        record_call(rt, staff["hung"], call.id, "reported")
    done = record_call(rt, staff["hung"], call.id, "reported", reference="VNCERT-2026-0217-03")
    assert (done.outcome, done.reference, done.done_by, done.open) == ("reported", "VNCERT-2026-0217-03", "hung", False)
    with pytest.raises(Refused, match="already reported"):
        record_call(rt, staff["hung"], call.id, "called")
    assert kinds(rt, alert).count("call.recorded") == 2
    assert open_calls(rt) == []
    with pytest.raises(InvalidInput, match="not allowed"):
        record_call(rt, staff["hung"], call.id, "emailed")
    assert verify(rt.db).ok
