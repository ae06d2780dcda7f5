"""The acknowledgment report over a small night whose figures were worked out by hand."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from watchdesk.reports.acks import render
from watchdesk.services import lifecycle
from watchdesk.services.escalation import escalate_due
from watchdesk.services.reports import ack_report, date_window

from tests.reports.history import duty, local, new_alert


@pytest.fixture
def night(rt, clock, staff):
    """16/02 19:00 → 17/02 07:00 hung (level 1), then thu; lan level 2 and minh level 3 all along (Hanoi time).

    A1 critical 20:00, hung acks 20:03 (180 s, target 300 s).
    A2 high 20:10, hung snoozes 10 min at 20:11, acks 20:40 (1800 − 600 = 1200 s > 900 s: breach; target ran out 20:35).
    A3 medium 21:00, hung resolves it unacknowledged at 21:30 (1800 s, an implicit first ack; target 3600 s).
    A4 low 22:00, never acknowledged; paged 22:00, escalated to level 2 at 02:00 and level 3 at 06:00.
    A5 critical 06:50 (hung's shift), thu acks 07:10 (1200 s > 300 s: breach; target ran out 06:55, hung on duty).
    """
    L = lambda t: local(rt, t)  # noqa: E731
    duty(rt, "hung", 1, L("2026-02-16 19:00"), L("2026-02-17 07:00"))
    duty(rt, "thu", 1, L("2026-02-17 07:00"), L("2026-02-17 19:00"))
    duty(rt, "lan", 2, L("2026-02-16 07:00"), L("2026-02-17 07:00"))
    duty(rt, "lan", 2, L("2026-02-17 07:00"), L("2026-02-18 07:00"))
    duty(rt, "minh", 3, L("2026-02-16 07:00"), L("2026-02-17 07:00"))
    ids = {}
    ids["A1"] = new_alert(rt, clock, L("2026-02-16 20:00"), "A1 FortiOS", "critical", "cisa-kev")
    clock.set(L("2026-02-16 20:03"))
    lifecycle.acknowledge(rt, staff["hung"], ids["A1"])
    clock.set(L("2026-02-16 20:05"))
    lifecycle.resolve(rt, staff["hung"], ids["A1"], "patched")
    ids["A2"] = new_alert(rt, clock, L("2026-02-16 20:10"), "A2 Ivanti", "high", "khonggianmang")
    clock.set(L("2026-02-16 20:11"))
    lifecycle.snooze(rt, staff["hung"], ids["A2"], timedelta(minutes=10), "waiting for the vendor")
    clock.set(L("2026-02-16 20:40"))
    lifecycle.acknowledge(rt, staff["hung"], ids["A2"])
    clock.set(L("2026-02-16 20:45"))
    lifecycle.resolve(rt, staff["hung"], ids["A2"], "not affected")
    ids["A3"] = new_alert(rt, clock, L("2026-02-16 21:00"), "A3 phishing", "medium", "khonggianmang")
    clock.set(L("2026-02-16 21:30"))
    lifecycle.resolve(rt, staff["hung"], ids["A3"], "blocked the domain")
    ids["A4"] = new_alert(rt, clock, L("2026-02-16 22:00"), "A4 botnet list", "low", "manual")
    for t in ("2026-02-16 22:00", "2026-02-17 02:00", "2026-02-17 06:00"):
        clock.set(L(t))
        escalate_due(rt)
    ids["A5"] = new_alert(rt, clock, L("2026-02-17 06:50"), "A5 Exchange", "critical", "cisa-kev")
    clock.set(L("2026-02-17 07:10"))
    lifecycle.acknowledge(rt, staff["thu"], ids["A5"])
    clock.set(L("2026-02-17 07:30"))
    return ids


def test_figures_match_the_hand_count(rt, night):
    L = lambda t: local(rt, t)  # noqa: E731
    start, end, name = date_window(rt, "2026-02-16", "2026-02-17")
    r = ack_report(rt, start, end, name)
    assert r.proof.ok and r.proof.first_line().startswith("Audit log verified")
    o = r.overall
    assert (o.count, o.acked, o.breaches) == (5, 4, 2)
    assert o.mean == pytest.approx((180 + 1200 + 1800 + 1200) / 4)
    assert (o.median, o.p90, o.max) == (1200, 1800, 1800)  # nearest rank: ranks ⌈2⌉=2 and ⌈3.6⌉=4 of [180, 1200, 1200, 1800]
    assert r.by_severity["critical"].acked == 2 and r.by_severity["critical"].breaches == 1
    assert r.by_severity["critical"].mean == pytest.approx(690)
    assert r.by_severity["low"].count == 1 and r.by_severity["low"].acked == 0 and r.by_severity["low"].mean is None
    assert list(r.by_severity) == ["critical", "high", "medium", "low"]
    hung, thu = r.by_officer["hung"], r.by_officer["thu"]
    assert (hung.acked, hung.breaches, hung.max) == (3, 1, 1800)
    assert hung.mean == pytest.approx((180 + 1200 + 1800) / 3)
    assert (thu.acked, thu.breaches, thu.mean) == (1, 1, 1200)
    assert r.by_source["cisa-kev"].count == 2 and r.by_source["khonggianmang"].count == 2
    (shift, stats), = r.by_shift.items()  # every alert arrived in hung's night shift
    assert shift.startswith("hung 16/02 19:00–17/02 07:00") and stats.count == 5

    assert [(b.alert_id, b.ack_seconds, b.first_acked_by) for b in r.breaches] == [(night["A2"], 1200, "hung"), (night["A5"], 1200, "thu")]
    a2, a5 = r.breaches
    assert a2.target_ran_out_at.startswith("2026-02-16 13:35:00")  # 20:35 Hanoi
    assert (a2.on_duty_level1, a2.on_duty_level2) == ("hung", "lan")
    assert (a5.on_duty_level1, a5.on_duty_level2) == ("hung", "lan")  # 06:55: still hung's shift

    (u,) = r.never_acked
    assert u.alert_id == night["A4"] and u.level == 3 and u.overdue
    assert u.waiting_seconds == 9.5 * 3600
    assert r.escalations_by_level == {2: 1, 3: 1}
    assert r.alerts_by_top_level == {1: 4, 3: 1}
    rs = r.resolve_by_severity
    assert rs["critical"].acked == 1 and rs["critical"].max == 300
    assert rs["high"].max == 35 * 60 and rs["medium"].max == 1800
    by_id = {a.id: a for a in r.alerts}
    assert by_id[night["A2"]].snoozed_seconds == 600 and by_id[night["A2"]].breached
    assert by_id[night["A3"]].first_acked_by == "hung" and by_id[night["A3"]].ack_seconds == 1800
    assert by_id[night["A4"]].escalations == 2
    hours = {h.officer: h for h in r.hours}
    assert hours["hung"].hours == 12 and hours["hung"].night_hours == 8  # 22:00–06:00
    # Every hour of the two days (Hanoi), quiet ones at 0: A1, A2 at 20h, A3 at 21h, A4 at 22h, A5 at 06h.
    assert len(r.per_hour) == 48 and r.per_hour[0][0] == L("2026-02-16 00:00")
    assert {h.strftime("%d %H"): n for h, n in r.per_hour if n} == {"16 20": 2, "16 21": 1, "16 22": 1, "17 06": 1}
    assert [h.hour for h, _n in r.per_hour[:3]] == [0, 1, 2]


def test_the_hours_chart_is_named_by_local_time(rt):
    from watchdesk.tui.screens.reports import hour_span

    day = [rt.local(local(rt, "2026-02-16 19:00") + timedelta(hours=i)) for i in range(12)]
    assert hour_span(day) == "19:00 → 06:00"
    week = [rt.local(local(rt, "2026-02-10 00:00") + timedelta(hours=i)) for i in range(169)]
    assert hour_span(week) == "10/02 00h → 17/02 00h"
    assert hour_span([]) == "" and hour_span(day[:1]) == "19:00 → 19:00"


def test_every_format_carries_the_definitions_and_proof(rt, night):
    start, end, name = date_window(rt, "2026-02-16", "2026-02-17")
    r = ack_report(rt, start, end, name)
    for fmt in ("md", "html", "csv", "json"):
        text = render(r, fmt)
        first = text.splitlines()[0]
        assert "Audit log verified" in first and str(r.proof.head_seq) in first, fmt
        assert "nearest-rank" in text and "snoozed time is excluded" in text, fmt
    data = json.loads(render(r, "json"))
    assert data["overall"]["median_seconds"] == 1200 and data["overall"]["breaches"] == 2
    assert data["proof"]["ok"] is True and data["proof"]["head_seq"] == r.proof.head_seq
    assert [b["alert_id"] for b in data["breaches"]] == [night["A2"], night["A5"]]
    assert "<h2>SLA breaches (2)</h2>" in render(r, "html")


def test_first_acknowledger_survives_an_ack_timeout(rt, clock, staff, night):
    """A1-like alert acked by hung, timed out back to new, acked again by lan: per officer counts hung (the first)."""
    L = lambda t: local(rt, t)  # noqa: E731
    aid = new_alert(rt, clock, L("2026-02-17 08:00"), "re-acked", "critical")
    clock.set(L("2026-02-17 08:02"))
    lifecycle.acknowledge(rt, staff["thu"], aid)
    clock.set(L("2026-02-17 10:03"))  # critical ack timeout is 2 h
    escalate_due(rt)
    clock.set(L("2026-02-17 10:05"))
    lifecycle.acknowledge(rt, staff["lan"], aid)
    start, end, name = date_window(rt, "2026-02-17", "2026-02-17")
    r = ack_report(rt, start, end, name)
    line = next(a for a in r.alerts if a.id == aid)
    assert line.first_acked_by == "thu" and line.ack_seconds == 120
