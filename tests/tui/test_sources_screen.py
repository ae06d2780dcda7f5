"""The Sources screen names what each source is: a manual source has nothing to poll, a disabled
one is disabled; neither shows a next poll nor is offered by "poll now". At 80×24 the tables drop
whole columns, never cutting a header."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import DataTable

from tests.tui.conftest import settle, wait_until
from tests.tui.screen_text import screen_text
from watchdesk.config import parse_config
from watchdesk.services.sources import list_sources
from watchdesk.tui.widgets.row_table import RowTable

SOURCES = [
    {"key": "kgm", "name": "Cảnh báo", "kind": "rss", "url": "file:///nonexistent/watchdesk/kgm.xml"},
    {"key": "irlab", "name": "IRLab (nhập tay)", "kind": "manual"},
    {"key": "old-feed", "name": "Nguồn cũ", "kind": "rss", "url": "file:///nonexistent/watchdesk/old.xml", "enabled": False},
]


@pytest.fixture
def config():
    return parse_config({"sources": SOURCES})


def test_manual_and_disabled_sources_have_no_next_poll(rt):
    health = {s.key: s for s in list_sources(rt)}
    assert (health["irlab"].state, health["irlab"].next_poll_at) == ("manual", None)
    assert (health["old-feed"].state, health["old-feed"].next_poll_at) == ("disabled", None)
    assert health["kgm"].state == "never-polled" and health["kgm"].next_poll_at is not None


async def test_the_sources_screen_says_manual_and_disabled_and_polls_neither(make_desk):
    app = make_desk("hung", start="sources")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one("#sources-table", DataTable)
        rows = {str(key.value): [c.plain for c in table.get_row(key)] for key in table.rows}
        columns = [str(c.key.value) for c in table.columns.values()]
        state, next_poll = columns.index("state"), columns.index("next")
        assert rows["irlab"][state] == "manual, nothing to poll" and rows["irlab"][next_poll] == ""
        assert rows["old-feed"][state] == "disabled" and rows["old-feed"][next_poll] == ""
        assert rows["kgm"][next_poll] == "due"  # never polled: due now, not a time in the past
        table.move_cursor(row=table.get_row_index("irlab"))
        await pilot.press("p")
        await settle(pilot, app)
        assert "irlab is manual, nothing to poll." in screen_text(app)
        await pilot.press("ctrl+p", *"poll")
        await wait_until(pilot, lambda: "Poll source kgm now" in screen_text(app))
        offered = screen_text(app)
        assert "Poll source irlab" not in offered and "Poll source old-feed" not in offered
        assert isinstance(app.screen, CommandPalette)


@pytest.mark.parametrize(("key", "table_id", "operator"), [("3", "#sources-table", "hung"), ("2", "#shifts", "lan"),
                                                            ("5", "#handover-open", "hung")])
async def test_narrow_tables_drop_columns_and_never_cut_a_header(make_desk, key, table_id, operator):
    app = make_desk(operator)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press(key)
        await settle(pilot, app)
        table = app.screen.query_one(table_id, DataTable)
        total = 0
        for column in table.columns.values():
            label = column.label.plain
            assert column.width >= len(label), f"header {label!r} cut to {column.width}"
            total += column.get_render_width(table)
        assert total <= 80
        labels = [c.label.plain for c in table.columns.values()]
        assert any(all(label in line for label in labels) for line in screen_text(app).splitlines())


async def test_the_log_detail_is_readable_at_80x24(make_desk):
    app = make_desk("minh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("4")
        await settle(pilot, app)
        table = app.screen.query_one("#log-table", RowTable)
        columns = {c.key: c.width for c in table.columns}
        assert columns["detail"] >= 24
        assert table.row_count > 10 and table.cell(table.cursor_key, "detail").plain  # the tail shows, details too
        assert sum(w + 2 for w in columns.values()) <= 80
