"""The row of screen names under the header ('1 Alerts  2 Roster …'); click or press the number."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label

from watchdesk.tui.registry import entries


class NavItem(Label):
    def __init__(self, mode: str, label: str, active: bool) -> None:
        super().__init__(Content(label), classes="nav-item -active" if active else "nav-item")
        self.mode = mode

    def on_click(self) -> None:
        app: Any = self.app
        app.goto(self.mode)


class NavBar(Horizontal):
    DEFAULT_CSS = """
    NavBar { height: 1; background: $surface; }
    NavBar .nav-item { padding: 0 1; }
    NavBar .nav-item.-active { background: $primary; color: $background; text-style: bold; }
    """

    def __init__(self, active: str) -> None:
        super().__init__()
        self.active = active

    def compose(self) -> ComposeResult:
        for entry in entries():
            yield NavItem(entry.mode, f"{entry.key} {entry.label}", entry.mode == self.active)
