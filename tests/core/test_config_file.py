"""The config file before validation: the shell's keys read without pydantic agree with the validated
config on every valid file, and fall back to the defaults on values the validation will refuse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from watchdesk.config import ConfigError, config_of, load_config, parse_config
from watchdesk.config_file import DEFAULTS_WHERE, ShellSettings, load_toml

ROOT = Path(__file__).resolve().parents[2]

VALID = [
    "",
    '[desk]\nname = "Trực ban ATTT — Sở TT&TT"\ntimezone = "Europe/Berlin"\nlanguage = "vi"\ntheme = "high-contrast"\n',
    '[desk]\ntheme = "light"\n[desk.keys]\n"alerts.acknowledge" = "k"\n"app.help" = "f2"\n',
    '[database]\npath = "~/watch/desk.db"\n',
    '[database]\nurl = "sqlite:////srv/watchdesk/desk.db"\n[desk]\nlanguage = "en"\n',
]


@pytest.mark.parametrize("text", VALID)
@pytest.mark.parametrize("override", [None, "/tmp/given.db"])
def test_the_shell_reads_what_the_validation_reads(tmp_path: Path, text: str, override: str | None) -> None:
    path = tmp_path / "watchdesk.toml"
    path.write_text(text, encoding="utf-8")
    data, where = load_toml(path)
    assert where == str(path)
    config = load_config(path)
    assert ShellSettings.from_data(data, override) == ShellSettings.from_config(config, override)
    assert config_of(data, where) == config


@pytest.mark.parametrize(
    ("text", "field", "default"),
    [
        ('[desk]\ntheme = "purple"\n', "theme", "dark"),
        ("[desk]\nname = 7\n", "name", "watchdesk"),
        ('[desk]\ntimezone = "Asia/Hanoy"\n', "timezone", "Asia/Ho_Chi_Minh"),
        ('[desk]\nlanguage = "fr"\n', "language", ""),
        ('desk = "not a table"\n', "theme", "dark"),
    ],
)
def test_a_value_the_validation_refuses_falls_back(text: str, field: str, default: str) -> None:
    """The shell paints with the default; the validation in the worker then names the key."""
    import tomllib

    data = tomllib.loads(text)
    assert getattr(ShellSettings.from_data(data), field) == default
    with pytest.raises(ConfigError):
        parse_config(data, "watchdesk.toml")


def test_no_file_is_the_built_in_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WATCHDESK_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    data, where = load_toml(None)
    assert (data, where) == ({}, DEFAULTS_WHERE)
    assert config_of(data, where) == load_config(None)
    assert ShellSettings.from_data(data) == ShellSettings.from_config(load_config(None))


def test_reading_the_file_imports_no_pydantic() -> None:
    code = ("import sys\nfrom watchdesk.config_file import ShellSettings, load_toml\n"
            "ShellSettings.from_data(load_toml(None)[0])\n"
            "print(','.join(sorted(m for m in sys.modules if m.startswith('pydantic'))))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
