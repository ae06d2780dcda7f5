"""Plain `watchdesk`: start the desk (the Textual app)."""

from __future__ import annotations

import click

from watchdesk.cli.common import State


def start_desk(state: State) -> None:
    try:
        from watchdesk.tui.app import run_desk
    except ImportError:
        click.echo("watchdesk: the desk (terminal app) is not built yet; use the subcommands ('watchdesk --help').")
        return
    run_desk(state.runtime)
