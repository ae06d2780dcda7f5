"""A Vietnamese desk's pages and the alerts it raises itself speak Vietnamese.

Both are written once, when they are made, in the language of the process that makes them (the
config's `[desk] language`): the page's subject and body as they reach a webhook on 127.0.0.1, the
titles and summaries as they are stored. Left as they are: the severity tag, ids, times, the
commands an officer types, and the words of others (titles, names, a feed's error sentence).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from tests.conftest import target_of
from tests.engine.conftest import Desk, WebhookServer, alert_row, config, desk, new_alert, webhook  # noqa: F401 - fixtures
from tests.feeds.conftest import feed_server, make_rt  # noqa: F401 - fixtures
from tests.support.feed_server import FeedServer, Reply
from tests.test_i18n import leftover_english
from watchdesk import i18n
from watchdesk.clock import FakeClock, SystemClock
from watchdesk.core.records import Actor
from watchdesk.services import lifecycle
from watchdesk.services.runtime import Runtime
from watchdesk.store.models import Alert, Notification, Officer, Shift

TITLE = "Lỗ hổng FortiOS SSL-VPN bị khai thác (CVE-2022-42475)"
NAMES = ["Trần Thị Lan", "Lê Văn Hùng", "Phạm Thị Thu", "hung", "lan", "thu", "minh", "Asia/Ho_Chi_Minh"]
# What stays as it is in every language: the severity tag and the commands an officer types.
KEPT = re.compile(r"\[(?:CRITICAL|HIGH|MEDIUM|LOW)\]|watchdesk alert ack \d+ --as YOUR_HANDLE|'watchdesk [a-z ]+'")


def english(text: str, data: list[str]) -> set[str]:
    return leftover_english(KEPT.sub(" ", text), data)


@pytest.fixture
def vietnamese() -> Iterator[None]:
    i18n.set_language("vi")
    yield
    i18n.set_language("en")


def test_a_vietnamese_desks_pages_reach_the_webhook_in_vietnamese(vietnamese, desk: Desk, rt: Runtime, staff: dict[str, Actor],
                                                                    webhook: WebhookServer) -> None:  # noqa: ANN001
    """Level 1, level 2, a lead's escalation with a reason, the second round, and the assignment's banner."""
    alert = new_alert(rt, title=TITLE)
    desk.tick()
    pages = webhook.take()
    desk.at(5)
    desk.tick()
    lifecycle.escalate(rt, staff["lan"], alert, "VPN của Sở mất kết nối")
    desk.tick()
    pages += webhook.take()
    for minute in range(6, 60):  # on to the second round
        desk.at(minute)
        desk.tick()
        pages += webhook.take()
        if any(p.body["round"] for p in pages):
            break
    assert {(p.body["level"], p.body["round"]) for p in pages} >= {(1, 0), (2, 0), (3, 0), (1, 1)}
    first = pages[0].body
    assert first["subject"] == f"[CRITICAL] #{alert} {TITLE} (cấp 1)"
    assert first["text"] == (f"[CRITICAL] #{alert} {TITLE}\n"
                             "Nhận lúc 17/02/2026 02:00 (Asia/Ho_Chi_Minh); chưa ai xác nhận — nay ở cấp 1.\n"
                             f"Xác nhận tại bàn trực, hoặc: watchdesk alert ack {alert} --as YOUR_HANDLE")
    lines = {line for p in pages for line in p.body["text"].splitlines()}
    assert "lan đã leo thang cảnh báo này: VPN của Sở mất kết nối" in lines
    assert "Nhận lúc 17/02/2026 02:00 (Asia/Ho_Chi_Minh); chưa ai xác nhận — nay ở cấp 1, vòng 2." in lines
    lifecycle.assign(rt, staff["lan"], alert, "thu")
    with rt.db.read() as session:
        banner = session.exec(select(Notification).where(Notification.target == "thu", Notification.channel == "terminal")).one()
    assert (banner.subject, banner.body) == (f"[CRITICAL] #{alert} {TITLE} (giao cho bạn)",
                                             f"[CRITICAL] #{alert} {TITLE}\nlan đã giao cảnh báo này cho bạn.")
    said = [f"{p.body['subject']}\n{p.body['text']}" for p in pages] + [f"{banner.subject}\n{banner.body}"]
    data = [TITLE, "VPN của Sở mất kết nối", *NAMES]
    assert {s: english(s, data) for s in said if english(s, data)} == {}


def test_the_damage_alarm_of_a_vietnamese_desk(vietnamese, config, webhook: WebhookServer) -> None:  # noqa: ANN001
    """An engine that cannot open its database raises the alarm on the channels: in Vietnamese, the
    store's sentence about the file quoted as it is."""
    from watchdesk.services.damage import alarm_unopened

    problem = "/srv/watchdesk/watchdesk.db: the file is not a database"
    assert alarm_unopened(config, problem, "may-truc-1:4242:serve") == ["hook"]
    [sent] = webhook.take()
    assert sent.body["subject"] == "watchdesk: CƠ SỞ DỮ LIỆU BỊ HỎNG — đã dừng leo thang"
    assert sent.body["text"].startswith(f"{problem} (may-truc-1:4242:serve). watchdesk không mở được cơ sở dữ liệu")
    assert english(f"{sent.body['subject']}\n{sent.body['text']}", [problem, "may-truc-1:4242:serve"]) == set()


def _shift(rt: Runtime, handle: str, level: int, start: datetime, end: datetime, checked_in: bool) -> int:
    with rt.db.write() as session:
        officer = session.exec(select(Officer).where(Officer.handle == handle)).one()
        row = Shift(officer_id=officer.id, level=level, starts_at=start, ends_at=end, checked_in_at=start if checked_in else None)
        session.add(row)
        session.flush()
        return row.id  # type: ignore[return-value]



def test_roll_call_late_handover_and_silent_alerts_are_written_in_vietnamese(vietnamese, rt: Runtime, staff: dict[str, Actor],
                                                                              clock: FakeClock) -> None:
    from watchdesk.services.handover import check_overdue_handovers
    from watchdesk.services.roll_call import check_roll_call
    from watchdesk.services.silent import check_silent_alerts

    t0 = clock.now()  # 02:00 in Hanoi
    _shift(rt, "hung", 1, t0 - timedelta(hours=7), t0 + timedelta(hours=5), checked_in=False)
    _shift(rt, "thu", 1, t0 + timedelta(hours=5), t0 + timedelta(hours=17), checked_in=True)
    _shift(rt, "lan", 2, t0 - timedelta(hours=7), t0 + timedelta(hours=17), checked_in=True)
    [roll_call] = check_roll_call(rt)
    clock.fast_forward(timedelta(hours=5, minutes=16))  # 07:16: the handover of 07:00 is late
    [late] = check_overdue_handovers(rt)
    lone = new_alert(rt, title=TITLE)
    with rt.db.write() as session:  # a hand edit leaves it with nothing armed
        row = session.get(Alert, lone)
        row.next_escalation_at = None
        session.add(row)
    [silent] = check_silent_alerts(rt)
    rows = {what: alert_row(rt, i) for what, i in (("roll call", roll_call), ("handover", late), ("silent", silent))}
    assert rows["roll call"].title == "Điểm danh: hung chưa điểm danh cho ca cấp 1 bắt đầu lúc 2026-02-16 19:00"
    assert rows["roll call"].summary.startswith(
        "Lê Văn Hùng (hung) được xếp làm cán bộ trực từ 2026-02-16 19:00 đến 2026-02-17 07:00 (Asia/Ho_Chi_Minh) nhưng chưa điểm danh")
    assert rows["handover"].title == "Chưa nhận bàn giao: hung → thu lúc 2026-02-17 07:00 (chưa ký giao ca)"
    assert rows["silent"].title == f"Cảnh báo im lặng: #{lone} sẽ không bao giờ báo cho ai"
    assert rows["silent"].summary.endswith(f"\n#{lone}: chưa xác nhận mà không có bước tiếp theo")
    with rt.db.read() as session:  # the shift lead's page about the late handover
        page = session.exec(select(Notification).where(Notification.alert_id == late)).one()
    assert page.subject == f"[HIGH] #{late} {rows['handover'].title} (cấp 2)"
    data = [TITLE, *NAMES]
    said = {what: english(f"{r.title}\n{r.summary}", data) for what, r in rows.items()}
    said["late handover page"] = english(f"{page.subject}\n{page.body}", data)
    assert {what: words for what, words in said.items() if words} == {}


def test_source_health_alerts_are_written_in_vietnamese(vietnamese, feed_server: FeedServer, make_rt,  # noqa: ANN001
                                                        clock: FakeClock) -> None:
    from tests.support.feed_factory import rss_feed
    from watchdesk.services.sources import poll_due

    stale_url = feed_server.route("/rss", Reply(body=rss_feed(2), headers={"Content-Type": "application/rss+xml"}))
    down_url = feed_server.route("/down", Reply(status=503))
    rt = make_rt(sources=[{"key": "weekly", "name": "Tuần tin", "kind": "rss", "url": stale_url, "interval": "1h", "stale_after": "8d"},
                          {"key": "kgm", "name": "khonggianmang.vn", "kind": "rss", "url": down_url, "fail_alert_after": "1h"}])
    raised = {}
    steps = [timedelta(minutes=10)] * 40  # long enough to be failing for an hour
    for step in [timedelta(0), *steps, timedelta(days=8) - sum(steps, timedelta(0))]:  # and silent for 8 days
        clock.fast_forward(step)
        for result in poll_due(rt):
            if result.health_alert:
                raised[result.key] = result.health_alert
    stale, failing = alert_row(rt, raised["weekly"]), alert_row(rt, raised["kgm"])
    assert stale.title == "Nguồn 'Tuần tin' không có tin mới suốt 8d"
    assert failing.title.startswith("Nguồn 'khonggianmang.vn' bị lỗi suốt ")
    # The feed's own sentence on what went wrong is the fetcher's (English), quoted as it is.
    error = "had a server error (503 Service Unavailable)"
    data = ["Tuần tin", "khonggianmang.vn", error]
    said = {a.title: english(f"{a.title}\n{a.summary}", data) for a in (stale, failing)}
    assert {title: words for title, words in said.items() if words} == {}


def test_the_engine_of_a_vietnamese_desk_pages_in_vietnamese_whatever_the_locale(tmp_path: Path, rt: Runtime, staff: dict[str, Actor],
                                                                                 webhook: WebhookServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """`watchdesk tick` (what `serve` runs each cycle) on a desk whose config says `language = "vi"`,
    started from an English shell: the page it writes is Vietnamese."""
    from watchdesk.cli.main import cli

    try:
        for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("LANG", "en_US.UTF-8")
        alert = new_alert(rt, title=TITLE)
        now = SystemClock().now()  # the command's engine runs on the real clock
        _shift(rt, "hung", 1, now - timedelta(hours=1), now + timedelta(hours=1), checked_in=True)
        toml = tmp_path / "desk.toml"
        toml.write_text(f'[desk]\nlanguage = "vi"\n\n[channels.hook]\ntype = "webhook"\nurl = "{webhook.url}"\nformat = "json"\n\n'
                        '[policies.critical]\nsteps = [{ after = "0s", level = 1, channels = ["hook"] }]\nack_timeout = "2h"\n',
                        encoding="utf-8")
        done = CliRunner().invoke(cli, ["--config", str(toml), "--db", target_of(rt), "tick"], catch_exceptions=False)
        assert done.exit_code == 0, done.output
        pages = [p.body for p in webhook.take() if p.body["alert_id"] == alert]  # months overdue: a round or two at once
        assert pages and {p["subject"] for p in pages} == {f"[CRITICAL] #{alert} {TITLE} (cấp 1)"}
        assert all("chưa ai xác nhận — nay ở cấp 1" in p["text"] for p in pages)
    finally:
        i18n.set_language("en")


def test_the_acknowledger_told_of_a_raised_severity_reads_vietnamese(vietnamese) -> None:  # noqa: ANN001
    """A joined alert raised an acknowledged one: its acknowledger's page (escalation._tell_acknowledger)."""
    from watchdesk.notify.messages import raised_page

    page = raised_page(alert_id=7, title=TITLE, before="medium", to="critical", child_id=9)
    assert page.subject.startswith(f"[CRITICAL] #7 {TITLE} (")
    assert "#9" in page.body
    assert english(page.subject, [TITLE]) == set() and english(page.body, [TITLE]) == set()


def test_an_inbound_alerts_own_words_read_vietnamese(vietnamese) -> None:  # noqa: ANN001
    """What the desk writes around a monitoring tool's post (field labels, fallbacks) is Vietnamese;
    the tool's own labels and values stay as it sent them."""
    from watchdesk.services.inbound import read_alertmanager, read_generic

    generic = read_generic({"dedup_key": "k1", "status": "resolved", "severity": "khẩn", "link": "ftp://x",
                            "category": "zzz", "team": "soc"})
    words = [generic.title, generic.summary]
    [am] = read_alertmanager({"version": "4", "alerts": [{"status": "resolved", "labels": {"instance": "db1"}, "annotations": {"runbook": "r1"},
                                          "startsAt": "2026-02-16T20:00:00Z", "endsAt": "2026-02-16T21:00:00Z",
                                          "fingerprint": "f1", "origin": "x"}]})
    words += [am.title, am.summary]
    kept = ["k1", "khẩn", "ftp://x", "zzz", "team", "soc", "instance", "db1", "runbook", "r1", "f1", "origin", "x", "medium",
            "2026-02-16T20:00:00Z", "2026-02-16T21:00:00Z", "http(s)"]
    for text in words:
        assert english(text, kept) == set(), text
