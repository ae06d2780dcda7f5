"""`watchdesk backup`: finishes under a sustained writer, never leaves a partial file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from watchdesk.cli import cli
from watchdesk.store import audit
from watchdesk.store.audit import append_events_bulk
from watchdesk.store.backup import backup
from watchdesk.store.db import Database, DatabaseError, DiskFull

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 2, 17, tzinfo=timezone.utc)


def _big(path: Path, events: int = 20_000) -> Database:
    """A database of a few thousand pages (more than the old 1,024-page step)."""
    db = Database(f"sqlite:///{path}")
    conn = db.raw()
    conn.execute("BEGIN IMMEDIATE")
    append_events_bulk(conn, ((T0, "lan", "test.bulk", "alert", str(i), {"i": i, "pad": "nhật ký ca trực " * 12}) for i in range(events)))
    conn.execute("COMMIT")
    conn.close()
    return db


def test_backup_finishes_while_another_process_keeps_writing(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    db = _big(path, 100_000)  # ~15,000 pages: in 1,024-page steps, the old backup never finished in 60 s
    writer = subprocess.Popen([sys.executable, "-m", "tests.support.appender", str(path), "1000000", "writer"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        start = audit.head(db).seq  # type: ignore[union-attr]
        while audit.head(db).seq < start + 20:  # type: ignore[union-attr]
            pass  # the writer is really writing
        outcome: dict[str, object] = {}
        worker = threading.Thread(target=lambda: outcome.update(done=backup(db, tmp_path / "copy.db")), daemon=True)
        worker.start()
        worker.join(300)  # a liveness bound, not a speed target: small steps restarted forever here
        assert "done" in outcome, "the backup did not finish while the writer ran"
        assert writer.poll() is None  # it finished UNDER the writer, not after it
        moved = audit.head(db).seq  # type: ignore[union-attr]
    finally:
        writer.kill()
        writer.wait()
    assert moved > start + 20
    copy = Database(f"sqlite:///{tmp_path / 'copy.db'}", upgrade=False)
    result = audit.verify(copy, None)
    assert result.ok and result.count >= 100_000, result.sentence()
    assert result.count == outcome["done"].head_seq  # type: ignore[attr-defined]
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name] == []


def test_an_existing_target_is_refused_and_left_alone(tmp_path: Path) -> None:
    db = _big(tmp_path / "live.db", 10)
    target = tmp_path / "backup.db"
    target.write_text("yesterday's backup", encoding="utf-8")
    with pytest.raises(DatabaseError, match="already exists; choose a new file name"):
        backup(db, target)
    assert target.read_text(encoding="utf-8") == "yesterday's backup"


def test_a_target_that_appears_during_the_copy_is_not_overwritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = _big(tmp_path / "live.db", 10)
    target = tmp_path / "backup.db"
    real_connect = sqlite3.connect

    def connect_then_race(name, *args, **kwargs):  # noqa: ANN001, ANN202 - sqlite3.connect's signature
        if str(name).endswith(f".partial-{os.getpid()}"):
            target.write_text("another backup, written meanwhile", encoding="utf-8")
        return real_connect(name, *args, **kwargs)

    monkeypatch.setattr("watchdesk.store.backup.sqlite3.connect", connect_then_race)
    with pytest.raises(DatabaseError, match="already exists"):
        backup(db, target)
    assert target.read_text(encoding="utf-8") == "another backup, written meanwhile"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


@pytest.fixture
def full_folder(tmp_path: Path):
    """A 512 KiB tmpfs (needs root); the backup of a bigger database cannot fit."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)  # lazy: detached even if a file is still open


def test_a_full_target_disk_is_one_sentence_and_leaves_no_file(tmp_path: Path, full_folder: Path) -> None:
    db = _big(tmp_path / "live.db")
    target = full_folder / "backup.db"
    with pytest.raises(DiskFull) as caught:
        backup(db, target)
    assert str(caught.value) == (
        f"{target}: the disk is full, so the backup was not written (no partial file was left); "
        "free space there or choose a folder on another disk."
    )
    assert list(full_folder.iterdir()) == []
    # The CLI says the same in one line, exit 2, and a retry elsewhere works at once.
    out = CliRunner().invoke(cli, ["--db", str(db.path), "backup", str(target)])
    assert out.exit_code == 2 and out.output.strip().splitlines() == [f"watchdesk: {caught.value}"]
    assert list(full_folder.iterdir()) == []
    again = CliRunner().invoke(cli, ["--db", str(db.path), "backup", str(tmp_path / "backup.db")])
    assert again.exit_code == 0 and again.output.startswith(f"backup written to {tmp_path / 'backup.db'} (")
