"""The desk's first frame, before the database is open: header, screen names, the board
saying it is opening the database, footer.

It imports nothing of the store (no SQLAlchemy, no SQLModel): the app shows it at once and
opens the runtime in a thread worker, then switches to the real board. If opening fails, the
board says why in one sentence and the desk stays up until the operator quits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from watchdesk.clock import Clock
from watchdesk.core.humane import human_duration
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

    SLOW = timedelta(seconds=5)  # past this, the board says why opening may take longer

    def __init__(self, where: str = "", clock: Clock | None = None) -> None:
        super().__init__()
        self.where = where
        self.clock = clock
        self.started = clock.now() if clock else None
        self.failed = False

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield NavBar("alerts")
        yield Static(self._opening_text(), id="opening")
        yield StatusLine(id="status")
        yield Footer()

    def refresh_frame(self) -> None:
        for header in self.query(DeskHeader):
            header.refresh()

    def _opening_text(self, waited: timedelta | None = None) -> Text:
        text = _("Opening the database…")
        if self.where:
            text += f"  {self.where}"
        if waited is not None:
            # A locked database waits for [database] busy_timeout; a large one may be migrating.
            text += "\n\n" + _("Still opening after {waited}: another watchdesk process may be writing to it (the desk waits up to "
                                "[database] busy_timeout, {limit} by default), or a large database is being migrated. ctrl+q quits.").format(
                waited=human_duration(waited), limit=human_duration(30))
        return Text(text)  # the path is shown as plain text

    def tick(self) -> None:
        self.refresh_frame()
        if self.clock is None or self.started is None or self.failed:
            return
        waited = self.clock.now() - self.started
        if waited >= self.SLOW:
            self.query_one("#opening", Static).update(self._opening_text(waited))

    def show_status(self, sentence: str, error: bool = False) -> None:
        for line in self.query(StatusLine):
            line.show(sentence, error)

    def show_failure(self, sentence: str) -> None:
        """The database could not be opened: say why, and how to leave."""
        self.failed = True
        board: Any = self.query_one("#opening", Static)
        board.add_class("-error")
        board.update(Text(sentence + "\n\n" + _("Fix that, then start the desk again; ctrl+q quits.")))
