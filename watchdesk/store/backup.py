"""Online backup with SQLite's backup API: consistent while other processes write."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from watchdesk.store.db import Database, DatabaseError



def backup(db: Database, target: Path, pages_per_step: int = 1024) -> int:
    """Copy the live database to `target` (refuses to overwrite); returns the page count."""
    target = Path(target).expanduser()
    if target.exists():
        raise DatabaseError(f"{target}: already exists; choose a new file name for the backup.")
    if db.path is not None and target.resolve() == db.path.resolve():
        raise DatabaseError(f"{target}: that is the live database; choose another file.")
    source = db.raw()
    try:
        dest = sqlite3.connect(str(target))
    except sqlite3.Error as exc:
        source.close()
        raise DatabaseError(f"{target}: cannot create the backup file ({exc}).") from None
    try:
        # Small steps let writers in between; a write during the copy restarts the
        # remaining steps from the changed page, so the result is one consistent snapshot.
        source.backup(dest, pages=pages_per_step)
        pages = dest.execute("PRAGMA page_count").fetchone()[0]
    finally:
        dest.close()
        source.close()
    return int(pages)
