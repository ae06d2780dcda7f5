"""The change watcher on both backends: a commit elsewhere moves `version`, a heartbeat does not;
on PostgreSQL a lost listening connection is said once and the next poll listens again."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from watchdesk.store.changes import ChangeWatcher
from watchdesk.store.db import Database, DatabaseError

CONTACT = text("INSERT INTO contact (key, name, phone, hotline, email, note, to_verify) VALUES (:key, '', '', '', '', '', false)")
HEARTBEAT = text("INSERT INTO runner (id, kind, started_at, heartbeat_at) VALUES (:id, 'serve', '2026-02-17 00:00:00.000000', "
                 "'2026-02-17 00:00:00.000000')")


def moved_from(watcher: ChangeWatcher, seen: int) -> int:
    """The watcher's version once it differs from `seen`: PostgreSQL's notification reaches the
    listener a moment after the commit returns, so poll (as the desk does) up to 10 s for it."""
    deadline = time.monotonic() + 10
    while (version := watcher.version()) == seen and time.monotonic() < deadline:
        time.sleep(0.01)
    return version


def test_a_commit_elsewhere_moves_the_version_and_a_heartbeat_does_not(db_url: str) -> None:
    db, other = Database(db_url), Database(db_url)  # `other`: another process's connections
    watcher = ChangeWatcher(db)
    seen = watcher.version()
    assert watcher.version() == seen
    with other.write() as session:
        session.connection().execute(HEARTBEAT, {"id": "h:1:serve"})
    with other.write() as session:
        session.connection().execute(CONTACT, {"key": "vncert"})
    moved = moved_from(watcher, seen)  # the heartbeat's commit came first: had it moved it, this would be it
    assert moved == seen + 1 and watcher.version() == moved
    with other.write() as session:
        session.connection().execute(CONTACT, {"key": "ncsc"})
    assert moved_from(watcher, moved) == moved + 1
    watcher.close()
    other.dispose()
    db.dispose()


@pytest.mark.postgresql
def test_a_lost_listening_connection_is_said_and_the_next_poll_listens_again(pg_database: str) -> None:
    db = Database(pg_database)
    watcher = ChangeWatcher(db)
    seen = watcher.version()
    with db.write() as session:
        session.connection().execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                          "WHERE application_name = 'watchdesk-changes'"))
    with db.write() as session:  # committed while nobody listened: the mark read on reconnecting shows it
        session.connection().execute(CONTACT, {"key": "ncsc"})
    with pytest.raises(DatabaseError, match="cannot listen for changes"):
        moved_from(watcher, seen)
    assert watcher.version() != seen
    watcher.close()
    db.dispose()
