"""The outbox: one `notification` row per (alert, level, round, channel, target); delivery.

`enqueue` runs inside the escalation's write transaction, so a page is queued exactly when
the escalation commits (a duplicate key is ignored: the unique dedup_key makes a second
engine's attempt harmless). `Outbox.deliver_due` claims due rows with a compare-and-set on
(status, attempts, claimed_until) inside BEGIN IMMEDIATE, sends outside any transaction,
then records the outcome with a compare-and-set on the attempt it claimed. A crash between
send and record leaves the claim to expire and the row is sent again: a duplicate rather
than a miss. Terminal rows are written already `sent`: every running desk watches them.
A page whose alert is acknowledged or resolved by the time it comes due (a retry after a
failed attempt, a slow channel) is not sent: it is marked `cancelled` and the log says so.
"""

from __future__ import annotations

import logging
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from watchdesk.config import ChannelConfig
from watchdesk.core.enums import AlertState
from watchdesk.core.text import clean_line
from watchdesk.notify.channels import Channels, DeliveryError, Message
from watchdesk.notify.messages import Page
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import SYSTEM, append_event
from watchdesk.store.types import to_db_text

log = logging.getLogger("watchdesk.notify")
_HANDLED = (AlertState.ACKNOWLEDGED.value, AlertState.RESOLVED.value)  # a page for these would only wake someone
_jitter = random.Random()
_INSERT = (
    "INSERT INTO notification (alert_id, level, round, channel, target, dedup_key, subject, body, status, attempts, "
    "next_attempt_at, claimed_until, last_error, created_at, sent_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, NULL, '', ?, ?) ON CONFLICT(dedup_key) DO NOTHING"
)


def dedup_key(alert_id: int | None, level: int, round: int, channel: str, target: str) -> str:
    return f"alert:{alert_id}:level:{level}:round:{round}:{channel}:{target}"


def enqueue(
    session: Session,
    *,
    alert_id: int | None,
    level: int,
    round: int,
    channel: str,
    channel_type: str,
    target: str,
    page: Page,
    now: datetime,
    key: str | None = None,
) -> bool:
    """Queue one message in the caller's write transaction; False when its key was already queued."""
    stamp = to_db_text(now)
    sent = channel_type == "terminal"
    result = session.connection().exec_driver_sql(
        _INSERT,
        (
            alert_id, level, round, channel, target, key or dedup_key(alert_id, level, round, channel, target),
            page.subject, page.body, "sent" if sent else "pending", None if sent else stamp, stamp, stamp if sent else None,
        ),
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class TerminalMessage:
    """A bell and a banner for the desks: who it is for, and what it says."""

    id: int
    alert_id: int | None
    level: int
    round: int
    target: str
    subject: str
    body: str
    sent_at: datetime


def _dt(value: str | None) -> datetime | None:
    from watchdesk.store.types import UTCDateTime

    return UTCDateTime().process_result_value(value, None)


def _terminal_names(rt: Runtime) -> list[str]:
    return [name for name, conf in rt.config.channels.items() if conf.type == "terminal"]


def terminal_messages_since(rt: Runtime, last_id: int, target: str | None = None, limit: int = 200) -> list[TerminalMessage]:
    """Terminal messages with id > last_id, oldest first (optionally only those for one handle).

    Rows are inserted inside serialised write transactions, so ids only grow in commit order:
    a desk that remembers the last id it showed never misses one.
    """
    names = _terminal_names(rt)
    if not names:
        return []
    sql = (
        "SELECT id, alert_id, level, round, target, subject, body, sent_at FROM notification "
        f"WHERE id > ? AND channel IN ({','.join('?' * len(names))})"
    )
    args: list[object] = [last_id, *names]
    if target is not None:
        sql += " AND target = ?"
        args.append(target)
    sql += " ORDER BY id LIMIT ?"
    args.append(limit)
    conn = rt.db.raw()
    try:
        rows = conn.execute(sql, args).fetchall()
    finally:
        conn.close()
    return [TerminalMessage(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _dt(r[7])) for r in rows]  # type: ignore[arg-type]


@dataclass(frozen=True)
class DeliveryRecord:
    """One line of an alert's delivery log."""

    id: int
    alert_id: int | None
    level: int
    round: int
    channel: str
    target: str
    status: str
    attempts: int
    last_error: str
    created_at: datetime | None
    next_attempt_at: datetime | None
    sent_at: datetime | None


def delivery_log(rt: Runtime, alert_id: int) -> list[DeliveryRecord]:
    conn = rt.db.raw()
    try:
        rows = conn.execute(
            "SELECT id, alert_id, level, round, channel, target, status, attempts, last_error, created_at, "
            "next_attempt_at, sent_at FROM notification WHERE alert_id = ? ORDER BY id",
            (alert_id,),
        ).fetchall()
    finally:
        conn.close()
    return [DeliveryRecord(*r[:9], _dt(r[9]), _dt(r[10]), _dt(r[11])) for r in rows]


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def retry_delay(conf: ChannelConfig, attempts: int, retry_after: float | None) -> timedelta:
    """Exponential backoff with equal jitter; the server's Retry-After wins when it gave one."""
    if retry_after is not None:
        return timedelta(seconds=min(max(retry_after, 0.0), 86_400.0))
    base = conf.retry_initial.total_seconds() * (2 ** max(attempts - 1, 0))
    capped = min(base, conf.retry_max.total_seconds())
    return timedelta(seconds=capped / 2 + _jitter.uniform(0, capped / 2))


class Outbox:
    """Delivers due outbox rows; one per engine (it keeps the channels' HTTP connections)."""

    def __init__(self, rt: Runtime, channels: Channels | None = None, max_workers: int = 8, batch: int = 200) -> None:
        self.rt = rt
        self.channels = channels or Channels(dict(rt.config.channels))
        self.max_workers = max_workers
        self.batch = batch

    def close(self) -> None:
        self.channels.close()

    def _lease(self, conf: ChannelConfig | None) -> timedelta:
        # Long enough to finish a send (SMTP: connect, STARTTLS, login, data), short enough that a
        # crashed engine's claims are picked up by the next one soon.
        timeout = conf.timeout if conf else timedelta(seconds=10)
        return timeout * 3 + timedelta(seconds=30)

    def _claim(self, now: datetime) -> list[Message]:
        stamp = to_db_text(now)
        due_sql = (
            "SELECT id FROM notification WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
            "AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY id LIMIT ?"
        )
        conn = self.rt.db.raw()
        try:  # a cheap read first: most ticks have nothing to send and should not take the write lock
            if conn.execute(due_sql, (stamp, stamp, 1)).fetchone() is None:
                return []
        finally:
            conn.close()
        claimed: list[Message] = []
        with self.rt.db.write() as session:
            c = session.connection()
            ids = [r[0] for r in c.exec_driver_sql(due_sql, (stamp, stamp, self.batch)).fetchall()]
            for nid in ids:
                row = c.exec_driver_sql(
                    "SELECT n.id, n.alert_id, n.level, n.round, n.channel, n.target, n.dedup_key, n.subject, n.body, "
                    "n.attempts, a.state FROM notification n LEFT JOIN alert a ON a.id = n.alert_id WHERE n.id = ?",
                    (nid,),
                ).one()
                if row[10] in _HANDLED:
                    self._cancel(session, row, stamp, now)
                    continue
                until = to_db_text(now + self._lease(self.rt.config.channels.get(row[4])))
                won = c.exec_driver_sql(
                    "UPDATE notification SET attempts = attempts + 1, claimed_until = ? WHERE id = ? AND status = 'pending' "
                    "AND attempts = ? AND (claimed_until IS NULL OR claimed_until <= ?)",
                    (until, nid, row[9], stamp),
                ).rowcount
                if won == 1:
                    claimed.append(Message(*row[:9], attempts=row[9] + 1))
        return claimed

    @staticmethod
    def _cancel(session: Session, row: Any, stamp: str, now: datetime) -> None:
        """Mark a due page of an alert someone already handled as not sent, and log it (same transaction)."""
        nid, alert_id, level, round_, channel, target, *_rest, attempts, state = row
        done = session.connection().exec_driver_sql(
            "UPDATE notification SET status = 'cancelled', claimed_until = NULL, next_attempt_at = NULL, last_error = ? "
            "WHERE id = ? AND status = 'pending' AND attempts = ? AND (claimed_until IS NULL OR claimed_until <= ?)",
            (f"not sent: the alert was {state} before this page came due", nid, attempts, stamp),
        ).rowcount
        if done:
            append_event(session, now, SYSTEM, "notification.cancelled", "alert", alert_id,
                         {"notification": nid, "channel": channel, "target": target, "level": level, "round": round_,
                          "attempts": attempts, "state": state})

    def _send(self, msg: Message) -> DeliveryError | None:
        try:
            self.channels.send(msg, self.rt.now())
        except DeliveryError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - a channel bug must not lose the row; it is retried
            log.exception("channel %s crashed sending notification %s", msg.channel, msg.id)
            return DeliveryError(f"internal error in channel '{msg.channel}': {type(exc).__name__}: {exc}")
        return None

    def deliver_due(self) -> DeliveryReport:
        messages = self._claim(self.rt.now())
        if not messages:
            return DeliveryReport()
        if len(messages) == 1 or self.max_workers <= 1:
            outcomes = [self._send(m) for m in messages]
        else:
            with ThreadPoolExecutor(max_workers=min(self.max_workers, len(messages)), thread_name_prefix="watchdesk-send") as pool:
                outcomes = list(pool.map(self._send, messages))
        return self._record(messages, outcomes)

    def _record(self, messages: list[Message], outcomes: list[DeliveryError | None]) -> DeliveryReport:
        delivered = retried = failed = 0
        now = self.rt.now()
        stamp = to_db_text(now)
        with self.rt.db.write() as session:
            c = session.connection()
            for msg, error in zip(messages, outcomes):
                where = "WHERE id = ? AND status = 'pending' AND attempts = ?"
                if error is None:
                    done = c.exec_driver_sql(
                        f"UPDATE notification SET status = 'sent', sent_at = ?, claimed_until = NULL, last_error = '' {where}",
                        (stamp, msg.id, msg.attempts),
                    ).rowcount
                    delivered += done
                    continue
                conf = self.rt.config.channels.get(msg.channel)
                max_attempts = conf.max_attempts if conf else 1
                text = clean_line(str(error), max_length=500)  # may quote the remote server: untrusted
                if error.permanent or msg.attempts >= max_attempts:
                    done = c.exec_driver_sql(
                        f"UPDATE notification SET status = 'failed', claimed_until = NULL, next_attempt_at = NULL, last_error = ? {where}",
                        (text, msg.id, msg.attempts),
                    ).rowcount
                    if done:
                        failed += 1
                        append_event(
                            session, now, SYSTEM, "notification.failed", "alert" if msg.alert_id else "notification",
                            msg.alert_id if msg.alert_id else msg.id,
                            {"notification": msg.id, "channel": msg.channel, "target": msg.target, "level": msg.level,
                             "round": msg.round, "attempts": msg.attempts, "error": text},
                        )
                        log.warning("gave up on notification %s (%s → %s) after %s attempt(s): %s", msg.id, msg.channel, msg.target, msg.attempts, text)
                    continue
                delay = retry_delay(conf, msg.attempts, error.retry_after)  # type: ignore[arg-type]
                done = c.exec_driver_sql(
                    f"UPDATE notification SET claimed_until = NULL, next_attempt_at = ?, last_error = ? {where}",
                    (to_db_text(now + delay), text, msg.id, msg.attempts),
                ).rowcount
                retried += done
                log.info("notification %s (%s → %s) attempt %s failed, retry in %.0f s: %s", msg.id, msg.channel, msg.target, msg.attempts, delay.total_seconds(), text)
        return DeliveryReport(delivered, retried, failed)
