"""Cheap change detection: has another connection committed, and did a change a screen can show?

`ChangeWatcher` asks SQLite's `PRAGMA data_version` on a dedicated connection: the number
changes when any *other* connection commits (the desk's own writes go through SQLAlchemy's
pool, so they count too). Only when it moved does `version` read the one-row `change_mark`,
which triggers move on every change except to `runner`: an engine commits a heartbeat every
second, and the screens must not reload for it. So: one pragma per poll, one single-row read
per commit, and a reload only when something a screen shows changed. The engine's serve loop
uses `data_version` alone, to look for alerts due now only after a commit.

On PostgreSQL the watcher LISTENs on `watchdesk_changes` on a connection of its own: the mark
triggers NOTIFY when a change a screen can show commits (runners' heartbeats do not), and
`data_version` counts the notifications received so far, drained without waiting.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from watchdesk.store.db import Database, DatabaseError
from watchdesk.store.postgresql import CHANGES_CHANNEL


class ChangeWatcher:
    """One dedicated connection, used by one thread at a time (successive workers share it)."""

    def __new__(cls, db: Database) -> ChangeWatcher:
        if cls is ChangeWatcher and not db.is_sqlite:
            return super().__new__(_ListeningWatcher)
        return super().__new__(cls)

    def __init__(self, db: Database) -> None:
        self._path = db.path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._data_version: int | None = None
        self._mark = 0

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            target = str(self._path) if self._path else ":memory:"
            # check_same_thread=False: successive thread workers share it, never at once (lock).
            self._conn = sqlite3.connect(target, timeout=5, check_same_thread=False)
        return self._conn

    def data_version(self) -> int:
        """SQLite's count of commits by other connections (it moves on every commit, runners' too)."""
        # SQLite-only: PRAGMA data_version (PostgreSQL: LISTEN/NOTIFY)
        with self._lock:
            return int(self._connection().execute("PRAGMA data_version").fetchone()[0])

    def version(self) -> int:
        """The change mark: it moves when a change a screen can show was committed."""
        with self._lock:
            conn = self._connection()
            # SQLite-only: PRAGMA data_version, then the change_mark row its triggers keep
            data_version = int(conn.execute("PRAGMA data_version").fetchone()[0])
            if data_version != self._data_version:
                self._data_version = data_version
                try:
                    self._mark = int(conn.execute("SELECT n FROM change_mark WHERE id = 1").fetchone()[0])
                except sqlite3.OperationalError as exc:
                    if "no such table" not in str(exc):
                        self._data_version = None  # locked or failing: read the mark again next poll
                        raise
                    self._mark = -data_version  # a database without the mark yet: every commit counts
            return self._mark

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class _ListeningWatcher(ChangeWatcher):
    """PostgreSQL: LISTEN on the change channel; each notification drained counts as a commit."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pg: Any = None
        self._lock = threading.Lock()
        self._received = 0
        self._data_version: int | None = None
        self._mark = 0

    def _listening(self) -> Any:
        if self._pg is None:
            engine = self._db.engine
            args, params = engine.dialect.create_connect_args(engine.url)
            params.pop("context", None)
            conn = psycopg.connect(*args, **params, autocommit=True, application_name="watchdesk-changes")
            conn.execute(f"LISTEN {CHANGES_CHANNEL}")
            self._pg = conn
        return self._pg

    def _drain(self) -> int:
        conn = self._listening()
        # timeout=0: take what has arrived and return at once (the callers poll).
        self._received += sum(1 for _ in conn.notifies(timeout=0))
        return self._received

    def data_version(self) -> int:
        with self._lock, self._reconnecting():
            return self._drain()

    def version(self) -> int:
        with self._lock, self._reconnecting():
            received = self._drain()
            if received != self._data_version:
                self._data_version = None  # until the mark is read: a failed read is tried again
                self._mark = int(self._pg.execute("SELECT n FROM change_mark WHERE id = 1").fetchone()[0])
                self._data_version = received
            return self._mark

    @contextmanager
    def _reconnecting(self) -> Iterator[None]:
        """A lost connection is dropped (the next poll connects and LISTENs again), and said in the
        store's own error; what was committed meanwhile shows with the mark read then."""
        try:
            yield
        except psycopg.Error as exc:
            if self._pg is not None:
                self._pg.close()
                self._pg = None
            self._data_version = None
            raise DatabaseError(f"{self._db.where}: cannot listen for changes ({exc}).") from None

    def close(self) -> None:
        with self._lock:
            if self._pg is not None:
                self._pg.close()
                self._pg = None
