"""The checkpoint file outside the database: where it is, what it holds, what it catches."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.reports.history import edit, lift_event_triggers
from watchdesk.store import audit, checkpoint
from watchdesk.store.audit import append_event
from watchdesk.store.db import Database, DatabaseDamaged, DatabaseError

T0 = datetime(2026, 2, 17, 2, 0, tzinfo=timezone.utc)


def _db(url: str, events: int = 50) -> Database:
    db = Database(url)
    db.anchors = checkpoint.anchors_for("", db.path, db.url)
    _append(db, events)
    return db


def _append(db: Database, n: int, actor: str = "lan") -> None:
    with db.write() as session:
        for i in range(n):
            append_event(session, T0 + timedelta(seconds=i), actor, "test.event", "alert", i, {"i": i})


def _cut(db: Database, above: int) -> None:
    """An intruder (or a lost WAL) removes the tail."""
    lift_event_triggers(db)
    edit(db, "DELETE FROM event WHERE seq > :above", above=above)


def test_one_file_per_database_in_the_state_folder(tmp_path: Path) -> None:
    a = checkpoint.anchors_for("", tmp_path / "a" / "watchdesk.db")
    b = checkpoint.anchors_for("", tmp_path / "b" / "watchdesk.db")
    assert a is not None and b is not None
    assert a.checkpoints.parent == tmp_path / "xdg-state" / "watchdesk" / "checkpoints"
    assert a.checkpoints != b.checkpoints and a.checkpoints.name.startswith("watchdesk-")
    assert a.mark == a.checkpoints.with_name(a.checkpoints.name + ".damaged")
    chosen = checkpoint.anchors_for(str(tmp_path / "off-box" / "anchors.jsonl"), tmp_path / "a" / "watchdesk.db")
    assert chosen is not None and chosen.checkpoints == tmp_path / "off-box" / "anchors.jsonl"
    assert checkpoint.anchors_for("", None) is None
    on_pg = checkpoint.anchors_for("", None, "postgresql://desk:s3cret@db1.soc.local:5432/watch")
    assert on_pg is not None and on_pg.checkpoints.parent == a.checkpoints.parent
    assert on_pg.checkpoints.name.startswith("db1.soc.local-watch-") and on_pg.database == "postgresql://desk@db1.soc.local:5432/watch"
    assert "s3cret" not in str(on_pg)


def test_anchors_append_and_the_latest_of_this_database_wins(db_url: str, tmp_path: Path) -> None:
    db = _db(db_url)
    first = checkpoint.anchor(db, db.anchors, "first")
    assert first is not None and first.seq == 50
    assert checkpoint.anchor(db, db.anchors, "again") is None  # the log did not move
    _append(db, 5)
    assert checkpoint.anchor(db, db.anchors, "moved", every=10) is None  # not far enough yet
    second = checkpoint.anchor(db, db.anchors, "moved")
    assert second is not None and second.seq == 55
    # Another database's line, and a torn last line, are both passed over.
    with db.anchors.checkpoints.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"seq": 999, "hash": "00", "db": "/elsewhere.db"}) + "\n")
        f.write('{"seq": 77, "hash": "ab", "db": ')
    latest = checkpoint.latest(db.anchors)
    assert latest is not None and (latest.seq, latest.hash, latest.why) == (55, second.hash, "moved")
    lines = db.anchors.checkpoints.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["seq"] for x in lines[:2]] == [50, 55]  # nothing rewritten, only appended


def test_verify_checks_the_latest_checkpoint_by_default(db_url: str, tmp_path: Path) -> None:
    db = _db(db_url)
    checkpoint.anchor(db, db.anchors, "engine")
    ok = audit.verify(db)
    assert ok.ok and ok.anchor_seq == 50 and "reaches the checkpoint at seq 50" in ok.sentence()
    _cut(db, 40)
    result = audit.verify(db)
    assert not result.ok and result.bad_seq == 41
    assert "ends at seq 40 but the checkpoint saw seq 50" in result.sentence()
    assert audit.verify(db, None).ok  # without the anchor the clean cut is invisible: why it is kept


def test_a_rechained_log_is_caught_against_the_file(db_url: str, tmp_path: Path) -> None:
    db = _db(db_url)
    checkpoint.anchor(db, db.anchors, "engine")
    _cut(db, 30)
    _append(db, 40, actor="forger")  # a new chain past the anchor's seq
    result = audit.verify(db)
    assert not result.ok and result.bad_seq == 50 and "rewritten" in result.reason


def test_no_anchor_is_written_over_a_log_that_lost_its_tail(db_url: str, tmp_path: Path) -> None:
    db = _db(db_url)
    checkpoint.anchor(db, db.anchors, "engine")
    _cut(db, 45)
    _append(db, 10)  # the log moves on past the old anchor's seq, on another chain
    with pytest.raises(DatabaseDamaged, match="no longer holds its checkpoint"):
        checkpoint.anchor(db, db.anchors, "engine")
    assert checkpoint.latest(db.anchors).seq == 50  # type: ignore[union-attr]


def test_the_damage_mark_stops_writes_until_it_is_lifted(db_url: str, tmp_path: Path) -> None:
    db = _db(db_url, events=3)
    checkpoint.mark_damaged(db.anchors, f"{db.where}: SQLite's integrity check failed: page 7", "host:1:serve", "2026-02-17 02:00:00.000000")
    with pytest.raises(DatabaseDamaged) as caught:
        _append(db, 1)
    sentence = str(caught.value)
    assert sentence.startswith(f"{db.where}: writes are stopped because the database was found damaged (found by host:1:serve")
    assert "page 7" in sentence and "'watchdesk db check'" in sentence
    assert checkpoint.clear_mark(db.anchors)
    _append(db, 1)
    assert audit.head(db).seq == 4  # type: ignore[union-attr]


def test_an_unwritable_checkpoint_folder_is_one_sentence(db_url: str, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    db = _db(db_url, events=2)
    db.anchors = checkpoint.anchors_for(str(blocker / "anchors.jsonl"), db.path, db.url)
    with pytest.raises(DatabaseError) as caught:
        checkpoint.anchor(db, db.anchors, "engine")
    assert str(caught.value) == (f"{blocker / 'anchors.jsonl'}: cannot read the audit checkpoints (Not a directory); "
                                 "check the path and its permissions, or set [audit] checkpoint_file.")
    with pytest.raises(DatabaseError) as caught:
        checkpoint.append(db.anchors, 2, "ab", "2026-02-17", "engine")
    assert str(caught.value).startswith(f"{blocker / 'anchors.jsonl'}: cannot write the audit checkpoint (")
    assert "set [audit] checkpoint_file" in str(caught.value)


def test_db_check_and_resume_read_the_checkpoint_on_either_backend(rt, staff, tmp_path: Path) -> None:  # noqa: ANN001
    """`db check` checks the chain against this machine's checkpoint file (on PostgreSQL too, where
    the server checks its own pages); a cut log fails it, and a supervisor's `db resume` accepts the loss."""
    from click.testing import CliRunner

    from tests.conftest import TEST_PIN
    from tests.reports.history import cli_database
    from watchdesk.cli import cli

    _append(rt.db, 5)
    checkpoint.anchor(rt.db, rt.db.anchors, "engine")
    where = cli_database(rt, tmp_path)

    def run(*args: str):  # noqa: ANN202
        return CliRunner().invoke(cli, [*where, *args], env={"WATCHDESK_PIN": TEST_PIN}, catch_exceptions=False)

    clean = run("db", "check")
    assert clean.exit_code == 0, clean.output
    assert ("PostgreSQL checks its own pages" in clean.output) == (not rt.db.is_sqlite)
    assert "reaches the checkpoint" in clean.output and "None" not in clean.output
    _cut(rt.db, 2)
    cut = run("db", "check")
    assert cut.exit_code == 1 and "checkpoint saw seq" in cut.output and f"{rt.db.where} is NOT sound" in cut.output
    resumed = run("db", "resume", "--as", "minh")
    assert resumed.exit_code == 0, resumed.output
    assert run("db", "check").exit_code == 0
