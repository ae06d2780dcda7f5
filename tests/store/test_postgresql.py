"""What only PostgreSQL has: the write lock, the desk's role that may only append events, change
notifications, and the sentences for a URL or a server the desk cannot use."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import SQLModel

import watchdesk.store.models  # noqa: F401 - registers the tables
from tests.support.postgres import Cluster
from watchdesk.store import audit, migrations
from watchdesk.store.audit import append_event
from watchdesk.store.db import WRITE_LOCK, Database, DatabaseError, engine_url
from watchdesk.store.postgresql import CHANGES_CHANNEL, MARKED_TABLES, desk_grants

T0 = datetime(2026, 2, 17, 2, 0, tzinfo=timezone.utc)
OFFICER = ("INSERT INTO officer (handle, full_name, role, phone, email, chat_ids, pin_hash, active, created_at) "
           "VALUES (:h, 'Trần Thị Lan', 'lead', '', '', '{}', '', true, '2026-02-17 00:00:00.000000')")


def test_urls_map_to_psycopg_and_others_are_refused() -> None:
    assert engine_url("postgresql://desk@db.example.vn:5432/watch").drivername == "postgresql+psycopg"
    assert engine_url("postgres://desk@db.example.vn/watch").drivername == "postgresql+psycopg"
    assert engine_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(DatabaseError, match=r"'mysql://desk:\*\*\*@h/w': watchdesk speaks SQLite and PostgreSQL") as err:
        engine_url("mysql://desk:secret@h/w")
    assert "secret" not in str(err.value)


@pytest.mark.postgresql
def test_an_unreachable_server_is_one_sentence(pg_cluster: Cluster) -> None:
    with pytest.raises(DatabaseError, match=r"127.0.0.1:1/watch: cannot reach the PostgreSQL server .*check that it runs"):
        Database("postgresql://desk@127.0.0.1:1/watch")
    with pytest.raises(DatabaseError, match=r"^postgresql://postgres@127.0.0.1:\d+/nowhere: database \"nowhere\" does not exist; create it \(createdb"):
        Database(pg_cluster.url("nowhere"))


@pytest.mark.postgresql
def test_a_write_holds_the_write_lock_until_it_commits(pg_database: str) -> None:
    db = Database(pg_database)
    with psycopg.connect(pg_database, autocommit=True) as other:
        def free() -> bool:
            return bool(other.execute("SELECT pg_try_advisory_lock(%s)", (WRITE_LOCK,)).fetchone()[0]) and bool(
                other.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,)).fetchone()[0])

        assert free()
        with db.write() as session:
            session.connection().execute(text("SELECT 1"))
            assert not free()
        assert free()
        with db.read() as session:  # reads take no lock
            session.connection().execute(text("SELECT 1"))
            assert free()
    db.dispose()


@pytest.mark.postgresql
def test_a_writer_waits_at_most_the_busy_timeout(pg_database: str) -> None:
    first, second = Database(pg_database), Database(pg_database, busy_timeout=1)
    with first.write() as session:
        session.connection().execute(text("SELECT 1"))
        with pytest.raises(DatabaseError, match="another desk held the write lock for 1 s; try again, or raise"):
            with second.write() as waiting:
                waiting.connection().execute(text("SELECT 1"))
    first.dispose()
    second.dispose()


@pytest.mark.postgresql
def test_raw_is_refused_naming_the_caller(pg_database: str) -> None:
    db = Database(pg_database)
    with pytest.raises(DatabaseError, match=r"test_raw_is_refused_naming_the_caller \(test_postgresql.py\) reads the database through SQLite"):
        db.raw()
    db.dispose()


@pytest.mark.postgresql
def test_the_desk_role_may_append_events_but_never_change_them(pg_cluster: Cluster, pg_database: str) -> None:
    owner = Database(pg_database)  # migrations run as the owner
    role = f"desk_{uuid.uuid4().hex[:8]}"
    pg_cluster.admin(f'CREATE ROLE "{role}" LOGIN')
    try:
        with owner.write() as session:
            for statement in desk_grants(role):
                session.connection().execute(text(statement))
        desk = Database(pg_database.replace("//postgres@", f"//{role}@", 1))
        with desk.write() as session:
            session.connection().execute(text(OFFICER), {"h": "lan"})
            session.connection().execute(text("UPDATE officer SET phone = '0912' WHERE handle = 'lan'"))
            append_event(session, T0, "minh", "officer.added", "officer", 1, {"handle": "lan"})
        for statement in ("UPDATE event SET body = body", "DELETE FROM event", "TRUNCATE event",
                          "UPDATE schema_version SET version = 1"):
            with pytest.raises(ProgrammingError, match="permission denied for table"):
                with desk.write() as session:
                    session.connection().execute(text(statement))
        assert audit.verify(desk).ok and audit.verify(desk).count == 1
        desk.dispose()
    finally:
        owner.dispose()
        pg_cluster.drop_database(pg_database.rsplit("/", 1)[1])
        pg_cluster.admin(f'DROP ROLE "{role}"')


@pytest.mark.postgresql
def test_committed_changes_notify_listeners_and_move_the_mark(pg_database: str) -> None:
    db = Database(pg_database)
    with psycopg.connect(pg_database, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANGES_CHANNEL}")
        with pytest.raises(RuntimeError):
            with db.write() as session:
                session.connection().execute(text(OFFICER), {"h": "lost"})
                raise RuntimeError("rolled back")
        with db.write() as session:
            session.connection().execute(text(OFFICER), {"h": "lan"})
            session.connection().execute(text(OFFICER), {"h": "thu"})
        listener.execute(f"NOTIFY {CHANGES_CHANNEL}, 'end'")  # delivered after all that committed before it
        got = []
        for n in listener.notifies(timeout=30):
            if n.payload == "end":
                break
            got.append(n.channel)
    assert got == [CHANGES_CHANNEL]  # one per committed transaction; none for the rolled back one
    with db.read() as session:
        assert session.connection().execute(text("SELECT n FROM change_mark WHERE id = 1")).scalar() == 2
    db.dispose()


def test_the_mark_moves_once_per_changing_statement_and_not_for_one_that_changed_nothing(pg_database: str) -> None:
    """Statement triggers: 500 rows in one statement are one move; an UPDATE that matched nothing is none."""
    db = Database(pg_database)

    def mark() -> int:
        with db.read() as session:
            return int(session.connection().execute(text("SELECT n FROM change_mark WHERE id = 1")).scalar_one())

    before = mark()
    with db.write() as session:
        session.connection().execute(text(
            "INSERT INTO officer (handle, full_name, role, phone, email, chat_ids, pin_hash, active, created_at) "
            "SELECT 'o' || g, 'Trần Thị Lan', 'officer', '', '', '{}', '', true, '2026-02-17 00:00:00.000000' "
            "FROM generate_series(1, 500) AS g"))
    assert mark() == before + 1
    with db.write() as session:
        session.connection().execute(text("UPDATE officer SET full_name = 'x' WHERE handle = 'nobody'"))
        session.connection().execute(text("DELETE FROM officer WHERE handle = 'nobody'"))
    assert mark() == before + 1
    with db.write() as session:
        session.connection().execute(text("UPDATE officer SET full_name = 'y' WHERE handle LIKE 'o1%'"))
    assert mark() == before + 2
    db.dispose()


def test_the_same_tables_move_the_change_mark_on_both_backends() -> None:
    assert set(MARKED_TABLES) == set(SQLModel.metadata.tables) - migrations.UNMARKED_TABLES


def test_desk_grants_quote_the_role_and_refuse_what_is_not_a_name() -> None:
    assert 'REVOKE UPDATE, DELETE, TRUNCATE ON event FROM "watchdesk_desk"' in desk_grants("watchdesk_desk")
    with pytest.raises(ValueError, match="not a role name"):
        desk_grants('x"; DROP TABLE event; --')
