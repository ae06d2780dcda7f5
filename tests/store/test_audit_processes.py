"""Real processes against one database file: concurrent appends, kill -9, backups during writes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from watchdesk.store import audit
from watchdesk.store.backup import backup
from watchdesk.store.db import Database

ROOT = Path(__file__).resolve().parents[2]


def spawn(db: Path, count: int, tag: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.appender", str(db), str(count), tag],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_twelve_processes_appending_leave_a_gapless_chain(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    Database(f"sqlite:///{path}")  # create the schema once
    procs = [spawn(path, 40, f"w{i}") for i in range(12)]
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    db = Database(f"sqlite:///{path}")
    result = audit.verify(db)
    assert result.ok, result.sentence()
    assert result.count == 12 * 40
    conn = sqlite3.connect(path)
    seqs = [r[0] for r in conn.execute("SELECT seq FROM event ORDER BY seq")]
    assert seqs == list(range(1, 481))
    per_writer = dict(conn.execute("SELECT actor, count(*) FROM event GROUP BY actor").fetchall())
    assert per_writer == {f"w{i}": 40 for i in range(12)}


def test_kill_9_mid_burst_leaves_a_sound_database(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    Database(f"sqlite:///{path}")
    victim = spawn(path, 100_000, "victim")
    assert victim.stdout is not None
    assert victim.stdout.readline().strip() == "ready"
    # Wait until it is really writing, then kill it without warning.
    conn = sqlite3.connect(path, timeout=30)
    while conn.execute("SELECT count(*) FROM event").fetchone()[0] < 200:
        pass
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    conn.close()

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    db = Database(f"sqlite:///{path}")
    before = audit.verify(db)
    assert before.ok, before.sentence()
    # The desk carries on: new events extend the chain.
    survivor = spawn(path, 10, "after")
    survivor.communicate(timeout=60)
    after = audit.verify(db)
    assert after.ok and after.count == before.count + 10


def test_backup_taken_during_writes_opens_and_verifies(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    Database(f"sqlite:///{path}")
    writers = [spawn(path, 300, f"w{i}") for i in range(2)]
    for w in writers:
        assert w.stdout is not None and w.stdout.readline().strip() == "ready"
    db = Database(f"sqlite:///{path}")
    copies = []
    for n in range(3):
        target = tmp_path / f"backup-{n}.db"
        backup(db, target)
        copies.append(target)
    for w in writers:
        w.communicate(timeout=120)
    for target in copies:
        conn = sqlite3.connect(target)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        result = audit.verify(Database(f"sqlite:///{target}"))
        assert result.ok, result.sentence()
    assert audit.verify(db).count == 600
