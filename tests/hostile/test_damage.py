"""A damaged database file: what the user sees (SQLite-file cases).

Truncated, overwritten pages, a deleted -wal, a full disk, a hand-edited time column: every
command ends in one sentence naming the file and what to do (never a traceback); `serve` and
the desk find the damage when they start, stop writing, and raise it on the channels directly.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import event

from watchdesk.cli import cli
from watchdesk.config import Config, parse_config
from watchdesk.engine import Engine
from watchdesk.reports.acks import render
from watchdesk.reports.handover import render as render_handover
from watchdesk.services import lifecycle
from watchdesk.services.handover import get_handover, sign_out
from watchdesk.services.reports import ack_report, date_window, make_proof
from watchdesk.store import checkpoint
from watchdesk.store.db import Database, DatabaseDamaged, DiskFull

from tests.handover.test_handover import night  # noqa: F401 - a fixture: hung's night shift with three alerts
from tests.reports.history import duty, edit, lift_event_triggers, local, new_alert
from tests.tui.conftest import desk_rt, make_desk  # noqa: F401 - fixtures: the seeded demo desk

ROOT = Path(__file__).resolve().parents[2]


# -- a webhook on 127.0.0.1 that records what reaches it ----------------------------------------
class Hook:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length", 0))
                hook.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.server.shutdown()


@pytest.fixture
def config(hook: Hook) -> Config:
    return parse_config({"channels": {"ops": {"type": "webhook", "url": hook.url, "format": "json", "timeout": "5s"}}})


def run(db_path: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--db", str(db_path), *args])


def one_sentence(result: Any) -> str:
    """The whole output is one line (no traceback); returns it."""
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return lines[0]


def busy_desk(rt: Any, clock: Any, staff: Any, alerts: int = 30) -> list[int]:
    L = lambda t: local(rt, t)  # noqa: E731
    duty(rt, "hung", 1, L("2026-02-16 19:00"), L("2026-02-17 07:00"))
    ids = []
    for i in range(alerts):
        ids.append(new_alert(rt, clock, L("2026-02-16 20:00") + i * (L("2026-02-16 20:01") - L("2026-02-16 20:00")),
                             f"Cảnh báo lỗ hổng {i} " + "chi tiết " * 40, "high"))
    return ids


def event_root_page(db_path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db_path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'event'").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return root, size


def overwrite(db_path: Path, offset: int, length: int) -> None:
    with db_path.open("r+b") as f:
        f.seek(offset)
        f.write(os.urandom(length))


# -- truncated ---------------------------------------------------------------------------------
@pytest.mark.sqlite_only  # pages of SQLite's file overwritten or cut
def test_a_truncated_file_is_one_sentence_for_every_command_and_serve(rt, clock, staff, db_path, tmp_path, hook):
    busy_desk(rt, clock, staff)
    rt.db.dispose()
    event_root_page(db_path)  # everything in the main file
    os.truncate(db_path, db_path.stat().st_size // 2)
    damaged = f"watchdesk: {db_path}: the database file is damaged (database disk image is malformed); stop every desk"
    for args in (["alert", "list"], ["log", "verify"], ["tick"], ["report", "acks", "--from", "2026-02-16", "--to", "2026-02-17"],
                 ["backup", str(tmp_path / "b.db")], ["alert", "add", "--title", "x", "--as", "minh"]):
        result = run(db_path, *args)
        assert result.exit_code == 2, (args, result.output)
        assert one_sentence(result).startswith(damaged), (args, result.output)
    assert not (tmp_path / "b.db").exists()
    check = run(db_path, "db", "check")
    assert check.exit_code == 1 and "Traceback" not in check.output
    assert check.output.startswith(f"FAIL  {db_path}: SQLite's integrity check failed: ")
    # serve cannot even open it: it says so, and raises it on the channels that need no address.
    toml = tmp_path / "watchdesk.toml"
    toml.write_text(f'[channels.ops]\ntype = "webhook"\nurl = "{hook.url}"\nformat = "json"\n', encoding="utf-8")
    serve = subprocess.run([sys.executable, "-m", "watchdesk", "--config", str(toml), "--db", str(db_path), "serve"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert serve.returncode == 2 and "Traceback" not in serve.stderr
    assert serve.stderr.strip().splitlines()[-1].startswith(damaged)
    assert [b["subject"] for b in hook.bodies] == ["watchdesk: DATABASE DAMAGED — escalation stopped"]
    assert "watchdesk cannot open its database, so nothing escalates" in hook.bodies[0]["text"]


# -- overwritten pages ---------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["the event table's root page", "8 KiB of random bytes in the middle"])
@pytest.mark.sqlite_only  # pages of SQLite's file overwritten or cut
def test_overwritten_pages_stop_serve_and_raise_the_alarm_directly(rt, clock, staff, db_path, hook, where):
    busy_desk(rt, clock, staff)
    rt.db.dispose()
    root, size = event_root_page(db_path)
    if where.startswith("the event"):
        overwrite(db_path, (root - 1) * size, size)
        verify = run(db_path, "log", "verify")
        assert verify.exit_code == 1
        assert "the database file cannot be read there (database disk image is malformed)" in one_sentence(verify)
        report = run(db_path, "report", "acks", "--from", "2026-02-16", "--to", "2026-02-17")
        assert report.exit_code == 2, report.output
        assert one_sentence(report).startswith(f"watchdesk: {db_path}: the database file is damaged (database disk image is malformed)")
    else:
        overwrite(db_path, db_path.stat().st_size // size // 2 * size, 8192)  # two whole mid-file pages (data pages in this layout; an overwritten schema page would stop even the open)
    engine = Engine(rt, kind="serve")
    with pytest.raises(DatabaseDamaged) as caught:
        engine.tick()
    sentence = str(caught.value)
    assert sentence.startswith(f"{db_path}: SQLite's integrity check failed: ") and sentence.endswith("watchdesk stopped writing to it")
    # Sent directly on the webhook (the outbox is inside the damaged file), once.
    assert len(hook.bodies) == 1 and hook.bodies[0]["subject"] == "watchdesk: DATABASE DAMAGED — escalation stopped"
    assert sentence in hook.bodies[0]["text"] and "restore the latest backup" in hook.bodies[0]["text"]
    with pytest.raises(DatabaseDamaged):
        engine.tick()  # stays stopped
    assert len(hook.bodies) == 1
    engine.close()
    # Every other process now refuses to write, in one sentence, until `db check` passes.
    added = run(db_path, "alert", "add", "--title", "x", "--as", "minh")
    assert added.exit_code == 2
    # Either the mark stops it, or (pages overwritten where this command reads first) the damage
    # itself is met: both are one sentence naming the file, and nothing is written.
    assert one_sentence(added).startswith((f"watchdesk: {db_path}: writes are stopped because the database was found damaged (found by ",
                                           f"watchdesk: {db_path}: the database file is damaged"))
    check = run(db_path, "db", "check")
    assert check.exit_code == 1 and "FAIL  " in check.output and "note  writes are stopped" in check.output
    assert rt.db.anchors.mark.exists()


@pytest.mark.sqlite_only  # pages of SQLite's file overwritten or cut
def test_damage_met_while_running_is_checked_and_stops_the_engine(rt, clock, staff, db_path, hook):
    busy_desk(rt, clock, staff)
    engine = Engine(rt, kind="serve")
    assert engine.tick().errors == ()  # the start-up check passed
    rt.db.dispose()
    root, size = event_root_page(db_path)
    overwrite(db_path, (root - 1) * size, size)
    with pytest.raises(DatabaseDamaged, match="SQLite's integrity check failed"):
        engine.tick()  # a phase met the bad page; the check confirmed it
    assert len(hook.bodies) == 1 and rt.db.anchors.mark.exists()
    engine.close()


def test_a_later_start_does_not_ring_again_but_stays_stopped(rt, clock, staff, db_path, hook):
    busy_desk(rt, clock, staff, alerts=3)
    checkpoint.mark_damaged(rt.db.anchors, f"{db_path}: SQLite's integrity check failed: page 9", "host:1:desk", "2026-02-17 02:00:00.000000")
    with pytest.raises(DatabaseDamaged, match="found by host:1:desk"):
        Engine(rt, kind="serve").tick()
    assert hook.bodies == []  # the desk that found it raised the alarm


# -- a deleted -wal ---------------------------------------------------------------------------------
WRITER = """
import sys, time
from watchdesk.config import parse_config
from watchdesk.engine import Engine
from watchdesk.services import lifecycle
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.officers import sign_in
from watchdesk.services.runtime import open_runtime
rt = open_runtime(parse_config({}), db_path=sys.argv[1])
ids = []
for i in range(3):
    with rt.db.write() as s:
        row, _ = raise_alert(s, rt.now(), source_key="manual", dedup_key=f"late:{i}", title=f"late {i}", severity="high")
        ids.append(row.id)
lifecycle.acknowledge(rt, sign_in(rt, "minh", "246810"), ids[0])
Engine(rt, kind="serve").tick()  # the cycle anchors the head in the checkpoint file
print("ready", flush=True)
time.sleep(600)
"""


def test_a_deleted_wal_is_caught_by_the_automatic_checkpoint(tmp_path, db_path):
    # Another process (one in this one would keep the file's -shm mapped after it is deleted).
    subprocess.run([sys.executable, "-m", "watchdesk", "--db", str(db_path), "init", "--handle", "minh", "--name", "Minh"],
                   cwd=ROOT, check=True, capture_output=True)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    os.kill(writer.pid, signal.SIGKILL)  # the machine dies; its -wal holds the last transactions
    writer.wait()
    assert Path(f"{db_path}-wal").stat().st_size > 0
    Path(f"{db_path}-wal").unlink()
    Path(f"{db_path}-shm").unlink()
    listed = run(db_path, "alert", "list", "--json")
    assert listed.exit_code == 0 and json.loads(listed.output) == [], listed.output  # three alerts and an acknowledgment gone
    verify = run(db_path, "log", "verify")
    assert verify.exit_code == 1
    line = one_sentence(verify)
    assert line.startswith("audit log BROKEN at seq 5: the log ends at seq 4 but the checkpoint saw seq ") and "deleted -wal" in line
    check = run(db_path, "db", "check")
    assert check.exit_code == 1 and "ok    " in check.output.splitlines()[0]  # SQLite finds nothing: only the anchor can
    # A supervisor accepts the loss; it is written into the log, and the desk writes again.
    resumed = run(db_path, "db", "resume", "--as", "minh")
    assert resumed.exit_code == 0 and "accepted the loss (the log ends at seq 4" in resumed.output
    assert run(db_path, "log", "verify").exit_code == 0
    tail = json.loads(run(db_path, "log", "tail", "-n", "1", "--json").output)
    assert tail[0]["kind"] == "db.resumed" and tail[0]["payload"]["lost"].startswith("the log ends at seq 4")


def test_serve_finds_a_lost_tail_when_it_starts(rt, clock, staff, hook):
    busy_desk(rt, clock, staff, alerts=2)
    Engine(rt, kind="serve").close()  # an engine stopping anchors the head
    lift_event_triggers(rt)
    edit(rt, "DELETE FROM event WHERE seq > 3")
    with pytest.raises(DatabaseDamaged, match="the audit log no longer holds its checkpoint: the log ends at seq 3"):
        Engine(rt, kind="serve").tick()
    assert len(hook.bodies) == 1


# -- a full disk --------------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Any]]:
    """(folder, fill): a 4 MiB tmpfs and a filler when root may mount one; else a write hook in
    every connection (PRAGMA max_page_count at the current size) raising SQLITE_FULL."""
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True).returncode == 0

    def fill(db: Database) -> None:
        if mounted:
            with (mount / "filler").open("wb") as f:
                try:
                    while True:
                        f.write(b"\0" * 65536)
                except OSError:
                    pass
            return
        def cap(conn: Any, _record: Any = None) -> None:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")

        original = Database._on_connect

        def capped(self: Database, conn: Any, record: Any) -> None:
            original(self, conn, record)
            cap(conn)

        event.listen(db.engine, "connect", cap)  # this database's next connections
        monkeypatch.setattr(Database, "_on_connect", capped)  # and every Database opened from now on

    yield mount, fill
    if mounted:
        subprocess.run(["umount", "-l", str(mount)], check=False)  # lazy: detached even if a file is still open


def test_a_full_disk_is_one_sentence_and_raised_once(small_disk, clock, hook, config):
    from watchdesk.services.officers import bootstrap_supervisor
    from watchdesk.services.runtime import open_runtime

    folder, fill = small_disk
    path = folder / "w.db"
    rt = open_runtime(config, db_path=str(path), clock=clock)
    try:
        bootstrap_supervisor(rt, "minh", "Minh", "246810")
        keeper = rt.db.raw()  # keeps the -wal and -shm in place, as a running desk does
        rt.db.dispose()  # new connections from here on (the write hook, if used, applies to them)
        fill(rt.db)
        full = f"{path}: the disk is full and nothing was written (database or disk is full); free space on that disk, then try again."
        with pytest.raises(DiskFull) as caught:
            new_alert(rt, clock, clock.now(), "x" * 4000 + " chi tiết" * 2000)
        assert str(caught.value) == full
        added = run(path, "alert", "add", "--title", "y" * 300, "--summary", "chi tiết " * 1500, "--as", "minh")
        assert added.exit_code == 2 and one_sentence(added) == f"watchdesk: {full}"
        # The engine raises it on the channels (no page can be queued), once, and keeps going.
        engine = Engine(rt, kind="serve")
        engine.damage.seen(caught.value)
        engine.damage.seen(caught.value)
        assert [b["subject"] for b in hook.bodies] == ["watchdesk: the disk is full — no page can be queued"]
        assert full in hook.bodies[0]["text"]
        assert engine.damage.found is None  # a full disk stops nothing: the next cycle may find space
        keeper.close()
    finally:
        rt.db.dispose()


# -- the report's figures against the chain ------------------------------------------------------------
def test_a_hand_edited_first_acked_at_is_named_by_the_report(rt, clock, staff, db_target):
    L = lambda t: local(rt, t)  # noqa: E731
    duty(rt, "hung", 1, L("2026-02-16 19:00"), L("2026-02-17 07:00"))
    a = new_alert(rt, clock, L("2026-02-16 20:00"), "A Fortinet", "high")
    b = new_alert(rt, clock, L("2026-02-16 21:00"), "B Ivanti", "high")
    clock.set(L("2026-02-16 20:10"))
    lifecycle.acknowledge(rt, staff["hung"], a)
    clock.set(L("2026-02-16 21:25"))
    lifecycle.acknowledge(rt, staff["hung"], b)
    clock.set(L("2026-02-16 21:40"))
    lifecycle.resolve(rt, staff["hung"], a, "đã vá")
    start, end, name = date_window(rt, "2026-02-16", "2026-02-17")
    honest = ack_report(rt, start, end, name)
    assert honest.proof.ok and honest.proof.figures_checked
    assert honest.proof.first_line().endswith("; the report's times agree with it.")
    edit(rt, "UPDATE alert SET first_acked_at = substr(received_at, 1, 17) || '04' || substr(received_at, 20), "
             "ack_us = 240000000 WHERE id = :id", id=b)
    report = ack_report(rt, start, end, name)
    assert report.overall.mean is not None and report.overall.mean < honest.overall.mean  # the edit flatters the figures …
    assert not report.proof.ok and report.proof.bad_seq is None and report.proof.disagree_count == 1  # … and is named
    assert report.proof.disagree[0].startswith(f"#{b}: first_acked_at is ") and "the log's first acknowledgment is at" in report.proof.disagree[0]
    for fmt in ("md", "html", "csv", "json"):
        first = render(report, fmt).splitlines()[0]
        assert f"1 alert has times that disagree with the audit log (#{b})" in first, (fmt, first)
    data = json.loads(render(report, "json"))
    assert data["proof"]["disagreeing_alerts"] == list(report.proof.disagree)
    out = run(db_target, "report", "acks", "--from", "2026-02-16", "--to", "2026-02-17", "--format", "md")
    assert out.exit_code == 1 and f"(#{b})" in out.output.splitlines()[0]


def test_a_hand_edited_resolved_at_is_named_too(rt, clock, staff):
    L = lambda t: local(rt, t)  # noqa: E731
    duty(rt, "hung", 1, L("2026-02-16 19:00"), L("2026-02-17 07:00"))
    a = new_alert(rt, clock, L("2026-02-16 20:00"), "A", "high")
    clock.set(L("2026-02-16 20:03"))
    lifecycle.resolve(rt, staff["hung"], a, "không ảnh hưởng")  # resolving acknowledges it too
    edit(rt, "UPDATE alert SET resolved_at = NULL, state = 'acknowledged' WHERE id = :id", id=a)
    edit(rt, "UPDATE alert SET resolved_at = first_acked_at WHERE id = :id", id=a)
    edit(rt, "UPDATE alert SET snoozed_us = 100, ack_us = ack_us - 100 WHERE id = :id", id=a)  # consistent: no event to hold it against
    start, end, name = date_window(rt, "2026-02-16", "2026-02-17")
    assert ack_report(rt, start, end, name).proof.ok  # resolved_at unchanged in value; the implicit ack holds
    edit(rt, "UPDATE alert SET resolved_at = substr(resolved_at, 1, 14) || '59' || substr(resolved_at, 17) WHERE id = :id", id=a)
    proof = ack_report(rt, start, end, name).proof
    assert proof.disagree == (f"#{a}: resolved_at is {proof.disagree[0].split('resolved_at is ')[1].split(' but')[0]} "
                              f"but the log's resolution is at 2026-02-16 13:03:00.000000",)


def test_an_alert_the_system_cleared_agrees_with_its_event(rt, clock, staff):
    """A clearance (`alert.cleared`, by the system) sets resolved_at too: it is not a disagreement."""
    from watchdesk.services.clearing import clear_by_system

    L = lambda t: local(rt, t)  # noqa: E731
    a = new_alert(rt, clock, L("2026-02-16 20:00"), "roll call: nobody checked in", "high")
    clock.set(L("2026-02-16 20:04"))
    with rt.db.write() as session:
        assert clear_by_system(session, clock.now(), a, "thu checked in at 20:04")
    start, end, name = date_window(rt, "2026-02-16", "2026-02-17")
    proof = ack_report(rt, start, end, name).proof
    assert proof.ok and proof.figures_checked and proof.disagree == ()


# -- the handover record carries its checkpoint -------------------------------------------------------
def test_signing_a_handover_anchors_the_log_and_the_record_prints_it(rt, clock, staff, night):  # noqa: F811
    clock.set(local(rt, "2026-02-17 06:55"))
    signed = sign_out(rt, staff["hung"], "ghi chú")
    last = checkpoint.latest(rt.db.anchors)
    assert last is not None and last.why == f"handover #{signed.id} signed"
    md = render_handover(get_handover(rt, signed.shift_id), make_proof(rt), rt.zone.key, "md")
    assert f"Audit checkpoint: seq {last.seq}, hash {last.hash} (handover #{signed.id} signed" in md
    assert str(rt.db.anchors.checkpoints) in md


# -- the desk ------------------------------------------------------------------------------------------
@pytest.mark.sqlite_only  # pages of SQLite's file overwritten or cut
async def test_the_desk_finds_damage_stops_its_engine_and_its_verify_says_so(desk_rt, make_desk, db_path, hook):  # noqa: F811
    from tests.tui.conftest import settle, wait_until
    from tests.tui.screen_text import screen_text

    desk_rt.db.dispose()
    root, size = event_root_page(db_path)
    overwrite(db_path, (root - 1) * size, size)
    app = make_desk(run_engine=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, app)
        # The engine's first cycle checks the file: the header says why it stopped, the channels hear it.
        assert await wait_until(pilot, lambda: "integrity check failed" in app.engine_note, timeout=20)
        assert desk_rt.db.anchors.mark.exists()
        assert len(hook.bodies) == 1 and "DATABASE DAMAGED" in hook.bodies[0]["subject"]
        # Verifying the log ends (it used to spin forever) and names the damage.
        await pilot.press("ctrl+p", *"verify")
        assert await wait_until(pilot, lambda: "Verify the audit log" in screen_text(app))
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: "cannot be read there" in screen_text(app), timeout=20)
    assert len(hook.bodies) == 1  # later cycles stay stopped without ringing again
