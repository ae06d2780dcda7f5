"""Grouping without loss: what an item is about vs what it mentions, cascades, split, the raised
severity, and the check that finds an alert nothing would ever page."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from tests.engine.conftest import Desk, alert_row, kinds, new_alert
from watchdesk.cli import cli
from watchdesk.core.enums import Severity
from watchdesk.core.records import Actor
from watchdesk.feeds.adapters import parse_body
from watchdesk.feeds.items import FeedItem
from watchdesk.feeds.normalize import normalize
from watchdesk.notify.outbox import terminal_messages_since
from watchdesk.services import lifecycle
from watchdesk.services.alerts import AlertFilter, get_alert, list_alerts
from watchdesk.services.errors import Refused
from watchdesk.services.ingest import ingest_items
from watchdesk.services.runtime import Runtime
from watchdesk.services.silent import check_silent_alerts, silent_alerts
from watchdesk.store.audit import events_for, verify

DEMO = Path(__file__).resolve().parents[2] / "watchdesk" / "demo" / "feeds"


def kev_entry(cve: str, name: str, description: str, notes: str = "", ransomware: str = "Unknown") -> dict:
    return {"cveID": cve, "vendorProject": name.split()[0], "product": name, "vulnerabilityName": f"{name} Vulnerability",
            "dateAdded": "2024-04-13", "shortDescription": description, "requiredAction": "Apply mitigations per vendor instructions.",
            "dueDate": "2024-05-04", "knownRansomwareCampaignUse": ransomware, "notes": notes}


def items_of(rt: Runtime, body: bytes, kind: str = "json", preset: str = "") -> list[FeedItem]:
    outcome = parse_body(kind, body, preset=preset)
    return [normalize(raw, default_severity=Severity.MEDIUM, zone=rt.zone) for raw in outcome.items]


def paged(rt: Runtime, alert_id: int) -> bool:
    return "alert.paged" in kinds(rt, alert_id)


# -- subject vs mentions ------------------------------------------------------------------------
def test_kev_item_whose_notes_mention_another_cve_is_paged_on_its_own(desk: Desk, rt: Runtime) -> None:
    """CISA KEV, 2025-08-25 edition: CVE-2023-38831 (WinRAR) names CVE-2024-29988 (SmartScreen) in
    its prose. Two vulnerabilities: both must page; the mention only relates them."""
    catalogue = {"catalogVersion": "2025.08.25", "vulnerabilities": [
        kev_entry("CVE-2024-29988", "Microsoft SmartScreen Prompt",
                  "Microsoft SmartScreen Prompt contains a protection mechanism failure vulnerability that allows an "
                  "attacker to bypass the Mark of the Web (MotW) feature."),
        kev_entry("CVE-2023-38831", "RARLAB WinRAR",
                  "RARLAB WinRAR contains an unspecified vulnerability that allows an attacker to execute code when a "
                  "user attempts to view a benign file within a ZIP archive.",
                  notes="Exploited together with CVE-2024-29988 (SmartScreen bypass); "
                        "https://nvd.nist.gov/vuln/detail/CVE-2023-38831"),
    ]}
    items = items_of(rt, json.dumps(catalogue).encode(), preset="cisa-kev")
    winrar = next(i for i in items if i.native_id == "CVE-2023-38831")
    assert (winrar.cves, winrar.mentions) == (("CVE-2023-38831",), ("CVE-2024-29988",))
    report = ingest_items(rt, "cisa-kev", items)
    assert report.joined == []
    smartscreen_id, winrar_id = report.new
    desk.tick()
    assert paged(rt, winrar_id) and paged(rt, smartscreen_id)
    assert get_alert(rt, winrar_id).joined_to is None
    assert smartscreen_id in get_alert(rt, winrar_id).related  # shown as related
    found = list_alerts(rt, AlertFilter(search="CVE-2024-29988"))
    assert {a.id for a in found} == {smartscreen_id, winrar_id}  # mentions are searchable


def test_nvd_unique_from_another_cve_is_a_mention(rt: Runtime) -> None:
    body = {"vulnerabilities": [{"cve": {"id": "CVE-2024-21338", "published": "2024-02-13T18:15:00.000",
            "descriptions": [{"lang": "en", "value": "Windows Kernel Elevation of Privilege Vulnerability. "
                              "This CVE ID is unique from CVE-2024-21341."}]}}]}
    [item] = items_of(rt, json.dumps(body).encode(), preset="nvd")
    assert (item.cves, item.mentions) == (("CVE-2024-21338",), ("CVE-2024-21341",))


@pytest.mark.parametrize("first", ["kev", "kgm"])
def test_the_demo_kev_ransomware_item_is_paged_whichever_source_polled_first(rt: Runtime, clock, webhook, first: str) -> None:  # noqa: ANN001
    """The demo desk (its FortiOS CVE-2024-21762 alert open) polls its RSS letters and its KEV
    excerpt. The letter names CVE-2022-40684 only in its prose; the KEV entry for it (known
    ransomware use, critical) is another vulnerability than the open FortiOS alert: it pages on
    its own in both orders (before, polled after the letter it joined the FortiOS alert)."""
    from watchdesk.demo.seed import seed_desk
    from watchdesk.engine import Engine

    seed_desk(rt, clock)
    kev = items_of(rt, (DEMO / "kev.json").read_bytes(), preset="cisa-kev")
    kgm = items_of(rt, (DEMO / "khonggianmang.rss.xml").read_bytes(), kind="rss")
    order = [("cisa-kev", kev), ("khonggianmang", kgm)] if first == "kev" else [("khonggianmang", kgm), ("cisa-kev", kev)]
    for source, items in order:
        ingest_items(rt, source, items)
    engine = Engine(rt, kind="tick")
    try:
        engine.tick()
    finally:
        engine.close()
    [ransomware] = [a for a in list_alerts(rt, AlertFilter(sources=("cisa-kev",))) if a.cves == ("CVE-2022-40684",)]
    assert ransomware.severity == Severity.CRITICAL
    if ransomware.joined_to is None:
        assert paged(rt, ransomware.id)
    else:  # covered only by an alert about the same vulnerability, paging at least as urgently
        parent = get_alert(rt, ransomware.joined_to)
        assert "CVE-2022-40684" in parent.cves and parent.severity == Severity.CRITICAL and paged(rt, parent.id)
    assert silent_alerts(rt) == {}


def test_join_only_the_same_vulnerability(desk: Desk, rt: Runtime) -> None:
    def it(native: str, title: str, severity: Severity = Severity.HIGH) -> FeedItem:
        return normalize_title(rt, native, title, severity)

    [parent] = ingest_items(rt, "kgm", [it("letter", "FortiOS CVE-2024-21762 và CVE-2022-40684")]).new
    report = ingest_items(rt, "kev", [it("a", "CVE-2024-21762: FortiOS"), it("b", "CVE-2024-21762 and CVE-2024-3400"),
                                      it("c", "Cảnh báo chung")])
    a, b, c = report.new
    assert report.joined == [(a, parent)]  # all its subject CVEs are the letter's
    assert get_alert(rt, b).joined_to is None  # CVE-2024-3400 is another vulnerability
    assert get_alert(rt, c).joined_to is None  # no subject: never joins


def normalize_title(rt: Runtime, native: str, title: str, severity: Severity) -> FeedItem:
    from watchdesk.feeds.items import RawItem

    return normalize(RawItem(native_id=native, title=title, severity=severity.value), default_severity=severity, zone=rt.zone)


# -- cascades -----------------------------------------------------------------------------------------
def _family(rt: Runtime, parent_sev: Severity = Severity.HIGH, child_sev: Severity = Severity.HIGH) -> tuple[int, int]:
    [parent] = ingest_items(rt, "kgm", [normalize_title(rt, "letter", "Lỗ hổng CVE-2024-21762", parent_sev)]).new
    [child] = ingest_items(rt, "kev", [normalize_title(rt, "CVE-2024-21762", "CVE-2024-21762: FortiOS", child_sev)]).new
    assert alert_row(rt, child).joined_to_id == parent
    return parent, child


def test_a_joined_child_is_resolved_with_its_parent(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    parent, child = _family(rt)
    desk.tick()
    lifecycle.resolve(rt, staff["hung"], parent, "Đã vá FortiOS 7.4.3.")
    row = alert_row(rt, child)
    assert row.state == "resolved" and row.resolution == f"resolved with #{parent}: Đã vá FortiOS 7.4.3."
    [event] = [e for e in events_for(rt.db, "alert", child) if e.kind == "alert.resolved"]
    assert event.payload["with"] == parent and event.actor == "hung"
    assert silent_alerts(rt) == {} and verify(rt.db).ok


def test_acknowledging_a_parent_acknowledges_its_children(desk: Desk, rt: Runtime, staff: dict[str, Actor], clock) -> None:  # noqa: ANN001
    parent, child = _family(rt)
    desk.tick()
    clock.fast_forward(timedelta(minutes=2))
    lifecycle.acknowledge(rt, staff["hung"], parent)
    row = alert_row(rt, child)
    assert (row.state, row.acked_by_id is not None, row.next_escalation_at) == ("acknowledged", True, None)
    [ack] = [e for e in events_for(rt.db, "alert", child) if e.kind == "alert.acknowledged"]
    assert (ack.payload["with"], ack.payload["text"], ack.payload["on_duty"]) == (parent, f"acknowledged with #{parent}", True)
    [own] = [e for e in events_for(rt.db, "alert", parent) if e.kind == "alert.acknowledged"]
    assert own.payload["on_duty"] is True
    assert silent_alerts(rt) == {}


def test_an_off_duty_acknowledgment_is_allowed_and_recorded(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    alert = new_alert(rt)
    lifecycle.acknowledge(rt, staff["thu"], alert)  # thu is on no shift
    [ack] = [e for e in events_for(rt.db, "alert", alert) if e.kind == "alert.acknowledged"]
    assert ack.payload["on_duty"] is False


def test_a_child_joining_an_acknowledged_parent_is_acknowledged_with_it(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    [parent] = ingest_items(rt, "kgm", [normalize_title(rt, "letter", "Lỗ hổng CVE-2024-21762", Severity.HIGH)]).new
    lifecycle.acknowledge(rt, staff["hung"], parent)
    [child] = ingest_items(rt, "kev", [normalize_title(rt, "x", "CVE-2024-21762: FortiOS", Severity.HIGH)]).new
    record = get_alert(rt, child)
    assert (record.state.value, record.acked_by, record.next_escalation_at) == ("acknowledged", "hung", None)
    assert events_for(rt.db, "alert", child)[0].payload["acknowledged_with"] == parent
    assert silent_alerts(rt) == {}


def test_snoozing_a_parent_logs_it_on_the_children_and_a_child_is_not_snoozed_alone(
        desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    parent, child = _family(rt)
    lifecycle.snooze(rt, staff["hung"], parent, timedelta(minutes=30), "chờ nhà cung cấp")
    [event] = [e for e in events_for(rt.db, "alert", child) if e.kind == "alert.snoozed"]
    assert event.payload["with"] == parent and alert_row(rt, child).next_escalation_at is None
    with pytest.raises(Refused, match=rf"alert #{child} is grouped under #{parent}, whose escalation covers it; snooze #{parent}"):
        lifecycle.snooze(rt, staff["hung"], child, timedelta(minutes=30), "x")
    with pytest.raises(Refused, match="split"):
        lifecycle.escalate(rt, staff["lan"], child, "x")


def test_an_ack_timeout_reopens_the_children_acknowledged_with_the_parent(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    parent, child = _family(rt)
    desk.tick()
    lifecycle.acknowledge(rt, staff["hung"], parent)
    desk.at(4 * 60 + 1)  # the high ack timeout
    desk.tick()
    assert alert_row(rt, parent).state == "new" and alert_row(rt, child).state == "new"
    assert "alert.reopened" in kinds(rt, child) and silent_alerts(rt) == {}


# -- joining never lowers urgency ---------------------------------------------------------------
def test_a_more_severe_child_raises_an_unacknowledged_parent_onto_the_higher_policy(desk: Desk, rt: Runtime) -> None:
    [parent] = ingest_items(rt, "kgm", [normalize_title(rt, "letter", "Lỗ hổng CVE-2022-40684", Severity.HIGH)]).new
    desk.tick()
    desk.expect(("hung", 1))
    assert alert_row(rt, parent).next_escalation_at == desk.t0 + timedelta(minutes=15)  # high: 15 min
    desk.at(2)
    [child] = ingest_items(rt, "kev", [normalize_title(rt, "k", "CVE-2022-40684: FortiOS (ransomware)", Severity.CRITICAL)]).new
    row = alert_row(rt, parent)
    assert row.severity == "critical" and row.next_escalation_at == desk.t0 + timedelta(minutes=7)  # critical: 5 min from now
    [raised] = [e for e in events_for(rt.db, "alert", parent) if e.kind == "alert.severity_raised"]
    assert (raised.payload["from"], raised.payload["to"], raised.payload["because"]) == ("high", "critical", child)
    desk.at(7)
    desk.tick()
    desk.expect(("lan", 2))


def test_a_more_severe_child_pages_the_acknowledger_of_an_acknowledged_parent(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    [parent] = ingest_items(rt, "kgm", [normalize_title(rt, "letter", "Lỗ hổng CVE-2022-40684", Severity.MEDIUM)]).new
    desk.tick()
    lifecycle.acknowledge(rt, staff["hung"], parent)
    desk.webhook.take()
    mark = max([m.id for m in terminal_messages_since(rt, 0)] or [0])
    ingest_items(rt, "kev", [normalize_title(rt, "k", "CVE-2022-40684: FortiOS (ransomware)", Severity.CRITICAL)])
    told = terminal_messages_since(rt, mark, target="hung")
    assert told and "raised from medium" in told[-1].subject
    row = alert_row(rt, parent)
    assert row.severity == "critical" and row.next_escalation_at == rt.now() + timedelta(hours=2)  # critical ack timeout


# -- split --------------------------------------------------------------------------------------
def test_split_pages_the_child_on_its_own_from_its_first_step(desk: Desk, rt: Runtime, staff: dict[str, Actor], db_target: str) -> None:
    parent, child = _family(rt)
    desk.tick()
    desk.expect(("hung", 1))
    desk.at(3)
    lifecycle.split(rt, staff["hung"], child)
    row = alert_row(rt, child)
    assert (row.joined_to_id, row.state, row.step, row.next_escalation_at) == (None, "new", 0, rt.now())
    assert "alert.split" in kinds(rt, child) and "alert.split_off" in kinds(rt, parent)
    desk.tick()
    desk.expect(("hung", 1), alert_id=child)
    again = CliRunner().invoke(cli, ["--db", db_target, "alert", "split", str(child), "--as", "hung"])
    assert again.exit_code == 2 and "is not grouped under another alert" in again.stderr


def test_split_from_the_command_line(rt: Runtime, staff: dict[str, Actor], db_target: str) -> None:
    parent, child = _family(rt)
    result = CliRunner().invoke(cli, ["--db", db_target, "alert", "split", str(child), "--as", "thu"], catch_exceptions=False)
    assert result.exit_code == 0 and f"alert #{child} split off" in result.output
    assert alert_row(rt, child).joined_to_id is None


# -- the check --------------------------------------------------------------------------------------
def test_the_check_raises_one_critical_alert_naming_the_silent_ones(desk: Desk, rt: Runtime, staff: dict[str, Actor], clock) -> None:  # noqa: ANN001
    parent, child = _family(rt)
    lone = new_alert(rt, key="lone")
    desk.tick()
    assert silent_alerts(rt) == {}
    with rt.db.write() as session:  # a hand edit: the parent resolved behind the cascade's back, a deadline wiped
        session.connection().execute(text("UPDATE alert SET state = 'resolved' WHERE id = :id"), {"id": parent})
        session.connection().execute(text("UPDATE alert SET next_escalation_at = NULL WHERE id = :id"), {"id": lone})
    assert set(silent_alerts(rt)) == {child, lone}
    assert silent_alerts(rt) == silent_alerts(rt, everything=True)  # the suspects query misses nobody
    clock.fast_forward(timedelta(minutes=2))
    [raised] = check_silent_alerts(rt)
    record = get_alert(rt, raised)
    assert record.severity == Severity.CRITICAL and f"#{child}" in record.title and f"#{lone}" in record.title
    assert "resolved" in record.summary
    clock.fast_forward(timedelta(minutes=2))
    assert check_silent_alerts(rt) == []  # the same set is not raised again
    desk.tick()
    assert paged(rt, raised)


def test_a_deadline_pushed_past_any_policy_is_found(desk: Desk, rt: Runtime, staff: dict[str, Actor]) -> None:
    far, snoozed, fine = new_alert(rt, key="far"), new_alert(rt, key="snoozed"), new_alert(rt, key="fine")
    lifecycle.snooze(rt, staff["hung"], snoozed, timedelta(minutes=30), "chờ")
    with rt.db.write() as session:
        session.connection().execute(text("UPDATE alert SET next_escalation_at = '2099-01-01 00:00:00.000000' WHERE id = :id"), {"id": far})
        session.connection().execute(text("UPDATE alert SET snoozed_until = '2099-01-01 00:00:00.000000' WHERE id = :id"), {"id": snoozed})
    found = silent_alerts(rt)
    assert found == silent_alerts(rt, everything=True)
    assert found == {far: "its next deadline is later than any policy sets", snoozed: "snoozed far past the longest snooze"}


# -- the predicate, case by case ------------------------------------------------------------------
@pytest.mark.parametrize("alert,parent,called,why", [
    (("new", None, "soon", False, None), None, False, ""),
    (("new", None, None, True, None), None, True, ""),
    (("new", None, None, True, None), None, False, "exhausted, with no call task for the fallback contact"),
    (("new", None, None, False, None), None, False, "unacknowledged with no next step"),
    (("acknowledged", None, None, False, None), None, False, "acknowledged with no ack timeout armed"),
    (("new", None, None, False, "soon"), None, False, "snoozed with nothing to wake it"),
    (("new", None, "soon", False, "far"), None, False, "snoozed far past the longest snooze"),
    (("new", None, "far", False, None), None, False, "its next deadline is later than any policy sets"),
    (("new", 1, None, False, None), ("new", None, "soon", False, None), False, ""),
    (("new", 1, None, False, None), ("resolved", None, None, False, None), False, "grouped under #1, which is resolved: nothing pages for it"),
    (("new", 1, None, False, None), None, False, "grouped under #1, which is missing: nothing pages for it"),
    (("new", 1, "soon", False, None), ("new", None, "soon", False, None), False, "grouped under #1 but keeps a deadline of its own"),
    (("new", 1, None, False, None), ("new", 3, None, False, None), False, "grouped under #1, which is itself grouped under #3"),
    (("resolved", 1, None, False, None), None, False, ""),
])
def test_the_invariant_case_by_case(alert: tuple, parent: tuple | None, called: bool, why: str) -> None:
    from watchdesk.services.silent import Facts, silence

    now = datetime(2026, 2, 17, tzinfo=timezone.utc)
    times = {"soon": now + timedelta(minutes=5), "far": now + timedelta(days=30), None: None}
    latest = now + timedelta(days=1)

    def facts(i: int, t: tuple) -> Facts:
        return Facts(i, t[0], t[1], times[t[2]], t[3], times[t[4]])

    assert silence(facts(2, alert), facts(1, parent) if parent else None, False, called, latest) == why


def test_alert_show_names_the_group_the_mentions_and_whose_steps_are_ahead(rt: Runtime, staff: dict[str, Actor], db_target: str) -> None:
    from watchdesk.feeds.items import RawItem

    [parent] = ingest_items(rt, "kgm", [normalize_title(rt, "letter", "Lỗ hổng CVE-2024-21762", Severity.HIGH)]).new
    raw = RawItem(native_id="k", title="CVE-2024-21762: FortiOS", summary="Chained with CVE-2022-40684.", cves=("CVE-2024-21762",))
    [child] = ingest_items(rt, "kev", [normalize(raw, default_severity=Severity.HIGH, zone=rt.zone)]).new
    out = CliRunner().invoke(cli, ["--db", db_target, "alert", "show", str(child)], catch_exceptions=False).output
    assert "CVE: CVE-2024-21762" in out
    assert "mentions: CVE-2022-40684 (named in the text; related, never grouped)" in out
    assert f"grouped under #{parent}: its escalation covers this one ('watchdesk alert split {child}'" in out
    assert f"steps ahead if nobody acknowledges (#{parent}'s, which covers this one):" in out
