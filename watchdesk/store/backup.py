"""Online backup: one consistent copy while other processes write, never a partial file.

The copy is SQLite's backup API in ONE step (pages=-1): the whole file is read inside one read
transaction, so writers (WAL) go on meanwhile and never restart it — small steps restarted on
every write and never finished under a sustained writer. It is written to a hidden temporary
file beside the target, fsynced, then linked to the target name (which refuses to overwrite);
on any failure the temporary file is removed, so a retry never finds a half-written backup.
"""

from __future__ import annotations

import errno
import os
import shlex
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from watchdesk.store.db import Database, DatabaseError, DiskFull, damage_error


@dataclass(frozen=True)
class BackupDone:
    pages: int
    seconds: float
    head_seq: int  # the audit head inside the copy


def backup(db: Database, target: Path) -> BackupDone:
    """Copy the live database to `target` (refuses to overwrite).

    On PostgreSQL the server's own tool makes the consistent copy: the sentence gives its command."""
    target = Path(target).expanduser()
    if not db.is_sqlite:
        raise DatabaseError(pg_dump_sentence(db, target))
    if target.exists():
        raise DatabaseError(f"{target}: already exists; choose a new file name for the backup.")
    if db.path is not None and target.resolve() == db.path.resolve():
        raise DatabaseError(f"{target}: that is the live database; choose another file.")
    if not target.parent.is_dir():
        raise DatabaseError(f"{target.parent}: no such folder; create it or choose another path for the backup.")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    started = time.perf_counter()  # a duration only
    try:
        source = db.raw()
        try:
            dest = sqlite3.connect(str(partial))
            try:
                source.backup(dest, pages=-1)
                pages = int(dest.execute("PRAGMA page_count").fetchone()[0])
                head = dest.execute("SELECT MAX(seq) FROM event").fetchone()[0] or 0
            finally:
                dest.close()
        finally:
            source.close()
        _fsync(partial)
        _publish(partial, target)
    except (sqlite3.Error, OSError) as exc:
        raise _sentence(exc, target, db) from None
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass
    return BackupDone(pages, time.perf_counter() - started, int(head))


def pg_dump_sentence(db: Database, target: Path) -> str:
    """What to run instead of `watchdesk backup` on PostgreSQL (one consistent snapshot, any size)."""
    return (
        f"{db.where} is a PostgreSQL database: back it up with PostgreSQL's own tool, "
        f"pg_dump --format=custom --file={shlex.quote(str(target))} '{db.where}' "
        "(password from ~/.pgpass or $PGPASSWORD; restore with pg_restore --dbname=URL into an empty database)."
    )


def _publish(partial: Path, target: Path) -> None:
    """Give the finished copy its name without ever replacing a file that appeared meanwhile."""
    try:
        os.link(partial, target)
    except FileExistsError:
        raise DatabaseError(f"{target}: already exists; choose a new file name for the backup.") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        if target.exists():  # a file system without hard links: check, then rename
            raise DatabaseError(f"{target}: already exists; choose a new file name for the backup.") from None
        os.replace(partial, target)
    _fsync(target.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sentence(exc: Exception, target: Path, db: Database) -> DatabaseError:
    if isinstance(exc, DatabaseError):
        return exc
    found = damage_error(exc, db.path)
    if isinstance(found, DiskFull):
        return DiskFull(
            f"{target}: the disk is full, so the backup was not written (no partial file was left); "
            "free space there or choose a folder on another disk."
        )
    if found is not None:
        return found  # the live database could not be read
    what = exc.strerror if isinstance(exc, OSError) and exc.strerror else " ".join(str(exc).split())
    return DatabaseError(f"{target}: the backup could not be written ({what}); no partial file was left; check the folder and try again.")
