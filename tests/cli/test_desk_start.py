"""Plain `watchdesk`: the desk's shell paints before pydantic and the store are imported; a missing
config file or bad TOML ends in one sentence before the terminal is taken, an invalid key closes
the desk at once and ends in its sentence, database errors end in theirs after the desk closes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from watchdesk.cli import cli

ROOT = Path(__file__).resolve().parents[2]

FIRST_FRAME = textwrap.dedent("""
    import asyncio, json, sys
    import watchdesk.cli.main
    from watchdesk.cli.common import State
    from watchdesk.cli.desk import desk_app

    STORE = ("pydantic", "sqlalchemy", "sqlmodel", "watchdesk.store", "watchdesk.services.runtime")
    app = desk_app(State(sys.argv[1], sys.argv[2]), run_engine=False, watch=False, ask_sign_in=False, blink=False)
    seen = {}
    display = app._display

    def note(screen, renderable):
        if "first" not in seen:
            seen["first"] = (type(screen).__name__, sorted(m for m in sys.modules.copy() if m.startswith(STORE)))
        return display(screen, renderable)

    app._display = note

    async def main():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            seen["then"] = (type(app.screen).__name__, app.is_open, app.open_failure)

    asyncio.run(main())
    print(json.dumps(seen))
""")


def test_the_shell_paints_before_the_store_is_imported(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    assert CliRunner().invoke(cli, ["--db", str(db), "init", "--handle", "minh", "--name", "Minh"]).exit_code == 0
    config = tmp_path / "watchdesk.toml"
    config.write_text("", encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", FIRST_FRAME, str(config), str(db)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["first"] == ["OpeningScreen", []]
    assert seen["then"] == ["AlertsScreen", True, ""]


def test_plain_watchdesk_imports_no_store() -> None:
    code = (
        "import sys\n"
        "from watchdesk.cli.main import cli\n"
        "import watchdesk.tui.app, watchdesk.tui.screens.opening\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(('pydantic', 'sqlalchemy', 'sqlmodel', 'watchdesk.store')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_bad_toml_stops_before_the_desk(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[desk]\ntheme = "dark\n', encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "watchdesk", "--config", str(config)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, stdin=subprocess.DEVNULL)
    assert out.returncode == 2
    assert out.stderr.startswith(f"watchdesk: {config}: not valid TOML (") and out.stderr.strip().endswith("; fix that line.")
    assert out.stdout == ""  # the terminal was never taken


def _run_headless(shown: list[str]):  # noqa: ANN202 - DeskApp.run, headless: what the operator sees, then ctrl+q
    from watchdesk.tui.app import DeskApp

    def run(self: DeskApp) -> None:
        async def drive() -> None:
            async with self.run_test(size=(100, 30)) as pilot:
                await pilot.pause()
                await self.workers.wait_for_complete()
                await pilot.pause()
                if self.is_running:
                    shown.append(str(self.screen.query_one("#opening").render()))

        asyncio.run(drive())

    return run


def test_an_invalid_key_closes_the_desk_in_its_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Validated in the opening worker: the desk closes by itself, `watchdesk` prints the sentence and exits 2."""
    from watchdesk.tui.app import DeskApp

    config = tmp_path / "bad.toml"
    config.write_text('[desk]\ntheme = "purple"\n', encoding="utf-8")
    shown: list[str] = []
    monkeypatch.setattr(DeskApp, "run", _run_headless(shown))
    result = CliRunner().invoke(cli, ["--config", str(config), "--db", str(tmp_path / "desk.db")])
    assert result.exit_code == 2
    assert result.output.strip() == f"watchdesk: {config}: key 'desk.theme' must be 'dark', 'light' or 'high-contrast' (got 'purple')."
    assert shown == []  # closed before the operator had to quit
    assert not (tmp_path / "desk.db").exists()  # validated before the database was touched


def test_a_database_it_cannot_open_ends_in_its_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The desk shows the sentence until the operator quits; then `watchdesk` prints it and exits 2."""
    from watchdesk.tui.app import DeskApp

    junk = tmp_path / "notes.db"
    junk.write_text("biên bản bàn giao ca — a text file, not a database " * 20, encoding="utf-8")
    config = tmp_path / "watchdesk.toml"
    config.write_text("", encoding="utf-8")
    shown: list[str] = []
    monkeypatch.setattr(DeskApp, "run", _run_headless(shown))
    result = CliRunner().invoke(cli, ["--config", str(config), "--db", str(junk)])
    sentence = f"{junk}: cannot use this database file (file is not a database); check the path and its permissions."
    assert result.exit_code == 2
    assert result.output.strip() == f"watchdesk: {sentence}"
    assert shown and sentence in " ".join(shown[0].split())


@pytest.mark.parametrize("args", [["--lang", "vi", "demo"], ["demo", "--lang", "vi"]])
def test_the_demo_speaks_the_language_asked_before_or_after_its_name(args, monkeypatch) -> None:
    """`watchdesk --lang vi demo` opened an English desk: the root's --lang was not passed on."""
    from watchdesk.cli import demo

    opened: list[str] = []
    monkeypatch.setattr(demo, "_run", lambda folder, lang: opened.append(lang))
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert opened == ["vi"]
