"""The outbox's SQL: queueing a page, the due rows, claims and the outcome of each attempt.

Every change is a compare-and-set on (id, status, attempts[, claim]); the caller counts rowcount.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, text
from sqlmodel import Session

from watchdesk.store.runners import takeable, takeable_args
from watchdesk.store.types import to_db_text

_FREE = takeable("notification")  # not held by a live claim

_INSERT = text(
    "INSERT INTO notification (alert_id, level, round, channel, target, dedup_key, subject, body, status, attempts, "
    "next_attempt_at, claimed_until, last_error, created_at, sent_at) "
    "VALUES (:alert_id, :level, :round, :channel, :target, :dedup_key, :subject, :body, :status, 0, "
    ":next_attempt_at, NULL, '', :created_at, :sent_at) ON CONFLICT(dedup_key) DO NOTHING"
)


def insert_notification(session: Session, *, alert_id: int | None, level: int, round: int, channel: str, target: str,
                        dedup_key: str, subject: str, body: str, sent: bool, now: datetime) -> bool:
    """One outbox row, `sent` already (terminal) or `pending` from now; False when the key was queued before."""
    stamp = to_db_text(now)
    return session.connection().execute(_INSERT, {
        "alert_id": alert_id, "level": level, "round": round, "channel": channel, "target": target,
        "dedup_key": dedup_key, "subject": subject, "body": body, "status": "sent" if sent else "pending",
        "next_attempt_at": None if sent else stamp, "created_at": stamp, "sent_at": stamp if sent else None,
    }).rowcount == 1


_TERMINAL = ("SELECT id, alert_id, level, round, target, subject, body, sent_at FROM notification "
             "WHERE id > :last_id AND channel IN :channels")


def terminal_rows_since(session: Session, last_id: int, channels: Sequence[str], target: str | None, limit: int) -> list[Any]:
    """Rows of the terminal `channels` with id > last_id, oldest first: (id, alert_id, level, round,
    target, subject, body, sent_at as stored text)."""
    # SQLite-only: ids grow in commit order (single writer)
    sql = _TERMINAL + (" AND target = :target" if target is not None else "") + " ORDER BY id LIMIT :limit"
    stmt = text(sql).bindparams(bindparam("channels", expanding=True, type_=String))
    args: dict[str, Any] = {"last_id": last_id, "channels": list(channels), "limit": limit}
    if target is not None:
        args["target"] = target
    return list(session.connection().execute(stmt, args).all())


_LOG = text(
    "SELECT id, alert_id, level, round, channel, target, status, attempts, last_error, created_at, "
    "next_attempt_at, sent_at FROM notification WHERE alert_id = :alert_id ORDER BY id"
)


def delivery_rows(session: Session, alert_id: int) -> list[Any]:
    """An alert's outbox rows, oldest first (times as stored text)."""
    return list(session.connection().execute(_LOG, {"alert_id": alert_id}).all())


def due_notifications(session: Session, now: datetime, limit: int, *, channels_full: Collection[str] = (),
                      skip: Collection[int] = (), lock: bool = False) -> list[Any]:
    """(id, channel) of the pending rows due at `now` that no live claim holds, oldest first, leaving
    out the channels in `channels_full` and the ids in `skip`.

    `lock` (in a write transaction, to claim them): on PostgreSQL the rows are locked FOR UPDATE and
    rows another transaction has locked are skipped, so concurrent claimers take disjoint rows
    without waiting for each other; on SQLite the write transaction itself is the lock."""
    sql = (f"SELECT id, channel FROM notification WHERE status = 'pending' "
           f"AND (next_attempt_at IS NULL OR next_attempt_at <= :now) AND {_FREE}"
           + (" AND channel NOT IN :full" if channels_full else "")
           + (" AND id NOT IN :skip" if skip else "")
           + " ORDER BY id LIMIT :limit")
    if lock and session.get_bind().dialect.name == "postgresql":
        sql += " FOR UPDATE SKIP LOCKED"  # PostgreSQL-only: SQLite has no row locks (BEGIN IMMEDIATE holds them all)
    stmt = text(sql)
    args: dict[str, Any] = {**takeable_args(now), "limit": limit}
    if channels_full:
        stmt = stmt.bindparams(bindparam("full", expanding=True, type_=String))
        args["full"] = list(channels_full)
    if skip:
        stmt = stmt.bindparams(bindparam("skip", expanding=True))
        args["skip"] = list(skip)
    return list(session.connection().execute(stmt, args).all())


_FOR_CLAIM = text(
    "SELECT n.id, n.alert_id, n.level, n.round, n.channel, n.target, n.dedup_key, n.subject, n.body, "
    "n.attempts, a.state FROM notification n LEFT JOIN alert a ON a.id = n.alert_id WHERE n.id = :id"
)


def notification_for_claim(session: Session, notification_id: int) -> Any:
    """(id, alert_id, level, round, channel, target, dedup_key, subject, body, attempts, alert state)."""
    return session.connection().execute(_FOR_CLAIM, {"id": notification_id}).one()


_CLAIM = text(
    "UPDATE notification SET attempts = attempts + 1, claimed_until = :until, claimed_by = :claimer "
    f"WHERE id = :id AND status = 'pending' AND attempts = :attempts AND {_FREE}"
)


def claim(session: Session, notification_id: int, attempts: int, claimer: str, until: datetime, now: datetime) -> bool:
    """Take one attempt of a pending row no live claim holds (compare-and-set on its attempts)."""
    return session.connection().execute(_CLAIM, {
        "until": to_db_text(until), "claimer": claimer, "id": notification_id, "attempts": attempts, **takeable_args(now),
    }).rowcount == 1


_CANCEL = text(
    "UPDATE notification SET status = 'cancelled', claimed_until = NULL, claimed_by = '', next_attempt_at = NULL, "
    f"last_error = :why WHERE id = :id AND status = 'pending' AND attempts = :attempts AND {_FREE}"
)


def cancel(session: Session, notification_id: int, attempts: int, why: str, now: datetime) -> bool:
    """Mark a pending row no live claim holds `cancelled`, saying why."""
    return session.connection().execute(_CANCEL, {
        "why": why, "id": notification_id, "attempts": attempts, **takeable_args(now),
    }).rowcount == 1


_CLAIMED = "WHERE id = :id AND status = 'pending' AND attempts = :attempts"
_SENT = text(f"UPDATE notification SET status = 'sent', sent_at = :at, claimed_until = NULL, claimed_by = '', last_error = '' {_CLAIMED}")
_FAILED = text("UPDATE notification SET status = 'failed', claimed_until = NULL, claimed_by = '', "
               f"next_attempt_at = NULL, last_error = :error {_CLAIMED}")
_RETRY = text(f"UPDATE notification SET claimed_until = NULL, claimed_by = '', next_attempt_at = :at, last_error = :error {_CLAIMED}")


def mark_sent(session: Session, notification_id: int, attempts: int, now: datetime) -> int:
    """The attempt `attempts` delivered: 1 when this claim still held the row, else 0."""
    return session.connection().execute(_SENT, {"at": to_db_text(now), "id": notification_id, "attempts": attempts}).rowcount


def mark_failed(session: Session, notification_id: int, attempts: int, error: str) -> int:
    """Given up after the attempt `attempts`: 1 when this claim still held the row, else 0."""
    return session.connection().execute(_FAILED, {"error": error, "id": notification_id, "attempts": attempts}).rowcount


def mark_retry(session: Session, notification_id: int, attempts: int, at: datetime, error: str) -> int:
    """The attempt `attempts` failed; the next one is due `at`: 1 when this claim still held the row, else 0."""
    return session.connection().execute(
        _RETRY, {"at": to_db_text(at), "error": error, "id": notification_id, "attempts": attempts}).rowcount


_NEW_COLUMNS = ("alert_id", "level", "round", "channel", "target", "dedup_key", "subject", "body", "status", "attempts",
                "next_attempt_at", "claimed_until", "last_error", "created_at", "sent_at")  # what _INSERT writes
_QUEUED = text("SELECT dedup_key FROM notification WHERE dedup_key IN :keys").bindparams(
    bindparam("keys", expanding=True, type_=String))


def insert_notifications(session: Session, rows: Sequence[dict[str, Any]], now: datetime) -> list[bool]:
    """Many outbox rows (insert_notification's keywords but `now`, in order) inserted together
    (store.queries.rows); for each, whether it was queued (False: its key was queued before, or earlier in `rows`).

    The keys already queued are read first: the caller's write transaction holds the write lock,
    so none can be added between that read and the insert (ON CONFLICT stays as the guard)."""
    from watchdesk.store.queries.rows import insert_rows  # (this block is appended below the module's imports)

    keys = [r["dedup_key"] for r in rows]
    queued: set[str] = set()
    for start in range(0, len(keys), 500):  # an IN list every driver takes
        queued.update(k for (k,) in session.connection().execute(_QUEUED, {"keys": keys[start:start + 500]}))
    stamp = to_db_text(now)
    fresh, out = [], []
    for r in rows:
        new = r["dedup_key"] not in queued
        out.append(new)
        if new:
            queued.add(r["dedup_key"])
            sent = r["sent"]
            fresh.append({
                "alert_id": r["alert_id"], "level": r["level"], "round": r["round"], "channel": r["channel"],
                "target": r["target"], "dedup_key": r["dedup_key"], "subject": r["subject"], "body": r["body"],
                "status": "sent" if sent else "pending", "attempts": 0, "next_attempt_at": None if sent else stamp,
                "claimed_until": None, "last_error": "", "created_at": stamp, "sent_at": stamp if sent else None,
            })
    insert_rows(session, "notification", _NEW_COLUMNS, fresh, " ON CONFLICT(dedup_key) DO NOTHING")
    return out
