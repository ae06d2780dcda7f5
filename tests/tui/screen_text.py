"""The text on a running app's screen, line by line (what the officer would read)."""

from __future__ import annotations

from textual.app import App


def screen_text(app: App) -> str:
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())


def seen_text(app: App) -> str:
    """What the officer sees, screens showing through a modal included (as a screenshot is made)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False, color_system=None)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())
