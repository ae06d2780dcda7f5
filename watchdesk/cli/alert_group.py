"""The `watchdesk alert …` group; its commands live in the modules of their layers."""

from __future__ import annotations

import click

from watchdesk.cli.main import cli


@cli.group("alert")
def alert_group() -> None:
    """Alerts: list, add, show, acknowledge, resolve, note, split, escalate, snooze, assign."""
