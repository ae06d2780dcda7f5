"""Engine and session set-up, for SQLite (the default) and PostgreSQL (several machines, one history).

SQLite is opened the way a shared, crash-safe desk needs it: WAL (readers never block the
writer), `foreign_keys=ON`, a busy timeout, `synchronous=FULL` (a committed event survives
power loss), and every write transaction opened with `BEGIN IMMEDIATE` so a read-then-write
takes the write lock first and never dies with "database is locked" on upgrade. This is
SQLAlchemy's documented recipe for pysqlite: disable the driver's own BEGIN and emit ours.

PostgreSQL (`postgresql://…`, driven by psycopg 3) gets the same promise another way: every
write transaction (READ COMMITTED) first takes one transaction-level advisory lock, so writes
run one at a time like SQLite's BEGIN IMMEDIATE. Each statement after the lock sees every commit
made before it, so the audit chain's head read under the lock is the true head (seq order =
commit order) and compare-and-set updates keep their meaning. Reads are REPEATABLE READ, READ
ONLY: one snapshot per read session, as a SQLite read transaction is. The busy timeout becomes
`lock_timeout`.

`write(chain=False)` is for a write that appends no audit event and changes nothing a screen
must show at once (an outbox claim: the attempt it counts is shown with its outcome). On SQLite
it is the same BEGIN IMMEDIATE as any write. On PostgreSQL it takes neither the write lock nor
the change mark's row lock (the transaction sets `watchdesk.unchained`, which the mark trigger
reads: migration 17), so such writes run beside each other and beside chained writes, and row
locks (`FOR UPDATE SKIP LOCKED`) decide who takes what; appending an event there is refused by
the trigger. Its updates are still compare-and-set, checked by rowcount.
"""

from __future__ import annotations

import errno
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from watchdesk.store import migrations


class DatabaseError(Exception):
    """A database a person cannot use as it is; the message says what to do."""


class DatabaseDamaged(DatabaseError):
    """The file is corrupt, cannot be read back, or is marked damaged: nothing more may be written."""


class DiskFull(DatabaseError):
    """SQLite (or the file system) ran out of space; the transaction was rolled back."""


# SQLite primary result codes (the low byte of an extended code).
_CORRUPT, _IOERR, _FULL = 11, 10, 13


def damage_error(exc: BaseException, where: object) -> DatabaseError | None:
    """The one-sentence error for a corrupt, unreadable or full database, or None for anything else.

    Reads the driver's result code when it has one (Python 3.11+), else the message text. A file
    that is not a database at all is left to the caller: it is most often a wrong path."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split()) or type(orig).__name__
    code = (getattr(orig, "sqlite_errorcode", None) or 0) & 0xFF
    if code == _FULL or "database or disk is full" in text or getattr(orig, "errno", None) == errno.ENOSPC:
        return DiskFull(f"{where}: the disk is full and nothing was written ({text}); free space on that disk, then try again.")
    if code == _CORRUPT or "malformed" in text:
        return DatabaseDamaged(
            f"{where}: the database file is damaged ({text}); stop every desk and 'watchdesk serve' using it, "
            "keep a copy of the file, run 'watchdesk db check' and restore the latest backup."
        )
    if code == _IOERR or "disk I/O error" in text:
        return DatabaseDamaged(
            f"{where}: the disk failed to read or write the database ({text}); check the disk and its free space, "
            "then run 'watchdesk db check' before writing again."
        )
    return None


@dataclass(frozen=True)
class Integrity:
    """The result of SQLite's integrity check."""

    ok: bool
    problems: tuple[str, ...]
    finished: bool  # False: the time budget ran out first (nothing found so far)
    seconds: float

    def sentence(self, where: object) -> str:
        if not self.ok:
            more = f" (+{len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            return f"{where}: SQLite's integrity check failed: {self.problems[0]}{more}"
        if not self.finished:
            return f"{where}: SQLite's integrity check found nothing in its first {self.seconds:.1f} s and stopped there"
        return f"{where}: SQLite's integrity check passed ({self.seconds:.2f} s)"


# The key of the advisory lock every PostgreSQL write transaction takes first ('wdesk_wr' in ASCII).
# Transaction-level: PostgreSQL releases it at COMMIT or ROLLBACK, also when a client dies.
WRITE_LOCK = 0x7764_6573_6B5F_7772


def engine_url(url: str) -> URL:
    """The SQLAlchemy URL to open: SQLite as given; `postgresql://` and `postgres://` through psycopg 3.

    Anything else is refused in one sentence (the password is never shown)."""
    try:
        parsed = make_url(url)
    except Exception:  # SQLAlchemy's ArgumentError, or a ValueError from a bad port
        raise DatabaseError(
            "[database] url: cannot read it as a database URL; write sqlite:///PATH or postgresql://USER@HOST:PORT/NAME."
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite":
        return parsed
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg", "psycopg2"):
        return parsed.set(drivername="postgresql+psycopg")
    raise DatabaseError(
        f"[database] url '{parsed.render_as_string(hide_password=True)}': watchdesk speaks SQLite and PostgreSQL "
        "(through psycopg 3) only; use sqlite:///PATH or postgresql://USER@HOST:PORT/NAME."
    )


class Database:
    """One database: a read engine and a write engine over the same connection pool."""

    def __init__(self, url: str, *, busy_timeout: float = 30.0, upgrade: bool = True) -> None:
        self.url = url
        parsed = engine_url(url)
        self.dialect = "postgresql" if parsed.get_backend_name() == "postgresql" else "sqlite"
        self.busy_timeout = busy_timeout
        # Set by the runtime (watchdesk.store.checkpoint.Anchors): the checkpoint file the audit
        # log is checked against, and the damage mark that, while it exists, refuses every write.
        self.anchors: Any = None
        if self.dialect == "postgresql":
            self.path = None
            self.where = make_url(url).render_as_string(hide_password=True)
            self.engine = create_engine(
                parsed,
                isolation_level="READ COMMITTED",
                pool_pre_ping=True,  # a server restarted under a desk that stays open for days
                connect_args={
                    "application_name": "watchdesk",
                    "options": f"-c lock_timeout={int(busy_timeout * 1000)} -c TimeZone=UTC",
                },
            )
            event.listen(self.engine, "begin", self._on_begin_postgresql)
            self.write_engine = self.engine.execution_options(watchdesk_immediate=True)
            self.unchained_engine = self.engine.execution_options(watchdesk_unchained=True)
            self.read_engine = self.engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            if upgrade:
                self.upgrade()
            else:
                self.check_version()
            return
        self.path = Path(parsed.database) if parsed.database and parsed.database != ":memory:" else None
        self.where = str(self.path or url)
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"{self.path.parent}: cannot create the database folder ({exc.strerror}).") from None
        self.engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout},
            pool_pre_ping=False,
        )
        event.listen(self.engine, "connect", self._on_connect)
        event.listen(self.engine, "begin", self._on_begin)
        self.write_engine = self.engine.execution_options(watchdesk_immediate=True)
        self.unchained_engine = self.write_engine  # one writer at a time on SQLite whatever the write
        self.read_engine = self.engine
        if upgrade:
            self.upgrade()
        else:
            self.check_version()

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

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

    @staticmethod
    def _on_begin_postgresql(conn: Any) -> None:
        # psycopg opens the transaction itself; a write takes the one write lock before anything else,
        # an unchained write only marks itself (its changes move no mark, it may append no event).
        options = conn.get_execution_options()
        if options.get("watchdesk_unchained"):
            conn.exec_driver_sql("SELECT set_config('watchdesk.unchained', 'on', true)")
        elif options.get("watchdesk_immediate"):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")

    # -- sessions ----------------------------------------------------------------------
    @contextmanager
    def write(self, *, chain: bool = True) -> Iterator[Session]:
        """One write transaction (BEGIN IMMEDIATE; on PostgreSQL the write lock): commit on success, roll back on error.

        `chain=False`: a write that appends no audit event (see the module's docstring); on
        PostgreSQL it runs without the write lock and moves no change mark.
        Refused while the database is marked damaged: writing on top of a corrupt page spreads it."""
        if self.anchors is not None and self.anchors.mark.exists():
            raise DatabaseDamaged(_marked_sentence(self))
        with Session(self.write_engine if chain else self.unchained_engine, expire_on_commit=False) as session:
            try:
                with _friendly_lock_errors(self):
                    yield session
                    session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only snapshot (deferred BEGIN; on PostgreSQL REPEATABLE READ, READ ONLY)."""
        with Session(self.read_engine, expire_on_commit=False) as session:
            with _friendly_lock_errors(self):
                yield session
            # Closing (not rolling back) ends the read transaction without expiring what was loaded.

    def raw(self) -> sqlite3.Connection:
        """A plain sqlite3 connection with the same pragmas, for bulk reads (verify, backup).

        SQLite only. On PostgreSQL it is refused, naming the caller: a psycopg connection would
        take the same calls with another placeholder style, failing far from the cause; a caller
        that must run on PostgreSQL uses `connect()` (SQLAlchemy, named binds) instead."""
        if not self.is_sqlite:
            caller = sys._getframe(1).f_code
            raise DatabaseError(
                f"{self.where}: {caller.co_qualname} ({Path(caller.co_filename).name}) reads the database through "
                "SQLite's own driver and cannot run on PostgreSQL yet; use a sqlite:/// database for it."
            )
        with _friendly_lock_errors(self):
            conn = sqlite3.connect(str(self.path) if self.path else ":memory:", timeout=self.busy_timeout)
            try:
                self._on_connect(conn, None)
            except BaseException:
                conn.close()
                raise
        return conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A SQLAlchemy connection for bulk reads on either backend (no transaction kept open after)."""
        with _friendly_lock_errors(self), self.read_engine.connect() as conn:
            yield conn

    # -- schema ------------------------------------------------------------------------
    def schema_version(self) -> int:
        with _friendly_lock_errors(self), self.engine.connect() as conn:
            return migrations.current_version(conn)

    def check_version(self) -> int:
        version = self.schema_version()
        migrations.check_not_newer(version, self.where)
        return version

    def upgrade(self) -> list[int]:
        """Apply pending migrations, each in its own BEGIN IMMEDIATE (PostgreSQL: write-locked) transaction."""
        applied: list[int] = []
        version = self.check_version()
        pending = migrations.pending(version, self.dialect)
        if pending and self.anchors is not None and self.anchors.mark.exists():
            raise DatabaseDamaged(_marked_sentence(self))
        for migration in pending:
            with _friendly_lock_errors(self), _owner_only(self, version), self.write_engine.begin() as conn:
                # Another process may have migrated while we waited for the lock.
                if migrations.current_version(conn) >= migration.version:
                    continue
                migrations.apply(conn, migration, self.dialect)
                applied.append(migration.version)
        return applied

    def integrity(self, *, quick: bool = True, limit: int = 10, budget: float | None = None) -> Integrity:
        if not self.is_sqlite:
            raise DatabaseError(f"{self.where}: the integrity check is SQLite's own; PostgreSQL checks its pages itself (see pg_amcheck).")
        return integrity_of(self.path, quick=quick, limit=limit, budget=budget, timeout=self.busy_timeout)

    def dispose(self) -> None:
        self.engine.dispose()


def integrity_of(path: Path | None, *, quick: bool = True, limit: int = 10, budget: float | None = None, timeout: float = 30.0) -> Integrity:
    """SQLite's own check of the file: `quick_check` (pages, records, no index contents) or the
    full `integrity_check`, naming at most `limit` problems. With `budget` (seconds) a check
    still running then is cut short and said unfinished, never taken for damage. Needs no
    readable schema, so it works on a file too damaged to open as a Database."""
    started = time.perf_counter()  # a duration only

    def failed(exc: Exception) -> Integrity:
        return Integrity(False, (" ".join(str(exc).split()),), True, time.perf_counter() - started)

    try:
        conn = sqlite3.connect(str(path) if path else ":memory:", timeout=timeout)
    except sqlite3.DatabaseError as exc:
        return failed(exc)
    if budget is not None:
        deadline = started + budget
        conn.set_progress_handler(lambda: int(time.perf_counter() > deadline), 20_000)
    try:
        rows = conn.execute(f"PRAGMA {'quick_check' if quick else 'integrity_check'}({int(limit)})").fetchall()
    except sqlite3.OperationalError as exc:
        if "interrupt" in str(exc):
            return Integrity(True, (), False, time.perf_counter() - started)
        if "locked" in str(exc) or "busy" in str(exc):
            raise DatabaseError(f"{path}: the database stayed locked by another process; try the check again.") from None
        return failed(exc)
    except sqlite3.DatabaseError as exc:
        return failed(exc)
    finally:
        conn.close()
    # A row may hold several lines ("*** in database main ***\nPage 6: …"): one problem per line.
    problems = tuple(line.strip() for r in rows if r[0] != "ok" for line in str(r[0]).splitlines()
                     if line.strip() and not line.startswith("***"))
    return Integrity(not problems, problems, True, time.perf_counter() - started)


@contextmanager
def _friendly_lock_errors(db: Database) -> Iterator[None]:
    try:
        yield
    except (DBAPIError, sqlite3.DatabaseError, OSError) as exc:
        text = str(getattr(exc, "orig", None) or exc)
        where = db.where
        if not db.is_sqlite:
            friendly = _postgresql_error(db, exc, text)
            if friendly is None:
                raise
            raise friendly from None
        damaged = damage_error(exc, where)
        if damaged is not None:
            raise damaged from None
        if isinstance(exc, OSError):
            raise
        if "locked" in text or "busy" in text:
            raise DatabaseError(
                f"{where}: the database stayed locked by another process for {db.busy_timeout:.0f} s; "
                "try again, or raise [database] busy_timeout."
            ) from None
        if "unable to open" in text or "readonly" in text or "not a database" in text:
            raise DatabaseError(f"{where}: cannot use this database file ({text}); check the path and its permissions.") from None
        raise


@contextmanager
def _owner_only(db: Database, version: int) -> Iterator[None]:
    """PostgreSQL: a desk role that may not change the schema meets a pending migration (an upgraded
    watchdesk on a database not upgraded yet): one sentence saying who must run what."""
    try:
        yield
    except DBAPIError as exc:
        if db.is_sqlite or getattr(getattr(exc, "orig", None), "sqlstate", "") != "42501":  # insufficient_privilege
            raise
        from watchdesk.store.migrations import LATEST

        raise DatabaseError(
            f"{db.where}: the schema is at version {version} and this watchdesk needs {LATEST}, but "
            f"'{make_url(db.url).username}' may not change it; connected as the schema's owner, run "
            "'watchdesk db upgrade', then 'watchdesk db grant' for the desks' role."
        ) from None


def _postgresql_error(db: Database, exc: BaseException, text: str) -> DatabaseError | None:
    """The one sentence for a PostgreSQL server that cannot be reached or waited on; None for anything else."""
    # libpq's text: 'connection failed: connection to server at "h", port p failed: FATAL:  why'
    first = " ".join(text.split("FATAL:")[-1].split()) or type(exc).__name__
    if "lock timeout" in text:
        return DatabaseError(
            f"{db.where}: another desk held the write lock for {db.busy_timeout:.0f} s; try again, or raise [database] busy_timeout."
        )
    if "FATAL:" in text and "does not exist" in text:  # no such database or role
        return DatabaseError(f"{db.where}: {first}; create it (createdb, createuser) or correct [database] url.")
    if isinstance(exc, OSError) or "connection failed" in text or "could not connect" in text:
        return DatabaseError(f"{db.where}: cannot reach the PostgreSQL server ({first}); check that it runs and the url's host, port and user.")
    return None


def _marked_sentence(db: Database) -> str:
    from watchdesk.store.checkpoint import read_mark  # the mark's format lives with the checkpoints

    found = read_mark(db.anchors.mark)
    return (
        f"{db.where}: writes are stopped because the database was found damaged ({found}); "
        f"run 'watchdesk db check' (it lifts the stop once the file checks clean) or restore the latest backup."
    )


def database_file(url: str) -> str | None:
    """The file a database URL names (as SQLAlchemy reads it; None when it names none)."""
    return make_url(url).database
