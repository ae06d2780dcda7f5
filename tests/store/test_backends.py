"""The store on both backends (db_url: a SQLite file and a fresh PostgreSQL database): the schema
reaches the latest version and equals the models, the audit chain appends and verifies, events
are append-only, and twelve processes appending leave a gapless chain in commit order."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import watchdesk.store.models  # noqa: F401 - registers the tables
from watchdesk.store import audit, migrations, postgresql
from watchdesk.store.audit import append_event, append_events_bulk
from watchdesk.store.db import Database
from watchdesk.store.migrations import LATEST, SchemaTooNew

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 2, 17, 2, 0, tzinfo=timezone.utc)


def test_the_schema_reaches_the_latest_version_and_equals_the_models(db_url: str) -> None:
    db = Database(db_url)
    assert db.schema_version() == LATEST
    found = inspect(db.engine)
    tables = set(found.get_table_names())
    assert tables == set(SQLModel.metadata.tables)
    for name, table in SQLModel.metadata.tables.items():
        assert {c["name"] for c in found.get_columns(name)} == {c.name for c in table.columns}, name
        assert {i.name for i in table.indexes} <= {i["name"] for i in found.get_indexes(name)}, name
    assert db.upgrade() == []  # twice is a no-op
    db.dispose()


def test_a_newer_database_is_refused(db_url: str) -> None:
    db = Database(db_url)
    with db.write() as session:
        session.connection().execute(text("UPDATE schema_version SET version = :v"), {"v": LATEST + 1})
    db.dispose()
    with pytest.raises(SchemaTooNew, match=f"schema version {LATEST + 1}, newer than this watchdesk understands"):
        Database(db_url)


def test_every_migration_after_the_postgresql_baseline_has_its_postgresql_text() -> None:
    later = [m.version for m in migrations.MIGRATIONS if m.version > postgresql.BASELINE_VERSION and not m.postgresql]
    assert later == [], "give these migrations their PostgreSQL text (Migration.postgresql)"
    assert postgresql.BASELINE_VERSION in {m.version for m in migrations.MIGRATIONS}
    assert [m.version for m in migrations.pending(0, "postgresql")][0] == postgresql.BASELINE_VERSION


def test_the_audit_chain_appends_reads_and_verifies(db_url: str) -> None:
    db = Database(db_url)
    with db.write() as session:
        for i in range(1, 61):
            seq = append_event(session, T0 + timedelta(seconds=i), f"officer{i % 4}", "test.event", "alert", i % 5,
                               {"i": i, "note": f"ghi chú {i}", "on_duty": i % 2 == 0})
    assert seq == 60
    result = audit.verify(db)
    assert result.ok and result.count == 60 and result.head is not None and result.head.seq == 60, result.sentence()
    assert audit.head(db) == result.head
    assert [e.seq for e in audit.tail(db, 3, actor="officer1")] == [49, 53, 57]
    assert [e.seq for e in audit.tail(db, 2, kind="test.*", before_seq=10)] == [8, 9]
    timeline = audit.events_for(db, "alert", 3)
    assert [e.seq for e in timeline] == list(range(3, 61, 5)) and timeline[0].payload["note"] == "ghi chú 3"
    assert timeline[0].at == "2026-02-17 02:00:03.000000"
    assert audit.reaches(db, result.head, walk=True) == ""
    # The columns generated from the body read the same on both backends.
    with db.read() as session:
        row = session.connection().execute(text("SELECT actor, kind, subject_id, payload FROM event WHERE seq = 7")).one()
    assert tuple(row) == ("officer3", "test.event", "2", '{"i":7,"note":"ghi chú 7","on_duty":false}')
    db.dispose()


def test_a_bulk_append_through_the_driver_continues_the_chain(db_url: str) -> None:
    db = Database(db_url)
    with db.write() as session:
        append_event(session, T0, "minh", "test.one", "alert", 1, {})
    with db.write() as session:
        driver = session.connection().connection.driver_connection
        last = append_events_bulk(driver, [(T0, "lan", "test.bulk", "alert", str(i), {"i": i}) for i in range(25)])
    assert last == 26
    with db.write() as session:
        assert append_event(session, T0, "minh", "test.one", "alert", 1, {}) == 27
    result = audit.verify(db)
    assert result.ok and result.count == 27, result.sentence()
    assert [e.payload["i"] for e in audit.tail(db, 3, kind="test.bulk")] == [22, 23, 24]
    db.dispose()


def test_events_cannot_be_changed_or_deleted(db_url: str) -> None:
    db = Database(db_url)
    with db.write() as session:
        append_event(session, T0, "minh", "test.event", "alert", 1, {})
    for statement, word in (("UPDATE event SET body = body WHERE seq = 1", "changed"), ("DELETE FROM event WHERE seq = 1", "deleted")):
        with pytest.raises(IntegrityError, match=f"append-only: events cannot be {word}"):
            with db.write() as session:
                session.connection().execute(text(statement))
    if not db.is_sqlite:
        with pytest.raises(IntegrityError, match="append-only: events cannot be deleted"):
            with db.write() as session:
                session.connection().execute(text("TRUNCATE event"))
    assert audit.verify(db).count == 1
    db.dispose()


def test_an_edited_event_fails_verification_at_its_seq(db_url: str) -> None:
    """An intruder who can lift the triggers (the owner) is still caught by the chain."""
    db = Database(db_url)
    with db.write() as session:
        for i in range(20):
            append_event(session, T0, "minh", "test.event", "alert", i, {"i": i})
    lift = ("DROP TRIGGER event_no_update" if db.is_sqlite else "ALTER TABLE event DISABLE TRIGGER event_no_update")
    with db.write() as session:
        session.connection().execute(text(lift))
        session.connection().execute(text("UPDATE event SET body = replace(body, '\"minh\"', '\"lan\"') WHERE seq = 12"))
    result = audit.verify(db)
    assert not result.ok and result.bad_seq == 12 and "edited" in result.reason
    db.dispose()


def test_twelve_processes_appending_leave_a_gapless_chain_in_commit_order(db_url: str) -> None:
    Database(db_url).dispose()  # the schema, once
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.support.appender", db_url, "30", f"w{i}"],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(12)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    db = Database(db_url)
    result = audit.verify(db)
    assert result.ok and result.count == 12 * 30, result.sentence()
    with db.read() as session:
        conn = session.connection()
        assert [r[0] for r in conn.execute(text("SELECT seq FROM event ORDER BY seq"))] == list(range(1, 361))
        per_writer = dict(conn.execute(text("SELECT actor, count(*) FROM event GROUP BY actor")).all())
    assert per_writer == {f"w{i}": 30 for i in range(12)}
    # Each writer committed its events one after another: seq order keeps that order.
    for i in range(12):
        assert [e.payload["i"] for e in audit.events_for(db, "writer", f"w{i}")] == list(range(30))
    db.dispose()
