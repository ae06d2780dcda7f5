"""Our own websites: a local site that is defaced, goes down, redirects off-host, and serves a
certificate expiring in 10 days (self-signed, made by the test); each raises its alert once.

Real servers on 127.0.0.1 (http and https); the desk's clock is a fake one started at the real
time, since OpenSSL checks certificates against the real clock.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from tests.support.feed_server import FeedServer, Reply
from watchdesk.clock import FakeClock
from watchdesk.config import ConfigError, parse_config
from watchdesk.core.enums import Category
from watchdesk.services.sites import changed_share, site_view
from watchdesk.services.sources import list_sources, poll_due
from watchdesk.store.models import Alert, Event

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

HTML = "text/html; charset=utf-8"


def page(title: str, *paragraphs: str) -> Reply:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (f"<!doctype html><html><head><title>{title}</title><style>p {{color: red}}</style></head>"
            f"<body><nav>Trang chủ | Tin tức</nav>{body}<script>var hacked = 'hacked by nobody';</script></body></html>")
    return Reply(body=html.encode(), headers={"Content-Type": HTML})


NORMAL = page("Cổng thông tin điện tử Sở TT&TT", "Thông báo lịch nghỉ Tết Nguyên đán 2026.",
              "Hướng dẫn nộp hồ sơ trực tuyến qua cổng dịch vụ công.", "Liên hệ: 024.1234.5678.")
DEFACED = page("Hacked by Sh4d0w Team", "Your security is low. Hacked by Sh4d0w Team, greetings to all.",
               "Thông báo lịch nghỉ Tết Nguyên đán 2026.")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(timezone.utc).replace(microsecond=0))


def _site(url: str, **extra: object) -> dict:
    return {"key": "portal", "name": "Cổng thông tin", "kind": "site", "url": url, "interval": "5m",
            "fail_alert_after": "1m", "stale_after": "1h", **extra}


def _check(rt, clock: FakeClock):  # noqa: ANN001, ANN202
    clock.fast_forward(timedelta(minutes=5))
    (result,) = poll_due(rt, only="portal", force=True)
    return result


def _alerts(rt) -> list[Alert]:  # noqa: ANN001
    with rt.db.read() as session:
        rows = session.exec(select(Alert).order_by(Alert.id)).all()
        session.expunge_all()
    return list(rows)


def _kinds(rt) -> list[str]:  # noqa: ANN001
    return [a.dedup_key.split(":")[2] for a in _alerts(rt)]


def test_defaced_then_down_then_back_then_down_again(feed_server: FeedServer, make_rt, clock: FakeClock) -> None:  # noqa: ANN001
    feed_server.route("/", NORMAL, NORMAL, DEFACED, DEFACED, NORMAL,
                      Reply(status=503), Reply(status=503), Reply(status=503), Reply(status=503), NORMAL,
                      Reply(status=503), Reply(status=503), Reply(status=503), NORMAL)
    rt = make_rt(sources=[_site(feed_server.url("/"), down_after=3)])

    first = _check(rt, clock)
    assert first.status == "ok" and first.new == ()
    view = site_view(rt, "portal")
    assert view.baseline_title == "Cổng thông tin điện tử Sở TT&TT" and view.baseline_by == "system"
    assert _check(rt, clock).new == ()

    defaced = _check(rt, clock)
    assert sorted(_kinds(rt)) == ["deface", "text", "title"] and len(defaced.new) == 3
    deface = next(a for a in _alerts(rt) if ":deface:" in a.dedup_key)
    assert deface.severity == "critical" and deface.category == Category.WEBSITE.value
    assert "'hacked by'" in deface.title and "Hacked by Sh4d0w Team, greetings" in deface.summary
    assert "nobody" not in deface.summary  # the script's words are not visible text
    assert site_view(rt, "portal").baseline_text_hash[:16] in deface.summary
    title = next(a for a in _alerts(rt) if ":title:" in a.dedup_key)
    assert "Baseline: Cổng thông tin điện tử Sở TT&TT" in title.summary and "Now: Hacked by Sh4d0w Team" in title.summary
    assert _check(rt, clock).new == ()  # still defaced: the same occurrence
    assert _check(rt, clock).new == ()  # restored: the findings end, nothing raised
    assert site_view(rt, "portal").conditions == ()

    assert [_check(rt, clock).status for _ in range(2)] == ["error", "error"]
    assert "down" not in _kinds(rt)
    third = _check(rt, clock)
    assert "had a server error (503 Service Unavailable)" in third.error and len(third.new) == 1
    down = _alerts(rt)[-1]
    assert ":down:" in down.dedup_key and "failed 3 checks in a row" in down.summary
    assert _check(rt, clock).new == ()  # a 4th failed check: the same alert
    back = _check(rt, clock)
    assert back.status == "ok" and back.new == ()
    cleared = next(a for a in _alerts(rt) if a.id == down.id)
    assert cleared.state == "resolved" and cleared.resolved_by_id is None
    assert cleared.resolution.startswith("Cleared by the system: website 'Cổng thông tin' answered again")

    for _ in range(3):
        again = _check(rt, clock)
    assert len(again.new) == 1 and again.new[0] != down.id  # a recurrence: a new alert
    assert [k for k in _kinds(rt) if k == "down"] == ["down", "down"]
    # The generic failing/stale alerts of a source are not raised for a site.
    assert all(a.category == Category.WEBSITE.value for a in _alerts(rt))
    assert {s.key: s.state for s in list_sources(rt)}["portal"] == "failing"
    _check(rt, clock)
    clock.fast_forward(timedelta(days=2))  # far past stale_after: a site is never "stale"
    assert {s.key: s.state for s in list_sources(rt)}["portal"] == "ok"


def test_a_redirect_to_another_host(feed_server: FeedServer, make_rt, clock: FakeClock) -> None:  # noqa: ANN001
    away = f"http://localhost:{feed_server.port}/win"
    feed_server.route("/", NORMAL, Reply(redirect=away), Reply(redirect=away), NORMAL, Reply(redirect=away))
    feed_server.route("/home", Reply(redirect="/"))
    rt = make_rt(sources=[_site(feed_server.url("/home"))])
    assert _check(rt, clock).new == ()  # a redirect on the same host is followed
    moved = _check(rt, clock)
    assert moved.status == "ok" and len(moved.new) == 1
    alert = _alerts(rt)[-1]
    assert alert.title == "Website 'Cổng thông tin' redirects to another host: localhost"
    assert away in alert.summary and "302" in alert.summary
    assert not feed_server.hits("/win")  # reported, not followed
    assert _check(rt, clock).new == ()
    assert _check(rt, clock).new == ()  # back home: the occurrence ends
    assert len(_check(rt, clock).new) == 1  # redirected again: a new alert
    assert _kinds(rt) == ["off-host", "off-host"]


def _self_signed(tmp_path: Path, days: int) -> tuple[Path, ssl.SSLContext]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "site.pem", tmp_path / "site.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context


def test_a_certificate_expiring_in_10_days(tmp_path: Path, make_rt, clock: FakeClock) -> None:  # noqa: ANN001
    cert_file, context = _self_signed(tmp_path, days=10)
    with FeedServer(tls=context) as server:
        server.route("/", NORMAL)
        rt = make_rt(sources=[_site(server.url("/"), ca_file=str(cert_file))])
        first = _check(rt, clock)
        assert first.status == "ok" and len(first.new) == 1
        assert _check(rt, clock).new == ()
    alert = _alerts(rt)[0]
    assert ":cert:" in alert.dedup_key and alert.severity == "medium"
    assert "its certificate expires in 9d" in alert.title and "(9 days left)" in alert.summary
    assert site_view(rt, "portal").cert_days_left == 9


def test_an_untrusted_certificate_is_its_own_alert(tmp_path: Path, make_rt, clock: FakeClock) -> None:  # noqa: ANN001
    _cert_file, context = _self_signed(tmp_path, days=90)
    with FeedServer(tls=context) as server:
        server.route("/", NORMAL)
        rt = make_rt(sources=[_site(server.url("/"), down_after=1)])  # no ca_file: nobody trusts it
        results = [_check(rt, clock) for _ in range(3)]
    assert [len(r.new) for r in results] == [1, 0, 0]
    assert results[0].status == "ok" and results[0].warnings == ("presented a self-signed certificate",)
    (alert,) = _alerts(rt)
    assert ":untrusted:" in alert.dedup_key and "presents an untrusted certificate" in alert.title  # not "down"
    assert site_view(rt, "portal").baseline_at is None  # no page read, no baseline


def test_a_small_change_is_not_an_alert_and_the_share_is_configurable(feed_server: FeedServer, make_rt, clock: FakeClock) -> None:  # noqa: ANN001
    edited = page("Cổng thông tin điện tử Sở TT&TT", "Thông báo lịch nghỉ Tết Nguyên đán 2026.",
                  "Hướng dẫn nộp hồ sơ trực tuyến qua cổng dịch vụ công (cập nhật).", "Liên hệ: 024.1234.5678.")
    feed_server.route("/", NORMAL, edited)
    rt = make_rt(sources=[_site(feed_server.url("/"))])
    _check(rt, clock)
    assert _check(rt, clock).new == () and 0 < site_view(rt, "portal").changed_share < 0.5
    feed_server.route("/", NORMAL, edited)
    strict = make_rt(sources=[_site(feed_server.url("/"), change_share=0.1)], db_name="strict.db")
    _check(strict, clock)
    assert _kinds(strict) == [] and len(_check(strict, clock).new) == 1 and _kinds(strict) == ["text"]


def test_changed_share() -> None:
    assert changed_share("a\nb\nc\nd", "a\nb\nc\nd") == 0
    assert changed_share("aaaa\nbbbb", "aaaa\nxxxx") == 0.5
    assert changed_share("aaaa\nbbbb", "cccc\ndddd\neeee\nffff") == 1.0


def test_site_keys_only_for_sites() -> None:
    with pytest.raises(ConfigError, match="'down_after' is only for sources of kind 'site'"):
        parse_config({"sources": [{"key": "kgm", "kind": "rss", "url": "https://example.vn/rss", "down_after": 2}]})
    with pytest.raises(ConfigError, match="kind 'site' needs an http:// or https:// 'url'"):
        parse_config({"sources": [{"key": "p", "kind": "site", "url": "file:///tmp/x.html"}]})
    site = parse_config({"sources": [_site("https://portal.example.vn/")]}).sources[0]
    assert site.deface_words == ("hacked by", "defaced", "bị hack", "hacked", "owned by")
    assert (site.down_after, site.change_share, site.ca_file) == (3, 0.5, "")


def test_the_commands(tmp_path: Path, feed_server: FeedServer) -> None:
    """`site show` before and after a check; `site baseline` accepts a changed page, by a person."""
    feed_server.route("/", NORMAL, DEFACED)
    config = tmp_path / "watchdesk.toml"
    config.write_text(f"""
[database]
path = "{tmp_path / 'desk.db'}"
[[sources]]
key = "portal"
name = "Cổng thông tin"
kind = "site"
url = "{feed_server.url('/')}"
""", encoding="utf-8")
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli_root(), ["--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    run("init", "--handle", "minh", "--name", "Nguyễn Văn Minh")
    assert "Baseline:      - by -" in run("site", "show", "portal")
    run("poll", "--source", "portal")
    shown = run("site", "show", "portal")
    assert "Baseline title: Cổng thông tin điện tử Sở TT&TT" in shown and "up (HTTP 200)" in shown
    out = run("site", "baseline", "portal", "--as", "minh")
    assert out.startswith("New baseline of website 'portal' taken.") and "Baseline title: Hacked by Sh4d0w Team" in out
    data = json.loads(run("site", "show", "portal", "--json"))
    assert data["baseline_by"] == "minh" and data["title"] == "Cổng thông tin điện tử Sở TT&TT"
    assert "no website source 'nope'" in run("site", "show", "nope", code=2)
    runtime_db = tmp_path / "desk.db"
    import sqlite3

    kinds = [r[0] for r in sqlite3.connect(runtime_db).execute("SELECT kind FROM event WHERE kind LIKE 'site.%' ORDER BY seq")]
    assert kinds == ["site.baselined", "site.baselined"]


def cli_root():  # noqa: ANN201
    from watchdesk.cli.main import cli

    return cli


def test_the_events_of_a_check(feed_server: FeedServer, make_rt, clock: FakeClock) -> None:  # noqa: ANN001
    """Each state change of a site is an audited event: baseline, down, up, a finding ending."""
    feed_server.route("/", NORMAL, DEFACED, Reply(status=500), NORMAL)
    rt = make_rt(sources=[_site(feed_server.url("/"))])
    for _ in range(4):
        _check(rt, clock)
    with rt.db.read() as session:
        kinds = [e.kind for e in session.exec(select(Event).order_by(Event.seq)).all() if e.kind.startswith("site.")]
    assert kinds == ["site.baselined", "site.down", "site.up", "site.condition_ended"]


def test_a_site_and_a_feed_in_one_poll(feed_server: FeedServer, make_rt, clock: FakeClock) -> None:  # noqa: ANN001
    """The engine's poll takes both kinds in one round: the feed's items, the site's check."""
    from tests.support.feed_factory import rss_feed

    feed_server.route("/", Reply(status=500))
    feed_server.route("/rss", Reply(body=rss_feed(2), headers={"Content-Type": "application/rss+xml"}))
    rt = make_rt(sources=[_site(feed_server.url("/"), down_after=1),
                          {"key": "kgm", "kind": "rss", "url": feed_server.url("/rss")}])
    results = {r.key: r for r in poll_due(rt)}
    assert results["kgm"].status == "ok" and len(results["kgm"].new) == 2
    assert results["portal"].status == "error" and len(results["portal"].new) == 1
    assert poll_due(rt) == []  # nothing due until the interval passes
    assert site_view(rt, "portal").down_count == 1
