"""Shift handover: the draft across midnight with open work carried over, sign-out, acceptance, the late alert."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from watchdesk.config import parse_config
from watchdesk.core.permissions import PermissionDenied
from watchdesk.reports.common import md_cell
from watchdesk.reports.handover import render
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services import lifecycle
from watchdesk.services.errors import Refused
from watchdesk.services.handover import TooEarly, accept, check_overdue_handovers, get_handover, list_handovers, sign_out
from watchdesk.services.reports import make_proof
from watchdesk.store.audit import events_for
from watchdesk.store.models import Alert, Notification

from tests.reports.history import duty, local, new_alert


@pytest.fixture
def night(rt, clock, staff):
    """hung on level 1 16/02 19:00 → 17/02 07:00, thu from 07:00 to 19:00; lan level 2 (Hanoi time).

    A1 high 22:00 acknowledged by hung at 22:05, still open; A2 medium 23:30 never acknowledged;
    A3 critical 01:00 acknowledged late (01:10) and resolved 01:20.
    """
    L = lambda t: local(rt, t)  # noqa: E731
    shifts = {
        "hung": duty(rt, "hung", 1, L("2026-02-16 19:00"), L("2026-02-17 07:00")),
        "thu": duty(rt, "thu", 1, L("2026-02-17 07:00"), L("2026-02-17 19:00")),
    }
    duty(rt, "lan", 2, L("2026-02-16 07:00"), L("2026-02-18 07:00"))
    ids = {"A1": new_alert(rt, clock, L("2026-02-16 22:00"), "A1 Fortinet", "high")}
    clock.set(L("2026-02-16 22:05"))
    lifecycle.acknowledge(rt, staff["hung"], ids["A1"])
    ids["A2"] = new_alert(rt, clock, L("2026-02-16 23:30"), "A2 phishing", "medium")
    ids["A3"] = new_alert(rt, clock, L("2026-02-17 01:00"), "A3 Exchange", "critical")
    clock.set(L("2026-02-17 01:10"))
    lifecycle.acknowledge(rt, staff["hung"], ids["A3"])
    clock.set(L("2026-02-17 01:20"))
    lifecycle.resolve(rt, staff["hung"], ids["A3"], "patched")
    return {"shifts": shifts, "ids": ids}


def test_handover_across_midnight_carries_open_alerts(rt, clock, staff, night):
    ids = night["ids"]
    clock.set(local(rt, "2026-02-17 06:50"))
    draft = get_handover(rt)
    assert draft.status == "draft" and draft.shift_id == night["shifts"]["hung"]
    assert (draft.outgoing, draft.incoming) == ("hung", "thu")
    s = draft.summary
    assert [a["id"] for a in s["received"]] == [ids["A1"], ids["A2"], ids["A3"]]
    assert [a["id"] for a in s["acknowledged"]] == [ids["A1"], ids["A3"]]
    assert [a["id"] for a in s["resolved"]] == [ids["A3"]]
    opened = {o["id"]: o for o in s["open"]}
    assert set(opened) == {ids["A1"], ids["A2"]}
    assert opened[ids["A1"]]["state"] == "acknowledged" and opened[ids["A1"]]["owner"] == "hung"
    assert opened[ids["A1"]]["next_deadline"] is not None  # its ack timeout
    assert opened[ids["A2"]]["state"] == "new"
    assert {b["id"] for b in s["breaches"]} == {ids["A3"], ids["A2"]}  # A3 acked after 10 min (> 5), A2 still waiting > 60 min

    signed = sign_out(rt, staff["hung"], "A1: vendor patch expected 09:00.\nA2 chưa xử lý.")
    assert signed.status == "signed" and signed.notes.startswith("A1: vendor patch")
    clock.set(local(rt, "2026-02-17 07:05"))
    done = accept(rt, staff["thu"], "Đã nhận đủ.")
    assert done.status == "accepted" and done.accepted_by == "thu" and done.remarks == "Đã nhận đủ."
    events = events_for(rt.db, "handover", done.id)
    assert [(e.kind, e.actor) for e in events] == [("handover.signed", "hung"), ("handover.accepted", "thu")]
    assert events[0].at.startswith("2026-02-16 23:50") and events[1].at.startswith("2026-02-17 00:05")
    assert events[0].payload["open"] == [ids["A1"], ids["A2"]]

    # The next shift's draft still lists both, now as carried over from before it began.
    clock.set(local(rt, "2026-02-17 18:00"))
    nxt = get_handover(rt)
    assert nxt.shift_id == night["shifts"]["thu"]
    carried = {o["id"]: o["carried_over"] for o in nxt.summary["open"]}
    assert carried == {ids["A1"]: True, ids["A2"]: True}
    assert nxt.summary["received"] == []


def test_signed_handover_is_frozen_and_exports_with_signature_lines(rt, clock, staff, night):
    clock.set(local(rt, "2026-02-17 06:55"))
    sign_out(rt, staff["hung"], "ghi chú")
    lifecycle.resolve(rt, staff["hung"], night["ids"]["A1"], "done")  # after signing: the record keeps what was handed over
    h = get_handover(rt, night["shifts"]["hung"])
    assert night["ids"]["A1"] in [o["id"] for o in h.summary["open"]]
    proof = make_proof(rt)
    page = render(h, proof, rt.zone.key, "html")
    assert page.splitlines()[0].startswith("<!-- Audit log verified")
    assert page.count('class="line"') == 2 and "BÊN GIAO" in page and "BÊN NHẬN" in page
    assert "size: A4" in page
    md = render(h, proof, rt.zone.key, "md")
    assert md.splitlines()[0].startswith("Audit log verified") and "A1 Fortinet" in md
    data = json.loads(render(h, proof, rt.zone.key, "json"))
    assert data["status"] == "signed" and data["outgoing"] == "hung"
    assert [x.id for x in list_handovers(rt)] == [h.id]


def test_who_may_sign_and_accept(rt, clock, staff, night):
    clock.set(local(rt, "2026-02-17 06:55"))
    with pytest.raises(PermissionDenied, match="only hung, a lead or a supervisor"):
        sign_out(rt, staff["thu"], "", night["shifts"]["hung"])
    with pytest.raises(Refused, match="not signed out yet"):
        accept(rt, staff["thu"], "", night["shifts"]["hung"])
    sign_out(rt, staff["hung"])
    with pytest.raises(Refused, match="already signed out"):
        sign_out(rt, staff["hung"])
    with pytest.raises(Refused, match="incoming officer"):
        accept(rt, staff["hung"], "", night["shifts"]["hung"])
    accept(rt, staff["lan"], "lead accepts for thu")  # leads may accept on the incoming officer's behalf
    with pytest.raises(Refused, match="already accepted by lan"):
        accept(rt, staff["thu"], "", night["shifts"]["hung"])


def test_missed_handover_raises_one_alert_to_the_shift_lead(rt, clock, staff, night):
    clock.set(local(rt, "2026-02-17 07:14"))
    assert check_overdue_handovers(rt) == []  # within accept_within (15 min)
    clock.set(local(rt, "2026-02-17 07:16"))
    (aid,) = check_overdue_handovers(rt)
    assert check_overdue_handovers(rt) == []  # once per shift change
    with rt.db.read() as session:
        alert = session.get(Alert, aid)
        pages = session.exec(select(Notification).where(Notification.alert_id == aid)).all()
    assert (alert.category, alert.severity, alert.source_key) == ("handover", "high", "handover")
    assert alert.dedup_key == f"handover:shift:{night['shifts']['hung']}"
    assert "hung → thu" in alert.title and "not signed out" in alert.title
    lan = staff["lan"].officer_id
    assert alert.assignee_id == lan and [(p.target, p.level) for p in pages] == [("lan", 2)]
    h = get_handover(rt, night["shifts"]["hung"])
    assert h.alert_id == aid
    kinds = [e.kind for e in events_for(rt.db, "handover", h.id)]
    assert kinds == ["handover.overdue"]
    # Signing and accepting late still works, and the acceptance records that it was late.
    sign_out(rt, staff["hung"], "late")
    done = accept(rt, staff["thu"])
    assert events_for(rt.db, "handover", done.id)[-1].payload["late"] is True


def test_accepted_handover_raises_nothing(rt, clock, staff, night):
    clock.set(local(rt, "2026-02-17 06:58"))
    sign_out(rt, staff["hung"])
    clock.set(local(rt, "2026-02-17 07:02"))
    accept(rt, staff["thu"])
    clock.set(local(rt, "2026-02-17 08:00"))
    assert check_overdue_handovers(rt) == []


def test_engine_runs_the_late_check(rt, clock, staff, night):
    from watchdesk.engine import CHECKS, Engine

    assert check_overdue_handovers in CHECKS
    clock.set(local(rt, "2026-02-17 07:20"))
    engine = Engine(rt)
    try:
        engine.tick()
    finally:
        engine.close()
    with rt.db.read() as session:
        assert session.exec(select(Alert).where(Alert.category == "handover")).first() is not None


def test_a_lead_accepting_on_behalf_keeps_the_incoming_officer_and_names_both(rt, clock, staff, night):
    clock.set(local(rt, "2026-02-17 06:55"))
    sign_out(rt, staff["hung"], "ghi chú")
    done = accept(rt, staff["lan"], "thu đang trên đường tới")
    assert (done.outgoing, done.incoming, done.accepted_by, done.on_behalf) == ("hung", "thu", "lan", True)
    assert done.incoming_name == "Phạm Thị Thu" and done.accepted_by_name == "Trần Thị Lan"
    [listed] = list_handovers(rt)
    assert (listed.incoming, listed.accepted_by) == ("thu", "lan")
    event = events_for(rt.db, "handover", done.id)[-1]
    assert (event.actor, event.payload["incoming"], event.payload["on_behalf"]) == ("lan", "thu", True)
    proof = make_proof(rt)
    md = render(done, proof, rt.zone.key, "md")
    assert "**Bên nhận / Incoming:** Phạm Thị Thu (thu)" in md
    assert "**Người nhận thay / Accepted on their behalf by:** Trần Thị Lan (lan)" in md
    assert "do lan nhận lúc 17/02/2026 06:55 (nhận thay thu)" in md and "accepted by lan 17/02/2026 06:55 (on behalf of thu)" in md
    page = render(done, proof, rt.zone.key, "html")
    assert '<div class="line">Phạm Thị Thu</div>Người nhận thay / Accepted on their behalf by: Trần Thị Lan (lan)' in page
    data = json.loads(render(done, proof, rt.zone.key, "json"))
    assert (data["incoming"], data["accepted_by"], data["on_behalf"]) == ("thu", "lan", True)


def test_the_incoming_officer_accepting_is_not_on_behalf(rt, clock, staff, night):
    clock.set(local(rt, "2026-02-17 06:55"))
    sign_out(rt, staff["hung"])
    done = accept(rt, staff["thu"])
    assert (done.incoming, done.accepted_by, done.on_behalf) == ("thu", "thu", False)
    assert "nhận thay" not in render(done, make_proof(rt), rt.zone.key, "md")


def test_early_sign_out_and_acceptance_need_confirming_and_are_marked(rt, clock, staff, night):
    shift = night["shifts"]["hung"]
    clock.set(local(rt, "2026-02-17 02:00"))  # hung's shift ends at 07:00
    with pytest.raises(TooEarly) as refused:
        sign_out(rt, staff["hung"], "về sớm", shift)
    assert str(refused.value) == (
        f"signing out shift #{shift} now is 5h before it ends at 2026-02-17 07:00, more than handover.early_window (30m) allows; "
        "if you mean it, confirm with --early.")
    assert get_handover(rt, shift).status == "draft"
    signed = sign_out(rt, staff["hung"], "về sớm", shift, early=True)
    assert signed.signed_out_early and events_for(rt.db, "handover", signed.id)[-1].payload["early"] is True
    clock.set(local(rt, "2026-02-17 06:00"))  # thu's shift starts at 07:00
    with pytest.raises(TooEarly, match=r"accepting the handover of shift #\d+ now is 1h before the incoming shift starts"):
        accept(rt, staff["thu"], "", shift)
    done = accept(rt, staff["thu"], "", shift, early=True)
    assert done.accepted_early and done.status == "accepted"
    md = render(done, make_proof(rt), rt.zone.key, "md")
    assert "(ký sớm, đã xác nhận: trước khi ca kết thúc)" in md and "(nhận sớm, đã xác nhận: trước khi ca nhận bắt đầu)" in md
    assert "(early, confirmed: before the shift ended)" in md and "(early, confirmed: before the incoming shift began)" in md


def test_within_the_window_nothing_is_asked(rt, clock, staff, night):
    clock.set(local(rt, "2026-02-17 06:31"))
    assert not sign_out(rt, staff["hung"]).signed_out_early
    done = accept(rt, staff["thu"])
    assert not done.accepted_early


@pytest.mark.parametrize("config", [parse_config({"handover": {"early_window": "6h"}})])
def test_the_early_window_is_configurable(rt, clock, staff, night):
    clock.set(local(rt, "2026-02-17 02:00"))
    assert not sign_out(rt, staff["hung"]).signed_out_early  # 5 h before, inside a 6 h window


def test_the_handover_states_the_breach_definition_and_lists_system_clearances(rt, clock, staff, night):
    from watchdesk.services.clearing import clear_by_system
    from watchdesk.services.sla import BREACH_DEFINITION

    clock.set(local(rt, "2026-02-17 03:00"))
    with rt.db.write() as session:
        roll, _ = raise_alert(session, rt.now(), source_key="roster", dedup_key="roll-call:shift:test", title="Roll call: thu")
        roll_id = roll.id
    clock.set(local(rt, "2026-02-17 05:00"))  # two hours unacknowledged, then answered
    with rt.db.write() as session:
        assert clear_by_system(session, rt.now(), roll_id, "thu checked in at 05:00")
    clock.set(local(rt, "2026-02-17 06:50"))
    h = get_handover(rt)
    assert roll_id not in {b["id"] for b in h.summary["breaches"]}  # cleared: never a breach
    assert [(c["id"], c["reason"]) for c in h.summary["cleared"]] == [(roll_id, "thu checked in at 05:00")]
    md = render(h, make_proof(rt), rt.zone.key, "md")
    assert md_cell(BREACH_DEFINITION) in md and "Cleared by the system" in md and "thu checked in at 05:00" in md
    assert json.loads(render(h, make_proof(rt), rt.zone.key, "json"))["breach_definition"] == BREACH_DEFINITION


def _joined(rt, clock, at, title: str, parent: int) -> int:  # noqa: ANN001
    """A child joined to `parent` as ingest leaves it today: new, no timers of its own."""
    clock.set(at)
    with rt.db.write() as session:
        child, _ = raise_alert(session, rt.now(), source_key="kev", dedup_key=f"kev:{title}", title=title)
        child.joined_to_id, child.next_escalation_at = parent, None
        session.add(child)
        return child.id


def test_a_grouped_alert_is_acknowledged_with_its_parent_in_the_handover(rt, clock, staff, night):
    """Children of A1 (high, acknowledged by hung at 22:05; target 15 min) and of A2 (medium, never acknowledged)."""
    a1, a2 = night["ids"]["A1"], night["ids"]["A2"]
    before = _joined(rt, clock, local(rt, "2026-02-16 21:45"), "A1 seen earlier", a1)  # 20 min before A1's ack: a breach
    after = _joined(rt, clock, local(rt, "2026-02-16 23:00"), "A1 again", a1)  # after it: 0, still 'new' itself
    waits = _joined(rt, clock, local(rt, "2026-02-16 23:40"), "A2 again", a2)  # waits with A2
    clock.set(local(rt, "2026-02-17 06:50"))
    h = get_handover(rt)
    breaches = {b["id"]: b for b in h.summary["breaches"]}
    assert after not in breaches
    assert (breaches[before]["ack_seconds"], breaches[before]["by"], breaches[before]["grouped_with"]) == (20 * 60, "hung", a1)
    assert breaches[before]["acknowledged"] is True
    assert breaches[waits]["acknowledged"] is False and breaches[waits]["grouped_with"] == a2
    assert {o["id"]: o["grouped_with"] for o in h.summary["open"]}[after] == a1
