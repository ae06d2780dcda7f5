"""Plain `watchdesk`: start the desk (the Textual app)."""

from __future__ import annotations

from watchdesk.cli.common import State


def start_desk(state: State) -> None:
    """Open the runtime, set the UI language, run the desk until the operator quits."""
    from watchdesk.i18n import set_language

    runtime = state.runtime
    set_language(runtime.config.desk.language)
    # Imported after the language is set: bindings and labels are translated at import.
    from watchdesk.tui.app import run_desk

    run_desk(runtime)
