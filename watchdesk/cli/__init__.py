"""The `watchdesk` command."""

from watchdesk.cli.main import cli, main

__all__ = ["cli", "main"]
