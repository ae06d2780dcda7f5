"""The audit log: append (inside the caller's write transaction), verify, checkpoint, tail."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from watchdesk.core.audit import GENESIS, event_body, event_hash
from watchdesk.store.db import Database, DatabaseError
from watchdesk.store.types import to_db_text
from watchdesk.store.verify_range import check_range, check_rows

SYSTEM = "system"


@dataclass(frozen=True)
class EventRecord:
    seq: int
    at: str
    actor: str
    kind: str
    subject_type: str
    subject_id: str
    payload: dict[str, Any]
    hash: str


def append_event(
    session: Session,
    at: datetime,
    actor: str,
    kind: str,
    subject_type: str = "",
    subject_id: object = "",
    payload: dict[str, Any] | None = None,
) -> int:
    """Append one event in the session's write transaction; returns its seq.

    The write lock is already held (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory write lock),
    so reading the head and inserting seq+1 cannot race, and seq order is commit order; the
    UNIQUE prev_hash makes a fork impossible even if it could.
    """
    conn = session.connection()
    head = conn.execute(text("SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1")).first()
    seq, prev = (head[0] + 1, bytes(head[1])) if head else (1, GENESIS)
    sid = "" if subject_id is None else str(subject_id)
    body = event_body(to_db_text(at), actor, kind, subject_type, sid, payload or {})
    conn.execute(
        text("INSERT INTO event (seq, body, prev_hash, hash) VALUES (:seq, :body, :prev_hash, :hash)"),
        {"seq": seq, "body": body, "prev_hash": prev, "hash": event_hash(seq, prev, body)},
    )
    return seq


def append_events_bulk(
    conn: Any, events: Iterable[tuple[datetime, str, str, str, str, dict[str, Any]]]
) -> int:
    """Append many events through a driver connection (sqlite3 or psycopg) already inside a write
    transaction, so the write lock is held and the head read here is the true head.

    For bulk loaders (benchmarks/make_history.py, imports, a poll's new alerts): each item is
    (at, actor, kind, subject_type, subject_id, data). Returns the last seq.
    """
    on_sqlite = isinstance(conn, sqlite3.Connection)
    insert = "INSERT INTO event (seq, body, prev_hash, hash) VALUES (?, ?, ?, ?)"
    cur = conn.cursor()
    try:
        cur.execute("SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1")
        head = cur.fetchone()
        seq, prev = (head[0], bytes(head[1])) if head else (0, GENESIS)
        batch: list[tuple[int, str, bytes, bytes]] = []

        def flush() -> None:
            if on_sqlite:
                cur.executemany(insert, batch)
                return
            # PostgreSQL: COPY, one statement whatever the count: the change-mark trigger runs once
            # (an executemany ran it once per event: 12 s for 20,000 events, 1 s by COPY).
            with cur.copy("COPY event (seq, body, prev_hash, hash) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)

        for at, actor, kind, stype, sid, data in events:
            seq += 1
            body = event_body(to_db_text(at), actor, kind, stype, str(sid), data)
            digest = event_hash(seq, prev, body)
            batch.append((seq, body, prev, digest))
            prev = digest
            if len(batch) >= 20_000:
                flush()
                batch.clear()
        if batch:
            flush()
    finally:
        cur.close()
    return seq


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str  # hex
    at: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head: Head | None
    bad_seq: int | None = None
    reason: str = ""
    anchor_seq: int | None = None  # the checkpoint the chain was found to reach
    anchor_file: str = ""  # where checkpoints are kept ('' when none is kept for this database)

    def sentence(self) -> str:
        from watchdesk.i18n import _

        if self.ok:
            if self.head is None:
                return _("audit log verified: empty.")
            text = _("audit log verified: {n} events, head seq {seq} hash {hash}…").format(
                n=self.count, seq=self.head.seq, hash=self.head.hash[:16])
            if self.anchor_seq is not None:
                return text + _("; it reaches the checkpoint at seq {seq}.").format(seq=self.anchor_seq)
            if self.anchor_file:  # (the file is in to_json and `db check`; a sentence stays short)
                return text + _("; no checkpoint written yet, so a lost tail would not show.")
            return text
        if self.bad_seq is None:
            return _("audit log NOT verified: {why}").format(why=self.reason)
        return _("audit log BROKEN at seq {seq}: {why}").format(seq=self.bad_seq, why=self.reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "count": self.count,
            "head": None if self.head is None else {"seq": self.head.seq, "hash": self.head.hash, "at": self.head.at},
            "bad_seq": self.bad_seq,
            "reason": self.reason,
            "checkpoint_seq": self.anchor_seq,
            "checkpoint_file": self.anchor_file,
        }


def _fetch(db: Database, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Rows of one read with named binds: SQLite's own driver on SQLite (speed, and its damage
    errors as they are), SQLAlchemy on PostgreSQL."""
    if db.is_sqlite:
        conn = db.raw()
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def _head_row(db: Database, seq: int | None = None) -> Head | None:
    if seq is None:
        rows = _fetch(db, "SELECT seq, hash, at FROM event ORDER BY seq DESC LIMIT 1", {})
    else:
        rows = _fetch(db, "SELECT seq, hash, at FROM event WHERE seq = :seq", {"seq": seq})
    return Head(rows[0][0], bytes(rows[0][1]).hex(), rows[0][2]) if rows else None


def head(db: Database) -> Head | None:
    return _head_row(db)


def _check(db: Database, lo: int, hi: int) -> dict[str, object]:
    """check_range over one seq range, on either backend."""
    if db.is_sqlite:
        return check_range(str(db.path), lo, hi)
    with db.connect() as conn:
        rows = conn.execution_options(yield_per=10_000).execute(
            text("SELECT seq, body, prev_hash, hash FROM event WHERE seq BETWEEN :lo AND :hi ORDER BY seq"), {"lo": lo, "hi": hi})
        return check_rows(rows, lo, hi)


_REASONS = {
    "gap": "seq {seq} is missing (a row was deleted, or the numbering was changed)",
    "link": "prev_hash does not match the previous event's hash (rows reordered, deleted or inserted)",
    "hash": "the event's content does not match its hash (the row was edited)",
    "damaged": "the database file cannot be read there ({detail}): it is damaged; run 'watchdesk db check' and restore the latest backup",
}
PARALLEL_FROM = 200_000  # below this, one process is faster than starting workers
LATEST = object()  # verify(): check against the latest checkpoint kept for this database


def verify(db: Database, checkpoint: Any = LATEST, workers: int | None = None) -> VerifyResult:
    """Walk the chain from seq 1; name the first seq that does not hold.

    Catches edited, deleted, reordered and inserted rows; against a checkpoint kept outside the
    database (by default the latest one the desk wrote, see watchdesk.store.checkpoint), also a
    truncated tail, a lost WAL or a rewritten chain that no longer reaches it. A page SQLite
    cannot read is a failure too, never an exception. Long chains are checked in seq ranges by
    worker processes (one per core), then the links between ranges are checked here.
    """
    anchor_file = ""
    if checkpoint is LATEST:
        checkpoint = None
        if db.anchors is not None:
            from watchdesk.store.checkpoint import latest

            anchor_file = str(db.anchors.checkpoints)
            checkpoint = latest(db.anchors)
    try:
        result = _verify(db, checkpoint, workers)
    except (sqlite3.DatabaseError, DatabaseError) as exc:
        text = str(exc) if isinstance(exc, DatabaseError) else _REASONS["damaged"].format(detail=exc)
        return VerifyResult(False, 0, None, None, text if isinstance(exc, DatabaseError) else f"{db.where}: {text}.")
    if result.ok:
        return replace(result, anchor_seq=checkpoint.seq if checkpoint is not None else None, anchor_file=anchor_file)
    return result


def _verify(db: Database, checkpoint: Any, workers: int | None) -> VerifyResult:
    last = _head_row(db)
    top = last.seq if last else 0
    if workers is None or not db.is_sqlite:  # range workers read the SQLite file
        workers = min(os.cpu_count() or 1, 8) if top >= PARALLEL_FROM and db.path else 1
    bounds = [(1 + top * i // workers, top * (i + 1) // workers) for i in range(workers)] if top else []
    if workers > 1:
        procs = [
            subprocess.Popen([sys.executable, "-m", "watchdesk.store.verify_range", str(db.path), str(lo), str(hi)], stdout=subprocess.PIPE, text=True)
            for lo, hi in bounds
        ]
        results = [json.loads(p.communicate()[0] or '{"bad": 1, "why": "hash"}') for p in procs]
    else:
        results = [_check(db, lo, hi) for lo, hi in bounds]
    prev = GENESIS.hex()
    for (lo, _hi), res in zip(bounds, results):
        if res["bad"] is not None:
            why = str(res["why"])
            return _broken(db, int(res["bad"]), _REASONS[why].format(seq=res["bad"], detail=res.get("detail", "")))
        if res["first_prev"] != prev:
            return _broken(db, lo, _REASONS["link"])
        prev = str(res["last"])
    if checkpoint is not None:
        problem = reaches(db, checkpoint)
        if problem:
            seq = top + 1 if last is None or last.seq < checkpoint.seq else checkpoint.seq
            return VerifyResult(False, top, last, seq, problem)
    return VerifyResult(True, top, last)


def reaches(db: Database, checkpoint: Any, *, walk: bool = False) -> str:
    """'' when the log still holds the checkpoint's event (same seq, same hash); else why not.

    With `walk`, the rows after the checkpoint are checked too (links and hashes): cheap when
    the checkpoint is recent, which is how the engine anchors."""
    return reach(db, checkpoint, walk=walk)[0]


def reach(db: Database, checkpoint: Any, *, walk: bool = False) -> tuple[str, Head | None]:
    """`reaches`, with the head it read (one connection for both)."""
    last = _head_row(db)
    at = _head_row(db, checkpoint.seq) if last is not None and last.seq != checkpoint.seq else last
    top = last.seq if last else 0
    if top < checkpoint.seq:
        return (f"the log ends at seq {top} but the checkpoint saw seq {checkpoint.seq} "
                "(the tail was lost: a truncated file, a deleted -wal or rows removed)"), last
    if at is None or at.hash != checkpoint.hash:
        return f"the event at seq {checkpoint.seq} does not have the checkpoint's hash (the chain was rewritten)", last
    if walk and top > checkpoint.seq:
        res = _check(db, checkpoint.seq + 1, top)
        if res["bad"] is not None:
            why = str(res["why"])
            return f"seq {res['bad']}: " + _REASONS[why].format(seq=res["bad"], detail=res.get("detail", "")), last
        if res["first_prev"] != checkpoint.hash:
            return f"seq {checkpoint.seq + 1}: " + _REASONS["link"], last
    return "", last


def _broken(db: Database, seq: int, reason: str) -> VerifyResult:
    try:
        good = _head_row(db, seq - 1) if seq > 1 else None
    except (sqlite3.DatabaseError, DatabaseError):
        good = None
    return VerifyResult(False, max(seq - 1, 0), good, seq, reason)


def write_checkpoint(h: Head, path: Path) -> None:
    path.write_text(json.dumps({"seq": h.seq, "hash": h.hash, "at": h.at}, indent=2) + "\n", encoding="utf-8")


def read_checkpoint(path: Path) -> Head:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Head(seq=int(data["seq"]), hash=str(data["hash"]), at=str(data.get("at", "")))
    except FileNotFoundError:
        raise ValueError(f"{path}: checkpoint file not found; give the file written by 'watchdesk log checkpoint'.") from None
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{path}: not a watchdesk checkpoint (expected JSON with 'seq' and 'hash').") from None


def _record(seq: int, body: str, digest: bytes) -> EventRecord:
    data = json.loads(body)
    return EventRecord(seq, data["at"], data["actor"], data["kind"], data["subject_type"], data["subject_id"], data["data"], bytes(digest).hex())


def tail(db: Database, limit: int = 20, *, actor: str = "", kind: str = "", subject: tuple[str, str] | None = None, before_seq: int | None = None) -> list[EventRecord]:
    """The latest events (before `before_seq` if given), oldest first, optionally filtered."""
    where: list[str] = []
    args: dict[str, Any] = {"limit": limit}
    if actor:
        where.append("actor = :actor")
        args["actor"] = actor
    if kind:
        where.append("kind LIKE :kind" if "*" in kind else "kind = :kind")
        args["kind"] = kind.replace("*", "%")
    if subject:
        where.append("subject_type = :subject_type AND subject_id = :subject_id")
        args["subject_type"], args["subject_id"] = subject
    if before_seq is not None:
        where.append("seq < :before_seq")
        args["before_seq"] = before_seq
    sql = "SELECT seq, body, hash FROM event"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC LIMIT :limit"
    rows = _fetch(db, sql, args)
    return [_record(*r) for r in reversed(rows)]


def events_for(db: Database, subject_type: str, subject_id: object) -> list[EventRecord]:
    """Every event about one subject (an alert's timeline), oldest first."""
    rows = _fetch(db, "SELECT seq, body, hash FROM event WHERE subject_type = :subject_type AND subject_id = :subject_id ORDER BY seq",
                  {"subject_type": subject_type, "subject_id": str(subject_id)})
    return [_record(*r) for r in rows]
