"""The escalation harness: exactly the pages due, at the right level, and no other."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.engine.conftest import REPEATS, WAITS, Desk, alert_row, duty, kinds, new_alert
from watchdesk.core.records import Actor
from watchdesk.notify.outbox import terminal_messages_since
from watchdesk.services import lifecycle
from watchdesk.services.calls import list_calls
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import events_for, verify

SECOND = 1 / 60


@pytest.mark.parametrize("severity", ["critical", "high", "medium", "low"])
def test_full_climb_and_repeat(desk: Desk, rt: Runtime, severity: str) -> None:
    """Level 1, 2, 3, then a call to VNCERT/CC; repeated `repeat` rounds; then exhausted with the fallback call."""
    w, rounds = WAITS[severity], REPEATS[severity] + 1
    alert = new_alert(rt, severity=severity)
    desk.tick()
    desk.expect(("hung", 1))
    for r in range(rounds):
        base = r * 4 * w  # a round: level 1, 2, 3, the call; the next round starts one wait later
        if r:
            desk.at(base - SECOND)
            desk.tick()
            desk.expect()
            desk.at(base)
            desk.tick()
            desk.expect(("hung", 1))
        for k, who in ((1, "lan"), (2, "minh")):
            desk.at(base + k * w - SECOND)
            desk.tick()
            desk.expect()
            desk.at(base + k * w)
            desk.tick()
            desk.expect((who, k + 1))
        desk.at(base + 3 * w - SECOND)
        desk.tick()
        desk.expect()
        desk.at(base + 3 * w)
        desk.tick()
        desk.expect()  # the call step sends nothing: it makes a call task
        calls = list_calls(rt, alert)
        assert [(c.contact_key, c.round) for c in calls] == [("vncert", i) for i in range(r + 1)]
    row = alert_row(rt, alert)
    assert row.exhausted and row.state == "new" and row.next_escalation_at is None
    assert kinds(rt, alert).count("alert.exhausted") == 1
    desk.at(rounds * 4 * w + 600)
    desk.tick()
    desk.expect()
    # Every page also rang the terminals of the desks (terminal rows, already 'sent').
    terminal = terminal_messages_since(rt, 0)
    assert [m.target for m in terminal] == (["hung", "lan", "minh"] * rounds)
    assert verify(rt.db).ok


def test_ack_stops_the_climb(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt)
    desk.tick()
    desk.expect(("hung", 1))
    desk.at(2)
    lifecycle.acknowledge(rt, staff["hung"], alert)
    for minute in (5, 10, 15, 60, 119):
        desk.at(minute)
        desk.tick()
        desk.expect()
    assert alert_row(rt, alert).state == "acknowledged"


def test_ack_timeout_rearms_the_alert(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    """Acknowledged but not resolved within the policy's ack_timeout (critical: 2 h) → new, paged again from level 1."""
    alert = new_alert(rt)
    desk.tick()
    desk.expect(("hung", 1))
    desk.at(1)
    lifecycle.acknowledge(rt, staff["hung"], alert)
    desk.at(1 + 120 - SECOND)
    desk.tick()
    desk.expect()
    desk.at(1 + 120)
    desk.tick()
    desk.expect(("hung", 1))
    row = alert_row(rt, alert)
    assert (row.state, row.round, row.step, row.acked_by_id) == ("new", 1, 1, None)
    assert row.first_acked_at is not None  # time-to-acknowledge keeps the first acknowledgment
    desk.at(1 + 125)
    desk.tick()
    desk.expect(("lan", 2))
    assert "alert.ack_timeout" in kinds(rt, alert)


def test_snooze_pauses_escalation(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt)
    desk.tick()
    desk.expect(("hung", 1))
    desk.at(1)
    lifecycle.snooze(rt, staff["hung"], alert, timedelta(minutes=30), "waiting for the vendor's advisory")
    for minute in (5, 10, 15, 30):
        desk.at(minute)
        desk.tick()
        desk.expect()
    desk.at(31)
    desk.tick()
    desk.expect(("lan", 2))  # the snooze ended: the paused step fires
    desk.at(33)
    lifecycle.acknowledge(rt, staff["lan"], alert)
    row = alert_row(rt, alert)
    assert row.snoozed_us == 1800 * 10**6 and row.ack_us == (33 * 60 - 1800) * 10**6
    ack = [e for e in events_for(rt.db, "alert", alert) if e.kind == "alert.acknowledged"][0]
    assert ack.payload["ack_seconds"] == pytest.approx(33 * 60 - 1800)
    assert "alert.snooze_ended" in kinds(rt, alert)


def test_ack_during_snooze_counts_only_the_snooze_so_far(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt)
    desk.tick()
    desk.at(1)
    lifecycle.snooze(rt, staff["hung"], alert, timedelta(minutes=30), "checking")
    desk.at(11)
    lifecycle.acknowledge(rt, staff["hung"], alert)
    assert alert_row(rt, alert).snoozed_us == 600 * 10**6


def test_manual_escalate_from_acknowledged(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    """A lead escalates an acknowledged alert: it is new again at the next level, whose officer is paged now."""
    alert = new_alert(rt)
    desk.tick()
    desk.expect(("hung", 1))
    desk.at(1)
    lifecycle.acknowledge(rt, staff["hung"], alert)
    desk.at(2)
    record = lifecycle.escalate(rt, staff["lan"], alert, "needs the lead: production VPN")
    assert (record.state.value, record.level) == ("new", 2)
    desk.tick()
    desk.expect(("lan", 2))
    desk.at(7)  # the next step waits its 5 minutes from the manual escalation
    desk.tick()
    desk.expect(("minh", 3))
    escalated = [e for e in events_for(rt.db, "alert", alert) if e.kind == "alert.escalated"]
    assert escalated[0].actor == "lan" and escalated[0].payload["manual"] and escalated[0].payload["reason"]


def test_nobody_on_duty_at_level_1(rt: Runtime, clock, webhook, staff: dict[str, Actor]) -> None:
    """No level-1 shift: logged as 'nobody on duty at level 1', and level 2 is paged at once."""
    t0 = clock.now()
    duty(rt, "lan", 2, t0 - timedelta(hours=1), t0 + timedelta(hours=8))
    duty(rt, "minh", 3, t0 - timedelta(hours=1), t0 + timedelta(hours=8))
    desk = Desk(rt, clock, webhook)
    alert = new_alert(rt)
    desk.tick()
    desk.expect(("lan", 2))
    nobody = [e for e in events_for(rt.db, "alert", alert) if e.kind == "alert.nobody_on_duty"]
    assert [e.payload["level"] for e in nobody] == [1]
    desk.at(5)
    desk.tick()
    desk.expect(("minh", 3))
    desk.close()


def test_nobody_on_duty_anywhere_still_reaches_the_fallback(rt: Runtime, clock, webhook, staff: dict[str, Actor]) -> None:
    desk = Desk(rt, clock, webhook)
    alert = new_alert(rt, severity="low")
    desk.tick()
    desk.expect()
    assert [c.contact_key for c in list_calls(rt, alert)] == ["vncert"]
    assert alert_row(rt, alert).exhausted
    desk.close()


def test_roster_change_mid_escalation(rt: Runtime, clock, webhook, staff: dict[str, Actor]) -> None:
    """lan's level-2 shift ends at +3 min and thu takes over: the step at +5 min pages thu, not lan."""
    t0 = clock.now()
    duty(rt, "hung", 1, t0 - timedelta(hours=1), t0 + timedelta(hours=8))
    duty(rt, "lan", 2, t0 - timedelta(hours=1), t0 + timedelta(minutes=3))
    duty(rt, "thu", 2, t0 + timedelta(minutes=3), t0 + timedelta(hours=8))
    desk = Desk(rt, clock, webhook)
    new_alert(rt)
    desk.tick()
    desk.expect(("hung", 1))
    desk.at(5)
    desk.tick()
    desk.expect(("thu", 2))
    desk.close()


def test_override_shift_wins(rt: Runtime, clock, webhook, staff: dict[str, Actor]) -> None:
    t0 = clock.now()
    base = duty(rt, "hung", 1, t0 - timedelta(hours=1), t0 + timedelta(hours=8))
    duty(rt, "thu", 1, t0 - timedelta(minutes=30), t0 + timedelta(hours=1), replaces=base)
    desk = Desk(rt, clock, webhook)
    new_alert(rt)
    desk.tick()
    desk.expect(("thu", 1))
    desk.close()


def test_engine_down_two_hours(desk: Desk, rt: Runtime) -> None:
    """Back after 2 h: the critical alert is brought to where it should be (exhausted, level 3) with ONE page."""
    alert = new_alert(rt)
    desk.tick()
    desk.expect(("hung", 1))
    desk.at(120)
    desk.tick()
    desk.expect(("minh", 3))
    row = alert_row(rt, alert)
    assert row.exhausted and row.level == 3
    skipped = [e for e in events_for(rt.db, "alert", alert) if e.kind == "alert.steps_skipped"]
    assert len(skipped) == 1
    # Rounds at 0/5/10/15(call), 20/25/30/35(call), 40/45/50/55(final call): after the page at 0,
    # nine steps are skipped, level 3 (50) is paged once, and the final call (55) is made.
    assert len(skipped[0].payload["steps"]) == 9
    assert [(c.contact_key, c.round) for c in list_calls(rt, alert)] == [("vncert", 2)]
    desk.at(240)
    desk.tick()
    desk.expect()


def test_engine_down_twelve_minutes(desk: Desk, rt: Runtime) -> None:
    alert = new_alert(rt)
    desk.tick()
    desk.expect(("hung", 1))
    desk.at(12)
    desk.tick()
    desk.expect(("minh", 3))  # level 2 (at 5) was skipped and logged
    assert alert_row(rt, alert).next_escalation_at == desk.t0 + timedelta(minutes=15)
    desk.at(15)
    desk.tick()
    desk.expect()
    assert [c.contact_key for c in list_calls(rt, alert)] == ["vncert"]
    desk.at(20)
    desk.tick()
    desk.expect(("hung", 1))


def test_joined_alert_is_never_paged(desk: Desk, rt: Runtime) -> None:
    parent = new_alert(rt, key="parent")
    with rt.db.write() as session:
        from watchdesk.store.models import Alert

        child = Alert(source_key="cisa-kev", dedup_key="child", title="CVE-2022-42475 in KEV", severity="critical",
                      received_at=rt.now(), joined_to_id=parent)
        from watchdesk.services.alert_factory import insert_alert

        row, _ = insert_alert(session, child, rt.now(), rt=rt)
        assert row.next_escalation_at is None  # a joined child keeps no timers of its own
        child_id = row.id
    desk.tick()
    desk.expect(("hung", 1), alert_id=parent)
    assert kinds(rt, child_id) == ["alert.raised"]


def test_two_alerts_same_tick_same_officer(desk: Desk, rt: Runtime) -> None:
    a = new_alert(rt, key="a")
    b = new_alert(rt, key="b", severity="high")
    desk.tick()
    got = sorted((r.body["alert_id"], r.body["target"]) for r in desk.webhook.take())
    assert got == [(a, "hung"), (b, "hung")]
