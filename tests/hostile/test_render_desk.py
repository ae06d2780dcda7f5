"""Hostile feed text on the desk: board, detail, banner, palette.

Titles and summaries carry live Textual markup (`[@click=app.quit]`, `[/x]`, `[link=…]`),
terminal escapes (OSC 52 clipboard write, OSC 0 window title), C1 controls and a right-to-left
override. The officer must see the brackets as the characters they are, none of the escapes,
and nothing must happen when they click the text.
"""

from __future__ import annotations

import re

from textual.command import CommandPalette

from tests.reports.history import edit
from tests.tui.conftest import desk_rt, ids, make_desk, settle, wait_until  # noqa: F401 - fixtures
from tests.tui.screen_text import screen_text
from watchdesk.core.enums import Severity
from watchdesk.feeds.items import RawItem
from watchdesk.feeds.normalize import normalize
from watchdesk.services.alerts import get_alert
from watchdesk.services.ingest import ingest_items
from watchdesk.tui.screens.detail import AlertDetailScreen

TITLE = (
    "[@click=app.quit]Bấm vào đây[/] [/x] [link=https://evil.example]cập nhật[/link] "
    "\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\x9b31m\u202egnal lỗ hổng nghiêm trọng"
)
SUMMARY = "Chi tiết [@click=app.quit]tại đây[/]\n\x1b[2J\x1b]52;c;ZXZpbA==\x07[b]đậm?[/b] \u202eabc \x85x"
SEEN_TITLE = "[@click=app.quit]Bấm vào đây[/] [/x] [link=https://evil.example]cập nhật[/link] gnal lỗ hổng nghiêm trọng"
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _ingest(rt, key: str = "evil-1") -> int:
    raw = RawItem(native_id=key, title=TITLE, summary=SUMMARY, severity="cao", link="https://example.vn/[@click=app.quit]")
    item = normalize(raw, default_severity=Severity.MEDIUM, zone=rt.zone)
    return ingest_items(rt, "khonggianmang", [item]).new[0]


async def test_board_and_detail_show_markup_as_text_and_clicks_do_nothing(make_desk, desk_rt):
    """The board row reads '[@click=app.quit]Bấm vào đây[/] [/x] [link=…]cập nhật[/link] gnal lỗ hổng…';
    clicking it selects the row (and opens the detail), and the desk keeps running."""
    alert_id = _ingest(desk_rt)
    assert get_alert(desk_rt, alert_id).title == SEEN_TITLE
    app = make_desk()
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot, app)
        text = screen_text(app)
        assert "[@click=app.quit]Bấm vào đây[/] [/x] [link=https://evil.example]cập nhật" in text
        assert not UNSAFE.search(text)
        table = app.screen.query_one("#board")
        row = table.index_of(alert_id)
        table.move_cursor(row - 1 if row else row + 1)
        await pilot.click("#board", offset=(60, row + 1))  # the first click highlights the row
        await settle(pilot, app)
        assert table.cursor_row == row and app.screen.query("#board")
        await pilot.click("#board", offset=(60, row + 1))  # a click on the highlighted row opens it
        await settle(pilot, app)
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, AlertDetailScreen)
        detail = screen_text(app)
        assert "[@click=app.quit]Bấm vào đây[/]" in detail
        assert "Chi tiết [@click=app.quit]tại đây[/]" in detail and "[b]đậm?[/b]" in detail
        assert "https://example.vn/[@click=app.quit]" in detail
        assert not UNSAFE.search(detail)
        for y in range(6, 20):  # click all over the text
            await pilot.click("#detail", offset=(10, y))
        await settle(pilot, app)
        assert app.is_running and app.return_code is None


async def test_banner_shows_a_hostile_title_as_text(make_desk, desk_rt):
    """The red banner reads 'NEW ALERT #10 HIGH [@click=app.quit]Bấm vào đây[/] …'; clicking it opens the alert."""
    app = make_desk(watch=True)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot, app)
        assert await wait_until(pilot, lambda: app._last_version is not None)
        alert_id = _ingest(desk_rt, "evil-2")
        assert await wait_until(pilot, lambda: "NEW ALERT" in screen_text(app))
        banner = next(line for line in screen_text(app).splitlines() if "NEW ALERT" in line)
        assert f"#{alert_id}" in banner and "[@click=app.quit]Bấm vào đây[/] [/x]" in banner
        assert not UNSAFE.search(banner)
        await pilot.click("NewAlertBanner", offset=(40, 0))
        await settle(pilot, app)
        assert app.is_running and isinstance(app.screen, AlertDetailScreen)


async def test_palette_shows_a_hostile_title_as_text(make_desk, desk_rt):
    """ctrl+p then 'ack 10' lists 'Acknowledge #10 [@click=app.quit]Bấm vào đây[/] …' in plain text."""
    alert_id = _ingest(desk_rt, "evil-3")
    app = make_desk()
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *f"ack {alert_id}")
        assert await wait_until(pilot, lambda: f"Acknowledge #{alert_id}" in screen_text(app))
        assert isinstance(app.screen, CommandPalette)
        text = screen_text(app)
        assert "[@click=app.quit]Bấm vào đây[/] [/x]" in text
        assert not UNSAFE.search(text)
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.is_running


async def test_a_hostile_officer_name_and_note_render_as_text(make_desk, desk_rt, ids):
    """A note '[@click=app.quit]x[/] \\x1b]0;t\\x07' shows in the timeline as '[@click=app.quit]x[/]'."""
    from watchdesk.services.lifecycle import add_note
    from watchdesk.services.officers import sign_in

    add_note(desk_rt, sign_in(desk_rt, "hung", None), ids["exchange"], "[@click=app.quit]x[/] \x1b]0;t\x07[link=https://a.b]y")
    app = make_desk()
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot, app)
        app.open_alert(ids["exchange"])
        await settle(pilot, app)
        app.screen.query_one("#detail").scroll_end(animate=False)  # the timeline is the last block
        await pilot.pause()
        text = screen_text(app)
        assert "[@click=app.quit]x[/] [link=https://a.b]y" in text
        assert not UNSAFE.search(text)


async def test_attachments_open_one_by_one_and_only_web_addresses(make_desk, desk_rt, monkeypatch):
    """`o` on an alert with attachments asks which to open: 'the alert's page', then each web
    attachment by its title, shown as the characters it is. A feed's 'file:' or 'javascript:'
    attachment was dropped at ingest: neither listed nor offered to the browser."""
    from textual.widgets import OptionList

    from watchdesk.tui.screens.forms import ChoiceForm

    attachments = (
        {"title": "[@click=app.quit]Công văn 123.pdf", "url": "https://khonggianmang.vn/files/cv-123.pdf"},
        {"title": "passwd", "url": "file:///etc/passwd"},
        {"title": "js", "url": "javascript:alert(1)"},
        {"title": "IOC list", "url": "https://khonggianmang.vn/files/ioc.csv"},
        {"title": "", "url": "https://khonggianmang.vn/canhbaoattt/attach-1"},  # the page again: offered once
        {"title": "", "url": "https://khonggianmang.vn/files/bang-ioc.xlsx"},  # no title: named by its file
    )
    raw = RawItem(native_id="attach-1", title="Cảnh báo có tệp đính kèm", summary="", severity="cao",
                  link="https://khonggianmang.vn/canhbaoattt/attach-1", attachments=attachments)
    alert_id = ingest_items(desk_rt, "khonggianmang", [normalize(raw, default_severity=Severity.MEDIUM, zone=desk_rt.zone)]).new[0]
    app = make_desk()
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.open_alert(alert_id)
        await settle(pilot, app)
        text = screen_text(app)
        assert "IOC list  https://khonggianmang.vn/files/ioc.csv" in text
        assert "file:" not in text and "javascript:" not in text
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceForm)
        shown = [str(o.prompt) for o in app.screen.query_one("#choices", OptionList).options]
        assert shown == ["the alert's page\nhttps://khonggianmang.vn/canhbaoattt/attach-1",
                         "[@click=app.quit]Công văn 123.pdf\nhttps://khonggianmang.vn/files/cv-123.pdf",
                         "IOC list\nhttps://khonggianmang.vn/files/ioc.csv",
                         "bang-ioc.xlsx\nhttps://khonggianmang.vn/files/bang-ioc.xlsx"]
        assert "[@click=app.quit]Công văn 123.pdf" in screen_text(app)
        await pilot.press("down", "enter")
        await settle(pilot, app)
        assert app.is_running and isinstance(app.screen, AlertDetailScreen)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("escape")  # cancelled: nothing opened
        await settle(pilot, app)
    assert opened == ["https://khonggianmang.vn/files/cv-123.pdf"]


async def test_text_that_never_went_through_ingest_still_reaches_the_terminal_harmless(make_desk, desk_rt, ids):
    """A database edited by hand (or by a tool that skipped watchdesk's ingest) with escapes in a title
    and a summary: the board and the detail show the visible characters ('… [link=https://evil.example]cập
    nhật[/link] ]52;c;ZXZpbA==]0;pwned31mgnal lỗ…'), and no escape, C0/C1 control or bidi override reaches the
    terminal: the desk's last line filter drops them from everything it draws."""
    edit(desk_rt, "UPDATE alert SET title = :title, summary = :summary WHERE id = :id",
         title=TITLE, summary=SUMMARY, id=ids["exchange"])
    app = make_desk()
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot, app)
        text = screen_text(app)
        assert "[@click=app.quit]Bấm vào đây[/] [/x] [link=https://evil.example]cập nhật[/link] ]52;c;ZXZpbA==]0;pwned31mgnal lỗ" in text
        assert not UNSAFE.search(text)
        app.open_alert(ids["exchange"])
        await settle(pilot, app)
        detail = screen_text(app)
        assert "Chi tiết [@click=app.quit]tại đây[/]" in detail and "[b]đậm?[/b]" in detail
        assert not UNSAFE.search(detail)
        assert app.is_running
