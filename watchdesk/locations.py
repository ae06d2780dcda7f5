"""Where watchdesk keeps its files (platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "watchdesk"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def state_dir() -> Path:
    """Files the desk writes about itself (the audit checkpoints): $XDG_STATE_HOME/watchdesk on Linux."""
    return Path(platformdirs.user_state_dir(APP, appauthor=False))


def default_database_path() -> Path:
    return data_dir() / "watchdesk.db"


def config_candidates(explicit: str | os.PathLike[str] | None) -> list[tuple[Path, str]]:
    """Config files in the order they are looked for, each with why it is looked at."""
    found: list[tuple[Path, str]] = []
    if explicit:
        found.append((Path(explicit), "--config"))
        return found
    env = os.environ.get("WATCHDESK_CONFIG")
    if env:
        found.append((Path(env), "$WATCHDESK_CONFIG"))
        return found
    found.append((Path.cwd() / "watchdesk.toml", "current directory"))
    found.append((config_dir() / "watchdesk.toml", "user config directory"))
    return found
