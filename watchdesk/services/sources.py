"""Sources: rows synced from config, polling what is due, health, and alerts about sources.

`poll_due(rt)` is what the engine calls every tick (from a worker thread). When nothing
is due it answers from an in-process schedule without touching the database or the
network. Otherwise it claims the due sources with a compare-and-set on `next_poll_at`
(two engines against one database never poll the same source twice), fetches them all
concurrently on one httpx.AsyncClient, and stores each source's outcome in its own write
transaction. A source failing longer than `fail_alert_after`, or with nothing new for
longer than `stale_after`, raises an alert of its own (category source-health); the source
answering again (or publishing, for a silent one) clears that alert by the system.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import random
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watchdesk.config import SourceConfig, format_duration
from watchdesk.core.enums import Category, Severity, SourceKind
from watchdesk.core.retry_after import retry_after as read_retry_after
from watchdesk.core.text import clean_line
from watchdesk.feeds.adapters import parse_body
from watchdesk.feeds.fetch import FetchRequest, FetchResult, fetch_one, make_client, run_async
from watchdesk.feeds.items import FeedItem
from watchdesk.feeds.normalize import Watch, normalize
from watchdesk.feeds.paging import fetch_pages
from watchdesk.feeds.xmlprep import NotAFeed
from watchdesk.i18n import _
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.clearing import clear_by_system
from watchdesk.services.errors import NotFound, Refused
from watchdesk.services.ingest import IngestReport, ingest_into
from watchdesk.services.runtime import Runtime
from watchdesk.services.sites import SiteOutcome, poll_site
from watchdesk.store.audit import SYSTEM, append_event
from watchdesk.store.db import Database, Session
from watchdesk.store.models import Alert, Source
from watchdesk.store.queries.sources import (
    all_sources, claim_source, claimable_sources, live_runner_ids, poll_schedule, source_row, touch_healthy_source,
)
from watchdesk.store.types import to_db_text

LEASE_MARGIN = timedelta(seconds=30)
CLAIM_RECHECK = timedelta(seconds=5)
MAX_BACKOFF = timedelta(hours=6)
MAX_RETRY_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class PollResult:
    key: str
    status: str
    """ok (body read), unchanged (same body), not-modified (304), error."""
    new: tuple[int, ...] = ()
    updated: tuple[int, ...] = ()
    unchanged: int = 0
    joined: tuple[tuple[int, int], ...] = ()
    items: int = 0
    error: str = ""
    warnings: tuple[str, ...] = ()
    elapsed: float = 0.0
    """Seconds from the start of the poll until this source's outcome was stored."""
    health_alert: int | None = None


@dataclass(frozen=True)
class SourceHealth:
    key: str
    name: str
    kind: str
    url: str
    enabled: bool
    configured: bool
    state: str
    """ok, failing, stale, never-polled, manual, disabled, not-configured (people read core.humane.word)."""
    interval: timedelta | None
    last_polled_at: datetime | None
    last_ok_at: datetime | None
    last_new_item_at: datetime | None
    next_poll_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    failing_since: datetime | None
    failures: int
    warning: str
    health_alert_id: int | None
    to_verify: bool = False
    """Shipped unconfirmed: check it with `watchdesk sources test KEY`, then set to_verify = false."""


# -- the in-process schedule (the fast path) -----------------------------------------------
@dataclass
class _Schedule:
    config: object = None
    earliest: datetime | None = None


_schedules: "weakref.WeakKeyDictionary[Database, _Schedule]" = weakref.WeakKeyDictionary()


def _schedule(rt: Runtime) -> _Schedule:
    sched = _schedules.get(rt.db)
    if sched is None:
        sched = _schedules[rt.db] = _Schedule()
    return sched


def _pollable(rt: Runtime) -> list[SourceConfig]:
    return [s for s in rt.config.sources if s.enabled and s.kind != SourceKind.MANUAL]


# -- syncing rows with the config ------------------------------------------------------------
def sync_sources(rt: Runtime) -> None:
    """Create rows for new sources; follow changes of name, kind and url (a new url starts afresh)."""
    now = rt.now()
    with rt.db.read() as session:
        known = {r.key: (r.name, r.kind, r.url) for r in all_sources(session)}
    wanted = {s.key: (s.name or s.key, s.kind.value, s.url) for s in rt.config.sources}
    if all(known.get(key) == value for key, value in wanted.items()):
        _mark_synced(rt)
        return  # nothing to change: no write transaction (the desk lists sources often)
    with rt.db.write() as session:
        rows = {r.key: r for r in all_sources(session)}
        for src in rt.config.sources:
            row = rows.get(src.key)
            name = src.name or src.key
            if row is None:
                session.add(Source(key=src.key, name=name, kind=src.kind.value, url=src.url, created_at=now, next_poll_at=now))
                append_event(session, now, SYSTEM, "source.added", "source", src.key,
                             {"name": name, "kind": src.kind.value, "url": src.url})
                continue
            if (row.name, row.kind, row.url) != (name, src.kind.value, src.url):
                before = {"name": row.name, "kind": row.kind, "url": row.url}
                if row.url != src.url or row.kind != src.kind.value:
                    row.etag = row.last_modified = row.body_hash = ""
                    row.next_poll_at = now
                row.name, row.kind, row.url = name, src.kind.value, src.url
                session.add(row)
                append_event(session, now, SYSTEM, "source.changed", "source", src.key,
                             {"before": before, "name": name, "kind": src.kind.value, "url": src.url})
    _mark_synced(rt)


def _mark_synced(rt: Runtime) -> None:
    sched = _schedule(rt)
    sched.config = rt.config
    sched.earliest = None


def _refresh_earliest(rt: Runtime) -> None:
    keys = [s.key for s in _pollable(rt)]
    sched = _schedule(rt)
    if not keys:
        sched.earliest = datetime.max.replace(tzinfo=rt.now().tzinfo)
        return
    # A poll claimed by an engine is looked at again within CLAIM_RECHECK, not at its lease's end:
    # if that engine died, its heartbeat is stale by then and _claim takes the poll over.
    with rt.db.read() as session:
        known, earliest = poll_schedule(session, keys, rt.now() + CLAIM_RECHECK)
    # A source without a row or without a time yet is due now.
    sched.earliest = rt.now() if known < len(keys) else earliest


# -- health ----------------------------------------------------------------------------------
# People read the states and poll outcomes through core.humane.word (one table, desk and CLI alike);
# JSON keeps the state keys.
NOT_POLLED = ("manual", "disabled", "not-configured")
"""States with no next poll: nothing will poll them."""


def pollable_keys(rt: Runtime) -> list[str]:
    """The sources a "poll now" can poll: enabled and not manual."""
    return [s.key for s in _pollable(rt)]


def _health_state(src: SourceConfig | None, row: Source, now: datetime) -> str:
    if src is None:
        return "not-configured"
    if not src.enabled:
        return "disabled"
    if src.kind == SourceKind.MANUAL:
        return "manual"
    if row.failures:
        return "failing"
    if row.last_polled_at is None:
        return "never-polled"
    baseline = row.last_new_item_at or row.created_at
    if src.kind != SourceKind.SITE and baseline is not None and now - baseline >= src.stale_after:
        return "stale"  # a site publishes no items: only its checks say how it is
    return "ok"


def list_sources(rt: Runtime) -> list[SourceHealth]:
    """Every configured source (and old rows no longer in the config), with its health."""
    sync_sources(rt)
    now = rt.now()
    with rt.db.read() as session:
        rows = {r.key: r for r in all_sources(session)}
    out = []
    order = [s.key for s in rt.config.sources] + sorted(k for k in rows if rt.config.source(k) is None)
    for key in order:
        row = rows[key]
        src = rt.config.source(key)
        state = _health_state(src, row, now)
        out.append(
            SourceHealth(
                key=key, name=row.name, kind=row.kind, url=row.url,
                enabled=bool(src and src.enabled), configured=src is not None,
                state=state, interval=src.interval if src else None,
                last_polled_at=row.last_polled_at, last_ok_at=row.last_ok_at, last_new_item_at=row.last_new_item_at,
                next_poll_at=None if state in NOT_POLLED else row.next_poll_at, last_error=row.last_error, last_error_at=row.last_error_at,
                failing_since=row.failing_since, failures=row.failures, warning=row.warning,
                health_alert_id=row.health_alert_id, to_verify=bool(src and src.to_verify),
            )
        )
    return out


def backoff(src: SourceConfig, failures: int, retry_after: str, now: datetime, rng: random.Random | None = None) -> timedelta:
    """Exponential from min(interval, 2 min), capped, with ±20 % jitter; Retry-After wins when later."""
    rng = rng or random
    base = min(src.interval, timedelta(minutes=2))
    cap = max(src.interval, min(MAX_BACKOFF, src.interval * 8))
    delay = min(base * (2 ** min(max(failures - 1, 0), 16)), cap)
    delay = delay * rng.uniform(0.8, 1.2)
    asked = read_retry_after(retry_after, now)
    if asked is not None:
        delay = max(delay, min(asked, MAX_RETRY_AFTER))
    return delay


def _check_health(session: Session, src: SourceConfig, row: Source, now: datetime) -> int | None:
    """Raise the source's own alert when it failed or stayed silent too long; returns a new alert id."""
    if row.health_alert_id is not None or src.kind == SourceKind.SITE:
        return None  # a site's downtime alerts are its own (services/sites.py)
    name = row.name or row.key
    if row.failures and row.failing_since and now - row.failing_since >= src.fail_alert_after:
        alert, created = raise_alert(
            session, now, source_key=row.key,
            dedup_key=f"source-health:{row.key}:failing:{to_db_text(row.failing_since)}",
            title=_("Source '{name}' has been failing for {duration}: {error}").format(
                name=name, duration=format_duration(now - row.failing_since), error=row.last_error),
            summary=_("The source {name} ({url}) {error}.\nIt failed {count} times in a row since {since} UTC. "
                      "Warnings published there are not reaching the desk: check the source by hand until it recovers.").format(
                name=name, url=row.url, error=row.last_error, count=row.failures, since=to_db_text(row.failing_since)),
            severity=Severity.HIGH, category=Category.SOURCE_HEALTH, link=row.url if row.url.startswith("http") else "",
        )
    elif not row.failures:
        baseline = row.last_new_item_at or row.created_at
        if baseline is None or now - baseline < src.stale_after:
            return None
        alert, created = raise_alert(
            session, now, source_key=row.key,
            dedup_key=f"source-health:{row.key}:stale:{to_db_text(baseline)}",
            title=_("Source '{name}' has published nothing new for {duration}").format(
                name=name, duration=format_duration(now - baseline)),
            summary=_("The source {name} ({url}) answers, but nothing new has come from it since {since} UTC (expected "
                      "within {within}). A silent feed during a watch is itself an incident: check the publisher's site "
                      "by hand.").format(name=name, url=row.url, since=to_db_text(baseline), within=format_duration(src.stale_after)),
            severity=Severity.MEDIUM, category=Category.SOURCE_HEALTH, link=row.url if row.url.startswith("http") else "",
        )
    else:
        return None
    row.health_alert_id = alert.id
    session.add(row)
    return alert.id if created else None


def _recovered(session: Session, row: Source, now: datetime, had_new: bool) -> None:
    """A failing source answered, or a stale one published: its health alert no longer holds.

    The answer clears the alert by the system (same transaction): a recovered source pages nobody.
    """
    if row.health_alert_id is None:
        return
    alert = session.get(Alert, row.health_alert_id)
    kind = "stale" if alert is not None and ":stale:" in alert.dedup_key else "failing"
    if kind == "failing" or had_new:
        append_event(session, now, SYSTEM, "source.recovered", "source", row.key,
                     {"health_alert": row.health_alert_id, "was": kind})
        name = row.name or row.key
        reason = (f"source '{name}' answered again at {to_db_text(now)[:19]} UTC" if kind == "failing"
                  else f"source '{name}' published a new item at {to_db_text(now)[:19]} UTC")
        clear_by_system(session, now, row.health_alert_id, reason, source=row.key, was=kind)
        row.health_alert_id = None


# -- recording outcomes ---------------------------------------------------------------------------
def _record_failure(rt: Runtime, src: SourceConfig, sentence: str, retry_after: str = "") -> tuple[int | None, str]:
    sentence = clean_line(sentence, max_length=500)  # may quote the remote server (an HTTP reason, a parser error)
    now = rt.now()
    with rt.db.write() as session:
        row = source_row(session, src.key)
        first = row.failures == 0
        changed = sentence != row.last_error
        row.failures += 1
        row.failing_since = row.failing_since or now
        row.last_error, row.last_error_at, row.last_polled_at = sentence, now, now
        row.next_poll_at = now + backoff(src, row.failures, retry_after, now)
        session.add(row)
        if first or changed:
            append_event(session, now, SYSTEM, "source.failed", "source", src.key,
                         {"error": sentence, "failures": row.failures})
        alert_id = _check_health(session, src, row, now)
    _schedule(rt).earliest = None
    return alert_id, sentence


def _record_success(
    rt: Runtime,
    src: SourceConfig,
    fetched: FetchResult,
    body_hash: str,
    items: list[FeedItem] | None,
    warnings: list[str],
) -> tuple[IngestReport, int | None]:
    now = rt.now()
    report = IngestReport()
    with rt.db.write() as session:
        if items is None and _touch_healthy(session, src, fetched, body_hash, now):
            alert_id = None
        else:
            if items is not None:
                report = ingest_into(session, rt, src.key, items)
            alert_id = _record_answer(session, src, fetched, body_hash, items, warnings, report, now)
    _schedule(rt).earliest = None
    return report, alert_id


def _touch_healthy(session: Session, src: SourceConfig, fetched: FetchResult, body_hash: str, now: datetime) -> bool:
    """Record a healthy source's unchanged answer with one UPDATE; False when it does not apply.

    The usual poll: nothing new, no failures, no health alert, not stale. It changes exactly
    what `_record_answer` would and has no event to append; anything else (a recovery, a
    source going stale) returns False and takes the full path in the same transaction.
    """
    # The same body again brings its validators (a 304 keeps the ones it was sent).
    validators = (fetched.etag, fetched.last_modified, body_hash) if fetched.status == "ok" else None
    # Not stale: the last new item (or the row's creation) is younger than stale_after.
    try:
        fresh_after: datetime | None = now - src.stale_after
    except OverflowError:  # a stale_after reaching before year 1: never stale
        fresh_after = None
    return touch_healthy_source(session, src.key, now, now + src.interval, fresh_after, validators)


def _record_answer(
    session: Session,
    src: SourceConfig,
    fetched: FetchResult,
    body_hash: str,
    items: list[FeedItem] | None,
    warnings: list[str],
    report: IngestReport,
    now: datetime,
) -> int | None:
    """A source answered (new body, same body or 304): health, validators, next poll; the full path."""
    row = source_row(session, src.key)
    if row.failures:
        append_event(session, now, SYSTEM, "source.ok", "source", src.key,
                     {"after_failures": row.failures, "items": len(items or [])})
    _recovered(session, row, now, bool(report.new))
    row.failures = 0
    row.failing_since = None
    row.last_ok_at = row.last_polled_at = now
    if report.new:
        row.last_new_item_at = now
    if fetched.status == "ok":
        row.etag, row.last_modified, row.body_hash = fetched.etag, fetched.last_modified, body_hash
    if items is not None:  # only a parsed body says what is wrong with it; the same body keeps its warning
        row.warning = clean_line("; ".join(dict.fromkeys(warnings)), max_length=1000)  # warnings quote the server
    row.next_poll_at = now + src.interval
    session.add(row)
    return _check_health(session, src, row, now)


def parse_items(rt: Runtime, src: SourceConfig, body: bytes, content_type: str, base_url: str) -> tuple[list[FeedItem], list[str]]:
    """Adapter + normalizer for one source's body (raises NotAFeed)."""
    outcome = parse_body(src.kind.value, body, content_type=content_type, preset=src.preset,
                         mapping=src.mapping, base_url=base_url)
    watch = Watch.of(rt.config.watch.vendors, rt.config.watch.products)
    items = [normalize(raw, default_severity=src.severity, zone=rt.zone, watch=watch) for raw in outcome.items]
    return items, outcome.warnings


def _handle(rt: Runtime, src: SourceConfig, fetched: FetchResult, stored_hash: str) -> PollResult:
    if fetched.status == "error":
        alert_id, sentence = _record_failure(rt, src, fetched.error, fetched.retry_after)
        return PollResult(src.key, "error", error=sentence, elapsed=fetched.elapsed, health_alert=alert_id)
    if fetched.status == "not-modified":
        report, alert_id = _record_success(rt, src, fetched, stored_hash, None, [])
        return PollResult(src.key, "not-modified", elapsed=fetched.elapsed, health_alert=alert_id)
    body_hash = hashlib.sha256(fetched.body).hexdigest()
    if body_hash == stored_hash:
        report, alert_id = _record_success(rt, src, fetched, body_hash, None, [])
        return PollResult(src.key, "unchanged", elapsed=fetched.elapsed, health_alert=alert_id)
    started = time.monotonic()
    try:
        items, warnings = parse_items(rt, src, fetched.body, fetched.content_type, fetched.final_url or src.url)
        warnings = [*fetched.notes, *warnings]
    except NotAFeed as exc:
        alert_id, sentence = _record_failure(rt, src, str(exc))
        return PollResult(src.key, "error", error=sentence, elapsed=fetched.elapsed, health_alert=alert_id)
    report, alert_id = _record_success(rt, src, fetched, body_hash, items, warnings)
    return PollResult(
        src.key, "ok", new=tuple(report.new), updated=tuple(report.updated), unchanged=report.unchanged,
        joined=tuple(report.joined), items=len(items), warnings=tuple(dict.fromkeys(warnings)),
        elapsed=fetched.elapsed + (time.monotonic() - started), health_alert=alert_id,
    )


# -- polling ----------------------------------------------------------------------------------------
def _site_result(outcome: SiteOutcome) -> PollResult:
    """A site check as a poll result: the alerts it raised are its news; down is a failure."""
    status = "error" if outcome.outcome == "down" else "ok"
    notes = (outcome.error,) if outcome.error and status == "ok" else ()
    return PollResult(outcome.key, status, new=outcome.raised, error=outcome.error if status == "error" else "",
                      warnings=notes)


@dataclass(frozen=True)
class _Stored:
    """What a poll needs of a claimed source's row: its validators and body hash."""

    etag: str
    last_modified: str
    body_hash: str


def _claim(rt: Runtime, sources: list[SourceConfig], force: bool, runner: str = "") -> list[tuple[SourceConfig, _Stored]]:
    """Take the due sources: next_poll_at moves to a lease by compare-and-set; rowcount decides.

    An engine's claim names its runner (`claimed_by`, with the lease in `claimed_until`) and lasts
    while that runner heartbeats: a poll left by a dead engine is taken over as soon as its
    heartbeat is stale, not when the lease runs out. A claim without a runner (a CLI poll) keeps
    its lease. Once the poll stores its outcome, next_poll_at no longer equals claimed_until and
    the old claim means nothing."""
    now = rt.now()
    stamp = to_db_text(now)  # stored times are fixed-width UTC text: text order is time order
    claimed = []
    with rt.db.write() as session:
        rows = claimable_sources(session, [s.key for s in sources])
        live: set[str] | None = None
        for src in sources:
            if src.key not in rows:
                continue
            row_id, next_poll_at, etag, last_modified, body_hash, claimed_by, claimed_until = rows[src.key]
            take_over = False
            if claimed_by and next_poll_at is not None and next_poll_at == claimed_until:
                live = live_runner_ids(session, now) if live is None else live
                if claimed_by in live and not force:
                    continue  # a live engine is polling it, however long that takes
                take_over = claimed_by not in live  # a dead engine's poll: take it over now
            if not (force or take_over) and next_poll_at is not None and next_poll_at > stamp:
                continue
            if claim_source(session, row_id, next_poll_at, now + src.deadline + LEASE_MARGIN, runner):
                claimed.append((src, _Stored(etag, last_modified, body_hash)))
    return claimed


async def fetch_source(client: Any, src: SourceConfig, req: FetchRequest) -> FetchResult:
    """One source's answer through the guarded fetcher; a paged listing's further pages merged in."""
    first = await fetch_one(client, req)
    return await fetch_pages(client, req, first, kind=src.kind.value, preset=src.preset,
                             has_mapping=bool(src.mapping), max_items=src.max_items)


async def _fetch_and_store(rt: Runtime, claimed: list[tuple[SourceConfig, _Stored]], requests: list[FetchRequest]) -> list[PollResult]:
    """Fetch concurrently on one client; store each source as soon as its own fetch ends.

    Parsing and the write transaction run in a thread, so a big feed being stored never
    stalls the other fetches, and a dripping source never holds back the others' alerts.
    """
    started = time.monotonic()

    async def one(client: Any, src: SourceConfig, row: _Stored, req: FetchRequest) -> PollResult:
        if src.kind == SourceKind.SITE:  # our own website: its own check, baseline and alerts
            result = _site_result(await poll_site(rt, src))
        else:
            fetched = await fetch_source(client, src, req)
            result = await asyncio.to_thread(_handle, rt, src, fetched, row.body_hash)
        return dataclasses.replace(result, elapsed=time.monotonic() - started)

    async with make_client() as client:
        return list(await asyncio.gather(*(one(client, src, row, req) for (src, row), req in zip(claimed, requests))))


def poll_due(rt: Runtime, only: str | None = None, force: bool = False, runner: str = "") -> list[PollResult]:
    """Poll every source that is due (or `only` that one; `force` ignores the schedule).
    An engine passes its `runner` id: its claims then last while it heartbeats.

    Synchronous: the concurrent fetches run inside with asyncio. Returns at once, without
    database or network, when the in-process schedule says nothing is due.
    """
    sched = _schedule(rt)
    if only is None and not force and sched.config is rt.config and sched.earliest is not None and rt.now() < sched.earliest:
        return []
    if sched.config is not rt.config:
        sync_sources(rt)
    if only is not None:
        src = rt.config.source(only)
        if src is None:
            known = ", ".join(s.key for s in rt.config.sources) or _("none configured")
            raise NotFound(_("no source '{only}' in the config ({known}); see 'watchdesk sources'.").format(only=only, known=known))
        if src.kind == SourceKind.MANUAL:
            raise Refused(_("source '{only}' is manual: nothing to poll; use 'watchdesk alert add' or 'watchdesk import'.").format(only=only))
        if not src.enabled:
            raise Refused(_("source '{only}' is disabled; set enabled = true for it in {config}.").format(only=only, config=rt.config.source_path or _('the config')))
        wanted = [src]
    else:
        wanted = _pollable(rt)
    claimed = _claim(rt, wanted, force or only is not None, runner)
    results: list[PollResult] = []
    if claimed:
        requests = [
            FetchRequest(
                key=src.key, url=src.url, timeout=src.timeout.total_seconds(), deadline=src.deadline.total_seconds(),
                max_bytes=src.max_bytes, etag=row.etag, last_modified=row.last_modified,
            )
            for src, row in claimed
        ]
        results = run_async(lambda: _fetch_and_store(rt, claimed, requests))
    _refresh_earliest(rt)
    return results
