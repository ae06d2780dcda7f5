"""Sources that check themselves: `sources test`, listings that must look like warnings,
pages advertising feeds, JSON Feed 1.1, and Strapi listings read page after page."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from tests.feeds.conftest import demo_bytes
from tests.support.feed_server import FeedServer, Reply
from watchdesk.cli.main import cli
from watchdesk.services.alerts import list_alerts
from watchdesk.services.source_trial import trial_lines, try_source
from watchdesk.services.sources import poll_due
from watchdesk.store.models import Alert, Event, Source

HTML = {"Content-Type": "text/html; charset=utf-8"}
JSON = {"Content-Type": "application/json"}

# A portal page: a menu whose entries match the default item selector (li.item), plus a
# "latest news" block of links with no dates. None of it is a warning.
MENU_PAGE = """<!doctype html><html><head><title>Cổng thông tin</title></head><body>
<header><nav><ul class="menu">
  <li class="item"><a href="/">Trang chủ</a></li>
  <li class="item"><a href="/gioi-thieu">Giới thiệu về đơn vị chủ quản</a></li>
  <li class="item"><a href="/lien-he">Liên hệ với chúng tôi qua đường dây nóng</a></li>
</ul></nav></header>
<ul class="latest">
  <li class="item"><a href="/tin/hoi-nghi-chuyen-doi-so">Hội nghị chuyển đổi số toàn tỉnh năm 2026</a></li>
  <li class="item"><a href="/tin/tap-huan">Tập huấn kỹ năng số cho cán bộ công chức</a></li>
</ul></body></html>""".encode()


def test_a_listing_of_navigation_links_without_dates_is_refused(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    url = feed_server.route("/portal", Reply(body=MENU_PAGE, headers=HTML))
    rt = make_rt(sources=[{"key": "portal", "kind": "html", "url": url}])
    [result] = poll_due(rt, only="portal")
    # The officer sees one failing source with the reason, and no flood of menu "warnings".
    assert result.status == "error" and result.new == ()
    assert "lists 2 items but none has a date" in result.error and "fix the date selector" in result.error
    assert list_alerts(rt) == []
    trial = try_source(rt, "portal")
    assert not trial.ok and trial.found == 0 and "none has a date" in trial.error


def test_the_shipped_selectors_never_turn_a_menu_into_warnings(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    # The authority's page redesigned: only its menu matches the shipped selectors any more.
    page = b"""<html><body><nav class="list-news"><li><a href="/">Trang ch\xe1\xbb\xa7</a></li>
    <li><a href="/canhbaoattt">C\xe1\xba\xa3nh b\xc3\xa1o an to\xc3\xa0n th\xc3\xb4ng tin</a></li>
    <li><a href="https://facebook.com/x">Trang Facebook c\xe1\xbb\xa7a C\xe1\xbb\xa5c</a></li></nav></body></html>"""
    url = feed_server.route("/canhbaoattt", Reply(body=page, headers=HTML))
    shipped = _example_source("khonggianmang")
    rt = make_rt(sources=[{**shipped, "url": url}])
    [result] = poll_due(rt, only="khonggianmang")
    assert result.status == "error" and list_alerts(rt) == []
    assert "3 matches of the CSS selector" in result.error and "3 inside the page's navigation" in result.error


def test_the_demo_listing_still_reads_with_the_shipped_selectors(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    url = feed_server.route("/canhbaoattt", Reply(body=demo_bytes("canhbaoattt.html"), headers=HTML))
    rt = make_rt(sources=[{**_example_source("khonggianmang"), "url": url}])
    trial = try_source(rt, "khonggianmang")
    assert trial.ok and trial.found == 5 and trial.to_verify
    first = trial.items[0]
    assert first.title.startswith("Cảnh báo lỗ hổng bảo mật nghiêm trọng trong FortiOS")
    assert first.link == feed_server.url("/canhbaoattt/2024/02/canh-bao-lo-hong-fortios")
    assert first.severity == "critical" and first.cves == ("CVE-2024-21762",)
    assert first.published_at is not None and first.published_at.isoformat() == "2024-02-09T09:30:00+00:00"


def test_an_html_page_advertising_a_feed_is_reported(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    page = b"""<!doctype html><html><head>
    <link rel="alternate" type="application/rss+xml" title="C\xe1\xba\xa3nh b\xc3\xa1o" href="/rss/canh-bao.xml">
    <link rel="stylesheet" href="/site.css"></head><body><div class="content">Trang tin</div></body></html>"""
    url = feed_server.route("/canh-bao", Reply(body=page, headers=HTML))
    rt = make_rt(sources=[{"key": "page", "kind": "html", "url": url, "mapping": {"item": ".news-item"}},
                          {"key": "as-rss", "kind": "rss", "url": url}])
    trial = try_source(rt, "page")
    assert [(f.kind, f.url) for f in trial.feeds] == [("RSS", feed_server.url("/rss/canh-bao.xml"))]
    shown = "\n".join(trial_lines(trial, rt.zone))
    assert f"advertises a feed (RSS) at {feed_server.url('/rss/canh-bao.xml')}" in shown
    # A real poll of the page as RSS says where the feed is, too.
    [result] = poll_due(rt, only="as-rss")
    assert result.status == "error" and feed_server.url("/rss/canh-bao.xml") in result.error


def test_a_script_shell_is_named(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    page = b"""<!doctype html><html><head><script src="/_nuxt/app.js"></script></head>
    <body><div id="__nuxt"></div><script>window.__NUXT__={}</script></body></html>"""
    url = feed_server.route("/spa", Reply(body=page, headers=HTML))
    rt = make_rt(sources=[{"key": "spa", "kind": "html", "url": url}])
    trial = try_source(rt, "spa")
    assert trial.script_shell == 2 and "is a script shell (2 scripts" in trial.error


def _json_feed(n: int) -> bytes:
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Cảnh báo", "home_page_url": "https://cert.example.vn/",
        "items": [{"id": f"cb-{i}", "url": f"/canh-bao/{i}", "title": f"Cảnh báo lỗ hổng CVE-2026-100{i} trong cổng VPN",
                   "content_html": f"<p>Mức độ: Cao. Lỗ hổng <b>CVE-2026-100{i}</b> đang bị khai thác.</p>",
                   "date_published": f"2026-02-1{i}T08:00:00+07:00",
                   "attachments": [{"url": f"https://cert.example.vn/files/cb-{i}.pdf", "mime_type": "application/pdf"}]}
                  for i in range(n)],
    }, ensure_ascii=False).encode()


@pytest.mark.parametrize("preset", ["", "jsonfeed"])
def test_json_feed(feed_server: FeedServer, make_rt, preset: str) -> None:  # noqa: ANN001
    url = feed_server.route("/feed.json", Reply(body=_json_feed(3), headers={"Content-Type": "application/feed+json"}))
    rt = make_rt(sources=[{"key": "jf", "kind": "json", "url": url, "preset": preset}])
    [result] = poll_due(rt, only="jf")
    assert result.status == "ok" and len(result.new) == 3
    alerts = {a.native_id: a for a in list_alerts(rt)}
    a = alerts["cb-1"]
    assert a.link == feed_server.url("/canh-bao/1") and a.severity.value == "high" and a.cves == ("CVE-2026-1001",)
    assert a.published_at is not None and a.published_at.isoformat() == "2026-02-11T01:00:00+00:00"
    assert a.summary.startswith("Mức độ: Cao. Lỗ hổng CVE-2026-1001") and a.attachments[0]["url"].endswith("cb-1.pdf")


def _strapi_page(page: int, page_count: object, rows: list[int], size: int = 2, total: object = 5) -> bytes:
    return json.dumps({
        "data": [{"id": i, "documentId": f"doc{i}", "tieu_de": f"Cảnh báo số {i}: lỗ hổng nghiêm trọng trong hệ thống",
                  "slug": f"canh-bao-{i}", "publishedAt": f"2026-02-0{i}T02:00:00.000Z"} for i in rows],
        "meta": {"pagination": {"page": page, "pageSize": size, "pageCount": page_count, "total": total}},
    }, ensure_ascii=False).encode()


def _page_numbers(server: FeedServer, path: str) -> list[str]:
    return [parse_qs(urlsplit(r.path).query).get("pagination[page]", ["1"])[0]
            for r in server.requests if r.path.split("?")[0] == path]


def test_strapi_with_three_pages_is_read_to_the_end(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    url = feed_server.route("/api/canh-baos", Reply(body=_strapi_page(1, 3, [1, 2]), headers=JSON),
                            Reply(body=_strapi_page(2, 3, [3, 4]), headers=JSON), Reply(body=_strapi_page(3, 3, [5]), headers=JSON))
    rt = make_rt(sources=[{"key": "api", "kind": "json", "preset": "strapi", "url": url + "?sort=publishedAt:desc",
                           "mapping": {"link_template": "https://cert.example.vn/canh-bao/{slug}"}}])
    [result] = poll_due(rt, only="api")
    assert result.status == "ok" and result.items == 5 and len(result.new) == 5 and result.warnings == ()
    assert _page_numbers(feed_server, "/api/canh-baos") == ["1", "2", "3"]
    assert all("sort=publishedAt" in r.path for r in feed_server.requests)
    assert sorted(a.native_id for a in list_alerts(rt)) == [f"doc{i}" for i in range(1, 6)]
    assert {a.link for a in list_alerts(rt)} >= {"https://cert.example.vn/canh-bao/canh-bao-5"}


def test_strapi_stops_at_max_items_and_says_so(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    url = feed_server.route("/api/x", Reply(body=_strapi_page(1, 3, [1, 2]), headers=JSON),
                            Reply(body=_strapi_page(2, 3, [3, 4]), headers=JSON), Reply(body=_strapi_page(3, 3, [5]), headers=JSON))
    rt = make_rt(sources=[{"key": "api", "kind": "json", "preset": "strapi", "url": url, "max_items": 3}])
    [result] = poll_due(rt, only="api")
    assert result.items == 3 and _page_numbers(feed_server, "/api/x") == ["1", "2"]
    assert result.warnings == ("lists 3 pages; the first 2 were read (max_items = 3)",)


def test_sources_test_stores_nothing(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    url = feed_server.route("/canhbaoattt", Reply(body=demo_bytes("canhbaoattt.html"), headers=HTML))
    rt = make_rt(sources=[{"key": "kgm", "kind": "html", "url": url, "enabled": False}])

    def counts() -> tuple[int, int, int]:
        with rt.db.read() as s:
            return tuple(s.exec(select(func.count()).select_from(t)).one() for t in (Source, Event, Alert))  # type: ignore[return-value]

    before = counts()
    assert try_source(rt, "kgm").found == 5  # a disabled source can be tested before it is enabled
    assert counts() == before


def _example_source(key: str) -> dict:
    import tomllib

    path = Path(__file__).resolve().parents[2] / "config.example.toml"
    return next(s for s in tomllib.loads(path.read_text(encoding="utf-8"))["sources"] if s["key"] == key)


def test_the_authoritys_listing_ships_marked_to_verify() -> None:
    shipped = _example_source("khonggianmang")
    assert shipped["to_verify"] is True
    assert "a" not in [part.strip() for part in shipped["mapping"]["title"].split(",")]


@pytest.fixture
def shell(tmp_path: Path, feed_server: FeedServer):  # noqa: ANN201
    feed_server.route("/canhbaoattt", Reply(body=demo_bytes("canhbaoattt.html"), headers=HTML))
    feed_server.route("/portal", Reply(body=MENU_PAGE, headers=HTML))
    config = tmp_path / "watchdesk.toml"
    config.write_text(f"""
[database]
path = "{tmp_path / 'desk.db'}"
[[sources]]
key = "kgm"
kind = "html"
url = "{feed_server.url('/canhbaoattt')}"
to_verify = true
[[sources]]
key = "portal"
kind = "html"
url = "{feed_server.url('/portal')}"
""", encoding="utf-8")
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return run


def test_cli_sources_test_and_the_plain_listing(shell) -> None:  # noqa: ANN001
    out = shell("sources", "test", "kgm")
    assert "found 5 items; the first 5 as they would become alerts:" in out
    assert "critical  Cảnh báo lỗ hổng bảo mật nghiêm trọng trong FortiOS" in out and "CVE-2024-21762" in out
    assert "to verify:" in out and "nothing was stored." in out and "answer: HTTP 200, text/html; charset=utf-8, 2589 bytes" in out
    bad = shell("sources", "test", "portal", code=1)
    assert "NO ITEMS: the source lists 2 items but none has a date" in bad
    data = json.loads(shell("sources", "test", "portal", "--json", code=1))
    assert data["ok"] is False and data["found"] == 0 and "none has a date" in data["error"]
    assert "no source 'nope' in the config (kgm, portal)" in shell("sources", "test", "nope", code=2)
    listing = shell("sources")
    kgm = next(line for line in listing.splitlines() if line.startswith("kgm "))
    portal = next(line for line in listing.splitlines() if line.startswith("portal "))
    assert "VERIFY" in listing and "check!" in kgm and "check!" not in portal
    rows = {r["key"]: r for r in json.loads(shell("sources", "--json"))}
    assert rows["kgm"]["to_verify"] is True and rows["portal"]["to_verify"] is False
