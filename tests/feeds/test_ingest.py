"""Dedup, update in place without a new page, related CVEs and joining, and the bulk insert's fidelity."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlmodel import select

from watchdesk.core.enums import Category, Severity
from watchdesk.feeds.items import FeedItem
from watchdesk.services.alerts import get_alert
from watchdesk.services.ingest import dedup_key, ingest_items
from watchdesk.store.audit import events_for
from watchdesk.store.models import Alert, AlertCve, Event


def item(native: str, *, title: str = "Cảnh báo", cves: tuple[str, ...] = (), summary: str = "",
         severity: Severity = Severity.HIGH, category: Category = Category.VULNERABILITY) -> FeedItem:
    return FeedItem(native_id=native, title=title, summary=summary, link=f"https://example.vn/{native}", severity=severity,
                    severity_raw="", category=category, cves=cves, doc_number="", published_at=None, affects_us=False,
                    content_hash=f"{title}|{summary}|{severity}|{cves}")


def test_one_alert_per_source_and_native_id(make_rt, clock) -> None:  # noqa: ANN001
    rt = make_rt()
    first = ingest_items(rt, "kgm", [item("a"), item("b"), item("a")])
    assert (len(first.new), first.unchanged) == (2, 0)  # the same item twice in one feed counts once
    again = ingest_items(rt, "kgm", [item("a"), item("b")])
    assert (again.new, again.unchanged) == ([], 2)
    other_source = ingest_items(rt, "kev", [item("a")])
    assert len(other_source.new) == 1


def test_identity_falls_back_from_native_id_to_link_to_title() -> None:
    assert dedup_key("s", item("n1")) == "s:n1"
    assert dedup_key("s", replace(item(""), link="https://e.vn/x")) == "s:https://e.vn/x"
    assert dedup_key("s", replace(item(""), link="")) == "s:title:Cảnh báo"
    assert dedup_key("s", item("x" * 400)).startswith("s:sha256:")


def test_a_changed_item_updates_its_alert_logs_it_and_does_not_page_again(make_rt, clock) -> None:  # noqa: ANN001
    rt = make_rt()
    [alert_id] = ingest_items(rt, "kgm", [item("a", title="Cảnh báo v1", cves=("CVE-2024-1",))]).new
    before = get_alert(rt, alert_id)
    clock.fast_forward(timedelta(minutes=30))
    report = ingest_items(rt, "kgm", [item("a", title="Cảnh báo v2 (cập nhật)", cves=("CVE-2024-1", "CVE-2024-2"),
                                           severity=Severity.CRITICAL)])
    assert (report.new, report.updated) == ([], [alert_id])
    after = get_alert(rt, alert_id)
    assert after.title == "Cảnh báo v2 (cập nhật)" and after.severity == Severity.CRITICAL
    assert after.cves == ("CVE-2024-1", "CVE-2024-2")
    # escalation untouched: same level, step, round and deadline; received_at is the first arrival
    assert (after.level, after.step, after.round, after.next_escalation_at, after.received_at) == (
        before.level, before.step, before.round, before.next_escalation_at, before.received_at)
    kinds = [e.kind for e in events_for(rt.db, "alert", alert_id)]
    assert kinds == ["alert.raised", "alert.updated"]
    updated = events_for(rt.db, "alert", alert_id)[-1].payload
    assert set(updated["changed"]) >= {"title", "severity", "cves"} and updated["before"]["title"] == "Cảnh báo v1"
    with rt.db.read() as s:
        assert sorted(s.exec(select(AlertCve.cve).where(AlertCve.alert_id == alert_id)).all()) == ["CVE-2024-1", "CVE-2024-2"]


def test_a_later_alert_sharing_a_cve_joins_the_earlier_open_one(make_rt, clock) -> None:  # noqa: ANN001
    rt = make_rt()
    [parent] = ingest_items(rt, "kgm", [item("letter", cves=("CVE-2024-21762",))]).new
    clock.fast_forward(60)
    report = ingest_items(rt, "kev", [item("CVE-2024-21762", cves=("CVE-2024-21762",)), item("other", cves=("CVE-2024-9",))])
    joined_id, free_id = report.new
    assert report.joined == [(joined_id, parent)]
    joined = get_alert(rt, joined_id)
    assert joined.joined_to == parent and joined.next_escalation_at is None  # the engine never pages it
    assert get_alert(rt, free_id).next_escalation_at == rt.now()  # paged at the next tick
    assert joined_id in get_alert(rt, parent).related and parent in joined.related
    parent_events = events_for(rt.db, "alert", parent)
    assert parent_events[-1].kind == "alert.joined"
    assert parent_events[-1].payload == {"joined": joined_id, "source": "kev", "title": "Cảnh báo", "cves": ["CVE-2024-21762"]}
    raised = events_for(rt.db, "alert", joined_id)[0].payload
    assert raised["joined_to"] == parent


def test_joining_within_one_batch_and_summaries_never_gather(make_rt) -> None:  # noqa: ANN001
    rt = make_rt()
    summary, first, second, third = ingest_items(rt, "kgm", [
        item("weekly", cves=("CVE-1", "CVE-2"), category=Category.SUMMARY, severity=Severity.LOW),
        item("a", cves=("CVE-1", "CVE-3")),
        item("b", cves=("CVE-1",)),
        item("c", cves=("CVE-1", "CVE-4")),
    ]).new
    assert get_alert(rt, summary).joined_to is None
    assert get_alert(rt, first).joined_to is None  # a summary is no parent
    assert get_alert(rt, second).joined_to == first  # all its subject CVEs are among #first's
    assert get_alert(rt, third).joined_to is None  # CVE-4 is not: another vulnerability, paged on its own
    [late] = ingest_items(rt, "kev", [item("d", cves=("CVE-3",))]).new
    assert get_alert(rt, late).joined_to == first


def test_join_related_off_keeps_them_related_but_separate(make_rt) -> None:  # noqa: ANN001
    rt = make_rt(alerts={"join_related": False})
    a, = ingest_items(rt, "kgm", [item("a", cves=("CVE-1",))]).new
    b, = ingest_items(rt, "kev", [item("b", cves=("CVE-1",))]).new
    assert get_alert(rt, b).joined_to is None and get_alert(rt, b).next_escalation_at is not None
    assert get_alert(rt, a).related == (b,)


def test_a_resolved_alert_is_not_joined(make_rt) -> None:  # noqa: ANN001
    rt = make_rt()
    a, = ingest_items(rt, "kgm", [item("a", cves=("CVE-1",))]).new
    with rt.db.write() as s:
        row = s.get(Alert, a)
        row.state = "resolved"
        s.add(row)
    b, = ingest_items(rt, "kev", [item("b", cves=("CVE-1",))]).new
    assert get_alert(rt, b).joined_to is None


def test_the_audit_chain_holds_after_bulk_ingest(make_rt) -> None:  # noqa: ANN001
    from watchdesk.store.audit import verify

    rt = make_rt()
    ingest_items(rt, "kgm", [item(f"n{i}", cves=(f"CVE-2024-{i % 7}",), summary="see also CVE-2024-99") for i in range(300)])
    result = verify(rt.db)
    assert result.ok and result.count >= 300
    with rt.db.read() as s:
        kinds = s.exec(select(Event.kind)).all()
    assert kinds.count("alert.raised") == 300 and kinds.count("alert.joined") == 300 - 7
