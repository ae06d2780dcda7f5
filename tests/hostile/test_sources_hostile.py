"""Hostile answers to the new source inputs: Strapi pagination, JSON Feed, advertised feeds, `sources test`.

What the officer sees: a paged listing that lies about its size costs a bounded number of
requests (never more than max_items, 200 pages, max_bytes and the deadline allow) and says
in one clean sentence what was left unread; text from a JSON Feed or a page's <link> tags
reaches the desk and the terminal without escape sequences, control characters or bidi
overrides; links that are not web pages (javascript:) are never offered.
"""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from tests.feeds.conftest import feed_server, make_rt  # noqa: F401 - fixtures shared with tests/feeds
from tests.hostile.test_feeds_text import CLEAN, HOSTILE, _assert_clean
from tests.support.feed_server import FeedServer, Reply
from watchdesk.cli.main import cli
from watchdesk.feeds.jsonfeed import MAX_PAGES
from watchdesk.services.alerts import list_alerts
from watchdesk.services.source_trial import trial_lines, try_source
from watchdesk.services.sources import MAX_RETRY_AFTER, list_sources, poll_due

JSON = {"Content-Type": "application/json"}


def _page(pagination: dict) -> bytes:
    rows = [{"id": 1, "title": "Cảnh báo lỗ hổng trong cổng thông tin", "publishedAt": "2026-02-01T00:00:00Z"}]
    return json.dumps({"data": rows, "meta": {"pagination": pagination}}, allow_nan=True).encode()


def _requests(server: FeedServer, path: str) -> int:
    return sum(1 for r in server.requests if r.path.split("?")[0] == path)


@pytest.mark.parametrize("pagination", [
    {"page": 1, "pageSize": 1, "pageCount": "\x1b]0;PWNED\x07 9", "total": 9},
    {"page": 1, "pageSize": 1, "pageCount": -5, "total": 9},
    {"page": 1, "pageSize": 1, "pageCount": math.nan, "total": 9},
    {"page": 1, "pageSize": "25\u202e", "pageCount": 3, "total": 9},
    {"page": 1, "pageSize": 1, "pageCount": True, "total": 9},
], ids=["escape-string", "negative", "nan", "bidi-size", "bool"])
def test_an_unreadable_pagination_reads_the_first_page_and_says_so(feed_server: FeedServer, make_rt, pagination: dict) -> None:  # noqa: ANN001
    url = feed_server.route("/api/x", Reply(body=_page(pagination), headers=JSON))
    rt = make_rt(sources=[{"key": "api", "kind": "json", "preset": "strapi", "url": url}])
    [result] = poll_due(rt, only="api")
    assert result.status == "ok" and result.items == 1 and _requests(feed_server, "/api/x") == 1
    assert result.warnings == ("gives a pagination watchdesk cannot read (pageCount/pageSize); only the first page is read",)
    [row] = list_sources(rt)
    _assert_clean(row.warning)


def test_a_huge_page_count_is_bounded(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    url = feed_server.route("/api/x", Reply(body=_page({"page": 1, "pageSize": 1, "pageCount": 10**12, "total": 10**12}), headers=JSON))
    rt = make_rt(sources=[{"key": "api", "kind": "json", "preset": "strapi", "url": url, "max_items": 50_000}])
    [result] = poll_due(rt, only="api")
    assert result.status == "ok" and _requests(feed_server, "/api/x") == MAX_PAGES
    assert result.warnings == (f"lists {10**12} pages; the first {MAX_PAGES} were read (max_items = 50000)",)


def test_pages_together_stay_within_max_bytes(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    pad = "x" * 3000  # each page is about 3.2 kB; the source allows 8 kB for all of them
    body = json.dumps({"data": [{"id": 1, "title": "Cảnh báo lỗ hổng", "pad": pad}],
                       "meta": {"pagination": {"page": 1, "pageSize": 1, "pageCount": 50, "total": 50}}}).encode()
    url = feed_server.route("/api/x", Reply(body=body, headers=JSON))
    rt = make_rt(sources=[{"key": "api", "kind": "json", "preset": "strapi", "url": url, "max_bytes": 8192}])
    [result] = poll_due(rt, only="api")
    assert result.status == "ok" and _requests(feed_server, "/api/x") == 3
    assert any(w.startswith("page 3 ") and "the pages before it were read" in w for w in result.warnings), result.warnings


def test_json_feed_text_is_cleaned_and_script_links_dropped(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    feed = {"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": "javascript:alert(1)", "title": HOSTILE, "content_text": HOSTILE, "date_published": "2026-02-01T00:00:00Z",
         "attachments": [{"url": "javascript:alert(2)", "mime_type": "application/pdf"}, "not an object"]},
        "not an item",
    ]}
    url = feed_server.route("/feed.json", Reply(body=json.dumps(feed).encode(), headers={"Content-Type": "application/feed+json"}))
    rt = make_rt(sources=[{"key": "jf", "kind": "json", "url": url}])
    [result] = poll_due(rt, only="jf")
    assert result.status == "ok" and len(result.new) == 1
    [alert] = list_alerts(rt)
    assert alert.title == CLEAN and alert.link == "" and alert.attachments == ()
    lines = trial_lines(try_source(rt, "jf"), rt.zone)
    for line in lines:
        _assert_clean(line)
    assert any(CLEAN in line for line in lines)


def test_advertised_feeds_are_cleaned_and_only_web_addresses_offered(feed_server: FeedServer, make_rt, tmp_path) -> None:  # noqa: ANN001
    page = ("<html><head>"
            '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
            '<link rel="alternate" type="application/atom+xml" href="/atom\u202e.xml" title="\x1b]0;PWNED\x07 Tin">'
            "</head><body><p>Trang</p></body></html>").encode()
    url = feed_server.route("/page", Reply(body=page, headers={"Content-Type": "text/html; charset=utf-8"}))
    rt = make_rt(sources=[{"key": "page", "kind": "html", "url": url}])
    trial = try_source(rt, "page")
    assert [(f.kind, f.url) for f in trial.feeds] == [("Atom", feed_server.url("/atom.xml"))]
    config = tmp_path / "w.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "d.db"}"\n[[sources]]\nkey = "page"\nkind = "html"\nurl = "{url}"\n')
    out = CliRunner().invoke(cli, ["--config", str(config), "sources", "test", "page"]).output
    _assert_clean(out)
    assert f"advertises a feed (Atom) at {feed_server.url('/atom.xml')}" in out and "javascript" not in out


@pytest.mark.parametrize("asked", ["9" * 20, "9" * 5000, "\u00b2"], ids=["20-digits", "5000-digits", "superscript"])
def test_a_hostile_retry_after_is_a_recorded_failure_with_a_bounded_wait(feed_server: FeedServer, make_rt, clock, asked: str) -> None:  # noqa: ANN001
    """The officer sees the source failing, as with any 503, and it is asked again within a day at most
    (these used to raise before the failure was written: no failure counted, so no source alert)."""
    url = feed_server.route("/down", Reply(status=503, headers={"Retry-After": asked}))
    rt = make_rt(sources=[{"key": "down", "kind": "rss", "url": url}])
    [result] = poll_due(rt, only="down")
    assert result.status == "error" and result.error == "had a server error (503 Service Unavailable)"
    [row] = list_sources(rt)
    assert row.failures == 1 and rt.now() < row.next_poll_at <= rt.now() + MAX_RETRY_AFTER
