"""A row-cursor table drawn on Textual's line API, each row rendered once and kept.

Why not Textual's DataTable for the board: any change to a DataTable (a row added or removed, a
cell updated, the table cleared) invalidates every cached cell, so the next frame renders every
visible cell again, one Rich render per cell (~90 ms for 31 rows × 10 columns on this project's
2-core machine). A search keystroke that changes which rows show pays that in full.

Here a row is one line, rendered from its cells only when it comes on screen and kept by row key
together with the row object, a stamp (what changes without the row changing: an age counting up)
and the columns it was laid out for. A search that shows rows already seen renders nothing; a
clock tick re-renders the rows whose stamp moved; giving a thousand rows is a list assignment.
Row backgrounds (zebra, cursor) are applied at paint time over the kept line, so a cursor move
or a theme change never renders a cell again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from watchdesk.i18n import _

R = TypeVar("R")
PADDING = 1  # blank cells either side of each column, as DataTable draws them
KEPT_ROWS = 4000  # past this many kept rows, those not shown now are let go


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int


@dataclass
class _Kept:
    row: Any
    stamp: Hashable
    layout: tuple[Column, ...]
    strip: Strip


class RowTable(ScrollView, Generic[R], can_focus=True):
    """Rows of `R` under a fixed header, one line each, with a row cursor.

    `cells(row)` gives a row's cells (untrusted text as plain `Text`, never markup), `key(row)` its
    identity, and `stamp(row)` anything that changes its cells while the row object stays the same.
    """

    COMPONENT_CLASSES = {"row-table--header", "row-table--cursor", "row-table--even-row", "row-table--odd-row"}
    DEFAULT_CSS = """
    RowTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        & > .row-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .row-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .row-table--odd-row { }
        & > .row-table--even-row { background: $surface-lighten-1 50%; }
        &:dark > .row-table--even-row { background: $surface-darken-1 40%; }
        & > .row-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .row-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """
    BINDINGS = [
        Binding("enter", "select", _("Open the row"), show=False, id="table.select"),
        Binding("up", "cursor(-1)", _("Up"), show=False, id="table.up"),
        Binding("down", "cursor(1)", _("Down"), show=False, id="table.down"),
        Binding("pageup", "page(-1)", _("Page up"), show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", _("Page down"), show=False, id="table.page_down"),
        Binding("home,ctrl+home", "ends(0)", _("First row"), show=False, id="table.first"),
        Binding("end,ctrl+end", "ends(1)", _("Last row"), show=False, id="table.last"),
    ]

    class Selected(Message):
        """Enter on a row, or a click on the row under the cursor."""

        def __init__(self, table: RowTable[Any], key: Hashable) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> RowTable[Any]:
            return self.table

    def __init__(self, *, key: Callable[[R], Hashable], cells: Callable[[R], Sequence[Text]],
                 stamp: Callable[[R], Hashable] = lambda _row: None, zebra: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key, self._cells, self._stamp, self._zebra = key, cells, stamp, zebra
        self.columns: tuple[Column, ...] = ()
        self.rows: list[R] = []
        self._index: dict[Hashable, int] = {}
        self._kept: dict[Hashable, _Kept] = {}
        self._header: tuple[tuple[Column, ...], Strip] | None = None
        self.cursor_row = 0
        self.rendered = 0  # rows rendered from their cells, for tests and benchmarks

    # -- content -------------------------------------------------------------------------
    def set_columns(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self._resize()
        self.refresh()

    def show(self, rows: Sequence[R], keep: Hashable | None = None) -> None:
        """Show `rows`, the cursor staying on the row keyed `keep` when it is among them."""
        self.rows = list(rows)
        self._index = {self._key(row): i for i, row in enumerate(self.rows)}
        if len(self._kept) > KEPT_ROWS:
            self._kept = {k: v for k, v in self._kept.items() if k in self._index}
        at = self._index.get(keep) if keep is not None else None
        self.cursor_row = at if at is not None else max(min(self.cursor_row, len(self.rows) - 1), 0)
        self._resize()
        self._scroll_to_cursor()
        self.refresh()

    def refresh_stale(self) -> int:
        """Repaint the rows on screen whose stamp moved (a clock tick); returns how many."""
        top = int(self.scroll_offset.y)
        stale = 0
        for index in range(top, min(top + self._page(), len(self.rows))):
            row = self.rows[index]
            kept = self._kept.get(self._key(row))
            if kept is not None and kept.stamp != self._stamp(row):
                self.refresh_line(index + 1)  # +1: the header is line 0
                stale += 1
        return stale

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def index_of(self, key: Hashable) -> int | None:
        return self._index.get(key)

    def cell(self, key: Hashable, column: str) -> Text:
        """The cell of `column` as it is drawn now on the row keyed `key`."""
        row = self.rows[self._index[key]]
        return self._cells(row)[[c.key for c in self.columns].index(column)]

    @property
    def cursor_key(self) -> Hashable | None:
        return self._key(self.rows[self.cursor_row]) if self.rows else None

    def move_cursor(self, row: int) -> None:
        row = max(min(row, len(self.rows) - 1), 0)
        if row != self.cursor_row:
            old, self.cursor_row = self.cursor_row, row
            self.refresh_line(old + 1)
            self.refresh_line(row + 1)
        self._scroll_to_cursor()

    # -- keys and mouse ------------------------------------------------------------------
    def _page(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * self._page())

    def action_ends(self, last: int) -> None:
        self.move_cursor(len(self.rows) - 1 if last else 0)

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.Selected(self, self._key(self.rows[self.cursor_row])))

    def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return  # the header or the scrollbar
        index = int(self.scroll_offset.y) + offset.y - 1
        if index >= len(self.rows):
            return
        event.stop()
        if index == self.cursor_row:
            self.action_select()  # a click on the highlighted row opens it, as in DataTable
        else:
            self.move_cursor(index)

    def _scroll_to_cursor(self) -> None:
        # force: rows just given may not have shown the scrollbar yet, and without one
        # Textual refuses to scroll.
        top, page = int(self.scroll_offset.y), self._page()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, force=True)
        elif self.cursor_row >= top + page:
            self.scroll_to(y=self.cursor_row - page + 1, animate=False, force=True)

    def on_resize(self) -> None:
        self._scroll_to_cursor()  # a shorter table must not leave the cursor below the view

    def _resize(self) -> None:
        width = sum(c.width + 2 * PADDING for c in self.columns)
        self.virtual_size = Size(width, len(self.rows) + 1)

    # -- painting ------------------------------------------------------------------------
    def _line(self, cells: Sequence[Text]) -> Strip:
        line = Text(no_wrap=True, end="")
        pad = " " * PADDING
        for column, cell in zip(self.columns, cells):
            if "\n" in cell.plain:
                cell = Text(" ").join(cell.split("\n"))
            else:
                cell = cell.copy()
            cell.truncate(column.width, overflow="ellipsis", pad=True)
            line.append(pad)
            line.append_text(cell)
            line.append(pad)
        segments = list(line.render(self.app.console))
        return Strip(segments, line.cell_len)

    def _row_strip(self, row: R) -> Strip:
        key, stamp = self._key(row), self._stamp(row)
        kept = self._kept.get(key)
        if kept is None or kept.layout != self.columns or kept.stamp != stamp or not (kept.row is row or kept.row == row):
            self.rendered += 1
            kept = _Kept(row, stamp, self.columns, self._line(self._cells(row)))
            self._kept[key] = kept
        else:
            kept.row = row  # an equal row read again: compare by identity from now on
        return kept.strip

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        scroll_x = int(self.scroll_offset.x)
        if y == 0:
            style = base + self.get_component_rich_style("row-table--header")
            if self._header is None or self._header[0] != self.columns:
                self._header = (self.columns, self._line([Text(c.label) for c in self.columns]))
            return self._header[1].apply_style(style).crop_extend(scroll_x, scroll_x + width, style)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.rows) or index < 0:
            return Strip.blank(width, base)
        strip = self._row_strip(self.rows[index])
        if index == self.cursor_row:
            # As DataTable draws its cursor: the cursor's text colour over the cells' own, its
            # background under them (a severity's own background still shows on the cursor row).
            style = base + self.get_component_rich_style("row-table--cursor")
            over = Style.from_color(style.color)
            strip = Strip(list(Segment.apply_style(iter(strip), style, post_style=over)), strip.cell_length)
        else:
            style = base
            if self._zebra:
                style = base + self.get_component_rich_style("row-table--odd-row" if index % 2 else "row-table--even-row")
            strip = strip.apply_style(style)
        return strip.crop_extend(scroll_x, scroll_x + width, style)
