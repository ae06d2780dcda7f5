"""Alerts counted apart in the ack report: cleared by the system, grouped with a parent, acknowledged off duty.

16/02 19:00 → 17/02 07:00 hung on level 1, lan on level 2 (Hanoi time); minh (supervisor) is on no shift.

P  high 20:00, hung acknowledges 20:10.
C1 joined to P, arrived 20:02: acknowledged with P, 8 min (480 s), by hung.
C2 joined to P, arrived 20:30 (after P's acknowledgment): 0 s.
C3 joined to Q, arrived 21:10: Q is never acknowledged, so C3 waits with it (not "never acknowledged").
C4 joined to P, arrived 19:30 (P arrived later, 20:00): 40 min (2400 s) > 15 min: a breach, timed from its own arrival.
Q  medium 21:00, never acknowledged.
R  a roll-call alert (high) 22:00, cleared by the system at 22:40 (thu checked in): 40 min, never a breach.
O  low 23:00, acknowledged by minh at 23:05 (minh is on no shift).
"""

from __future__ import annotations

import json

import pytest

from tests.reports.history import duty, edit, local, new_alert
from watchdesk.reports.acks import render
from watchdesk.services import lifecycle
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.clearing import clear_by_system
from watchdesk.services.reports import ack_report, date_window
from watchdesk.services.sla import BREACH_DEFINITION
from watchdesk.store.audit import append_event


def joined(rt, clock, at, title: str, parent: int) -> int:  # noqa: ANN001
    clock.set(at)
    with rt.db.write() as session:
        row, _ = raise_alert(session, rt.now(), source_key="nvd", dedup_key=f"nvd:{title}", title=title)
        row.joined_to_id, row.next_escalation_at = parent, None  # a joined child keeps no timers of its own
        session.add(row)
        return row.id  # type: ignore[return-value]


@pytest.fixture
def night(rt, clock, staff):  # noqa: ANN001
    L = lambda t: local(rt, t)  # noqa: E731
    duty(rt, "hung", 1, L("2026-02-16 19:00"), L("2026-02-17 07:00"))
    duty(rt, "lan", 2, L("2026-02-16 19:00"), L("2026-02-17 07:00"))
    ids = {}
    ids["C4"] = new_alert(rt, clock, L("2026-02-16 19:30"), "C4 early report", "high", "nvd")
    ids["P"] = new_alert(rt, clock, L("2026-02-16 20:00"), "P FortiOS", "high", "cisa-kev")
    # C4 is grouped under P, which arrived after it
    edit(rt, "UPDATE alert SET joined_to_id = :p, next_escalation_at = NULL WHERE id = :c", p=ids["P"], c=ids["C4"])
    ids["C1"] = joined(rt, clock, L("2026-02-16 20:02"), "C1 FortiOS (NVD)", ids["P"])
    clock.set(L("2026-02-16 20:10"))
    lifecycle.acknowledge(rt, staff["hung"], ids["P"])
    ids["C2"] = joined(rt, clock, L("2026-02-16 20:30"), "C2 FortiOS (vendor)", ids["P"])
    ids["Q"] = new_alert(rt, clock, L("2026-02-16 21:00"), "Q phishing", "medium", "khonggianmang")
    ids["C3"] = joined(rt, clock, L("2026-02-16 21:10"), "C3 phishing again", ids["Q"])
    clock.set(L("2026-02-16 22:00"))
    with rt.db.write() as session:
        row, _ = raise_alert(session, rt.now(), source_key="roster", dedup_key="roll-call:shift:9", title="Roll call: thu")
        ids["R"] = row.id
    clock.set(L("2026-02-16 22:40"))
    with rt.db.write() as session:
        assert clear_by_system(session, rt.now(), ids["R"], "thu checked in at 22:40")
    ids["O"] = new_alert(rt, clock, L("2026-02-16 23:00"), "O botnet list", "low", "manual")
    clock.set(L("2026-02-16 23:05"))
    lifecycle.acknowledge(rt, staff["minh"], ids["O"])
    clock.set(L("2026-02-17 06:00"))
    return ids


def report(rt):  # noqa: ANN001
    start, end, name = date_window(rt, "2026-02-16", "2026-02-17")
    return ack_report(rt, start, end, name)


def test_cleared_by_the_system_is_counted_apart(rt, night) -> None:  # noqa: ANN001
    r = report(rt)
    assert [(c.alert_id, c.seconds, c.reason, c.category) for c in r.cleared] == [
        (night["R"], 2400, "thu checked in at 22:40", "other")]
    assert night["R"] not in {u.alert_id for u in r.never_acked}
    assert night["R"] not in {b.alert_id for b in r.breaches}
    assert (r.overall.count, r.overall.cleared) == (8, 1)
    assert r.by_severity["high"].cleared == 1 and r.by_source["roster"].cleared == 1
    assert r.by_source["roster"].acked == 0 and r.by_source["roster"].mean is None  # no one's time to acknowledge
    [line] = [a for a in r.alerts if a.id == night["R"]]
    assert line.cleared and line.ack_seconds is None and not line.breached
    md = render(r, "md")
    assert "## Cleared by the system (1): answered before anyone acknowledged them; no time to acknowledge" in md
    assert "thu checked in at 22:40" in md
    data = json.loads(render(r, "json"))
    assert [c["alert_id"] for c in data["cleared_by_system"]] == [night["R"]] and data["overall"]["cleared_by_system"] == 1


def test_a_grouped_child_is_acknowledged_with_its_parent_never_never_acknowledged(rt, night) -> None:  # noqa: ANN001
    r = report(rt)
    grouped = {g.alert_id: g for g in r.grouped}
    assert set(grouped) == {night["C1"], night["C2"], night["C3"], night["C4"]}
    assert (grouped[night["C1"]].ack_seconds, grouped[night["C1"]].first_acked_by, grouped[night["C1"]].parent_id) == (480, "hung", night["P"])
    assert grouped[night["C2"]].ack_seconds == 0 and not grouped[night["C2"]].breached
    assert grouped[night["C3"]].ack_seconds is None and grouped[night["C3"]].waiting_seconds > 0
    assert (grouped[night["C4"]].ack_seconds, grouped[night["C4"]].breached) == (2400, True)
    assert {u.alert_id for u in r.never_acked} == {night["Q"]}  # neither C3 (waits with Q) nor R (cleared)
    assert [(b.alert_id, b.ack_seconds, b.grouped_with) for b in r.breaches] == [(night["C4"], 2400, night["P"])]
    assert r.breaches[0].target_ran_out_at.startswith("2026-02-16 12:45")  # 19:30 + 15 min Hanoi, in UTC
    hung = r.by_officer["hung"]
    assert (hung.acked, hung.breaches) == (4, 1)  # P, C1, C2, C4
    md = render(r, "md")
    assert "## Grouped with another alert (4): acknowledged with their parent" in md
    assert f"waiting with #{night['Q']}" in md
    assert BREACH_DEFINITION in " ".join(r.definitions)
    lines = {a.id: a for a in r.alerts}
    assert lines[night["C1"]].grouped_with == night["P"] and lines[night["C1"]].ack_seconds == 480


def test_an_acknowledgment_by_someone_not_on_duty_is_listed(rt, clock, staff, night) -> None:  # noqa: ANN001
    """The acknowledgment says whether it was made on duty; one without the field (older) counts as on duty."""
    # minh (on no shift that night) acknowledged O: the desk recorded it as made off duty.
    assert [(o.alert_id, o.by) for o in report(rt).off_duty] == [(night["O"], "minh")]
    clock.set(local(rt, "2026-02-16 23:20"))
    with rt.db.write() as session:
        append_event(session, rt.now(), "minh", "alert.acknowledged", "alert", night["Q"],
                     {"by": "minh", "first": True, "on_duty": False})
        append_event(session, rt.now(), "lan", "alert.acknowledged", "alert", night["C2"],
                     {"by": "lan", "first": False, "on_duty": True})
    r = report(rt)
    assert [(o.alert_id, o.by, o.first, o.title) for o in r.off_duty] == [
        (night["O"], "minh", True, "O botnet list"), (night["Q"], "minh", True, "Q phishing")]
    md = render(r, "md")
    assert "## Acknowledged by someone not on duty (2)" in md and "16/02/2026 23:20" in md
    assert json.loads(render(r, "json"))["acknowledged_off_duty"][0]["by"] == "minh"
    assert "off_duty_ack_alert_id" in render(r, "csv")


def test_the_off_duty_look_up_reads_only_the_index(rt, night) -> None:  # noqa: ANN001
    if not rt.db.is_sqlite:
        pytest.skip("SQLite-only: the plan read is SQLite's (EXPLAIN QUERY PLAN of the INDEXED BY form)")
    from watchdesk.store.queries.reports import OFF_DUTY_SQL

    conn = rt.db.raw()
    try:
        plan = " ".join(str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + OFF_DUTY_SQL, {"seq": 0}))
    finally:
        conn.close()
    assert "ix_event_ack_off_duty" in plan
