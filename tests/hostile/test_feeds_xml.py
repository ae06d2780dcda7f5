"""Hostile feed bodies: entity bombs, external entities, not-a-feed bodies, lying charsets, a huge feed.

Each case's docstring says what the duty officer sees. Nothing is lost (the feed's items
still arrive when they can be read) and nothing unsafe gets through.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from tests.feeds.conftest import feed_server, make_rt  # noqa: F401 - fixtures shared with tests/feeds
from tests.support.feed_factory import rss_feed
from tests.support.feed_server import FeedServer, Reply
from watchdesk.services.alerts import AlertFilter, list_alerts
from watchdesk.services.sources import list_sources, poll_due

ITEM = ('<item><title>Cảnh báo lỗ hổng {t}</title><link>https://example.vn/a/{n}</link><guid>g{n}</guid>'
        '<description>Mức độ: Cao</description></item>')


def _rss(doctype: str, *titles: str) -> bytes:
    items = "".join(ITEM.format(t=t, n=i) for i, t in enumerate(titles))
    return (f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}\n<rss version="2.0"><channel><title>x</title>'
            f'<link>https://example.vn/</link><description>d</description>{items}</channel></rss>').encode()


LAUGHS_MULTILINE = """<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>"""
LAUGHS_ONE_LINE = " ".join(line.strip() for line in LAUGHS_MULTILINE.splitlines())


def _poll_one(feed_server: FeedServer, make_rt, body: bytes, headers: dict[str, str] | None = None, **source):  # noqa: ANN001, ANN202
    url = feed_server.route("/feed", Reply(body=body, headers=headers or {"Content-Type": "application/rss+xml"}))
    rt = make_rt(sources=[{"key": "feed", "kind": "rss", "url": url, **source}])
    [result] = poll_due(rt)
    return rt, result


@pytest.mark.parametrize("doctype", [LAUGHS_MULTILINE, LAUGHS_ONE_LINE], ids=["multi-line", "one-line"])
def test_billion_laughs(feed_server: FeedServer, make_rt, doctype: str) -> None:  # noqa: ANN001
    """The officer sees both items (the bomb's reference stays as the text '&lol9;') and, on the
    source, "declares XML entities (a known attack on feed readers); they were ignored". Memory
    stays small: the entities are never expanded."""
    tracemalloc.start()
    try:
        rt, result = _poll_one(feed_server, make_rt, _rss(doctype, "FortiOS &lol9;", "Exchange"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status == "ok" and len(result.new) == 2
    assert peak < 30_000_000
    titles = sorted(a.title for a in list_alerts(rt, AlertFilter()))
    assert titles == ["Cảnh báo lỗ hổng Exchange", "Cảnh báo lỗ hổng FortiOS &lol9;"]
    assert any("declares XML entities" in w for w in result.warnings)
    assert "declares XML entities" in list_sources(rt)[0].warning


def test_external_entities_are_never_resolved(feed_server: FeedServer, make_rt, tmp_path: Path) -> None:  # noqa: ANN001
    """A feed that tries to read a local file or fetch a remote DTD: the officer sees the item with
    '&xxe;' as plain text and the entity warning; the file's content appears nowhere and the
    remote DTD is never requested."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    feed_server.route("/evil.dtd", Reply(body=b'<!ENTITY leak "LEAKED">'))
    doctype = (f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">'
               f'<!ENTITY % remote SYSTEM "{feed_server.url("/evil.dtd")}"> %remote;]>')
    rt, result = _poll_one(feed_server, make_rt, _rss(doctype, "A &xxe; B", "C &leak; D"))
    assert result.status == "ok" and len(result.new) == 2
    stored = " ".join(a.title + a.summary for a in list_alerts(rt, AlertFilter()))
    assert "TOP-SECRET" not in stored and "LEAKED" not in stored
    assert "&xxe;" in stored
    assert feed_server.hits("/evil.dtd") == []


def test_an_external_dtd_reference_is_not_fetched(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    """A DOCTYPE pointing at a remote DTD: the officer sees the item, watchdesk never asks for the DTD."""
    feed_server.route("/evil.dtd", Reply(body=b'<!ENTITY leak "LEAKED">'))
    rt, result = _poll_one(feed_server, make_rt, _rss(f'<!DOCTYPE rss SYSTEM "{feed_server.url("/evil.dtd")}">', "E &leak;"))
    assert result.status == "ok" and len(result.new) == 1
    assert feed_server.hits("/evil.dtd") == []
    assert "LEAKED" not in list_alerts(rt, AlertFilter())[0].title


def test_a_body_that_is_a_local_file_path(feed_server: FeedServer, make_rt) -> None:
    """The server answers '/etc/passwd': the officer sees "returned something that is not a feed
    (it starts with '/etc/passwd')"; the file is never opened (feedparser only gets a BytesIO)."""
    rt, result = _poll_one(feed_server, make_rt, b"/etc/passwd", {"Content-Type": "application/rss+xml"})
    assert result.status == "error"
    assert result.error == "returned something that is not a feed (it starts with '/etc/passwd')"
    assert list_alerts(rt, AlertFilter()) == []


def test_html_instead_of_a_feed(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    """A login or maintenance page: the officer sees "returned HTML, not a feed …" on the source and
    no bogus alert."""
    rt, result = _poll_one(feed_server, make_rt, b"<html><head><title>Bao tri</title></head><body>He thong dang bao tri</body></html>",
                           {"Content-Type": "text/html; charset=utf-8"})
    assert result.error.startswith("returned HTML, not a feed")
    assert list_sources(rt)[0].state == "failing" and list_alerts(rt, AlertFilter()) == []


def test_wrong_charset_and_non_xml_content_type(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    """A UTF-8 Vietnamese feed served as 'text/plain; charset=iso-8859-1': the officer sees the items
    with correct Vietnamese, and on the source the two problems ("is served as 'text/plain' …",
    "declares the character set 'iso-8859-1' but is UTF-8 …")."""
    rt, result = _poll_one(feed_server, make_rt, _rss("", "trong Cổng thông tin điện tử", "Đường dây nóng"),
                           {"Content-Type": "text/plain; charset=iso-8859-1"})
    assert result.status == "ok" and len(result.new) == 2
    titles = sorted(a.title for a in list_alerts(rt, AlertFilter()))
    assert titles == sorted(["Cảnh báo lỗ hổng Đường dây nóng", "Cảnh báo lỗ hổng trong Cổng thông tin điện tử"])
    warning = list_sources(rt)[0].warning
    assert "is served as 'text/plain', not as a feed type" in warning
    assert "declares the character set 'iso-8859-1' but is UTF-8; it was read as UTF-8" in warning


def test_a_windows_1258_feed_without_a_charset(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    """Bytes that are not UTF-8 and say nothing: read as windows-1258 (Vietnamese), problem shown."""
    body = _rss("", "Canh bao").replace(b'encoding="utf-8"', b"")
    body = body.replace(b"Canh bao", "Cảnh báo".encode("cp1258", errors="replace"))
    rt, result = _poll_one(feed_server, make_rt, body, {"Content-Type": "application/xml"})
    assert result.status == "ok" and len(result.new) == 1
    assert "is not UTF-8; it was read as windows-1258" in result.warnings[0]


def test_json_nested_too_deep_and_not_json(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    """A JSON bomb of nesting: the officer sees "is JSON nested too deeply to read"."""
    feed_server.route("/deep", Reply(body=b"[" * 100_000 + b"]" * 100_000))
    rt = make_rt(sources=[{"key": "deep", "kind": "json", "preset": "cisa-kev", "url": feed_server.url("/deep")}])
    [result] = poll_due(rt)
    assert result.error == "is JSON nested too deeply to read"


@pytest.mark.slow
def test_a_feed_of_ten_thousand_items(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    """10,000 items in one feed: all 10,000 become alerts in one poll; polling again finds them all known."""
    body = rss_feed(10_000)
    rt, result = _poll_one(feed_server, make_rt, body, max_bytes=50_000_000)
    assert (result.status, len(result.new), result.items) == ("ok", 10_000, 10_000)
    feed_server.route("/feed", Reply(body=body + b"\n", headers={"Content-Type": "application/rss+xml"}))
    [again] = poll_due(rt, force=True)
    assert (again.status, len(again.new), again.unchanged) == ("ok", 0, 10_000)
