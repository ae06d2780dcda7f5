"""Command-line value types: what they accept at the edges of their limits, as a person types it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from watchdesk.cli import cli


@pytest.fixture
def run(db_path: Path):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["--db", str(db_path), *args], env={"WATCHDESK_AS": "minh"})

    assert invoke("init", "--handle", "minh", "--name", "Nguyễn Văn Minh").exit_code == 0
    return invoke


def test_an_id_as_shown_with_its_hash_is_read(run) -> None:
    added = run("alert", "add", "--title", "Fortinet FortiOS CVE-2024-21762", "--severity", "high", "--json")
    assert added.exit_code == 0, added.output
    shown = run("alert", "show", "#1", "--json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["alert"]["id"] == 1


def test_the_first_and_last_years_are_accepted_and_the_next_ones_refused(run) -> None:
    """Desk time: 2000-01-01 00:00 in Hanoi is still 1999 in UTC, and is accepted."""
    for start, end in (("1999-12-31 23:59", "2000-01-02 00:00"), ("2100-12-30 00:00", "2101-01-01 00:00")):
        refused = run("period", "add", "outside", "--start", start, "--end", end)
        assert refused.exit_code == 2 and "must lie in the years 2000 to 2100" in refused.stderr
    assert run("period", "suggest", "tet", "2101").exit_code == 2
    result = run("period", "add", "edges", "--start", "2000-01-01 00:00", "--end", "2100-12-31 23:59")
    assert result.exit_code == 0, result.output
    [period] = json.loads(run("period", "list", "--json").stdout)
    assert (period["start_local"], period["end_local"]) == ("2000-01-01 00:00", "2100-12-31 23:59")
    assert run("period", "suggest", "tet", "2100").exit_code == 0
    assert run("period", "suggest", "tet", "2000").exit_code == 0


def test_a_duration_at_the_edge_of_its_range_is_accepted(run) -> None:
    run("alert", "add", "--title", "Exchange CVE-2024-21410", "--severity", "critical")
    assert run("alert", "snooze", "1", "1m", "--reason", "vendor call at 03:00").exit_code == 0
    refused = run("alert", "snooze", "1", "59s", "--reason", "vendor call")
    assert refused.exit_code == 2 and refused.stderr == "watchdesk: DURATION '59s' must be from 1m to 7d.\n"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("alert", "ack", "-1"), "watchdesk alert ack: No such option '-1' (see 'watchdesk alert ack --help')."),
        (("alert", "ack"), "watchdesk alert ack: Missing argument 'ALERT_ID'"),
        (("alert", "list", "--severity", "bogus"), "watchdesk alert list: Invalid value for '--severity'"),
        (("--bogus",), "watchdesk: No such option '--bogus' (see 'watchdesk --help')."),
        (("nosuch",), "watchdesk: No such command 'nosuch'"),
    ],
)
def test_a_mistyped_command_line_is_one_sentence_naming_the_command(run, args, says) -> None:
    """Click's own usage errors (an unknown option, a missing argument, a wrong choice) end like
    every other bad value: exit 2 and one line naming the command and where its help is."""
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(says) and result.stderr.count("\n") == 1, result.stderr
