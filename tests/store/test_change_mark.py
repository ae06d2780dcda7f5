"""The change mark: every write transaction that changed rows bumps it, a heartbeat does not."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from watchdesk.store import migrations
from watchdesk.store.db import Database


def mark(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT n FROM change_mark WHERE id = 1").fetchone()[0])


def test_writes_bump_the_mark_once_per_transaction_and_a_heartbeat_does_not(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    assert mark(db.path) == 0
    with db.write() as session:
        for key in ("a", "b", "c"):  # three rows, one transaction: one mark
            session.connection().exec_driver_sql(
                "INSERT INTO contact (key, name, phone, hotline, email, note, to_verify) VALUES (?, '', '', '', '', '', 0)", (key,))
    assert mark(db.path) == 1
    with db.write(mark=False) as session:
        session.connection().exec_driver_sql(
            "INSERT INTO runner (id, kind, started_at, heartbeat_at) VALUES ('h:1:serve', 'serve', '2026-02-17T00:00:00', '2026-02-17T00:00:00')")
    assert mark(db.path) == 1
    with db.write() as session:  # a transaction that changed nothing
        session.connection().exec_driver_sql("UPDATE contact SET name = 'x' WHERE key = 'nobody'")
    assert mark(db.path) == 1
    try:
        with db.write() as session:
            session.connection().exec_driver_sql("DELETE FROM contact WHERE key = 'a'")
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert mark(db.path) == 1  # a rolled-back change is no change
    db.dispose()


def test_a_version_5_database_gets_the_mark_on_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = Database(f"sqlite:///{path}", upgrade=False)
    with db.write_engine.begin() as conn:
        for migration in migrations.MIGRATIONS[: migrations.CHANGE_MARK - 1]:
            migrations.apply(conn, migration)
    db.dispose()
    old = Database(f"sqlite:///{path}", upgrade=False)
    with old.write() as session:  # the schema has no mark yet: writes still work
        session.connection().exec_driver_sql(
            "INSERT INTO contact (key, name, phone, hotline, email, note, to_verify) VALUES ('k', '', '', '', '', '', 0)")
    old.upgrade()
    with old.write() as session:
        session.connection().exec_driver_sql("UPDATE contact SET name = 'VNCERT' WHERE key = 'k'")
    assert mark(path) == 1
    old.dispose()
