"""One line under a screen's body: the last action's result or refusal, in plain text."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    StatusLine.-error { color: $text-error; text-style: bold; }
    """

    def show(self, sentence: str, error: bool = False) -> None:
        self.set_class(error, "-error")
        self.update(Text(sentence, no_wrap=True, overflow="ellipsis"))
