"""The board's table widget: rows rendered once and kept, the cursor, keys and mouse."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import App, ComposeResult

from tests.tui.screen_text import screen_text
from watchdesk.tui.widgets.row_table import Column, RowTable


@dataclass(frozen=True)
class Item:
    id: int
    title: str


class TableApp(App[None]):
    def __init__(self, items: list[Item]) -> None:
        super().__init__()
        self.items = items
        self.ticks: dict[int, int] = {}  # what the stamp says changed, per row
        self.selected: list[object] = []

    def compose(self) -> ComposeResult:
        yield RowTable[Item](id="t", key=lambda i: i.id, stamp=lambda i: self.ticks.get(i.id, 0),
                             cells=lambda i: [Text(str(i.id)), Text(i.title), Text(str(self.ticks.get(i.id, 0)))])

    def on_mount(self) -> None:
        table = self.query_one(RowTable)
        table.set_columns([Column("id", "#", 4), Column("title", "Title", 30), Column("tick", "T", 3)])
        table.show(self.items)
        table.focus()

    def on_row_table_selected(self, event: RowTable.Selected) -> None:
        self.selected.append(event.key)


ITEMS = [Item(i, f"alert {i}") for i in range(100)]


async def test_only_rows_on_screen_are_rendered_and_rows_seen_are_not_rendered_again():
    app = TableApp(ITEMS)
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        assert table.rendered == 11  # 12 lines: the header and 11 rows of the 100
        table.show([i for i in ITEMS if i.id % 2 == 0][:11])  # a search narrowing to rows seen: 0, 2, … 10
        await pilot.pause()
        assert table.rendered == 11 + 5  # 12, 14, … 20 come on screen for the first time
        table.show(ITEMS)  # the search cleared
        await pilot.pause()
        assert table.rendered == 16 + 0  # every row on screen was kept
        assert "alert 10" in screen_text(app)


async def test_a_stamp_that_moves_renders_only_that_row_again():
    app = TableApp(ITEMS)
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        assert table.refresh_stale() == 0
        app.ticks[3] = 7
        app.ticks[50] = 1  # not on screen: nothing to do now
        assert table.refresh_stale() == 1
        await pilot.pause()
        assert table.rendered == 12
        assert table.cell(3, "tick").plain == "7"
        row = next(line for line in screen_text(app).splitlines() if "alert 3 " in line)
        assert row.rstrip().endswith("7")


async def test_keys_move_the_cursor_and_keep_it_on_screen():
    app = TableApp(ITEMS)
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        await pilot.press("down", "down")
        assert table.cursor_row == 2 and table.cursor_key == 2
        await pilot.press("pagedown")
        assert table.cursor_row == 2 + 11 and table.scroll_offset.y > 0
        assert "alert 13" in screen_text(app)
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 99 and "alert 99" in screen_text(app)
        await pilot.press("pageup")
        assert table.cursor_row == 99 - 11
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0 and "alert 0 " in screen_text(app)
        await pilot.press("up")
        assert table.cursor_row == 0
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == [0]


async def test_the_cursor_stays_on_its_row_when_the_rows_change():
    app = TableApp(ITEMS)
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        table.move_cursor(table.index_of(40))
        table.show([i for i in ITEMS if i.id >= 30], keep=table.cursor_key)
        assert table.cursor_key == 40 and table.cursor_row == 10
        table.show(ITEMS[:5], keep=table.cursor_key)  # its row is gone: the nearest row that is left
        assert table.cursor_row == 4
        table.show([], keep=table.cursor_key)
        assert table.cursor_key is None and table.row_count == 0
        await pilot.press("down", "enter")
        assert app.selected == []


async def test_a_click_highlights_a_row_and_a_second_click_selects_it():
    app = TableApp(ITEMS)
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        await pilot.click(RowTable, offset=(10, 0))  # the header: nothing
        assert table.cursor_row == 0 and app.selected == []
        await pilot.click(RowTable, offset=(10, 4))
        assert table.cursor_row == 3 and app.selected == []
        await pilot.click(RowTable, offset=(10, 4))
        await pilot.pause()
        assert app.selected == [3]


async def test_cell_text_is_drawn_as_it_is_on_one_line():
    hostile = [Item(1, "[@click=app.quit]x[/] [b]?[/b]"), Item(2, "two\nlines"), Item(3, "a long title " * 10)]
    app = TableApp(hostile)
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "[@click=app.quit]x[/] [b]?[/b]" in text
        assert "two lines" in text  # a newline never breaks the row in two
        assert "a long title a long title a l…" in text  # cut to the column with an ellipsis
        await pilot.click(RowTable, offset=(10, 1))  # the row under the cursor: selected, nothing else
        await pilot.pause()
        assert app.is_running and app.selected == [1]
