"""Hostile roster files and reasons: nothing unsafe reaches the store, the CLI or an export."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from icalendar import Calendar

from watchdesk.cli import cli
from watchdesk.core.roster import parse_local
from watchdesk.services import roster
from watchdesk.services.roster_io import export_csv, export_ics, import_csv

UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
NOTE = "Giao thừa \x1b]52;c;ZXZpbA==\x07[bold red]trực[/] \u202egnal\u202c \x9b31m\x00ca đêm\x1b[2J"


def test_a_csv_note_with_escapes_bidi_and_markup_is_stored_and_exported_clean(rt, staff, tmp_path: Path) -> None:
    """The officer sees the note 'Giao thừa [bold red]trực[/] gnal ca đêm' as plain text: the clipboard
    escape (OSC 52), the screen-clearing CSI, the 8-bit CSI, NUL and the right-to-left override are
    gone, the brackets stay literal, and the Vietnamese words are all there."""
    path = tmp_path / "evil.csv"
    path.write_text(f'handle,level,start,end,note\nhung,1,2025-01-28 19:30,2025-01-29 07:30,"{NOTE}"\n', encoding="utf-8")
    [made] = import_csv(rt, staff["minh"], path)
    assert made.note == "Giao thừa [bold red]trực[/] gnal ca đêm"
    csv_text = export_csv(rt, made.start, made.end)
    ics = export_ics(rt, made.start, made.end).decode("utf-8")
    for text in (csv_text, ics):
        assert not UNSAFE.search(text.replace("\r\n", "").replace("\n", ""))
        assert "\x1b" not in text
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    assert "note: Giao thừa [bold red]trực[/] gnal ca đêm" in str(event["DESCRIPTION"])


def test_an_override_reason_with_escapes_is_clean_in_the_audit_log_and_json(rt, staff, db_target: str) -> None:
    """A lead pastes a reason carrying a terminal title escape: 'watchdesk roster list --json' and the
    audit log show only the words 'Thu ốm [link]'."""
    zone = rt.zone
    made = roster.override(rt, staff["lan"], "lan", 1, parse_local("2025-01-29 23:00", zone), parse_local("2025-01-30 03:00", zone),
                           "\x1b]0;pwned\x07Thu ốm\u202e [link]\x1b[0m")
    assert made[0].reason == "Thu ốm [link]"
    out = CliRunner().invoke(cli, ["--db", db_target, "roster", "list", "--from", "2025-01-29 00:00", "--to", "2025-01-31 00:00", "--json"])
    assert out.exit_code == 0
    assert json.loads(out.output)[0]["reason"] == "Thu ốm [link]"
    assert "\x1b" not in out.output and "\u202e" not in out.output


def test_a_note_that_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(rt, staff, tmp_path: Path) -> None:
    """Opening the exported CSV in a spreadsheet shows the note '=HYPERLINK(...)' as text, not a live formula."""
    path = tmp_path / "formula.csv"
    path.write_text('hung,1,2025-01-28 19:30,2025-01-29 07:30,"=HYPERLINK(""http://x"",""y"")"\n', encoding="utf-8")
    [made] = import_csv(rt, staff["minh"], path)
    line = export_csv(rt, made.start, made.end).splitlines()[1]
    assert line.endswith(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")


def test_a_handle_with_invisible_characters_is_not_confused_with_a_real_one(rt, staff, tmp_path: Path) -> None:
    """A CSV line for 'hung' spelled with a zero-width space imports as hung (the invisible character is
    dropped at ingest), so the roster names the real officer and not a look-alike."""
    path = tmp_path / "zw.csv"
    path.write_text("hu\u200bng,1,2025-01-28 19:30,2025-01-29 07:30,\n", encoding="utf-8")
    [made] = import_csv(rt, staff["minh"], path)
    assert made.officer == "hung"
