"""Anchors kept outside the database: the audit checkpoint file and the damage mark.

The checkpoint file is append-only, one JSON line per anchor: the audit head (seq, hash, at),
why it was written and which database it belongs to. The engine appends one at the end of
every cycle in which the log moved CHECKPOINT_EVERY events (and when it stops), a handover at
each sign-out and acceptance, and `watchdesk log
checkpoint` when asked; `log verify`, `db check` and the reports check the chain against the
latest line, so a truncated log, a lost `-wal` or a re-chained log is caught without a manual
step. A line is written in one `write()` to an O_APPEND file and fsynced, so processes
appending at once never interleave and a written anchor survives a crash.

The damage mark beside it says the database was found damaged: while it exists every write
is refused (`Database.write`), and `watchdesk db check` lifts it once the file checks clean.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from watchdesk.store.db import Database, DatabaseDamaged, DatabaseError

log = logging.getLogger("watchdesk.checkpoint")
CHECKPOINT_EVERY = 1  # events the log must move before a tick anchors it: every tick that changed it, so a lost WAL shows
_TAIL = 64 * 1024  # the latest anchor is near the end: read this much first


@dataclass(frozen=True)
class Anchors:
    """Where one database's anchors live."""

    checkpoints: Path
    mark: Path
    database: str  # the database's resolved path, written on every line


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str  # hex
    at: str
    why: str = ""


def anchors_for(setting: str, db_path: Path | None, url: str | None = None) -> Anchors | None:
    """The anchors of the database at `db_path` (a SQLite file) or `url` (a PostgreSQL database):
    `[audit] checkpoint_file` when set, else one file per database in the user state folder, named
    by the database's path or by its URL without the password. None for :memory:.

    On PostgreSQL each machine keeps its own file: the desk's role cannot rewrite the log, but
    whoever owns the server can, or can restore an older copy, and the file on every desk's
    machine catches it."""
    if db_path is not None:
        resolved = str(Path(db_path).expanduser().resolve())
        stem = Path(resolved).stem
    elif url is not None and make_url(url).get_backend_name() == "postgresql":
        given = make_url(url)  # without its password: the same database whatever the password is
        parsed = URL.create(given.drivername, given.username, None, given.host, given.port, given.database)
        resolved = parsed.render_as_string(hide_password=False)
        stem = f"{parsed.host or 'local'}-{parsed.database or 'postgres'}"
    else:
        return None
    from watchdesk.locations import state_dir

    if setting:
        file = Path(setting).expanduser()
    else:
        digest = sha256(resolved.encode()).hexdigest()[:12]
        file = state_dir() / "checkpoints" / f"{stem}-{digest}.jsonl"
    return Anchors(file, file.with_name(file.name + ".damaged"), resolved)


def latest(anchors: Anchors) -> Anchor | None:
    """The last anchor written for this database (None when there is none yet).

    A torn or hand-edited line is skipped; lines of another database (a checkpoint_file shared
    by mistake) are ignored."""
    try:
        with anchors.checkpoints.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - _TAIL))
            data = f.read()
            found = _last_of(data, anchors.database, whole=size <= _TAIL)
            if found is None and size > _TAIL:
                f.seek(0)
                found = _last_of(f.read(), anchors.database, whole=True)
            return found
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DatabaseError(f"{anchors.checkpoints}: cannot read the audit checkpoints ({exc.strerror}); check the path and its permissions, or set [audit] checkpoint_file.") from None


def _last_of(data: bytes, database: str, *, whole: bool) -> Anchor | None:
    lines = data.splitlines()
    if not whole and lines:
        lines = lines[1:]  # the first line of a tail read may be cut
    for raw in reversed(lines):
        try:
            item = json.loads(raw)
            if item.get("db") == database:
                return Anchor(int(item["seq"]), str(item["hash"]), str(item.get("at", "")), str(item.get("why", "")))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return None


def append(anchors: Anchors, seq: int, digest: str, at: str, why: str) -> Anchor:
    """Append one anchor (one write to an O_APPEND file, then fsync)."""
    line = json.dumps({"seq": seq, "hash": digest, "at": at, "why": why, "db": anchors.database}, ensure_ascii=False) + "\n"
    try:
        anchors.checkpoints.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(anchors.checkpoints, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise DatabaseError(
            f"{anchors.checkpoints}: cannot write the audit checkpoint ({exc.strerror}); "
            "free space or fix the folder's permissions, or set [audit] checkpoint_file."
        ) from None
    return Anchor(seq, digest, at, why)


def anchor(db: Database, anchors: Anchors, why: str, every: int = 0) -> Anchor | None:
    """Write the audit head as a new anchor when it moved at least `every` events (0: at all)
    past the last one; returns what was written, or None.

    The rows since the last anchor are checked first: an anchor is only ever written over a
    chain that still reaches the one before, so a truncated or re-chained log is never
    anchored over (DatabaseDamaged says what broke)."""
    from watchdesk.store import audit

    last = latest(anchors)
    if last is not None:
        problem, head = audit.reach(db, last, walk=True)  # an idle cycle: one connection, two key reads
        if problem:
            raise DatabaseDamaged(f"{db.where}: the audit log no longer holds its checkpoint: {problem}; run 'watchdesk db check'.")
    else:
        head = audit.head(db)
    if head is None or (last is not None and head.seq < last.seq + max(every, 1)):
        return None
    return append(anchors, head.seq, head.hash, head.at, why)


def at_handover(db: Database, why: str) -> Anchor | None:
    """The anchor written when a handover is signed or accepted (after its transaction committed).

    Never fails the handover: a chain that no longer reaches its checkpoint shows in the record's
    proof and in `db check`, and an unwritable file is logged."""
    if db.anchors is None:
        return None
    try:
        return anchor(db, db.anchors, why)
    except DatabaseError as exc:
        log.error("no checkpoint at %s: %s", why, exc)
        return None


def describe(anchors: Anchors | None) -> str:
    """The latest anchor in words, for the handover record and the reports."""
    from watchdesk.i18n import _

    if anchors is None:
        return _("no checkpoint file is kept for this database")
    try:
        last = latest(anchors)
    except DatabaseError as exc:
        return str(exc)
    if last is None:
        return _("none yet in {file}").format(file=anchors.checkpoints)
    return _("seq {seq}, hash {hash} ({why}, event time {at}) in {file}").format(
        seq=last.seq, hash=last.hash, why=last.why or _("written"), at=last.at[:19] + " UTC", file=anchors.checkpoints)


def mark_damaged(anchors: Anchors, sentence: str, by: str, at: str) -> None:
    """Say, outside the database, that it was found damaged: writes stop until `db check` passes."""
    text = json.dumps({"at": at, "by": by, "why": sentence}, ensure_ascii=False) + "\n"
    try:
        anchors.mark.parent.mkdir(parents=True, exist_ok=True)
        anchors.mark.write_text(text, encoding="utf-8")
    except OSError:
        pass  # the engine stops writing anyway; the mark only tells the other processes


def read_mark(path: Path) -> str:
    """The mark's words: who found the damage, when, and what."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return f"found by {data.get('by', '?')} at {str(data.get('at', '?'))[:19]} UTC: {data.get('why', '')}".rstrip(": ")
    except (OSError, ValueError, AttributeError):
        return f"see {path}"


def clear_mark(anchors: Anchors) -> bool:
    try:
        anchors.mark.unlink()
        return True
    except FileNotFoundError:
        return False
