"""Shift handover: the draft across midnight with open work carried over, sign-out, acceptance, the late alert."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from watchdesk.core.permissions import PermissionDenied
from watchdesk.reports.handover import render
from watchdesk.services import lifecycle
from watchdesk.services.errors import Refused
from watchdesk.services.handover import accept, check_overdue_handovers, get_handover, list_handovers, sign_out
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
