"""The change mark: moved by every change to a table a screen shows, whoever writes it; not by
an engine's heartbeat, a write that changed nothing, or a rollback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from watchdesk.store import migrations
from watchdesk.store.db import Database

CONTACT = "INSERT INTO contact (key, name, phone, hotline, email, note, to_verify) VALUES (?, '', '', '', '', '', 0)"


def mark(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT n FROM change_mark WHERE id = 1").fetchone()[0])


def test_changes_move_the_mark_and_a_heartbeat_does_not(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    assert mark(db.path) == 0
    with db.write() as session:
        for key in ("a", "b", "c"):
            session.connection().exec_driver_sql(CONTACT, (key,))
    moved = mark(db.path)
    assert moved > 0
    with db.write() as session:  # what an engine writes every tick
        session.connection().exec_driver_sql(
            "INSERT INTO runner (id, kind, started_at, heartbeat_at) VALUES ('h:1:serve', 'serve', '2026-02-17T00:00:00', '2026-02-17T00:00:00')")
        session.connection().exec_driver_sql("UPDATE runner SET heartbeat_at = '2026-02-17T00:00:01'")
    with db.write() as session:  # a write that matched nothing
        session.connection().exec_driver_sql("UPDATE contact SET name = 'x' WHERE key = 'nobody'")
    try:
        with db.write() as session:
            session.connection().exec_driver_sql("DELETE FROM contact WHERE key = 'a'")
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert mark(db.path) == moved
    # Another tool (the sqlite3 shell, an older watchdesk) changing a row moves it too.
    with sqlite3.connect(db.path) as other:
        other.execute("UPDATE contact SET name = 'VNCERT' WHERE key = 'b'")
    assert mark(db.path) > moved
    db.dispose()


def test_every_table_a_screen_shows_has_the_triggers(tmp_path: Path) -> None:
    """A table added later without change-mark triggers (or a place in UNMARKED_TABLES) fails here."""
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    with sqlite3.connect(db.path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}
        triggers = {(r[0], r[1]) for r in conn.execute("SELECT tbl_name, sql FROM sqlite_master WHERE type='trigger'")}
    marked = {t for t, sql in triggers if "change_mark" in sql}
    assert tables - migrations.UNMARKED_TABLES == marked
    for table in marked:
        ops = {op for t, sql in triggers if t == table and "change_mark" in sql for op in ("INSERT", "UPDATE", "DELETE") if f"AFTER {op}" in sql}
        assert ops == {"INSERT", "UPDATE", "DELETE"}, table
    db.dispose()


def test_a_version_5_database_gets_the_mark_on_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = Database(f"sqlite:///{path}", upgrade=False)
    with db.write_engine.begin() as conn:
        for migration in migrations.MIGRATIONS[:5]:
            migrations.apply(conn, migration)
    db.dispose()
    old = Database(f"sqlite:///{path}", upgrade=False)
    with old.write() as session:  # the schema has no mark yet: writes still work
        session.connection().exec_driver_sql(CONTACT, ("k",))
    old.upgrade()
    with old.write() as session:
        session.connection().exec_driver_sql("UPDATE contact SET name = 'VNCERT' WHERE key = 'k'")
    assert mark(path) == 1
    old.dispose()
