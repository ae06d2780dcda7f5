"""The banner that announces new alerts until someone looks at them."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget

from watchdesk.i18n import _, ngettext
from watchdesk.tui.format import SEVERITY_WORD


class NewAlertBanner(Widget):
    """Hidden when there is nothing unseen; shows the newest unseen alert and how many more."""

    DEFAULT_CSS = """
    NewAlertBanner { height: auto; max-height: 2; display: none; background: $error; color: $text; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    NewAlertBanner.-shown { display: block; }
    """

    def refresh_from_app(self) -> None:
        app: Any = self.app
        self.set_class(bool(app.unseen), "-shown")
        self.refresh(layout=True)

    def on_mount(self) -> None:
        self.refresh_from_app()

    def render(self) -> Text:
        app: Any = self.app
        unseen = app.unseen
        if not unseen:
            return Text("")
        alert = unseen[-1]
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(_("NEW ALERT") + " ", style="bold")
        text.append(f"#{alert.id} {_(SEVERITY_WORD[alert.severity])} ", style="bold")
        text.append(alert.title)  # untrusted: appended as plain text
        more = len(unseen) - 1
        if more:
            text.append("  " + ngettext("(+{n} more)", "(+{n} more)", more).format(n=more))
        text.append("  " + _("click to open · x to dismiss"), style="italic")
        return text

    def on_click(self) -> None:
        app: Any = self.app
        if app.unseen:
            app.open_alert(app.unseen[-1].id)
