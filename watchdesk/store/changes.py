"""Cheap change detection: has another connection committed, and did a change a screen can show?

`ChangeWatcher` asks SQLite's `PRAGMA data_version` on a dedicated connection: the number
changes when any *other* connection commits (the desk's own writes go through SQLAlchemy's
pool, so they count too). Only when it moved does `version` read the one-row `change_mark`,
which triggers move on every change except to `runner`: an engine commits a heartbeat every
second, and the screens must not reload for it. So: one pragma per poll, one single-row read
per commit, and a reload only when something a screen shows changed. The engine's serve loop
uses `data_version` alone, to look for alerts due now only after a commit.
"""

from __future__ import annotations

import sqlite3
import threading

from watchdesk.store.db import Database


class ChangeWatcher:
    """One dedicated connection, used by one thread at a time (successive workers share it)."""

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
