"""The screens of the desk, each with its number key and name.

A screen module registers itself at import time; `watchdesk.tui.screens.catalog` imports
every screen module in order. To add a screen (Handover, Reports, …):

    from watchdesk.tui.registry import register_screen
    register_screen("5", "handover", N_("Handover"), HandoverScreen)

and add `from watchdesk.tui.screens import handover  # noqa: F401` to catalog.py.
The factory takes no argument and returns a `Screen`; the screen reaches the runtime as
`self.app.rt` and the signed-in officer as `self.app.operator`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen

from watchdesk.i18n import _


@dataclass(frozen=True)
class ScreenEntry:
    key: str
    """The number key that switches to it ('1' … '9')."""
    mode: str
    """Textual mode name, also used by the palette ('alerts', 'roster', …)."""
    title: str
    """Untranslated name (marked with N_); shown through _()."""
    factory: Callable[[], Screen]

    @property
    def label(self) -> str:
        return _(self.title)


_ENTRIES: dict[str, ScreenEntry] = {}


def register_screen(key: str, mode: str, title: str, factory: Callable[[], Screen]) -> None:
    """Add (or replace) the screen behind a number key."""
    if not (len(key) == 1 and key.isdigit() and key != "0"):
        raise ValueError(f"screen key {key!r} must be one digit 1-9")
    for other in list(_ENTRIES.values()):
        if other.mode == mode and other.key != key:
            del _ENTRIES[other.key]
    _ENTRIES[key] = ScreenEntry(key, mode, title, factory)


def entries() -> list[ScreenEntry]:
    """Registered screens in key order."""
    return [_ENTRIES[k] for k in sorted(_ENTRIES)]


def by_mode(mode: str) -> ScreenEntry | None:
    return next((e for e in _ENTRIES.values() if e.mode == mode), None)
