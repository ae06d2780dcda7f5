"""Engine and session set-up.

SQLite is opened the way a shared, crash-safe desk needs it: WAL (readers never block the
writer), `foreign_keys=ON`, a busy timeout, `synchronous=FULL` (a committed event survives
power loss), and every write transaction opened with `BEGIN IMMEDIATE` so a read-then-write
takes the write lock first and never dies with "database is locked" on upgrade. This is
SQLAlchemy's documented recipe for pysqlite: disable the driver's own BEGIN and emit ours.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from watchdesk.store import migrations


class DatabaseError(Exception):
    """A database a person cannot use as it is; the message says what to do."""


class Database:
    """One database: a read engine and a write engine over the same connection pool."""

    def __init__(self, url: str, *, busy_timeout: float = 30.0, upgrade: bool = True) -> None:
        self.url = url
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            raise DatabaseError(
                f"database url '{parsed.render_as_string(hide_password=True)}': only SQLite is supported "
                "by this version of watchdesk; use a sqlite:/// URL or [database] path."
            )
        self.path = Path(parsed.database) if parsed.database and parsed.database != ":memory:" else None
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"{self.path.parent}: cannot create the database folder ({exc.strerror}).") from None
        self.busy_timeout = busy_timeout
        self.engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout},
            pool_pre_ping=False,
        )
        event.listen(self.engine, "connect", self._on_connect)
        event.listen(self.engine, "begin", self._on_begin)
        self.write_engine = self.engine.execution_options(watchdesk_immediate=True)
        if upgrade:
            self.upgrade()
        else:
            self.check_version()

    # -- connection set-up -------------------------------------------------------------
    def _on_connect(self, dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @staticmethod
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("watchdesk_immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    # -- sessions ----------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction (BEGIN IMMEDIATE): commit on success, roll back on error."""
        with Session(self.write_engine, expire_on_commit=False) as session:
            try:
                with _friendly_lock_errors(self):
                    yield session
                    session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only snapshot (deferred BEGIN)."""
        with Session(self.engine, expire_on_commit=False) as session:
            with _friendly_lock_errors(self):
                yield session
            # Closing (not rolling back) ends the read transaction without expiring what was loaded.

    def raw(self) -> sqlite3.Connection:
        """A plain sqlite3 connection with the same pragmas, for bulk reads (verify, backup)."""
        conn = sqlite3.connect(str(self.path) if self.path else ":memory:", timeout=self.busy_timeout)
        self._on_connect(conn, None)
        return conn

    # -- schema ------------------------------------------------------------------------
    def schema_version(self) -> int:
        with _friendly_lock_errors(self), self.engine.connect() as conn:
            return migrations.current_version(conn)

    def check_version(self) -> int:
        version = self.schema_version()
        migrations.check_not_newer(version, str(self.path or self.url))
        return version

    def upgrade(self) -> list[int]:
        """Apply pending migrations, each in its own BEGIN IMMEDIATE transaction."""
        applied: list[int] = []
        version = self.check_version()
        for migration in migrations.pending(version):
            with _friendly_lock_errors(self), self.write_engine.begin() as conn:
                # Another process may have migrated while we waited for the lock.
                if migrations.current_version(conn) >= migration.version:
                    continue
                migrations.apply(conn, migration)
                applied.append(migration.version)
        return applied

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _friendly_lock_errors(db: Database) -> Iterator[None]:
    try:
        yield
    except (DBAPIError, sqlite3.DatabaseError) as exc:
        text = str(getattr(exc, "orig", None) or exc)
        where = db.path or db.url
        if "locked" in text or "busy" in text:
            raise DatabaseError(
                f"{where}: the database stayed locked by another process for {db.busy_timeout:.0f} s; "
                "try again, or raise [database] busy_timeout."
            ) from None
        if "unable to open" in text or "readonly" in text or "not a database" in text:
            raise DatabaseError(f"{where}: cannot use this database file ({text}); check the path and its permissions.") from None
        raise
