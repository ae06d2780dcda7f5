"""The outbox: one `notification` row per (alert, level, round, channel, target); delivery.

`enqueue` runs inside the escalation's write transaction, so a page is queued exactly when
the escalation commits (a duplicate key is ignored: the unique dedup_key makes a second
engine's attempt harmless). `Outbox.claim` takes due rows with a compare-and-set on (status,
attempts, claim), naming the runner that took them, in a write that appends no event
(`Database.write(chain=False)`): BEGIN IMMEDIATE on SQLite; on PostgreSQL no write lock, the due
rows locked `FOR UPDATE SKIP LOCKED`, so two claimers take disjoint rows and neither waits. An
engine's outbox claims only while its engine holds the `deliver` job (store/runners.py); `send` runs outside
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
import math
import random
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from watchdesk.config import ChannelConfig, Config
from watchdesk.core.enums import AlertState
from watchdesk.core.text import clean_line
from watchdesk.notify.channels import Channels, DeliveryError, Message
from watchdesk.notify.messages import Page
from watchdesk.store.audit import SYSTEM, append_event
from watchdesk.store.db import Database, Session
from watchdesk.store import runners
from watchdesk.store.queries import outbox as q
from watchdesk.store.types import from_db_text

log = logging.getLogger("watchdesk.notify")
_HANDLED = (AlertState.ACKNOWLEDGED.value, AlertState.RESOLVED.value)  # a page for these would only wake someone
_jitter = random.Random()


class Desk(Protocol):
    """What the outbox's readers need of the services' runtime: its database and its config."""

    @property
    def db(self) -> Database: ...

    @property
    def config(self) -> Config: ...


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
    return q.insert_notification(
        session, alert_id=alert_id, level=level, round=round, channel=channel, target=target,
        dedup_key=key or dedup_key(alert_id, level, round, channel, target), subject=page.subject, body=page.body,
        sent=channel_type == "terminal", now=now,
    )


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


def terminal_messages_since(rt: Desk, last_id: int, target: str | None = None, limit: int = 200) -> list[TerminalMessage]:
    """Terminal messages with id > last_id, oldest first (optionally only those for one handle).

    Rows are inserted inside serialised write transactions, so ids only grow in commit order:
    a desk that remembers the last id it showed never misses one.
    """
    names = [name for name, conf in rt.config.channels.items() if conf.type == "terminal"]
    if not names:
        return []
    with rt.db.read() as session:
        rows = q.terminal_rows_since(session, last_id, names, target, limit)
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


def delivery_log(rt: Desk, alert_id: int) -> list[DeliveryRecord]:
    """An alert's outbox rows, oldest first."""
    with rt.db.read() as session:
        rows = q.delivery_rows(session, alert_id)
    return [DeliveryRecord(*r[:9], from_db_text(r[9]), from_db_text(r[10]), from_db_text(r[11])) for r in rows]


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def retry_delay(conf: ChannelConfig, attempts: int, retry_after: float | None) -> timedelta:
    """Exponential backoff with equal jitter; the server's Retry-After wins when it gave one."""
    if retry_after is not None and math.isfinite(retry_after):
        return timedelta(seconds=min(max(retry_after, 0.0), 86_400.0))
    base = conf.retry_initial.total_seconds() * (2 ** max(attempts - 1, 0))
    capped = min(base, conf.retry_max.total_seconds())
    return timedelta(seconds=capped / 2 + _jitter.uniform(0, capped / 2))


class Outbox:
    """Claims, sends and records outbox rows for one runner (an engine); keeps the channels' clients.

    Given the database, the channels' config and the clock's `now` (the runtime's), not the runtime:
    the outbox sits below the services."""

    def __init__(self, db: Database, channel_config: Mapping[str, ChannelConfig], now: Callable[[], datetime],
                 channels: Channels | None = None, claimer: str = "", batch: int = 200, lease: str = "") -> None:
        self.db = db
        self.lease = lease  # an engine job (store/runners.py JOBS): claim only while its row names `claimer`
        self.channel_config = channel_config
        self.now = now
        self.channels = channels or Channels(dict(channel_config))
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
        """Take the due rows no live claim holds: at most `room(channel)` per channel, none of `skip`.
        With a `lease`, nothing while this claimer's engine does not hold that job."""
        # Channels without room and rows to skip are left out in SQL: a long queue on a hanging
        # channel must not fill the batch and hide the other channels' rows behind it.
        full = [name for name in self.channel_config if room is not None and room(name) <= 0]
        # A read first: most calls have nothing to send (or no room) and should not take a write.
        with self.db.read() as session:
            if not q.due_notifications(session, now, self.batch, channels_full=full, skip=skip):
                return []
        claimed: list[Message] = []
        handled: list[int] = []
        # No audit event in the claim (a cancel is written after, chained), so on PostgreSQL it runs
        # without the write lock: concurrent claimers each lock the rows no other has (SKIP LOCKED).
        with self.db.write(chain=False) as session:
            if self.lease and runners.holder(session, self.lease) != self.claimer:
                return []  # another engine does the delivery now (its heartbeat is fresh)
            left: dict[str, int] = {}
            for nid, channel in q.due_notifications(session, now, self.batch, channels_full=full, skip=skip, lock=True):
                if channel not in left:
                    left[channel] = room(channel) if room else self.batch
                if left[channel] <= 0:
                    continue
                row = q.notification_for_claim(session, nid)
                if row[10] in _HANDLED:
                    handled.append(nid)
                    continue
                until = now + self._lease(self.channel_config.get(row[4]))
                if q.claim(session, nid, row[9], self.claimer, until, now):
                    left[channel] -= 1
                    claimed.append(Message(*row[:9], attempts=row[9] + 1))
        if handled:
            with self.db.write() as session:
                for nid in handled:
                    row = q.notification_for_claim(session, nid)
                    if row[10] in _HANDLED:  # not back to `new` (an ack timeout) since
                        self._cancel(session, row, now)
        return claimed

    @staticmethod
    def _cancel(session: Session, row: Any, now: datetime) -> None:
        """Mark a due page of an alert someone already handled as not sent, and log it (same transaction)."""
        nid, alert_id, level, round_, channel, target, *_rest, attempts, state = row
        if q.cancel(session, nid, attempts, f"not sent: the alert was {state} before this page came due", now):
            append_event(session, now, SYSTEM, "notification.cancelled", "alert", alert_id,
                         {"notification": nid, "channel": channel, "target": target, "level": level, "round": round_,
                          "attempts": attempts, "state": state})

    def send(self, msg: Message) -> DeliveryError | None:
        """One attempt, ended by the channel's timeout whatever the other side does; None when delivered."""
        try:
            self.channels.send(msg, self.now())
        except DeliveryError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - a channel bug must not lose the row; it is retried
            log.exception("channel %s crashed sending notification %s", msg.channel, msg.id)
            return DeliveryError(f"internal error in channel '{msg.channel}': {type(exc).__name__}: {exc}")
        return None

    def record(self, messages: list[Message], outcomes: list[DeliveryError | None]) -> DeliveryReport:
        """Store the outcomes of claimed attempts (compare-and-set on the attempt each claimed)."""
        delivered = retried = failed = 0
        now = self.now()
        with self.db.write() as session:
            for msg, error in zip(messages, outcomes):
                if error is None:
                    delivered += q.mark_sent(session, msg.id, msg.attempts, now)
                    continue
                conf = self.channel_config.get(msg.channel)
                max_attempts = conf.max_attempts if conf else 1
                text = clean_line(str(error), max_length=500)  # may quote the remote server: untrusted
                if error.permanent or msg.attempts >= max_attempts:
                    if q.mark_failed(session, msg.id, msg.attempts, text):
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
                retried += q.mark_retry(session, msg.id, msg.attempts, now + delay, text)
                log.info("notification %s (%s → %s) attempt %s failed, retry in %.0f s: %s", msg.id, msg.channel, msg.target, msg.attempts, delay.total_seconds(), text)
        return DeliveryReport(delivered, retried, failed)


def enqueue_many(session: Session, items: Collection[Mapping[str, Any]], now: datetime) -> list[bool]:
    """Queue many messages in the caller's write transaction at once (one read of their keys, one insert),
    each given as `enqueue`'s keywords but `now`; for each, whether it was queued (False: its key was already queued)."""
    return q.insert_notifications(session, [
        {"alert_id": i["alert_id"], "level": i["level"], "round": i["round"], "channel": i["channel"], "target": i["target"],
         "dedup_key": i.get("key") or dedup_key(i["alert_id"], i["level"], i["round"], i["channel"], i["target"]),
         "subject": i["page"].subject, "body": i["page"].body, "sent": i["channel_type"] == "terminal"}
        for i in items
    ], now)
