"""The desk's first frame, before the database is open: header, screen names, the board
saying it is opening the database, footer.

It imports nothing of the store (no SQLAlchemy, no SQLModel): the app shows it at once and
opens the runtime in a thread worker, then switches to the real board. If opening fails, the
board says why in one sentence and the desk stays up until the operator quits.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from watchdesk.i18n import _
from watchdesk.tui.widgets.header import DeskHeader
from watchdesk.tui.widgets.nav import NavBar
from watchdesk.tui.widgets.status import StatusLine


class OpeningScreen(Screen):
    """The shell of the Alerts board while the runtime opens."""

    DEFAULT_CSS = """
    OpeningScreen #opening { height: 1fr; padding: 1 2; color: $text-muted; }
    OpeningScreen #opening.-error { color: $text-error; text-style: bold; }
    """

    def __init__(self, where: str = "") -> None:
        super().__init__()
        self.where = where

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield NavBar("alerts")
        text = _("Opening the database…")
        if self.where:
            text += f"  {self.where}"
        yield Static(Text(text), id="opening")  # the path is shown as plain text
        yield StatusLine(id="status")
        yield Footer()

    def refresh_frame(self) -> None:
        for header in self.query(DeskHeader):
            header.refresh()

    def tick(self) -> None:
        self.refresh_frame()

    def show_status(self, sentence: str, error: bool = False) -> None:
        for line in self.query(StatusLine):
            line.show(sentence, error)

    def show_failure(self, sentence: str) -> None:
        """The database could not be opened: say why, and how to leave."""
        board: Any = self.query_one("#opening", Static)
        board.add_class("-error")
        board.update(Text(sentence + "\n\n" + _("Fix that, then start the desk again; ctrl+q quits.")))
