"""The desk's last line of defence: nothing it draws can carry a terminal control.

Untrusted text is cleaned once at ingest (watchdesk.core.text.clean_text), and widgets get it
as plain Text, never markup. This filter covers what did not come that way: a database edited
by hand or by another tool, an exception's message, a library's error. Textual applies line
filters to every line of every widget (and caches the result per line), so one filter here
covers the board, the detail, the toasts and the palette alike. The filtering itself is
watchdesk.core.text.terminal_safe, the function the CLI prints through too.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from watchdesk.core.text import TERMINAL_UNSAFE, terminal_safe


class TerminalSafe(LineFilter):
    """Drops C0/C1 controls, DEL and bidi controls from drawn text (Textual's own control segments stay)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        search = TERMINAL_UNSAFE.search
        if not any(search(segment.text) for segment in segments if not segment.control):
            return segments
        return [segment if segment.control or not search(segment.text) else Segment(terminal_safe(segment.text), segment.style)
                for segment in segments]
