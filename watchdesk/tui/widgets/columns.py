"""Columns that fit the width: a narrow terminal drops the least needed columns whole instead of
cutting every header ("last new it", "next deadli").

A table lists what it would like to show, each column with a rank (1 = kept longest) and one
column (width None) taking what is left, at least its `least` cells. Headers are never cut: a
column is at least as wide as its header.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len

from watchdesk.tui.widgets.row_table import PADDING, Column


@dataclass(frozen=True)
class Want:
    key: str
    label: str
    width: int | None
    """Cells of content; None for the one column that takes the rest of the width."""
    rank: int = 1
    """Which go first when the width is short: the highest rank is dropped first."""
    least: int = 12
    """The flexible column's smallest width."""


SCROLLBAR = 2  # a table keeps room for its vertical scrollbar


def fit(wants: list[Want], width: int) -> list[Column]:
    """The columns that fit `width` cells, in the order wanted."""
    room = max(width - SCROLLBAR, 0)
    kept = list(wants)

    def size(w: Want) -> int:
        if w.width is None:
            return max(w.least, cell_len(w.label))
        return max(w.width, cell_len(w.label))

    while len(kept) > 1 and sum(size(w) + 2 * PADDING for w in kept) > room:
        kept.remove(max(kept, key=lambda w: (w.rank, kept.index(w))))
    used = sum(size(w) + 2 * PADDING for w in kept if w.width is not None)
    out = []
    for w in kept:
        cells = max(room - used - 2 * PADDING, size(w)) if w.width is None else size(w)
        out.append(Column(w.key, w.label, cells))
    return out
