"""Hostile servers: huge bodies, gzip bombs, drips, redirects to forbidden places, 304s, repeats.

Each case's docstring says what the duty officer sees; the desk's memory stays bounded and
the other sources are not held up.
"""

from __future__ import annotations

import asyncio
import tracemalloc
import zlib

import pytest

from tests.feeds.conftest import feed_server, make_rt  # noqa: F401 - fixtures shared with tests/feeds
from tests.support.feed_factory import rss_feed
from tests.support.feed_server import FeedServer, Reply
from watchdesk.feeds.guard import redirect_refusal
from watchdesk.services.alerts import AlertFilter, list_alerts
from watchdesk.services.sources import list_sources, poll_due

RSS = {"Content-Type": "application/rss+xml"}
MB = 1_000_000


def _traced(func):  # noqa: ANN001, ANN202
    tracemalloc.start()
    try:
        result = func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_a_50_mb_body_is_cut_at_the_cap_with_bounded_memory(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    """A server streaming 50 MB: the officer sees "sent more than 2.0 MB; raise max_bytes for this
    source if that is expected"; the desk's memory grows by about the cap, not 50 MB."""
    block = b"<item>" + b"x" * 65_530
    feed_server.route("/big", Reply(chunks=lambda: (block for _ in range(50 * MB // len(block))), headers=RSS))
    rt = make_rt(sources=[{"key": "big", "kind": "rss", "url": feed_server.url("/big"), "max_bytes": 2 * MB}])
    [result], peak = _traced(lambda: poll_due(rt))
    assert result.error == "sent more than 2.0 MB; raise max_bytes for this source if that is expected"
    assert peak < 8 * MB


def test_a_gzip_bomb_never_inflates_past_the_cap(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    """200 MB of zeros gzipped to ~200 kB: the officer sees "sent more than 2.0 MB once decompressed …";
    peak memory stays near the cap."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * MB
    bomb = b"".join([packer.compress(zeros) for _ in range(200)] + [packer.flush()])
    assert len(bomb) < 400_000
    feed_server.route("/bomb", Reply(body=bomb, headers={**RSS, "Content-Encoding": "gzip"}))
    rt = make_rt(sources=[{"key": "bomb", "kind": "rss", "url": feed_server.url("/bomb"), "max_bytes": 2 * MB}])
    [result], peak = _traced(lambda: poll_due(rt))
    assert result.error == "sent more than 2.0 MB once decompressed; raise max_bytes for this source if that is expected"
    assert peak < 8 * MB


def test_a_gzipped_feed_within_the_cap_is_read(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    """The ordinary case next to the bomb: a gzipped feed arrives whole."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    feed_server.route("/gz", Reply(body=packer.compress(rss_feed(20)) + packer.flush(), headers={**RSS, "Content-Encoding": "gzip"}))
    rt = make_rt(sources=[{"key": "gz", "kind": "rss", "url": feed_server.url("/gz")}])
    assert len(poll_due(rt)[0].new) == 20


def test_a_one_byte_drip_is_cut_at_the_deadline(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    """A byte every 0.2 s (each read well within the 20 s timeout): the officer sees "was cut off
    after 1 s: the server sends too slowly", and a healthy source polled alongside is not delayed."""
    feed_server.route("/drip", Reply(body=rss_feed(5), drip=0.2, headers=RSS))
    feed_server.route("/ok", Reply(body=rss_feed(2, start=100), headers=RSS))
    rt = make_rt(sources=[{"key": "drip", "kind": "rss", "url": feed_server.url("/drip"), "deadline": 1},
                          {"key": "ok", "kind": "rss", "url": feed_server.url("/ok")}])
    results = {r.key: r for r in poll_due(rt)}
    assert results["drip"].error == "was cut off after 1 s: the server sends too slowly"
    assert 0.9 <= results["drip"].elapsed < 2.0
    assert results["ok"].status == "ok" and results["ok"].elapsed < 0.9


@pytest.mark.parametrize(("target", "why"), [
    ("http://169.254.169.254/latest/meta-data/", "it points to a private, loopback or link-local address (169.254.169.254)"),
    ("http://127.0.0.1:{other}/admin", "it points to a private, loopback or link-local address (127.0.0.1)"),
    ("http://[::1]:{other}/", "it points to a private, loopback or link-local address (::1)"),
    ("http://10.0.0.5/feed", "it points to a private, loopback or link-local address (10.0.0.5)"),
    ("file:///etc/passwd", "it is not a web address ('file:')"),
    ("gopher://example.vn/", "it is not a web address ('gopher:')"),
])
def test_redirects_to_forbidden_places_are_refused(feed_server: FeedServer, make_rt, target: str, why: str) -> None:  # noqa: ANN001
    """The configured feed (on this machine) redirects elsewhere: the officer sees "redirected to
    <target>, which watchdesk refuses to follow: <why>", and the forbidden target is never contacted."""
    with FeedServer() as other:
        other.route("/admin", Reply(body=rss_feed(1)))
        location = target.format(other=other.port)
        feed_server.route("/feed", Reply(redirect=location))
        rt = make_rt(sources=[{"key": "r", "kind": "rss", "url": feed_server.url("/feed")}])
        [result] = poll_due(rt)
        assert other.requests == []
    assert result.error == f"redirected to {location}, which watchdesk refuses to follow: {why}"
    assert list_sources(rt)[0].state == "failing"


def test_a_redirect_within_the_configured_host_is_followed(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    """A feed that moved to another path on the same server is followed (and the items arrive)."""
    feed_server.route("/old", Reply(status=301, redirect="/new"))
    feed_server.route("/new", Reply(body=rss_feed(3), headers=RSS))
    rt = make_rt(sources=[{"key": "moved", "kind": "rss", "url": feed_server.url("/old")}])
    assert len(poll_due(rt)[0].new) == 3


def test_https_never_drops_to_http() -> None:
    """An https feed redirecting to plain http: refused ("it would drop from https to plain http")."""
    why = asyncio.run(redirect_refusal("https://feeds.example.vn/a", "http://feeds.example.vn/a", "https://feeds.example.vn/a"))
    assert why == "it would drop from https to plain http"


def test_too_many_redirects(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    """A redirect loop: the officer sees "redirected more than 5 times"."""
    feed_server.route("/loop", Reply(redirect="/loop"))
    rt = make_rt(sources=[{"key": "loop", "kind": "rss", "url": feed_server.url("/loop")}])
    assert poll_due(rt)[0].error == "redirected more than 5 times"


def test_304_with_etag(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    """The server answers 304 to our If-None-Match: the officer sees the source as ok (last success
    now), nothing re-parsed, no duplicate alerts."""
    feed_server.route("/feed", Reply(body=rss_feed(3), etag='W/"abc"', headers=RSS))
    rt = make_rt(sources=[{"key": "e", "kind": "rss", "url": feed_server.url("/feed")}])
    assert len(poll_due(rt)[0].new) == 3
    clock.fast_forward(3600)
    [again] = poll_due(rt)
    assert again.status == "not-modified"
    assert feed_server.hits("/feed")[-1].headers["if-none-match"] == 'W/"abc"'
    health = list_sources(rt)[0]
    assert (health.state, health.last_ok_at) == ("ok", rt.now())
    assert len(list_alerts(rt, AlertFilter())) == 3


def test_the_same_items_twice(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    """The same items served again under new bytes (a changed timestamp in the channel): the officer
    sees no new alert and no re-page; the poll reports them as already known."""
    feed_server.route("/feed", Reply(body=rss_feed(4), headers=RSS),
                      Reply(body=rss_feed(4).replace(b"<title>Bench</title>", b"<title>Bench (refreshed)</title>"), headers=RSS))
    rt = make_rt(sources=[{"key": "twice", "kind": "rss", "url": feed_server.url("/feed")}])
    first = poll_due(rt)[0]
    clock.fast_forward(3600)
    second = poll_due(rt)[0]
    assert (len(first.new), second.status, second.new, second.updated, second.unchanged) == (4, "ok", (), (), 4)
    assert len(list_alerts(rt, AlertFilter())) == 4
