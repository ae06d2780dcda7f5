"""poll_due: schedule, conditional GET, unchanged bodies, backoff, health sentences and alerts, concurrency."""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from email.utils import format_datetime

import pytest
from sqlmodel import select

from tests.feeds.conftest import demo_bytes
from tests.support.feed_factory import rss_feed
from tests.support.feed_server import FeedServer, Reply
from watchdesk.config import SourceConfig
from watchdesk.core.enums import Category, Severity
from watchdesk.services.alerts import AlertFilter, get_alert, list_alerts
from watchdesk.services.errors import NotFound, Refused
from watchdesk.services.sources import _claim, backoff, list_sources, poll_due, sync_sources
from watchdesk.store.audit import events_for
from watchdesk.store.models import Source

RSS = {"Content-Type": "application/rss+xml"}


def _row(rt, key: str) -> Source:  # noqa: ANN001
    with rt.db.read() as s:
        return s.exec(select(Source).where(Source.key == key)).one()


def test_nothing_due_returns_without_touching_the_network(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    url = feed_server.route("/rss", Reply(body=rss_feed(3), headers=RSS))
    rt = make_rt(sources=[{"key": "a", "kind": "rss", "url": url, "interval": "15m"}])
    assert [r.status for r in poll_due(rt)] == ["ok"]
    for _ in range(50):
        assert poll_due(rt) == []
    clock.fast_forward(timedelta(minutes=14))
    assert poll_due(rt) == []
    assert len(feed_server.hits("/rss")) == 1
    clock.fast_forward(timedelta(minutes=1))
    assert [r.status for r in poll_due(rt)] == ["unchanged"]
    assert len(feed_server.hits("/rss")) == 2


def test_conditional_get_with_etag_and_last_modified(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    url = feed_server.route("/rss", Reply(body=rss_feed(2), etag='"v1"', headers={**RSS, "Last-Modified": "Wed, 17 Apr 2024 01:00:00 GMT"}))
    rt = make_rt(sources=[{"key": "a", "kind": "rss", "url": url}])
    assert poll_due(rt)[0].status == "ok"
    [second] = poll_due(rt, force=True)
    assert second.status == "not-modified"
    sent = feed_server.hits("/rss")[1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == "Wed, 17 Apr 2024 01:00:00 GMT"
    assert _row(rt, "a").failures == 0 and _row(rt, "a").last_ok_at == rt.now()


def test_an_unchanged_body_is_not_parsed_again(feed_server: FeedServer, make_rt, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    url = feed_server.route("/rss", Reply(body=rss_feed(4), headers=RSS))
    rt = make_rt(sources=[{"key": "a", "kind": "rss", "url": url}])
    assert len(poll_due(rt)[0].new) == 4
    import watchdesk.services.sources as sources

    calls: list[str] = []
    original = sources.parse_items
    monkeypatch.setattr(sources, "parse_items", lambda *a, **k: calls.append("parsed") or original(*a, **k))
    assert poll_due(rt, force=True)[0].status == "unchanged"
    assert calls == []
    feed_server.route("/rss", Reply(body=rss_feed(5), headers=RSS))
    result = poll_due(rt, force=True)[0]
    assert (result.status, len(result.new), result.unchanged, calls) == ("ok", 1, 4, ["parsed"])


def test_an_unchanged_poll_moves_the_health_times_on_and_keeps_the_warning(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    """The same body again is recorded by one UPDATE: health reads as after the full path, no event."""
    from watchdesk.store.audit import head

    url = feed_server.route("/rss", Reply(body=rss_feed(3), headers={"Content-Type": "application/rss+xml; charset=iso-8859-1"}))
    rt = make_rt(sources=[{"key": "a", "kind": "rss", "url": url, "interval": "15m"}])
    assert poll_due(rt)[0].status == "ok"
    first = _row(rt, "a")
    assert "declares the character set 'iso-8859-1'" in first.warning
    seq = head(rt.db).seq
    clock.fast_forward(timedelta(minutes=15))
    assert poll_due(rt)[0].status == "unchanged"
    row = _row(rt, "a")
    assert row.last_ok_at == row.last_polled_at == rt.now() and row.next_poll_at == rt.now() + timedelta(minutes=15)
    assert (row.warning, row.body_hash, row.last_new_item_at) == (first.warning, first.body_hash, first.last_new_item_at)
    assert (row.failures, row.failing_since, row.health_alert_id) == (0, None, None)
    [health] = list_sources(rt)
    assert (health.state, health.last_ok_at, health.warning) == ("ok", rt.now(), first.warning)
    assert head(rt.db).seq == seq  # nothing changed that the log records
    assert poll_due(rt) == []  # the schedule read the new next_poll_at
    clock.fast_forward(timedelta(minutes=15))
    assert [r.status for r in poll_due(rt)] == ["unchanged"]


def test_an_unchanged_poll_with_the_longest_stale_after_allowed(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    url = feed_server.route("/rss", Reply(body=rss_feed(1), headers=RSS))
    rt = make_rt(sources=[{"key": "a", "kind": "rss", "url": url, "stale_after": "366d"}])  # longer is refused by the config
    poll_due(rt)
    [again] = poll_due(rt, force=True)
    assert (again.status, again.health_alert, list_sources(rt)[0].state) == ("unchanged", None, "ok")


def test_a_failing_source_answering_304_recovers_with_its_event(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    url = feed_server.route("/rss", Reply(body=rss_feed(2), etag='"v1"', headers=RSS))
    rt = make_rt(sources=[{"key": "a", "kind": "rss", "url": url}])
    poll_due(rt)
    feed_server.route("/rss", Reply(status=503))
    assert poll_due(rt, force=True)[0].status == "error"
    feed_server.route("/rss", Reply(body=rss_feed(2), etag='"v1"', headers=RSS))
    assert poll_due(rt, force=True)[0].status == "not-modified"
    row = _row(rt, "a")
    assert (row.failures, row.failing_since, row.last_ok_at, row.etag) == (0, None, rt.now(), '"v1"')
    assert [e.kind for e in events_for(rt.db, "source", "a")][-2:] == ["source.failed", "source.ok"]


def test_backoff_grows_with_jitter_and_honours_retry_after(clock) -> None:  # noqa: ANN001
    src = SourceConfig(key="a", kind="rss", url="https://e.vn/", interval=timedelta(minutes=15))
    now = clock.now()
    rng = random.Random(7)
    delays = [backoff(src, n, "", now, rng).total_seconds() for n in range(1, 9)]
    assert 96 <= delays[0] <= 144  # 2 min ± 20 %
    assert delays[2] > delays[0] and all(d <= 2 * 3600 * 1.2 for d in delays)
    assert max(delays) >= 2 * 3600 * 0.8  # capped at 8 intervals
    assert backoff(src, 1, "600", now, rng) == timedelta(seconds=600)
    later = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    assert backoff(src, 1, format_datetime(later, usegmt=True), now, rng) == later - now  # an HTTP date


def test_failures_back_off_and_raise_one_source_alert_after_fail_alert_after(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    url = feed_server.route("/down", Reply(status=503, headers={"Retry-After": "300"}))
    rt = make_rt(sources=[{"key": "kgm", "name": "khonggianmang.vn", "kind": "rss", "url": url, "fail_alert_after": "1h"}])
    [first] = poll_due(rt)
    assert first.error == "had a server error (503 Service Unavailable)"
    row = _row(rt, "kgm")
    assert row.failures == 1 and row.next_poll_at - rt.now() >= timedelta(seconds=300)
    assert poll_due(rt) == []  # backing off
    raised = None
    for _ in range(40):
        clock.fast_forward(timedelta(minutes=10))
        for result in poll_due(rt):
            raised = raised or result.health_alert
        if raised:
            break
    assert raised is not None
    alert = get_alert(rt, raised)
    assert alert.category == Category.SOURCE_HEALTH.value and alert.severity == Severity.HIGH
    assert alert.title.startswith("Source 'khonggianmang.vn' has been failing for 1h")
    assert alert.title.endswith("had a server error (503 Service Unavailable)")
    clock.fast_forward(timedelta(hours=3))
    assert all(r.health_alert is None for r in poll_due(rt, force=True))  # one alert per failing stretch
    feed_server.route("/down", Reply(body=rss_feed(1), headers=RSS))
    [ok] = poll_due(rt, force=True)
    assert ok.status == "ok" and _row(rt, "kgm").failures == 0 and _row(rt, "kgm").health_alert_id is None
    kinds = [e.kind for e in events_for(rt.db, "source", "kgm")]
    assert kinds[0] == "source.added" and kinds.count("source.failed") == 1 and kinds[-2:] == ["source.ok", "source.recovered"]


def test_a_silent_source_raises_a_stale_alert(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    url = feed_server.route("/rss", Reply(body=rss_feed(2), headers=RSS))
    rt = make_rt(sources=[{"key": "weekly", "kind": "rss", "url": url, "interval": "1h", "stale_after": "8d"}])
    poll_due(rt)
    clock.fast_forward(timedelta(days=7, hours=23))
    assert all(r.health_alert is None for r in poll_due(rt))
    assert list_sources(rt)[0].state == "ok"
    clock.fast_forward(timedelta(hours=1))
    [result] = poll_due(rt)
    assert result.status == "unchanged" and result.health_alert is not None
    assert list_sources(rt)[0].state == "stale"
    alert = get_alert(rt, result.health_alert)
    assert alert.title == "Source 'weekly' has published nothing new for 8d"
    clock.fast_forward(timedelta(hours=1))
    assert poll_due(rt)[0].health_alert is None
    feed_server.route("/rss", Reply(body=rss_feed(3), headers=RSS))
    clock.fast_forward(timedelta(hours=1))
    assert len(poll_due(rt)[0].new) == 1
    assert list_sources(rt)[0].state == "ok" and _row(rt, "weekly").health_alert_id is None


def test_officer_sentences_for_common_failures(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    feed_server.route("/html", Reply(body=b"<!DOCTYPE html><html><body>Dang nhap</body></html>", headers={"Content-Type": "text/html"}))
    feed_server.route("/gone", Reply(status=404))
    feed_server.route("/slow", Reply(body=rss_feed(1), delay=1.5))
    rt = make_rt(sources=[
        {"key": "html", "kind": "rss", "url": feed_server.url("/html")},
        {"key": "gone", "kind": "rss", "url": feed_server.url("/gone")},
        {"key": "slow", "kind": "rss", "url": feed_server.url("/slow"), "timeout": 1},
        {"key": "refused", "kind": "rss", "url": "http://127.0.0.1:9/feed"},
        {"key": "nofile", "kind": "rss", "url": "file:///nonexistent/watchdesk/feed.xml"},
        {"key": "json", "kind": "json", "preset": "cisa-kev", "url": feed_server.url("/html")},
    ])
    errors = {r.key: r.error for r in poll_due(rt)}
    assert errors == {
        "html": "returned HTML, not a feed (a web page, a login page or an error page)",
        "gone": "returned 404 Not Found: the address may have moved; check the source's url",
        "slow": "timed out after 1 s",
        "refused": "refused the connection (127.0.0.1:9); the server may be down",
        "nofile": "points to a file that does not exist (/nonexistent/watchdesk/feed.xml)",
        "json": "returned HTML or XML, not JSON",
    }
    health = {h.key: (h.state, h.last_error) for h in list_sources(rt)}
    assert health["gone"] == ("failing", errors["gone"])


def test_one_slow_source_never_delays_the_others(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    feed_server.route("/drip", Reply(body=rss_feed(1), drip=0.05))
    sources = [{"key": "drip", "kind": "rss", "url": feed_server.url("/drip"), "deadline": 2}]
    for i in range(5):
        sources.append({"key": f"ok{i}", "kind": "rss", "url": feed_server.route(f"/ok{i}", Reply(body=rss_feed(3, start=i * 10), headers=RSS))})
    rt = make_rt(sources=sources)
    results = {r.key: r for r in poll_due(rt)}
    assert results["drip"].error == "was cut off after 2 s: the server sends too slowly"
    assert 1.9 <= results["drip"].elapsed < 3.0
    assert all(results[f"ok{i}"].status == "ok" and results[f"ok{i}"].elapsed < 1.5 for i in range(5))


def test_two_engines_never_claim_the_same_source(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    url = feed_server.route("/rss", Reply(body=rss_feed(1), headers=RSS))
    rt = make_rt(sources=[{"key": "a", "kind": "rss", "url": url}])
    other = make_rt(sources=[{"key": "a", "kind": "rss", "url": url}])  # a second process's runtime, same file
    sync_sources(rt)
    src = rt.config.sources[0]
    assert len(_claim(rt, [src], force=False)) == 1
    assert _claim(other, [src], force=False) == []


def test_concurrent_poll_due_from_two_threads_polls_once(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    url = feed_server.route("/rss", Reply(body=rss_feed(3), headers=RSS))
    rt = make_rt(sources=[{"key": "a", "kind": "rss", "url": url}])
    other = make_rt(sources=[{"key": "a", "kind": "rss", "url": url}])
    sync_sources(rt)
    out: list[list] = []
    threads = [threading.Thread(target=lambda r=r: out.append(poll_due(r))) for r in (rt, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(o) for o in out) == [0, 1]
    assert len(feed_server.hits("/rss")) == 1
    assert len(list_alerts(rt, AlertFilter())) == 3


def test_poll_one_source_by_key_and_refusals(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    url = feed_server.route("/rss", Reply(body=demo_bytes("khonggianmang.rss.xml"), headers=RSS))
    rt = make_rt(sources=[{"key": "a", "kind": "rss", "url": url}, {"key": "off", "kind": "rss", "url": url, "enabled": False},
                          {"key": "hand", "kind": "manual"}])
    assert [r.key for r in poll_due(rt, only="a")] == ["a"]
    with pytest.raises(NotFound, match="no source 'zzz' in the config"):
        poll_due(rt, only="zzz")
    with pytest.raises(Refused, match="source 'off' is disabled"):
        poll_due(rt, only="off")
    with pytest.raises(Refused, match="source 'hand' is manual"):
        poll_due(rt, only="hand")


def test_a_changed_url_starts_afresh(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    url = feed_server.route("/v1", Reply(body=rss_feed(1), etag='"x"', headers=RSS))
    rt = make_rt(sources=[{"key": "a", "kind": "rss", "url": url}])
    poll_due(rt)
    moved = make_rt(sources=[{"key": "a", "kind": "rss", "url": feed_server.route("/v2", Reply(body=rss_feed(1), headers=RSS))}])
    sync_sources(moved)
    row = _row(moved, "a")
    assert (row.url, row.etag, row.body_hash) == (feed_server.url("/v2"), "", "")
    assert events_for(moved.db, "source", "a")[-1].kind == "source.changed"


def test_a_recovering_source_clears_its_failing_alert(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    url = feed_server.route("/down", Reply(status=503))
    rt = make_rt(sources=[{"key": "kgm", "name": "khonggianmang.vn", "kind": "rss", "url": url, "fail_alert_after": "1h"}])
    raised = None
    for _ in range(20):
        raised = raised or next((r.health_alert for r in poll_due(rt, force=True) if r.health_alert), None)
        clock.fast_forward(timedelta(minutes=10))
    assert raised is not None and get_alert(rt, raised).state == "new"
    feed_server.route("/down", Reply(body=rss_feed(1), headers=RSS))
    poll_due(rt, force=True)
    alert = get_alert(rt, raised)
    assert (alert.state, alert.resolved_by, alert.acked_by) == ("resolved", "system", "")
    assert alert.resolution.startswith("Cleared by the system: source 'khonggianmang.vn' answered again at ")
    [cleared] = [e for e in events_for(rt.db, "alert", raised) if e.kind == "alert.cleared"]
    assert (cleared.actor, cleared.payload["source"], cleared.payload["was"]) == ("system", "kgm", "failing")


def test_a_new_item_clears_the_nothing_new_alert(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    url = feed_server.route("/rss", Reply(body=rss_feed(2), headers=RSS))
    rt = make_rt(sources=[{"key": "weekly", "kind": "rss", "url": url, "interval": "1h", "stale_after": "8d"}])
    poll_due(rt)
    clock.fast_forward(timedelta(days=8))
    [stale] = poll_due(rt)
    assert stale.health_alert is not None
    clock.fast_forward(timedelta(hours=1))
    poll_due(rt)  # it answers, still nothing new: the question stands
    assert get_alert(rt, stale.health_alert).state == "new"
    feed_server.route("/rss", Reply(body=rss_feed(3), headers=RSS))
    clock.fast_forward(timedelta(hours=1))
    assert len(poll_due(rt)[0].new) == 1
    alert = get_alert(rt, stale.health_alert)
    assert alert.state == "resolved" and alert.resolution == (
        f"Cleared by the system: source 'weekly' published a new item at {rt.now().isoformat(' ')[:19]} UTC")
