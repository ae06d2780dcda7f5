"""The help screen: every binding on every screen, from the bindings themselves."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from watchdesk.i18n import _
from watchdesk.tui.registry import entries


def _keys(bindings: list, keymap: dict[str, str]) -> list[tuple[str, str, str]]:
    """(keys, what, binding id) for each described binding, after the user's [desk] keys."""
    names = {"question_mark": "?", "slash": "/", "left_square_bracket": "[", "right_square_bracket": "]",
             "left": "←", "right": "→", "up": "↑", "down": "↓", "pageup": "PgUp", "pagedown": "PgDn"}
    out = []
    for b in bindings:
        if isinstance(b, Binding) and b.description and not b.key.isdigit():
            key = keymap.get(b.id or "", b.key)
            keys = ", ".join(names.get(k.strip(), k.strip()) for k in key.split(","))
            out.append((keys, b.description, b.id or ""))
    return out


def binding_ids() -> set[str]:
    """Every binding id of the desk: the ids `[desk] keys` may remap (all tui modules, imported once)."""
    import importlib
    import pkgutil

    import watchdesk.tui as tui

    ids: set[str] = set()
    for info in pkgutil.walk_packages(tui.__path__, "watchdesk.tui."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            for b in getattr(value, "BINDINGS", ()) if isinstance(value, type) else ():
                if isinstance(b, Binding) and b.id:
                    ids.add(b.id)
    return ids


def help_text(app_bindings: list, keymap: dict[str, str] | None = None) -> Text:
    from watchdesk.tui.screens.detail import AlertDetailScreen
    from watchdesk.tui.screens.forms import PromptForm
    from watchdesk.tui.widgets.row_table import RowTable

    text = Text()
    text.append(_("Keys of the desk") + "\n", style="bold")
    text.append("\n" + _("Everywhere") + "\n", style="bold underline")
    for e in entries():
        text.append(f"  {e.key:<12} {e.label}\n")
    keymap = keymap or {}
    for key, what, ident in _keys(app_bindings, keymap) + [("ctrl+p", _("Command palette"), ""), ("ctrl+q", _("Quit"), "")]:
        text.append(f"  {key:<12} {what:<34}")
        text.append(f"{ident}\n", style="dim")
    screens = [(e.label, e.factory) for e in entries()] + [(_("Alert detail"), AlertDetailScreen),
                                                          (_("In a table (the board, the Log)"), RowTable),
                                                          (_("In a form (enter: next field, then OK)"), PromptForm)]
    for label, factory in screens:
        bindings = _keys(list(getattr(factory, "BINDINGS", [])), keymap)
        if not bindings:
            continue
        text.append("\n" + label + "\n", style="bold underline")
        for key, what, ident in bindings:
            text.append(f"  {key:<12} {what:<34}")
            text.append(f"{ident}\n", style="dim")
    text.append("\n" + _("Mouse: click a row to select it, click again to open it; click a screen name to go there.") + "\n")
    text.append(_("The grey names are binding ids: remap a key with [desk] keys in the config, e.g. keys = {\"alerts.acknowledge\" = \"k\"}.") + "\n",
                style="dim")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", _("Close"), id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="form-box"):
            app: Any = self.app
            yield Static(help_text(list(app.BINDINGS), dict(app.shell.keys)))

    def action_close(self) -> None:
        self.dismiss(None)
