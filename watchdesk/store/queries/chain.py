"""The audit chain appended at once: the events a transaction writes, chained in Python and inserted
together (store.queries.rows; the escalation sweep writes hundreds per tick).

The same chain as `store.audit.append_event`, one event after another: the head is read once under
the write lock the caller's transaction holds (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory
write lock), so no other writer can append in between, and seq order stays commit order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text

from watchdesk.core.audit import GENESIS, event_body, event_hash
from watchdesk.store.db import Session
from watchdesk.store.queries.rows import insert_rows
from watchdesk.store.types import to_db_text

_HEAD = text("SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1")
_COLUMNS = ("seq", "body", "prev_hash", "hash")

Event = tuple[datetime, str, str, str, object, dict[str, Any]]
"""(at, actor, kind, subject type, subject id, payload): append_event's arguments."""


def append_chained(session: Session, events: Sequence[Event]) -> int:
    """Append `events` in order in the session's write transaction; the last seq (0 when none)."""
    if not events:
        return 0
    conn = session.connection()
    head = conn.execute(_HEAD).first()
    seq, prev = (head[0], bytes(head[1])) if head else (0, GENESIS)
    rows = []
    stamps: dict[datetime, str] = {}  # a sweep's events share one instant: format it once
    for at, actor, kind, subject_type, subject_id, payload in events:
        seq += 1
        stamp = stamps.get(at) or stamps.setdefault(at, to_db_text(at))
        body = event_body(stamp, actor, kind, subject_type, "" if subject_id is None else str(subject_id), payload or {})
        digest = event_hash(seq, prev, body)
        rows.append({"seq": seq, "body": body, "prev_hash": prev, "hash": digest})
        prev = digest
    insert_rows(session, "event", _COLUMNS, rows)
    return seq
