"""Titles and summaries that try to drive the terminal or the UI's markup.

What the officer sees: the words, with brackets as plain text ('[@click=app.quit]' stays
visible and does nothing), and none of the escape sequences, control characters or bidi
overrides that would clear the screen, set the window title, write the clipboard or make a
title read backwards. Nothing of the readable text is lost.
"""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from tests.feeds.conftest import feed_server, make_rt  # noqa: F401 - fixtures shared with tests/feeds
from tests.support.feed_server import FeedServer, Reply
from watchdesk.cli.main import cli
from watchdesk.services.alerts import AlertFilter, list_alerts
from watchdesk.services.sources import poll_due

UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE = (
    "Cảnh báo [@click=app.quit]thoát[/] [/x] [b]đậm[/b]"
    "\x1b]52;c;ZWNobyBwd25lZA==\x07"  # OSC 52: write the clipboard
    "\x1b]0;PWNED TITLE\x07"  # OSC 0: set the window title
    "\x1b[2J"  # clear the screen
    "\x9b31m"  # C1 CSI
    "\x00"  # NUL
    " \u202efdp.exe"  # right-to-left override
)
CLEAN = "Cảnh báo [@click=app.quit]thoát[/] [/x] [b]đậm[/b] fdp.exe"


def _assert_clean(text: str) -> None:
    assert not UNSAFE.search(text), repr(text)
    assert "PWNED" not in text and "ZWNob" not in text


def test_hostile_titles_in_json_are_stored_clean_with_brackets_kept(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    body = json.dumps({"data": [{"id": 1, "title": HOSTILE, "description": "Dòng 1\x1b[31m đỏ\x1b[0m\r\nDòng 2 [link=file:///etc/passwd]x[/link]"}]})
    feed_server.route("/api", Reply(body=body.encode(), headers={"Content-Type": "application/json"}))
    rt = make_rt(sources=[{"key": "api", "kind": "json", "preset": "strapi", "url": feed_server.url("/api")}])
    poll_due(rt)
    [alert] = list_alerts(rt, AlertFilter())
    assert alert.title == CLEAN
    assert alert.summary == "Dòng 1 đỏ\nDòng 2 [link=file:///etc/passwd]x[/link]"
    _assert_clean(alert.title + alert.summary)


def test_hostile_titles_in_rss_are_stored_clean(feed_server: FeedServer, make_rt) -> None:  # noqa: ANN001
    """Raw control characters make the XML ill-formed; the items still arrive through the lenient parser."""
    title = HOSTILE.replace("&", "&amp;").replace("<", "&lt;")
    body = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            f"<item><title>{title}</title><guid>h1</guid><description>&lt;script&gt;alert(1)&lt;/script&gt;Nội dung</description></item>"
            "</channel></rss>").encode()
    feed_server.route("/rss", Reply(body=body, headers={"Content-Type": "application/rss+xml"}))
    rt = make_rt(sources=[{"key": "rss", "kind": "rss", "url": feed_server.url("/rss")}])
    [result] = poll_due(rt)
    assert result.status == "ok" and len(result.new) == 1
    [alert] = list_alerts(rt, AlertFilter())
    assert alert.title == CLEAN
    assert alert.summary == "Nội dung"  # the script's text is dropped with the tag
    _assert_clean(alert.title)


def test_alert_add_and_list_print_only_clean_text(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """Text typed into `alert add` goes through the same cleaning; `alert list` never prints an escape."""
    runner = CliRunner()
    db = str(tmp_path / "cli.db")
    assert runner.invoke(cli, ["--db", db, "init", "--handle", "minh", "--name", "Minh"]).exit_code == 0
    added = runner.invoke(cli, ["--db", db, "alert", "add", "--title", HOSTILE, "--note", "IRLab\x1b[2J", "--as", "minh", "--json"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["title"] == CLEAN
    listed = runner.invoke(cli, ["--db", db, "alert", "list"])
    assert listed.exit_code == 0 and "[@click=app.quit]" in listed.output
    _assert_clean(listed.output.replace("\n", " "))
