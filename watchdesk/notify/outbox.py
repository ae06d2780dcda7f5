"""The outbox: one `notification` row per (alert, level, round, channel, target); delivery.

`enqueue` runs inside the escalation's write transaction, so a page is queued exactly when
the escalation commits (a duplicate key is ignored: the unique dedup_key makes a second
engine's attempt harmless). `Outbox.claim` takes due rows with a compare-and-set on (status,
attempts, claim) inside BEGIN IMMEDIATE, naming the runner that took them; `send` runs outside
any transaction under the channel's overall deadline; `record` stores the outcome with a
compare-and-set on the attempt it claimed. A claim lasts while its runner heartbeats
(store/runners.py): a crash between send and record leaves a claim that the next engine takes
over once the heartbeat is stale, and the row is sent again — a duplicate rather than a miss.
Terminal rows are written already `sent`: every running desk watches them. A page whose alert
is acknowledged or resolved by the time it comes due (a retry after a failed attempt, a slow
channel) is not sent: it is marked `cancelled` and the log says so. The sends themselves run
beside the engine's tick, in `notify/courier.py`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Collection
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
from watchdesk.store.runners import takeable, takeable_args
from watchdesk.store.types import from_db_text, to_db_text

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
    return [TerminalMessage(r[0], r[1], r[2], r[3], r[4], r[5], r[6], from_db_text(r[7])) for r in rows]  # type: ignore[arg-type]


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
    return [DeliveryRecord(*r[:9], from_db_text(r[9]), from_db_text(r[10]), from_db_text(r[11])) for r in rows]


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
    """Claims, sends and records outbox rows for one runner (an engine); keeps the channels' clients."""

    def __init__(self, rt: Runtime, channels: Channels | None = None, claimer: str = "", batch: int = 200) -> None:
        self.rt = rt
        self.channels = channels or Channels(dict(rt.config.channels))
        self.claimer = claimer
        self.batch = batch

    def close(self) -> None:
        """Cut the sends still out and close the clients."""
        self.channels.close()

    def _lease(self, conf: ChannelConfig | None) -> timedelta:
        # Only an unnamed claim (no runner) ends with its lease; a named one lasts while its runner
        # heartbeats. Long enough to finish a send, since every send ends by the channel's timeout.
        timeout = conf.timeout if conf else timedelta(seconds=10)
        return timeout * 3 + timedelta(seconds=30)

    def claim(self, now: datetime, room: Callable[[str], int] | None = None, skip: Collection[int] = ()) -> list[Message]:
        """Take the due rows no live claim holds: at most `room(channel)` per channel, none of `skip`."""
        stamp = to_db_text(now)
        free = takeable("notification")
        # Channels without room and rows to skip are left out in SQL: a long queue on a hanging
        # channel must not fill the batch and hide the other channels' rows behind it.
        full = [name for name in self.rt.config.channels if room is not None and room(name) <= 0]
        skipped = list(skip)
        due_sql = (
            "SELECT id, channel FROM notification WHERE status = 'pending' "
            f"AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND {free}"
            + (f" AND channel NOT IN ({', '.join('?' * len(full))})" if full else "")
            + (f" AND id NOT IN ({', '.join('?' * len(skipped))})" if skipped else "")
            + " ORDER BY id LIMIT ?"
        )
        conn = self.rt.db.raw()
        try:  # a read first: most calls have nothing to send (or no room) and should not take the write lock
            due = conn.execute(due_sql, (stamp, *takeable_args(now), *full, *skipped, self.batch)).fetchall()
        finally:
            conn.close()
        left: dict[str, int] = {}
        wanted = []
        for nid, channel in due:
            if channel not in left:
                left[channel] = room(channel) if room else self.batch
            if left[channel] > 0:
                left[channel] -= 1
                wanted.append(nid)
        if not wanted:
            return []
        claimed: list[Message] = []
        with self.rt.db.write() as session:
            c = session.connection()
            for nid in wanted:
                row = c.exec_driver_sql(
                    "SELECT n.id, n.alert_id, n.level, n.round, n.channel, n.target, n.dedup_key, n.subject, n.body, "
                    "n.attempts, a.state FROM notification n LEFT JOIN alert a ON a.id = n.alert_id WHERE n.id = ?",
                    (nid,),
                ).one()
                if row[10] in _HANDLED:
                    self._cancel(session, row, now)
                    continue
                until = to_db_text(now + self._lease(self.rt.config.channels.get(row[4])))
                won = c.exec_driver_sql(
                    "UPDATE notification SET attempts = attempts + 1, claimed_until = ?, claimed_by = ? "
                    f"WHERE id = ? AND status = 'pending' AND attempts = ? AND {free}",
                    (until, self.claimer, nid, row[9], *takeable_args(now)),
                ).rowcount
                if won == 1:
                    claimed.append(Message(*row[:9], attempts=row[9] + 1))
        return claimed

    @staticmethod
    def _cancel(session: Session, row: Any, now: datetime) -> None:
        """Mark a due page of an alert someone already handled as not sent, and log it (same transaction)."""
        nid, alert_id, level, round_, channel, target, *_rest, attempts, state = row
        done = session.connection().exec_driver_sql(
            "UPDATE notification SET status = 'cancelled', claimed_until = NULL, claimed_by = '', next_attempt_at = NULL, "
            f"last_error = ? WHERE id = ? AND status = 'pending' AND attempts = ? AND {takeable('notification')}",
            (f"not sent: the alert was {state} before this page came due", nid, attempts, *takeable_args(now)),
        ).rowcount
        if done:
            append_event(session, now, SYSTEM, "notification.cancelled", "alert", alert_id,
                         {"notification": nid, "channel": channel, "target": target, "level": level, "round": round_,
                          "attempts": attempts, "state": state})

    def send(self, msg: Message) -> DeliveryError | None:
        """One attempt, ended by the channel's timeout whatever the other side does; None when delivered."""
        try:
            self.channels.send(msg, self.rt.now())
        except DeliveryError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - a channel bug must not lose the row; it is retried
            log.exception("channel %s crashed sending notification %s", msg.channel, msg.id)
            return DeliveryError(f"internal error in channel '{msg.channel}': {type(exc).__name__}: {exc}")
        return None

    def record(self, messages: list[Message], outcomes: list[DeliveryError | None]) -> DeliveryReport:
        """Store the outcomes of claimed attempts (compare-and-set on the attempt each claimed)."""
        delivered = retried = failed = 0
        now = self.rt.now()
        stamp = to_db_text(now)
        with self.rt.db.write() as session:
            c = session.connection()
            for msg, error in zip(messages, outcomes):
                where = "WHERE id = ? AND status = 'pending' AND attempts = ?"
                if error is None:
                    done = c.exec_driver_sql(
                        "UPDATE notification SET status = 'sent', sent_at = ?, claimed_until = NULL, claimed_by = '', "
                        f"last_error = '' {where}",
                        (stamp, msg.id, msg.attempts),
                    ).rowcount
                    delivered += done
                    continue
                conf = self.rt.config.channels.get(msg.channel)
                max_attempts = conf.max_attempts if conf else 1
                text = clean_line(str(error), max_length=500)  # may quote the remote server: untrusted
                if error.permanent or msg.attempts >= max_attempts:
                    done = c.exec_driver_sql(
                        "UPDATE notification SET status = 'failed', claimed_until = NULL, claimed_by = '', "
                        f"next_attempt_at = NULL, last_error = ? {where}",
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
                    f"UPDATE notification SET claimed_until = NULL, claimed_by = '', next_attempt_at = ?, last_error = ? {where}",
                    (to_db_text(now + delay), text, msg.id, msg.attempts),
                ).rowcount
                retried += done
                log.info("notification %s (%s → %s) attempt %s failed, retry in %.0f s: %s", msg.id, msg.channel, msg.target, msg.attempts, delay.total_seconds(), text)
        return DeliveryReport(delivered, retried, failed)
