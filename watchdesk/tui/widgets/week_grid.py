"""The roster's week grid: days × hours for one level, officer names in their blocks,
gaps marked, and a line at the current time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widget import Widget

from watchdesk.core.humane import weekday
from watchdesk.core.roster import Block, WeekGrid
from watchdesk.i18n import _

LABEL = 11  # 'Mon 16/02  '
# Officer blocks alternate between these so neighbours are told apart without reading.
SHADES = ("on #2f4f6f", "on #4a3f6b", "on #2f5f4f", "on #5f4f2f")
GAP_STYLE = "bold white on #8b1a1a"


class WeekGridView(Widget):
    DEFAULT_CSS = """
    WeekGridView { height: auto; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.grid: WeekGrid | None = None
        self.level = 1

    def show(self, grid: WeekGrid, level: int) -> None:
        self.grid, self.level = grid, level
        self.refresh(layout=True)

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return (self.grid.days if self.grid else 7) + 2

    def render(self) -> Text:
        app: Any = self.app
        rt = app.rt
        zone: ZoneInfo = rt.zone
        now: datetime = rt.now()
        width = max(self.size.width - 2, LABEL + 24)
        per_hour = max(1, (width - LABEL) // 24)
        out = Text(no_wrap=True)
        out.append(" " * LABEL)
        for hour in range(24):
            out.append(f"{hour:<{per_hour}}"[:per_hour] if hour % (1 if per_hour >= 2 else 3) == 0 else " " * per_hour, style="dim")
        if self.grid is None:
            return out
        today = now.astimezone(zone).date()
        now_col = self._column(now.astimezone(zone), per_hour)
        for n in range(self.grid.days):
            day = self.grid.first_day + timedelta(days=n)
            out.append("\n")
            label_style = "bold reverse" if day == today else "bold"
            out.append(f"{weekday(day, short=True)} {day:%d/%m}".ljust(LABEL - 1), style=label_style)
            out.append(" ")
            row = self.grid.row(day, self.level)
            cells = self._cells(row.blocks if row else (), day, zone, per_hour)
            for col, (char, style) in enumerate(cells):
                if day == today and col == now_col:
                    background = style[style.index(" on ") :] if " on " in style else (style if style.startswith("on ") else "")
                    out.append("│", style=f"bold yellow{' ' + background.strip() if background else ''}")
                else:
                    out.append(char, style=style)
        out.append("\n")
        out.append(_("█ gap (nobody on duty)"), style=GAP_STYLE)
        out.append("  " + _("│ now") + "  ", style="bold yellow")
        out.append(_("level {n}  (l: change level)").format(n=self.level), style="dim")
        return out

    @staticmethod
    def _column(local: datetime, per_hour: int) -> int:
        return int((local.hour + local.minute / 60) * per_hour)

    def _cells(self, blocks: tuple[Block, ...], day: date, zone: ZoneInfo, per_hour: int) -> list[tuple[str, str]]:
        total = 24 * per_hour
        cells: list[tuple[str, str]] = [(" ", "") for _ in range(total)]
        shade = 0
        for block in blocks:
            start = self._column(block.start.astimezone(zone), per_hour)
            end_local = block.end.astimezone(zone)
            end = total if end_local.date() > day else self._column(end_local, per_hour)
            end = max(end, start + 1)
            if block.gap:
                style, name = GAP_STYLE, _("GAP")
            else:
                style, name = SHADES[shade % len(SHADES)], block.officer
                shade += 1
            label = name[: max(end - start - 1, 0)]
            for col in range(start, min(end, total)):
                offset = col - start - 1
                char = label[offset] if 0 <= offset < len(label) else ("▏" if col == start and not block.gap else " ")
                cells[col] = (char, style)
        return cells
