"""Every adapter and preset, fetched from a real HTTP server on 127.0.0.1 (and file://)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.feeds.conftest import DEMO, demo_bytes
from tests.support.feed_server import FeedServer, Reply
from watchdesk.core.enums import Severity
from watchdesk.services.alerts import AlertFilter, list_alerts
from watchdesk.services.sources import poll_due

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
JSON = {"Content-Type": "application/json"}

RDF = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://example.vn/"><title>RDF</title><link>https://example.vn/</link><description>d</description></channel>
  <item rdf:about="https://example.vn/a/1"><title>Cảnh báo lỗ hổng trong Zimbra (CVE-2024-11111)</title>
    <link>https://example.vn/a/1</link><description>Mức độ: Cao</description><dc:date>2024-04-17T08:00:00+07:00</dc:date></item>
</rdf:RDF>""".encode()

NVD = {
    "resultsPerPage": 2, "startIndex": 0, "totalResults": 2, "format": "NVD_CVE", "version": "2.0",
    "vulnerabilities": [
        {"cve": {"id": "CVE-2024-3400", "published": "2024-04-12T08:15:06.950",
                 "descriptions": [{"lang": "en", "value": "A command injection vulnerability in GlobalProtect of PAN-OS. More text."},
                                  {"lang": "es", "value": "Una vulnerabilidad"}],
                 "metrics": {"cvssMetricV31": [{"cvssData": {"baseScore": 10.0, "baseSeverity": "CRITICAL"}}]}}},
        {"cve": {"id": "CVE-2024-0001", "published": "2024-04-13T00:00:00.000",
                 "descriptions": [{"lang": "en", "value": "A minor issue."}],
                 "metrics": {"cvssMetricV31": [{"cvssData": {"baseScore": 3.1, "baseSeverity": "LOW"}}]}}},
    ],
}
STRAPI_V3 = [{"id": 7, "title": "Cảnh báo lừa đảo qua Zalo", "description": "Mức độ: Thấp", "published_at": "2024-04-17T01:00:00Z",
              "slug": "lua-dao-zalo"}]
STRAPI_V5 = {"data": [{"id": 9, "documentId": "a1b2c3", "title": "Cảnh báo APT", "severity": "Cao",
                       "publishedAt": "2024-04-17T02:00:00.000Z", "slug": "apt"}],
             "meta": {"pagination": {"page": 1, "pageSize": 25, "pageCount": 3, "total": 60}}}
MAPPED = {"result": {"rows": [{"ma": "CB-1", "tieu_de": "Cảnh báo mã độc", "noi_dung": "CVE - 2024-22222", "muc_do": "nghiem trong",
                               "ngay": "ngày 17 tháng 4 năm 2024"}]}}


def _titles(rt, source: str) -> list[str]:  # noqa: ANN001
    return sorted(a.title for a in list_alerts(rt, AlertFilter(sources=(source,))))


def test_rss_atom_and_rdf(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    rt = make_rt(sources=[
        {"key": "rss", "kind": "rss", "url": feed_server.route("/rss", Reply(body=demo_bytes("khonggianmang.rss.xml"), headers=RSS))},
        {"key": "atom", "kind": "rss", "url": feed_server.route("/atom", Reply(body=demo_bytes("khonggianmang.atom.xml"), headers={"Content-Type": "application/atom+xml"}))},
        {"key": "rdf", "kind": "rss", "url": feed_server.route("/rdf", Reply(body=RDF, headers={"Content-Type": "application/rdf+xml"}))},
    ])
    results = {r.key: r for r in poll_due(rt)}
    assert {k: (r.status, len(r.new)) for k, r in results.items()} == {"rss": ("ok", 5), "atom": ("ok", 5), "rdf": ("ok", 1)}
    assert _titles(rt, "rss") == _titles(rt, "atom")
    fortios = next(a for a in list_alerts(rt, AlertFilter(sources=("rss",), search="FortiOS")) if a.doc_number)
    assert fortios.doc_number == "254/CATTT-NCSC"
    # The letter's CVE ids are in its prose only: mentions (related, searchable), never a subject to join on.
    assert (fortios.cves, fortios.mentions) == ((), ("CVE-2024-21762", "CVE-2022-40684"))
    assert fortios.severity == Severity.CRITICAL
    assert fortios.attachments[0]["url"].endswith("254-CATTT-NCSC.pdf")
    rdf = list_alerts(rt, AlertFilter(sources=("rdf",)))[0]
    assert (rdf.severity, rdf.cves) == (Severity.HIGH, ("CVE-2024-11111",))
    assert feed_server.hits("/rss")[0].headers["user-agent"].startswith("watchdesk/")


def test_json_presets_kev_nvd_and_strapi_v3_v4_v5(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    rt = make_rt(sources=[
        {"key": "kev", "kind": "json", "preset": "cisa-kev", "url": feed_server.route("/kev", Reply(body=demo_bytes("kev.json"), headers=JSON))},
        {"key": "nvd", "kind": "json", "preset": "nvd", "url": feed_server.route("/nvd", Reply(body=json.dumps(NVD).encode(), headers=JSON))},
        {"key": "s3", "kind": "json", "preset": "strapi", "url": feed_server.route("/s3", Reply(body=json.dumps(STRAPI_V3).encode(), headers=JSON)),
         "mapping": {"link_template": "https://example.vn/canh-bao/{slug}"}},
        {"key": "s4", "kind": "json", "preset": "strapi", "url": feed_server.route("/s4", Reply(body=demo_bytes("strapi-v4.json"), headers=JSON))},
        {"key": "s5", "kind": "json", "preset": "strapi", "url": feed_server.route("/s5", Reply(body=json.dumps(STRAPI_V5).encode(), headers=JSON))},
        {"key": "mapped", "kind": "json", "url": feed_server.route("/m", Reply(body=json.dumps(MAPPED).encode(), headers=JSON)),
         "mapping": {"items": "result.rows", "id": "ma", "title": "tieu_de", "summary": "noi_dung", "severity": "muc_do", "date": "ngay"}},
    ], alerts={"join_related": False})
    results = {r.key: r for r in poll_due(rt)}
    assert all(r.status == "ok" for r in results.values()), results
    kev = {a.native_id: a for a in list_alerts(rt, AlertFilter(sources=("kev",)))}
    assert set(kev) == {"CVE-2024-3400", "CVE-2024-29988", "CVE-2024-21762", "CVE-2022-40684"}
    assert kev["CVE-2022-40684"].severity == Severity.CRITICAL  # known ransomware use
    assert kev["CVE-2024-3400"].severity == Severity.HIGH
    assert "Required action:" in kev["CVE-2024-3400"].summary
    nvd = {a.native_id: a for a in list_alerts(rt, AlertFilter(sources=("nvd",)))}
    assert nvd["CVE-2024-3400"].severity == Severity.CRITICAL and nvd["CVE-2024-0001"].severity == Severity.LOW
    assert nvd["CVE-2024-3400"].link == "https://nvd.nist.gov/vuln/detail/CVE-2024-3400"
    assert nvd["CVE-2024-3400"].published_at.isoformat() == "2024-04-12T08:15:06.950000+00:00"
    s3 = list_alerts(rt, AlertFilter(sources=("s3",)))[0]
    assert (s3.native_id, s3.severity, s3.link) == ("7", Severity.LOW, "https://example.vn/canh-bao/lua-dao-zalo")
    s4 = {a.native_id: a for a in list_alerts(rt, AlertFilter(sources=("s4",)))}
    assert s4["254"].severity == Severity.CRITICAL and s4["254"].severity_raw == "Nghiêm trọng"
    assert s4["620"].severity == Severity.MEDIUM
    s5 = list_alerts(rt, AlertFilter(sources=("s5",)))[0]
    assert (s5.native_id, s5.severity) == ("a1b2c3", Severity.HIGH)
    # Its pagination says 3 pages: the further pages are fetched too (the server repeats page 1 here).
    assert [r.path for r in feed_server.requests if r.path.startswith("/s5")] == [
        "/s5", "/s5?pagination%5BpageSize%5D=25&pagination%5Bpage%5D=2", "/s5?pagination%5BpageSize%5D=25&pagination%5Bpage%5D=3"]
    mapped = list_alerts(rt, AlertFilter(sources=("mapped",)))[0]
    assert (mapped.native_id, mapped.severity, mapped.cves, mapped.mentions) == ("CB-1", Severity.CRITICAL, (), ("CVE-2024-22222",))
    assert mapped.published_at.isoformat() == "2024-04-16T17:00:00+00:00"


def test_html_listing_with_pdf_attachments(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    url = feed_server.route("/canhbaoattt", Reply(body=demo_bytes("canhbaoattt.html"), headers={"Content-Type": "text/html; charset=utf-8"}))
    rt = make_rt(sources=[{"key": "kgm", "kind": "html", "url": url,
                           "mapping": {"item": ".news-item", "title": ".title a", "date": ".date", "summary": ".sapo"}}])
    [result] = poll_due(rt)
    assert (result.status, len(result.new)) == ("ok", 5)
    alerts = {a.doc_number: a for a in list_alerts(rt, AlertFilter(sources=("kgm",))) if a.doc_number}
    letter = alerts["254/CATTT-NCSC"]
    assert letter.link == feed_server.url("/canhbaoattt/2024/02/canh-bao-lo-hong-fortios")
    assert letter.attachments == ({"title": "Tải văn bản (PDF)", "url": feed_server.url("/files/254-CATTT-NCSC.pdf")},)
    assert letter.published_at.isoformat() == "2024-02-09T09:30:00+00:00"  # 16:30 in Hanoi
    assert alerts["612/CATTT-NCSC"].published_at.isoformat() == "2024-04-15T17:00:00+00:00"  # 'Ngày 16 tháng 4 năm 2024'


def test_html_listing_whose_layout_changed_says_so(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    url = feed_server.route("/x", Reply(body=b"<html><body><p>Trang dang bao tri</p></body></html>", headers={"Content-Type": "text/html"}))
    rt = make_rt(sources=[{"key": "kgm", "kind": "html", "url": url, "mapping": {"item": ".news-item"}}])
    [result] = poll_due(rt)
    assert result.status == "error"
    assert result.error == "has no items matching the CSS selector '.news-item'; the page layout may have changed"


def test_file_urls_work_for_every_kind(tmp_path: Path, make_rt) -> None:  # noqa: ANN001
    shared = tmp_path / "shared folder"
    shared.mkdir()
    for name in ("khonggianmang.atom.xml", "kev.json", "canhbaoattt.html"):
        (shared / name).write_bytes((DEMO / name).read_bytes())
    rt = make_rt(sources=[
        {"key": "atom", "kind": "rss", "url": (shared / "khonggianmang.atom.xml").as_uri()},
        {"key": "kev", "kind": "json", "preset": "cisa-kev", "url": (shared / "kev.json").as_uri()},
        {"key": "html", "kind": "html", "url": (shared / "canhbaoattt.html").as_uri(), "mapping": {"item": ".news-item", "title": ".title"}},
    ], alerts={"join_related": False})
    first = {r.key: (r.status, len(r.new)) for r in poll_due(rt)}
    assert first == {"atom": ("ok", 5), "kev": ("ok", 4), "html": ("ok", 5)}
    again = {r.key: r.status for r in poll_due(rt, force=True)}
    assert again == {"atom": "not-modified", "kev": "not-modified", "html": "not-modified"}
