"""What the desk and the CLI read beside the alert services: where the data stands when a desk
opens, what changed since its last look (the change watcher, new alerts and terminal pages),
an alert's timeline and delivery log, and the audit log's tail and verification. Reads only;
the TUI and the CLI call these, never the store or the outbox."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from watchdesk.core.enums import AlertState
from watchdesk.core.records import AlertRecord
from watchdesk.notify.outbox import DeliveryRecord, delivery_log, terminal_messages_since
from watchdesk.services.alerts import to_records
from watchdesk.services.context import Runtime
from watchdesk.store.audit import EventRecord, VerifyResult, events_for, tail, verify
from watchdesk.store.changes import ChangeWatcher
from watchdesk.store.queries import desk as q
from watchdesk.store.types import from_db_text

__all__ = ["ChangeWatcher", "EventRecord", "HighWater", "News", "change_watcher", "deliveries", "high_water", "log_tail",
           "news_since", "stored_time", "timeline", "verify_log"]

NEW_ALERTS_SEEN = 50  # alerts read per look: a burst beyond it is announced over the next looks


@dataclass(frozen=True)
class HighWater:
    """Where the data stands: the highest alert and notification ids, and the change mark (None
    when the database has no mark yet: the first poll then only notes where it stands)."""

    alert_id: int
    page_id: int
    mark: int | None


@dataclass(frozen=True)
class News:
    """What a desk's look found since the last one."""

    fresh: list[AlertRecord]  # new, ungrouped alerts created or paged since: bell and banner
    settled: list[int]  # of the unseen ids given, those someone acted on elsewhere
    last_alert_id: int  # where the next look starts
    last_page_id: int


def change_watcher(rt: Runtime) -> ChangeWatcher:
    """A watcher of the desk's database: `version()` moves when a change a screen shows is committed."""
    return ChangeWatcher(rt.db)


def high_water(rt: Runtime) -> HighWater:
    """Where the data stands now (two primary-key lookups and the one-row mark)."""
    with rt.db.read() as session:
        return HighWater(*q.high_water(session))


def news_since(rt: Runtime, last_alert_id: int, last_page_id: int, unseen: Collection[int]) -> News:
    """Alerts created since `last_alert_id`, and those of terminal pages since `last_page_id` (an
    alert reaching a new level rings again), still new and not grouped; and which of `unseen`
    are no longer new (the CLI, another desk, the engine or the system acted on them)."""
    with rt.db.read() as session:
        rows = q.alerts_after(session, last_alert_id, NEW_ALERTS_SEEN)
    # Ids grow in commit order (store/queries/desk.py, outbox.py): remembering the last id misses none.
    pages = terminal_messages_since(rt, last_page_id)
    if pages:
        last_page_id = pages[-1].id
    if rows:
        last_alert_id = max(r.id or 0 for r in rows)
    paged = {p.alert_id for p in pages if p.alert_id} - {r.id for r in rows}
    with rt.db.read() as session:
        rows += q.alerts_by_ids(session, paged)  # type: ignore[arg-type]
        fresh = [r for r in to_records(session, rows) if r.state == AlertState.NEW and r.joined_to is None]
        settled = q.no_longer_new(session, unseen)
    return News(fresh, settled, last_alert_id, last_page_id)


def timeline(rt: Runtime, alert_id: int) -> list[EventRecord]:
    """Every event about one alert, oldest first."""
    return events_for(rt.db, "alert", alert_id)


def deliveries(rt: Runtime, alert_id: int) -> list[DeliveryRecord]:
    """An alert's delivery log (its outbox rows), oldest first."""
    return delivery_log(rt, alert_id)


def log_tail(rt: Runtime, limit: int, *, actor: str = "", kind: str = "") -> list[EventRecord]:
    """The latest `limit` events of the audit log, oldest first, optionally of one actor or kind."""
    return tail(rt.db, limit, actor=actor, kind=kind)


def verify_log(rt: Runtime) -> VerifyResult:
    """The whole audit chain checked, against its latest checkpoint."""
    return verify(rt.db)


def stored_time(text: str) -> datetime | None:
    """An event's stored time read back, aware UTC (ValueError when the text is not a stored time)."""
    return from_db_text(text)
