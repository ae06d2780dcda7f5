"""Cheap change detection and the engine loop, for the desk's workers (no widgets here).

`ChangeWatcher` asks SQLite's `PRAGMA data_version` on a dedicated connection: the
number changes when any *other* connection commits (this desk's own writes go through
SQLAlchemy's pool, so they count too). One pragma per poll, no table reads; the screens
reload only when it moves.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class ChangeWatcher:
    """Reports the database's data_version; used by one worker at a time."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def version(self) -> int:
        with self._lock:
            if self._conn is None:
                target = str(self._path) if self._path else ":memory:"
                # check_same_thread=False: successive thread workers share it, never at once (lock).
                self._conn = sqlite3.connect(target, timeout=5, check_same_thread=False)
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
