"""The config file before it is validated: where it is, its TOML, and the desk shell's few keys.

Reading the file is cheap (tomllib, ~1 ms); validating it (pydantic, watchdesk/config.py) costs
about 0.2 s of imports and schema building. Plain `watchdesk` paints its shell from
`ShellSettings` (the [desk] keys and where the database is, read here without pydantic) and
validates the whole file in the desk's opening worker, after the first frame. Every other
command validates at once (`watchdesk.config.load_config`). Stdlib only, by design.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from watchdesk.core.keys import key_problem
from watchdesk.i18n import _
from watchdesk.locations import config_candidates, default_database_path

DEFAULTS_WHERE = "built-in defaults"
THEME_NAMES = ("dark", "light", "high-contrast")
LANGUAGES = ("vi", "en", "")
DESK_NAME = "watchdesk"
DESK_TIMEZONE = "Asia/Ho_Chi_Minh"


class ConfigError(Exception):
    """A config file that cannot be used; the message is one sentence for a person."""


def find_config(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The config file in use (--config, $WATCHDESK_CONFIG, ./watchdesk.toml, the user config
    directory), or None for the built-in defaults."""
    for path, why in config_candidates(explicit):
        if path.is_file():
            return path
        if why in ("--config", "$WATCHDESK_CONFIG"):
            raise ConfigError(_("{path}: config file not found (given by {why}); check the path.").format(path=path, why=why))
    return None


def read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML as a dict, or ConfigError with one sentence (unreadable, not UTF-8, bad TOML)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(_("{path}: cannot read the config file ({strerror}).").format(path=path, strerror=exc.strerror)) from None
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(_("{path}: the config file is not UTF-8 text; save it as UTF-8.").format(path=path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_("{path}: not valid TOML ({exc}); fix that line.").format(path=path, exc=exc)) from None


def load_toml(explicit: str | os.PathLike[str] | None) -> tuple[dict[str, Any], str]:
    """The config file's data and where it came from (DEFAULTS_WHERE and {} when there is none)."""
    path = find_config(explicit)
    return ({}, DEFAULTS_WHERE) if path is None else (read_toml(path), str(path))


def sqlite_url(path: str, url: str, override_path: str | None = None) -> str:
    """The SQLAlchemy URL: --db beats [database] url beats path beats the user data directory.

    --db is a SQLite file, or a URL (postgresql://…) taken as it is."""
    if override_path and "://" in override_path:
        return override_path
    if override_path:
        return f"sqlite:///{Path(override_path).expanduser()}"
    if url:
        return url
    return f"sqlite:///{Path(path).expanduser() if path else default_database_path()}"


def absolute_db(given: str) -> str:
    """--db as a process started in another folder must be given it: a file made absolute, a URL as it is."""
    return given if "://" in given else str(Path(given).expanduser().resolve())


@dataclass(frozen=True)
class ShellSettings:
    """What the desk's shell shows and applies before the database opens: name, zone, language,
    theme, remapped keys, and where the database is (as a person reads it)."""

    name: str = DESK_NAME
    timezone: str = DESK_TIMEZONE
    language: str = ""
    theme: str = "dark"
    keys: dict[str, str] = field(default_factory=dict)
    database: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_data(cls, data: dict[str, Any], override_path: str | None = None) -> "ShellSettings":
        """From a config file's raw TOML. A value of the wrong kind falls back to its default: the
        validation in the opening worker names it and closes the desk."""
        desk = _table(data, "desk")
        db = _table(data, "database")
        keys = desk.get("keys")
        return cls(
            name=_text(desk, "name", DESK_NAME),
            timezone=_zone_name(_text(desk, "timezone", DESK_TIMEZONE)),
            language=_choice(desk, "language", LANGUAGES, ""),
            theme=_choice(desk, "theme", THEME_NAMES, "dark"),
            # A key Textual never sends is left out (the default stays until validation names it).
            keys={k: v for k, v in keys.items() if key_problem(v) is None} if isinstance(keys, dict) else {},
            database=_where(sqlite_url(_text(db, "path", ""), _text(db, "url", ""), override_path)),
        )

    @classmethod
    def from_config(cls, config: Any, override_path: str | None = None) -> "ShellSettings":
        """From a validated `watchdesk.config.Config` (the same fields, checked)."""
        desk = config.desk
        return cls(desk.name, desk.timezone, desk.language, desk.theme, dict(desk.keys),
                   _where(config.database.resolved_url(override_path)))


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _text(table: dict[str, Any], key: str, default: str) -> str:
    value = table.get(key, default)
    return value if isinstance(value, str) else default


def _choice(table: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = table.get(key, default)
    return value if value in allowed else default


def _zone_name(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return DESK_TIMEZONE
    return name


def _where(url: str) -> str:
    return url.removeprefix("sqlite:///")
