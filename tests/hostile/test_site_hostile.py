"""Our own website turned against the desk: its title and text drive the terminal or the markup,
hide the defacement words behind invisible characters, or are huge.

What the officer sees: the alert and `watchdesk site show` carry the page's words with brackets
as plain text and none of the escape sequences, control characters or bidi overrides; a word
split by an invisible character is still found; a huge page is checked on its first part (or,
past the size cap, is a failed check with its sentence), never a hang.
"""

from __future__ import annotations

import gzip
import re
import time
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlmodel import select

from tests.feeds.conftest import feed_server, make_rt  # noqa: F401 - fixtures shared with tests/feeds
from tests.support.feed_server import FeedServer, Reply
from watchdesk.cli.main import cli
from watchdesk.feeds.site import MAX_TEXT
from watchdesk.services.sites import site_view
from watchdesk.services.sources import poll_due
from watchdesk.store.models import Alert, SiteWatch

UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
HOSTILE = ("Trang chủ [@click=app.quit]thoát[/] [b]đậm[/b]"
           "\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]0;PWNED TITLE\x07\x1b[2J\x9b31m \u202efdp.exe")
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _page(title: str, text: str) -> Reply:
    return Reply(body=f"<html><head><title>{title}</title></head><body><p>{text}</p></body></html>".encode(), headers=HTML)


NORMAL = _page("Cổng thông tin", "Thông báo lịch nghỉ Tết.\nHướng dẫn nộp hồ sơ.")


def _rt(make_rt, url: str, **extra: object):  # noqa: ANN001, ANN202
    return make_rt(sources=[{"key": "portal", "kind": "site", "url": url, **extra}])


def _check(rt, clock):  # noqa: ANN001, ANN202
    clock.fast_forward(timedelta(minutes=15))
    (result,) = poll_due(rt, only="portal", force=True)
    return result


def _alerts(rt) -> list[Alert]:  # noqa: ANN001
    with rt.db.read() as session:
        rows = session.exec(select(Alert).order_by(Alert.id)).all()
        session.expunge_all()
    return list(rows)


def _assert_clean(text: str) -> None:
    assert not UNSAFE.search(text), repr(text)
    assert "PWNED" not in text and "ZWNob" not in text


def test_a_hostile_title_and_text(feed_server: FeedServer, make_rt, clock, tmp_path: Path) -> None:  # noqa: ANN001
    feed_server.route("/", NORMAL, _page(HOSTILE, f"{HOSTILE} hacked by [red]x[/red]"))
    rt = _rt(make_rt, feed_server.url("/"))
    _check(rt, clock)
    assert len(_check(rt, clock).new) == 3  # deface, title, text
    for alert in _alerts(rt):
        _assert_clean(alert.title + alert.summary)
    title = next(a for a in _alerts(rt) if ":title:" in a.dedup_key)
    assert "Now: Trang chủ [@click=app.quit]thoát[/] [b]đậm[/b] fdp.exe" in title.summary
    deface = next(a for a in _alerts(rt) if ":deface:" in a.dedup_key)
    assert "hacked by [red]x[/red]" in deface.summary
    view = site_view(rt, "portal")
    assert view.title == "Trang chủ [@click=app.quit]thoát[/] [b]đậm[/b] fdp.exe"

    config = tmp_path / "watchdesk.toml"
    config.write_text(f'[database]\npath = "{rt.db.path}"\n[[sources]]\nkey = "portal"\nkind = "site"\n'
                      f'url = "{feed_server.url("/")}"\n', encoding="utf-8")
    shown = CliRunner().invoke(cli, ["--config", str(config), "site", "show", "portal"], catch_exceptions=False)
    assert shown.exit_code == 0 and "Title:         Trang chủ [@click=app.quit]thoát[/]" in shown.output
    _assert_clean(shown.output.replace("\n", " "))


def test_defacement_words_hidden_by_invisible_characters_are_found(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    """'hac\u200bked by' and 'bị\u202e hack' read as the words on screen: the desk reads them so too."""
    feed_server.route("/", NORMAL, _page("Cổng thông tin", "Thông báo lịch nghỉ Tết.\nWebsite hac\u200bked\u2060 by Anon. Bị\u202e HACK!"))
    rt = _rt(make_rt, feed_server.url("/"), change_share=1.0)
    _check(rt, clock)
    assert len(_check(rt, clock).new) == 1
    (alert,) = _alerts(rt)
    assert alert.title == "Website 'portal' may be defaced: it shows 'hacked by', 'bị hack'"
    _assert_clean(alert.summary)


def test_markup_and_bidi_in_the_configured_words(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    feed_server.route("/", NORMAL, _page("Cổng thông tin", "Thông báo lịch nghỉ Tết.\nbị [b]tấn công[/b] rồi"))
    rt = _rt(make_rt, feed_server.url("/"), deface_words=["\u202e[b]tấn công[/b]\x1b[2J", "   "], change_share=1.0)
    assert rt.config.source("portal").deface_words == ("[b]tấn công[/b]",)
    _check(rt, clock)
    _check(rt, clock)
    (alert,) = _alerts(rt)
    assert alert.title == "Website 'portal' may be defaced: it shows '[b]tấn công[/b]'"


def test_a_huge_page_is_checked_on_its_first_part(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    """9 MB of distinct lines (under the 10 MB cap): the text kept is capped; the check ends promptly."""
    lines = "".join(f"<p>Dòng {i} của một trang rất dài, nội dung {i * 7919 % 100003}</p>" for i in range(140_000))
    big = f"<html><head><title>Trang lớn</title></head><body>{lines}</body></html>".encode()
    changed = big.replace("nội dung".encode(), "đã sửa".encode())
    assert 8_000_000 < len(big) < 10_000_000
    feed_server.route("/", Reply(body=big, headers=HTML), Reply(body=changed, headers=HTML))
    rt = _rt(make_rt, feed_server.url("/"))
    started = time.monotonic()
    _check(rt, clock)
    result = _check(rt, clock)
    print(f"two checks of a {len(big) / 1e6:.1f} MB page: {time.monotonic() - started:.2f} s")  # a figure, not a limit
    assert result.status == "ok" and len(result.new) == 1  # every line changed: the text alert
    with rt.db.read() as session:
        row = session.exec(select(SiteWatch)).one()
        assert len(row.baseline_text) <= MAX_TEXT and row.changed_share == 1.0


def test_a_page_past_the_cap_or_a_gzip_bomb_is_a_failed_check(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    bomb = gzip.compress(b"<p>" + b"A" * 50_000_000)
    feed_server.route("/big", Reply(body=b"<p>x</p>" * 200_000, headers=HTML))
    feed_server.route("/bomb", Reply(body=bomb, headers={**HTML, "Content-Encoding": "gzip"}))
    rt = make_rt(sources=[{"key": "portal", "kind": "site", "url": feed_server.url("/big"), "max_bytes": 1_000_000, "down_after": 1},
                          {"key": "bomb", "kind": "site", "url": feed_server.url("/bomb"), "max_bytes": 1_000_000}])
    big = _check(rt, clock)
    assert big.status == "error" and big.error.startswith("announced 1.6 MB, more than the 1.0 MB allowed")
    (bomb_result,) = poll_due(rt, only="bomb", force=True)
    assert bomb_result.error.startswith("sent more than 1.0 MB once decompressed")
    (alert,) = _alerts(rt)  # the first site is down after one check; the bomb's site needs three
    assert alert.title.startswith("Website 'portal' is down: announced 1.6 MB")


def test_a_page_that_is_not_html(feed_server: FeedServer, make_rt, clock) -> None:  # noqa: ANN001
    """Binary bytes as the baseline (read as text, cleaned), then an empty body, then a real page."""
    feed_server.route("/", Reply(body=b"\x00\xff\xfe<<<>>>\x1b[2J" * 100, headers={"Content-Type": "application/octet-stream"}),
                      Reply(body=b"", headers=HTML), NORMAL)
    rt = _rt(make_rt, feed_server.url("/"))
    assert _check(rt, clock).new == ()
    assert site_view(rt, "portal").baseline_title == ""
    emptied = _check(rt, clock)
    assert emptied.status == "ok" and len(emptied.new) == 1  # all of the text is gone
    assert len(_check(rt, clock).new) == 1  # now a title too (the text is still changed: the same alert)
    assert sorted(a.dedup_key.split(":")[2] for a in _alerts(rt)) == ["text", "title"]
    for alert in _alerts(rt):
        _assert_clean(alert.title + alert.summary)
