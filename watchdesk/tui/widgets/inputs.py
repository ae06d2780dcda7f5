"""The desk's text input: blinks unless the app says not to (tests and snapshots)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input


class DeskInput(Input):
    def on_mount(self) -> None:
        app: Any = self.app
        self.cursor_blink = getattr(app, "blink", True)
