"""Schema versions: the migrated schema equals the models; old databases upgrade; newer ones are refused."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlmodel import SQLModel

import watchdesk.store.models  # noqa: F401 - registers the tables
from watchdesk.store import audit, migrations
from watchdesk.store.audit import append_event
from watchdesk.store.db import Database
from watchdesk.store.migrations import LATEST, SchemaTooNew


def columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
    return {t: {r[1] for r in conn.execute(f"PRAGMA table_xinfo('{t}')")} for t in tables}


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    conn = sqlite3.connect(db.path)
    migrated = columns(conn)
    expected = {name: {c.name for c in table.columns} for name, table in SQLModel.metadata.tables.items()}
    assert migrated == expected, "a model changed without a migration (or the reverse)"
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index' AND name NOT LIKE 'sqlite_%'")}
    expected_indexes = {i.name for t in SQLModel.metadata.tables.values() for i in t.indexes}
    assert expected_indexes <= indexes
    assert db.schema_version() == LATEST


def test_a_version_1_database_upgrades_without_loss(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = Database(f"sqlite:///{path}", upgrade=False)
    with db.write_engine.begin() as conn:
        migrations.apply(conn, migrations.MIGRATIONS[0])
    at = datetime(2025, 1, 28, 12, tzinfo=timezone.utc)
    with db.write() as session:
        session.connection().exec_driver_sql(
            "INSERT INTO officer (handle, full_name, role, phone, email, chat_ids, pin_hash, active, created_at) "
            "VALUES ('lan', 'Trần Thị Lan', 'lead', '', '', '{}', '', 1, '2025-01-28 12:00:00.000000')"
        )
        append_event(session, at, "system", "officer.added", "officer", 1, {"handle": "lan"})
    assert db.schema_version() == 1
    db.dispose()

    upgraded = Database(f"sqlite:///{path}")
    assert upgraded.schema_version() == LATEST
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT full_name FROM officer").fetchone() == ("Trần Thị Lan",)
    assert audit.verify(upgraded).ok
    # The upgraded database takes the newer tables.
    assert "alert" in columns(conn) and "shift" in columns(conn)


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Database(f"sqlite:///{path}").dispose()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = ?", (LATEST + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew, match=f"schema version {LATEST + 1}, newer than this watchdesk understands"):
        Database(f"sqlite:///{path}")


def test_pragmas(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'p.db'}", busy_timeout=12)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 12000


def test_upgrade_twice_is_a_no_op(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'u.db'}")
    assert db.upgrade() == []


def test_write_transactions_begin_immediate(tmp_path: Path) -> None:
    """A write session holds the write lock from its first statement (so read-then-write cannot deadlock)."""
    db = Database(f"sqlite:///{tmp_path / 'i.db'}")
    other = sqlite3.connect(db.path, timeout=0, isolation_level=None)
    with db.write() as session:
        session.connection().exec_driver_sql("SELECT 1")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")


def test_migration_8_keeps_who_accepted_a_handover(tmp_path: Path) -> None:
    """Before it, acceptance overwrote the incoming officer with whoever accepted: that is who accepted."""
    path = tmp_path / "h.db"
    db = Database(f"sqlite:///{path}", upgrade=False)
    with db.write_engine.begin() as conn:
        for m in migrations.MIGRATIONS:
            if m.version < 8:
                migrations.apply(conn, m)
    with db.write() as session:
        c = session.connection()
        c.exec_driver_sql(
            "INSERT INTO officer (handle, full_name, role, phone, email, chat_ids, pin_hash, active, created_at) "
            "VALUES ('lan', 'Trần Thị Lan', 'lead', '', '', '{}', '', 1, '2026-02-17 00:00:00.000000')")
        c.exec_driver_sql(
            "INSERT INTO handover (outgoing_id, incoming_id, summary, notes, remarks, signed_out_at, accepted_at) VALUES "
            "(NULL, 1, '{}', '', '', '2026-02-16 23:55:00.000000', '2026-02-17 00:05:00.000000'), "
            "(NULL, 1, '{}', '', '', '2026-02-17 11:55:00.000000', NULL)")
    db.dispose()
    Database(f"sqlite:///{path}").dispose()
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT accepted_by_id, signed_out_early, accepted_early FROM handover ORDER BY id").fetchall()
    assert rows == [(1, 0, 0), (None, 0, 0)]


def test_migration_16_fills_the_durations_of_existing_alerts(tmp_path: Path) -> None:
    """ack_us, resolve_us and snoozed_us (integer microseconds) from the stored times; snoozed_seconds goes."""
    path = tmp_path / "v15.db"
    db = Database(f"sqlite:///{path}", upgrade=False)
    with db.write_engine.begin() as conn:
        for m in migrations.MIGRATIONS:
            if m.version <= 15:
                migrations.apply(conn, m)
    db.dispose()
    conn = sqlite3.connect(path)
    insert = ("INSERT INTO alert (source_key, native_id, dedup_key, title, summary, link, attachments, severity, severity_raw, "
              "category, cves, mentions, doc_number, affects_us, content_hash, received_at, state, level, step, round, exhausted, "
              "resolution, snoozed_seconds, first_acked_at, resolved_at) VALUES ('s', '', ?, 't', '', '', '[]', 'high', '', "
              "'other', '[]', '[]', '', 0, '', ?, ?, 1, 0, 0, 0, '', ?, ?, ?)")
    conn.execute(insert, ("a", "2026-02-16 23:59:58.999999", "resolved", 600.000001, "2026-02-17 00:20:00.000000",
                          "2026-02-17 01:00:00.500000"))
    conn.execute(insert, ("b", "2026-02-16 20:00:00.000000", "new", 0.0, None, None))
    conn.commit()
    conn.close()
    Database(f"sqlite:///{path}").dispose()
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT ack_us, resolve_us, snoozed_us FROM alert ORDER BY id").fetchall()
    assert rows == [((20 * 60 + 1) * 10**6 + 1 - 600_000_001, (60 * 60 + 1) * 10**6 + 500_001, 600_000_001), (None, None, 0)]
    assert "snoozed_seconds" not in columns(conn)["alert"]
