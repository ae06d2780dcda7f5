"""Identity you can stand behind: who may claim to be whom, on the CLI and at the desk.

Leads and supervisors have a PIN of at least 6 digits; `--as` of an officer with a PIN needs it
(or their own bound OS account); another officer's PIN is a supervisor's to set; wrong PINs
back off per officer across processes, up to 5 minutes, liftable by a supervisor; every wrong
PIN and every back-off is in the audit log.
"""

from __future__ import annotations

import json
import multiprocessing
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli import identity_workers
from tests.conftest import TEST_PIN
from watchdesk.cli.common import os_account
from watchdesk.cli.main import cli
from watchdesk.clock import FakeClock
from watchdesk.core.records import Actor
from watchdesk.services.errors import InvalidInput, PermissionDenied
from watchdesk.services.officers import add_officer, backoff_seconds, get_officer, set_pin, sign_in, unlock
from watchdesk.services.runtime import Runtime
from watchdesk.store import audit

SPAWN = multiprocessing.get_context("spawn")
OTHER_PIN = "975310"


def cli_on(target: str, monkeypatch: pytest.MonkeyPatch):
    """The CLI on `target` (a file or a URL) as a script without PINs in its environment (each call
    passes what it means)."""
    monkeypatch.delenv("WATCHDESK_PIN")
    monkeypatch.delenv("WATCHDESK_NEW_PIN")
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None):
        return runner.invoke(cli, ["--db", target, *args], env=env, input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def run(db_path: Path, monkeypatch: pytest.MonkeyPatch):
    return cli_on(str(db_path), monkeypatch)


@pytest.fixture
def desk(run) -> None:
    made = run("init", "--handle", "minh", "--name", "Nguyễn Văn Minh", env={"WATCHDESK_NEW_PIN": TEST_PIN})
    assert made.exit_code == 0, made.output


def kinds(db_path: Path, prefix: str = "officer.") -> list[str]:
    from watchdesk.store.db import Database

    db = Database(f"sqlite:///{db_path}")
    try:
        return [e.kind for e in audit.tail(db, 200) if e.kind.startswith(prefix)]
    finally:
        db.dispose()


# -- init and PINs ------------------------------------------------------------------------
def test_init_asks_for_a_pin_twice_and_refuses_a_short_one(run, db_path: Path) -> None:
    short = run("init", "--handle", "minh", "--name", "Minh", "--pin", "1")
    assert short.exit_code == 2 and "a PIN is 6 to 32 digits (0-9 only); choose another." in short.output
    none = run("init", "--handle", "minh", "--name", "Minh", input="")
    assert none.exit_code == 2 and "minh needs a PIN of at least 6 digits; give --pin or set $WATCHDESK_NEW_PIN." in none.output
    asked = run("init", "--handle", "minh", "--name", "Minh", input=f"{TEST_PIN}\n{TEST_PIN}\n")
    assert asked.exit_code == 0, asked.output
    assert "New PIN for minh" in asked.output and "Repeat for confirmation" in asked.output
    assert json.loads(run("officer", "list", "--json").output)[0]["has_pin"] is True


def test_a_claim_without_the_pin_is_refused(run, desk, db_path: Path) -> None:
    """The finding: `officer add mallory --role supervisor --as minh` worked for anyone."""
    claim = run("officer", "add", "mallory", "Mallory", "--role", "supervisor", "--pin", OTHER_PIN, "--as", "minh")
    assert claim.exit_code == 2
    assert "officer 'minh' has a PIN; set $WATCHDESK_PIN or run on a terminal." in claim.output
    assert [o["handle"] for o in json.loads(run("officer", "list", "--json").output)] == ["minh"]
    lead = run("officer", "add", "lan", "Trần Thị Lan", "--role", "lead", "--as", "minh", env={"WATCHDESK_PIN": TEST_PIN})
    assert lead.exit_code == 2 and "lan needs a PIN of at least 6 digits" in lead.output


def test_setting_another_officers_pin_needs_a_supervisor(run, desk, db_path: Path) -> None:
    """The finding: `officer pin lan --as lan` set lan's PIN for anyone."""
    as_minh = {"WATCHDESK_PIN": TEST_PIN}
    assert run("officer", "add", "hung", "Lê Văn Hùng", "--as", "minh", env=as_minh).exit_code == 0
    by_anyone = run("officer", "pin", "hung", "--as", "hung", env={"WATCHDESK_NEW_PIN": OTHER_PIN})
    assert by_anyone.exit_code == 2
    assert "hung is an officer and may not edit officers; only supervisors may." in by_anyone.output
    by_supervisor = run("officer", "pin", "hung", "--as", "minh", env={**as_minh, "WATCHDESK_NEW_PIN": OTHER_PIN})
    assert by_supervisor.exit_code == 0, by_supervisor.output
    # Now hung proves himself with his PIN and may change it.
    own = run("officer", "pin", "hung", "--as", "hung", env={"WATCHDESK_PIN": OTHER_PIN, "WATCHDESK_NEW_PIN": "864209"})
    assert own.exit_code == 0, own.output
    assert kinds(db_path).count("officer.pin_set") == 2


def test_leads_and_supervisors_must_have_a_pin(rt: Runtime, supervisor: Actor) -> None:
    with pytest.raises(InvalidInput, match="'lan' would be a lead; leads and supervisors need a PIN of at least 6 digits."):
        add_officer(rt, supervisor, "lan", "Trần Thị Lan", "lead")
    with pytest.raises(InvalidInput, match="a PIN is 6 to 32 digits"):
        add_officer(rt, supervisor, "lan", "Trần Thị Lan", "lead", pin="2468")
    with pytest.raises(InvalidInput, match="leads and supervisors keep a PIN"):
        set_pin(rt, supervisor, "minh", "")


def test_an_imported_lead_signs_in_once_a_supervisor_sets_the_pin(run, desk, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("lan,Trần Thị Lan,lead\n", encoding="utf-8")
    as_minh = {"WATCHDESK_PIN": TEST_PIN}
    imported = run("officer", "import", str(people), "--as", "minh", env=as_minh)
    assert imported.exit_code == 0 and "lan: leads and supervisors sign in once a supervisor sets their PIN" in imported.output
    refused = run("alert", "add", "--title", "Một cảnh báo", "--as", "lan")
    assert refused.exit_code == 2
    assert "'lan' is a lead without a PIN, and leads and supervisors need one; a supervisor sets it with 'watchdesk officer pin lan --as HANDLE'." in refused.output
    assert run("officer", "pin", "lan", "--as", "lan", env={"WATCHDESK_NEW_PIN": OTHER_PIN}).exit_code == 2
    assert run("officer", "pin", "lan", "--as", "minh", env={**as_minh, "WATCHDESK_NEW_PIN": OTHER_PIN}).exit_code == 0
    assert run("alert", "add", "--title", "Một cảnh báo", "--as", "lan", env={"WATCHDESK_PIN": OTHER_PIN}).exit_code == 0


def test_a_desk_from_before_pins_lets_its_supervisor_set_the_first_one(rt: Runtime, db_target: str, monkeypatch) -> None:
    """An upgraded database whose supervisor has no PIN: every action is refused but setting it."""
    from sqlalchemy import text

    from watchdesk.services.officers import bootstrap_supervisor

    bootstrap_supervisor(rt, "minh", "Minh", TEST_PIN)
    with rt.db.write() as session:  # what a database from before PINs holds
        session.connection().execute(text("UPDATE officer SET pin_hash = ''"))
    rt.db.dispose()
    run = cli_on(db_target, monkeypatch)
    assert run("alert", "add", "--title", "Một cảnh báo", "--as", "minh").exit_code == 2
    first = run("officer", "pin", "minh", "--as", "minh", env={"WATCHDESK_NEW_PIN": OTHER_PIN})
    assert first.exit_code == 0, first.output
    assert run("alert", "add", "--title", "Một cảnh báo", "--as", "minh").exit_code == 2  # from now on the PIN is asked
    assert run("alert", "add", "--title", "Một cảnh báo", "--as", "minh", env={"WATCHDESK_PIN": OTHER_PIN}).exit_code == 0


# -- OS accounts --------------------------------------------------------------------------
def test_an_officer_bound_to_this_os_account_needs_no_pin_here(run, desk) -> None:
    me = os_account()
    assert me, "this system names the account running the tests"
    as_minh = {"WATCHDESK_PIN": TEST_PIN}
    added = run("officer", "add", "lan", "Trần Thị Lan", "--role", "lead", "--pin", OTHER_PIN, "--os-user", me, "--as", "minh", env=as_minh)
    assert added.exit_code == 0 and f"bound to OS account '{me}'" in added.output
    assert run("alert", "add", "--title", "Một cảnh báo", "--as", "lan").exit_code == 0  # no PIN from lan's own account

    assert run("officer", "edit", "lan", "--os-user", "someone-else", "--as", "minh", env=as_minh).exit_code == 0
    # $USER and $LOGNAME are anyone's to set; the real user id decides.
    other = run("alert", "add", "--title", "Một cảnh báo", "--as", "lan", env={"USER": "someone-else", "LOGNAME": "someone-else"})
    assert other.exit_code == 2 and "officer 'lan' has a PIN; set $WATCHDESK_PIN or run on a terminal." in other.output
    assert run("alert", "add", "--title", "Một cảnh báo", "--as", "lan", env={"WATCHDESK_PIN": OTHER_PIN}).exit_code == 0


def test_a_bound_officer_without_a_pin_is_theirs_alone(run, desk) -> None:
    as_minh = {"WATCHDESK_PIN": TEST_PIN}
    assert run("officer", "add", "hung", "Lê Văn Hùng", "--os-user", "someone-else", "--as", "minh", env=as_minh).exit_code == 0
    refused = run("alert", "add", "--title", "Một cảnh báo", "--as", "hung")
    assert refused.exit_code == 2 and "bound to the OS account 'someone-else' and has no PIN" in refused.output
    assert run("officer", "edit", "hung", "--os-user", "-", "--as", "minh", env=as_minh).exit_code == 0
    assert run("alert", "add", "--title", "Một cảnh báo", "--as", "hung").exit_code == 0
    own_pin = run("officer", "pin", "hung", "--as", "hung", env={"WATCHDESK_NEW_PIN": OTHER_PIN})
    assert own_pin.exit_code == 0, own_pin.output  # proved by the account


# -- the back-off -------------------------------------------------------------------------
def test_wrong_pins_back_off_doubling_up_to_five_minutes() -> None:
    assert [backoff_seconds(n) for n in range(1, 11)] == [0, 0, 5, 10, 20, 40, 80, 160, 300, 300]
    assert backoff_seconds(10_000) == 300


def test_the_back_off_holds_across_processes(rt: Runtime, staff: dict[str, Actor], clock: FakeClock, db_target: str) -> None:
    """One process guesses three times; another, with the right PIN, is refused until the wait
    ends; the audit log holds every wrong PIN and the back-off."""
    rt.db.dispose()
    at = clock.now().isoformat()

    def attempt(start: str, pins: list[str]) -> list[str]:
        results = SPAWN.Queue()
        proc = SPAWN.Process(target=identity_workers.try_pins, args=(db_target, start, "lan", pins, results))
        proc.start()
        outcomes = [results.get(timeout=120) for _ in pins]
        proc.join(120)
        assert proc.exitcode == 0
        return outcomes

    guesses = attempt(at, ["111111", "222222", "333333"])
    assert guesses[:2] == ["wrong PIN for 'lan'.", "wrong PIN for 'lan'."]
    assert guesses[2] == ("wrong PIN for 'lan'; 'lan' is locked for 5 s more after 3 wrong PINs; "
                          "a supervisor can lift it with 'watchdesk officer unlock lan'.")
    right_too_soon = attempt((clock.now() + timedelta(seconds=4)).isoformat(), [TEST_PIN])
    assert right_too_soon == ["'lan' is locked for 1 s more after 3 wrong PINs; a supervisor can lift it with 'watchdesk officer unlock lan'."]
    assert attempt((clock.now() + timedelta(seconds=5)).isoformat(), ["444444"])[0].startswith(
        "wrong PIN for 'lan'; 'lan' is locked for 10 s more after 4 wrong PINs")
    assert attempt((clock.now() + timedelta(seconds=15)).isoformat(), [TEST_PIN]) == ["signed in"]

    events = [e for e in audit.tail(rt.db, 50) if e.kind.startswith("officer.pin")]
    assert [e.kind for e in events] == ["officer.pin_failed"] * 3 + ["officer.pin_backoff", "officer.pin_failed", "officer.pin_failed",
                                                                      "officer.pin_backoff", "officer.pin_accepted"]
    assert events[3].payload == {"handle": "lan", "failures": 3, "seconds": 5}
    assert events[4].payload == {"handle": "lan", "where": "a test process", "failures": 3, "locked": True}
    assert events[-1].payload["after_failures"] == 4
    assert audit.verify(rt.db).ok


def test_guessing_side_by_side_gains_nothing(rt: Runtime, staff: dict[str, Actor], clock: FakeClock, db_target: str) -> None:
    """Six processes guess at the same moment: two tries are free, the third sets the back-off,
    and the other three meet it, whatever the order."""
    rt.db.dispose()
    barrier, results = SPAWN.Barrier(6), SPAWN.Queue()
    procs = [SPAWN.Process(target=identity_workers.try_pins, args=(db_target, clock.now().isoformat(), "lan", [f"{n:06d}"], results, barrier))
             for n in range(6)]
    for proc in procs:
        proc.start()
    outcomes = sorted(results.get(timeout=120) for _ in procs)
    for proc in procs:
        proc.join(120)
    checked = [o for o in outcomes if o.startswith("wrong PIN")]
    assert len(checked) == 3 and sum("after 3 wrong PINs" in o for o in checked) == 1
    assert [o for o in outcomes if o not in checked] == ["'lan' is locked for 5 s more after 3 wrong PINs; "
                                                         "a supervisor can lift it with 'watchdesk officer unlock lan'."] * 3
    assert [e.kind for e in audit.tail(rt.db, 20) if e.kind.startswith("officer.pin")].count("officer.pin_failed") == 6


@pytest.mark.sqlite_only  # the damage mark is a file beside the SQLite database
def test_a_database_stopped_after_damage_still_checks_pins(rt: Runtime, staff: dict[str, Actor]) -> None:
    """Writes are stopped, so no try can be counted: the PIN is still checked (and a running
    back-off honoured), so that a supervisor can run 'watchdesk db resume'."""
    from watchdesk.store import checkpoint

    assert rt.db.anchors is not None
    checkpoint.mark_damaged(rt.db.anchors, "a test", "the test", rt.now().isoformat())
    assert sign_in(rt, "minh", TEST_PIN).proof == "pin"
    with pytest.raises(PermissionDenied, match="wrong PIN for 'minh' [(]not counted: the database takes no writes"):
        sign_in(rt, "minh", "000000")
    checkpoint.clear_mark(rt.db.anchors)
    assert get_officer(rt, "minh").pin_failures == 0


def test_a_supervisor_lifts_the_back_off(rt: Runtime, staff: dict[str, Actor]) -> None:
    for pin in ("000001", "000002", "000003"):
        with pytest.raises(PermissionDenied):
            sign_in(rt, "lan", pin)
    with pytest.raises(PermissionDenied, match="'lan' is locked for 5 s more"):
        sign_in(rt, "lan", TEST_PIN)
    with pytest.raises(PermissionDenied, match="lan is a lead and may not edit officers"):
        unlock(rt, staff["lan"], "lan")
    unlock(rt, staff["minh"], "lan")
    assert sign_in(rt, "lan", TEST_PIN).proof == "pin"
    assert audit.tail(rt.db, 1)[0].kind == "officer.unlocked"


def test_a_supervisor_sees_wrong_pins_on_the_cli(run, desk) -> None:
    as_minh = {"WATCHDESK_PIN": TEST_PIN}
    assert run("officer", "add", "lan", "Trần Thị Lan", "--role", "lead", "--pin", OTHER_PIN, "--as", "minh", env=as_minh).exit_code == 0
    for _ in range(3):
        assert run("alert", "add", "--title", "Một cảnh báo", "--as", "lan", env={"WATCHDESK_PIN": "123456"}).exit_code == 2
    locked = run("alert", "add", "--title", "Một cảnh báo", "--as", "lan", env={"WATCHDESK_PIN": OTHER_PIN})
    assert locked.exit_code == 2 and "'lan' is locked for" in locked.output
    listed = {o["handle"]: o for o in json.loads(run("officer", "list", "--json").output)}
    assert listed["lan"]["pin_failures"] == 3 and listed["lan"]["locked_until"]
    assert "locked until" in run("officer", "list").output
    tail = run("log", "tail", "--kind", "officer.*").output
    assert tail.count("officer.pin_failed") == 4 and "officer.pin_backoff" in tail and "OS account" in tail
    assert run("officer", "unlock", "lan", "--as", "minh", env=as_minh).exit_code == 0
    assert run("alert", "add", "--title", "Một cảnh báo", "--as", "lan", env={"WATCHDESK_PIN": OTHER_PIN}).exit_code == 0
