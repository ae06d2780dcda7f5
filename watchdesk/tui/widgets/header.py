"""The desk header: name, ticking local time, watch period and time left, operator, who is on duty."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widget import Widget

from watchdesk.i18n import _
from watchdesk.tui.format import span

LEVEL_NAMES = {1: "L1", 2: "L2", 3: "L3"}


class DeskHeader(Widget):
    """Two lines; reads everything from the app (`header_state`, `operator`, `shell`, `desk_clock`),
    so it shows before the database is open."""

    DEFAULT_CSS = """
    DeskHeader { height: 2; background: $panel; color: $foreground; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def render(self) -> Text:
        app: Any = self.app
        shell = app.shell
        now: datetime = app.desk_clock.now()
        state = app.header_state
        line1 = Text(no_wrap=True, overflow="ellipsis")
        line1.append(shell.name, style="bold")
        line1.append("  ")
        line1.append(now.astimezone(shell.zone).strftime("%H:%M:%S %d/%m/%Y"), style="bold")
        line1.append("  ")
        if not state.loaded:
            line1.append("…", style="dim")
        elif state.period:
            line1.append(state.period, style="bold")
            if state.period_ends is not None and state.period_ends > now:
                line1.append(" " + _("({left} left)").format(left=span(state.period_ends - now)))
        else:
            line1.append(_("no watch period"), style="dim")
        line2 = Text(no_wrap=True, overflow="ellipsis")
        operator = app.operator
        if operator is None:
            line2.append(_("not signed in (ctrl+o)"), style="reverse")
        else:
            line2.append(_("operator: "))
            line2.append(f"{operator.handle} ({_(operator.role.value)})", style="bold")
        line2.append("  ")
        line2.append(_("On duty"), style="bold")
        for level in (1, 2, 3):
            names = state.on_duty.get(level, [])
            line2.append(f"  {LEVEL_NAMES[level]}: ")
            if not state.loaded:
                line2.append("…", style="dim")
            elif names:
                line2.append(", ".join(names))
            else:
                line2.append(_("nobody"), style="bold reverse")
        both = Text("\n").join([line1, line2])
        both.no_wrap, both.overflow = True, "ellipsis"
        if app.engine_note:
            both.append("  " + app.engine_note, style="italic")
        return both
