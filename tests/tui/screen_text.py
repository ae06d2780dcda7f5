"""The text on a running app's screen, line by line (what the officer would read)."""

from __future__ import annotations

from textual.app import App


def screen_text(app: App) -> str:
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())
