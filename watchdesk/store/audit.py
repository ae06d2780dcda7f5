"""The audit log: append (inside the caller's write transaction), verify, checkpoint, tail."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from watchdesk.core.audit import DOMAIN, GENESIS, canonical_json, event_hash
from watchdesk.store.db import Database
from watchdesk.store.types import to_db_text

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
    """Append one event in the session's (BEGIN IMMEDIATE) transaction; returns its seq.

    The write lock is already held, so reading the head and inserting seq+1 cannot race;
    the UNIQUE prev_hash makes a fork impossible even if it could.
    """
    conn = session.connection()
    head = conn.exec_driver_sql("SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1").first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    at_text = to_db_text(at)
    body = canonical_json(payload or {})
    sid = "" if subject_id is None else str(subject_id)
    digest = event_hash(seq, prev, at_text, actor, kind, subject_type, sid, body)
    conn.exec_driver_sql(
        "INSERT INTO event (seq, at, actor, kind, subject_type, subject_id, payload, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, at_text, actor, kind, subject_type, sid, body, prev, digest),
    )
    return seq


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    at: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head: Head | None
    bad_seq: int | None = None
    reason: str = ""

    def sentence(self) -> str:
        if self.ok:
            if self.head is None:
                return "audit log verified: empty."
            return f"audit log verified: {self.count} events, head seq {self.head.seq} hash {self.head.hash[:16]}…"
        return f"audit log BROKEN at seq {self.bad_seq}: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "count": self.count,
            "head": asdict(self.head) if self.head else None,
            "bad_seq": self.bad_seq,
            "reason": self.reason,
        }


def head(db: Database) -> Head | None:
    conn = db.raw()
    try:
        row = conn.execute("SELECT seq, hash, at FROM event ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return Head(*row) if row else None


def verify(db: Database, checkpoint: Head | None = None, batch: int = 20_000) -> VerifyResult:
    """Walk the chain from seq 1; name the first seq that does not hold.

    Catches edited, deleted, reordered and inserted rows; with a checkpoint kept outside the
    database, also a truncated tail (or a rewritten chain that no longer reaches it).
    """
    conn = db.raw()
    sha = hashlib.sha256
    expected_seq, prev, count, last = 1, GENESIS, 0, None
    try:
        # One read transaction: a consistent snapshot while other processes append.
        conn.execute("BEGIN")
        cur = conn.execute(
            "SELECT seq, at, actor, kind, subject_type, subject_id, payload, prev_hash, hash FROM event ORDER BY seq"
        )
        while rows := cur.fetchmany(batch):
            for seq, at, actor, kind, stype, sid, payload, prev_hash, digest in rows:
                if seq != expected_seq:
                    missing = expected_seq if seq > expected_seq else seq
                    return VerifyResult(False, count, last, missing, f"seq {expected_seq} expected, found {seq} (a row was deleted or inserted)")
                if prev_hash != prev:
                    return VerifyResult(False, count, last, seq, "prev_hash does not match the previous event's hash (rows reordered, deleted or inserted)")
                parts = [DOMAIN, b"%d;" % seq, prev_hash.encode("ascii")]
                for value in (at, actor, kind, stype, sid, payload):
                    raw = value.encode("utf-8")
                    parts.append(b"%d:%b;" % (len(raw), raw))
                if sha(b"".join(parts)).hexdigest() != digest:
                    return VerifyResult(False, count, last, seq, "the event's content does not match its hash (the row was edited)")
                prev, expected_seq, count = digest, expected_seq + 1, count + 1
                last_row = (seq, digest, at)
            last = Head(*last_row)
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    if checkpoint is not None:
        if last is None or last.seq < checkpoint.seq:
            have = last.seq if last else 0
            return VerifyResult(False, count, last, have + 1, f"the log ends at seq {have} but the checkpoint saw seq {checkpoint.seq} (the tail was truncated)")
        if _hash_at(db, checkpoint.seq) != checkpoint.hash:
            return VerifyResult(False, count, last, checkpoint.seq, "the event at the checkpoint's seq does not have the checkpoint's hash (the chain was rewritten)")
    return VerifyResult(True, count, last)


def _hash_at(db: Database, seq: int) -> str | None:
    conn = db.raw()
    try:
        row = conn.execute("SELECT hash FROM event WHERE seq = ?", (seq,)).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def write_checkpoint(h: Head, path: Path) -> None:
    path.write_text(json.dumps(asdict(h), indent=2) + "\n", encoding="utf-8")


def read_checkpoint(path: Path) -> Head:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Head(seq=int(data["seq"]), hash=str(data["hash"]), at=str(data.get("at", "")))
    except FileNotFoundError:
        raise ValueError(f"{path}: checkpoint file not found; give the file written by 'watchdesk log checkpoint'.") from None
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{path}: not a watchdesk checkpoint (expected JSON with 'seq' and 'hash').") from None


def tail(db: Database, limit: int = 20, *, actor: str = "", kind: str = "", subject: tuple[str, str] | None = None) -> list[EventRecord]:
    """The latest events, oldest first, optionally filtered."""
    where, args = [], []
    if actor:
        where.append("actor = ?")
        args.append(actor)
    if kind:
        where.append("kind LIKE ?")
        args.append(kind.replace("*", "%") if "*" in kind else kind)
    if subject:
        where.append("subject_type = ? AND subject_id = ?")
        args.extend(subject)
    sql = "SELECT seq, at, actor, kind, subject_type, subject_id, payload, hash FROM event"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC LIMIT ?"
    args.append(limit)
    conn = db.raw()
    try:
        rows = conn.execute(sql, args).fetchall()
    finally:
        conn.close()
    return [EventRecord(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7]) for r in reversed(rows)]
