"""The help screen: every binding on every screen, from the bindings themselves."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from watchdesk.i18n import _
from watchdesk.tui.registry import entries


def _keys(bindings: list) -> list[tuple[str, str]]:
    out = []
    for b in bindings:
        if isinstance(b, Binding) and b.description and not b.key.isdigit():
            names = {"question_mark": "?", "slash": "/", "left_square_bracket": "[", "right_square_bracket": "]",
                     "left": "←", "right": "→"}
            keys = ", ".join(names.get(k.strip(), k.strip()) for k in b.key.split(","))
            out.append((keys, b.description))
    return out


def help_text(app_bindings: list) -> Text:
    from watchdesk.tui.screens.detail import AlertDetailScreen

    text = Text()
    text.append(_("Keys of the desk") + "\n", style="bold")
    text.append("\n" + _("Everywhere") + "\n", style="bold underline")
    for e in entries():
        text.append(f"  {e.key:<12} {e.label}\n")
    for key, what in _keys(app_bindings) + [("ctrl+p", _("Command palette")), ("ctrl+q", _("Quit"))]:
        text.append(f"  {key:<12} {what}\n")
    screens = [(e.label, e.factory) for e in entries()] + [(_("Alert detail"), AlertDetailScreen)]
    for label, factory in screens:
        bindings = _keys(list(getattr(factory, "BINDINGS", [])))
        if not bindings:
            continue
        text.append("\n" + label + "\n", style="bold underline")
        for key, what in bindings:
            text.append(f"  {key:<12} {what}\n")
    text.append("\n" + _("Mouse: click a row to select it, click again to open it; click a screen name to go there.") + "\n")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", _("Close"), id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="form-box"):
            yield Static(help_text(list(self.app.BINDINGS)))

    def action_close(self) -> None:
        self.dismiss(None)
