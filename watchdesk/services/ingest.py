"""Storing normalized warnings as alerts: dedup, update in place, related CVEs, joining.

One alert per (source, native id | guid | link), found through `dedup_key`. A known item
whose content changed is updated in place with an `alert.updated` event and is NOT paged
again (its escalation fields are left alone). A new alert sharing a CVE with an earlier
open alert is related to it (through the alert_cve index); with `[alerts] join_related`
it also joins that alert: it is created with `joined_to_id` set and no escalation
deadline, so the engine never pages it, and the parent gets an `alert.joined` event.
Everything a poll brings is written in one transaction with its events.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlmodel import Session, col, select

from watchdesk.core.enums import AlertState, Category, Severity
from watchdesk.core.records import Actor, AlertRecord
from watchdesk.core.text import clean_line
from watchdesk.feeds.items import FeedItem
from watchdesk.services.errors import InvalidInput, NotFound
from watchdesk.services.limits import LINK_MAX, SOURCE_NOTE_MAX, SUMMARY_MAX, TITLE_MAX, person_text
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import SYSTEM, append_event, append_events_bulk
from watchdesk.store.models import Alert, AlertCve

_OPEN = (AlertState.NEW.value, AlertState.ACKNOWLEDGED.value)


def dedup_key(source_key: str, item: FeedItem) -> str:
    """'<source>:<native id | guid | link | title>'; long identities are hashed."""
    identity = item.identity
    if len(identity) > 240:
        identity = "sha256:" + hashlib.sha256(identity.encode()).hexdigest()
    return f"{source_key}:{identity}"


@dataclass
class IngestReport:
    new: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0
    joined: list[tuple[int, int]] = field(default_factory=list)
    """(new alert, the open alert it joined)."""

    @property
    def counts(self) -> dict[str, int]:
        return {"new": len(self.new), "updated": len(self.updated), "unchanged": self.unchanged, "joined": len(self.joined)}


def _open_roots(session: Session, cves: set[str]) -> dict[str, int]:
    """CVE -> the earliest open alert carrying it (followed to the alert it joined), summaries excluded.

    A weekly summary names many CVEs in passing: it may join others, but never gathers them.
    """
    if not cves:
        return {}
    rows: list[tuple[str, int, int | None]] = []
    wanted = sorted(cves)
    for start in range(0, len(wanted), 500):
        rows.extend(session.exec(
            select(AlertCve.cve, Alert.id, Alert.joined_to_id)
            .join(Alert, Alert.id == AlertCve.alert_id)  # type: ignore[arg-type]
            .where(col(AlertCve.cve).in_(wanted[start:start + 500]), col(Alert.state).in_(_OPEN),
                   Alert.category != Category.SUMMARY.value)
        ).all())
    parents = {jt for _, _, jt in rows if jt}
    open_roots = set()
    if parents:
        open_roots = set(session.exec(
            select(Alert.id).where(col(Alert.id).in_(sorted(parents)), col(Alert.state).in_(_OPEN),
                                   Alert.joined_to_id == None, Alert.category != Category.SUMMARY.value)  # noqa: E711
        ).all())
    out: dict[str, int] = {}
    for cve, alert_id, joined_to in sorted(rows, key=lambda r: r[1]):
        root = alert_id if not joined_to else (joined_to if joined_to in open_roots else None)
        if root is not None and cve not in out:
            out[cve] = root
    return out


def _ids_by_key(conn: Connection, keys: list[str]) -> dict[str, int]:
    """dedup_key -> alert id for those of `keys` already stored (one IN query per 500 keys)."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        sql = f"SELECT dedup_key, id FROM alert WHERE dedup_key IN ({', '.join('?' * len(chunk))})"
        found.update(conn.exec_driver_sql(sql, tuple(chunk)).all())  # type: ignore[arg-type]
    return found


def _row(source_key: str, key: str, item: FeedItem, now) -> Alert:  # noqa: ANN001 - datetime
    return Alert(
        source_key=source_key,
        native_id=item.native_id or item.link,
        dedup_key=key,
        title=item.title,
        summary=item.summary,
        link=item.link,
        attachments=json.dumps(list(item.attachments), ensure_ascii=False),
        severity=item.severity.value,
        severity_raw=item.severity_raw,
        category=item.category.value,
        cves=json.dumps(list(item.cves)),
        doc_number=item.doc_number,
        affects_us=item.affects_us,
        content_hash=item.content_hash,
        published_at=item.published_at,
        received_at=now,
        updated_at=now,
    )


_defaults: dict | None = None


@functools.lru_cache(maxsize=8)  # one entry per engine's dialect
def _alert_insert(dialect: Dialect) -> tuple[str, tuple[tuple[str, Callable[[Any], Any] | None], ...]]:
    """The INSERT of every alert column but id, and each column's own bind conversion (UTC text, …)."""
    columns = [c for c in Alert.__table__.columns if c.name != "id"]  # type: ignore[attr-defined]
    sql = f"INSERT INTO alert ({', '.join(c.name for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
    return sql, tuple((c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in columns)


def _new_row(source_key: str, key: str, item: FeedItem, now) -> dict:  # noqa: ANN001
    """The column values of a new alert, as insert_alert would set them (plain dict: cheap in bulk)."""
    global _defaults
    if _defaults is None:
        _defaults = Alert(source_key="", dedup_key="", title="").model_dump(exclude={"id"})
    return {
        **_defaults,
        "source_key": source_key,
        "native_id": item.native_id or item.link,
        "dedup_key": key,
        "title": item.title,
        "summary": item.summary,
        "link": item.link,
        "attachments": json.dumps(list(item.attachments), ensure_ascii=False),
        "severity": item.severity.value,
        "severity_raw": item.severity_raw,
        "category": item.category.value,
        "cves": json.dumps(list(item.cves)),
        "doc_number": item.doc_number,
        "affects_us": item.affects_us,
        "content_hash": item.content_hash,
        "published_at": item.published_at,
        "received_at": now,
        "updated_at": now,
        "state": AlertState.NEW.value,
        "level": 1,
        "step": 0,
        "round": 0,
        "next_escalation_at": now,
    }


_UPDATABLE = ("title", "summary", "link", "attachments", "severity", "severity_raw", "category", "cves",
              "doc_number", "affects_us", "published_at")


def _update(session: Session, alert: Alert, fresh: Alert, now, actor: str) -> None:  # noqa: ANN001
    changed = [name for name in _UPDATABLE if getattr(alert, name) != getattr(fresh, name)]
    before = {"title": alert.title, "severity": alert.severity}
    for name in _UPDATABLE:
        setattr(alert, name, getattr(fresh, name))
    alert.content_hash = fresh.content_hash
    alert.updated_at = now
    session.add(alert)
    if "cves" in changed:
        for link in session.exec(select(AlertCve).where(AlertCve.alert_id == alert.id)).all():
            session.delete(link)
        session.flush()
        for cve in json.loads(alert.cves):
            session.add(AlertCve(alert_id=alert.id, cve=cve))  # type: ignore[arg-type]
    append_event(
        session, now, actor, "alert.updated", "alert", alert.id,
        {"changed": changed, "before": before, "title": alert.title, "severity": alert.severity},
    )


def _insert_new(
    session: Session, rt: Runtime, source_key: str, new: list[tuple[str, FeedItem]], now, actor: str,  # noqa: ANN001
    report: IngestReport,
) -> None:
    """Create the new alerts in bulk, exactly as alert_factory.insert_alert would one by one.

    Same columns (state new, level 1, step 0, round 0, next_escalation_at = received_at,
    or NULL when joined), same alert_cve rows, same `alert.raised` event payload; bulk
    statements because a first poll of a 2,000-item feed must cost little more than parsing
    it (benchmarks/ingest.py). tests/feeds/test_ingest.py compares both paths column by column.
    """
    roots = _open_roots(session, {c for _, item in new for c in item.cves}) if rt.config.alerts.join_related else None
    rows: list[dict] = []
    parent_of: list[tuple[int | str, list[str]] | None] = []
    for key, item in new:
        data = _new_row(source_key, key, item, now)
        parent = None
        if roots is not None and item.cves:
            hits = [(roots[c], c) for c in item.cves if c in roots]
            if hits:
                target = min(hits, key=lambda h: (1, int(h[0][6:])) if isinstance(h[0], str) else (0, h[0]))[0]
                parent = (target, sorted({c for p, c in hits if p == target}))
                data["next_escalation_at"] = None  # the parent pages; this one never does
                if isinstance(target, int):
                    data["joined_to_id"] = target
        parent_of.append(parent)
        rows.append(data)
        if roots is not None and parent is None and item.category != Category.SUMMARY:
            for cve in item.cves:  # a later item of this batch may join this one
                roots.setdefault(cve, f"batch:{len(rows) - 1}")  # type: ignore[arg-type]
    # One driver executemany, then the ids by dedup_key (unique): SQLAlchemy's INSERT … RETURNING
    # with sort_by_parameter_order runs one statement per row on SQLite, and even a Core
    # executemany builds each row's parameters through the compiler.
    conn = session.connection()
    sql, columns = _alert_insert(conn.dialect)
    conn.connection.driver_connection.executemany(  # type: ignore[union-attr]
        sql, [tuple(r[name] if bind is None else bind(r[name]) for name, bind in columns) for r in rows])
    id_of = _ids_by_key(conn, [key for key, _ in new])
    ids = [id_of[key] for key, _ in new]
    late_joins = []
    for index, parent in enumerate(parent_of):
        if parent is not None and isinstance(parent[0], str):
            target = ids[int(parent[0].split(":", 1)[1])]
            parent_of[index] = (target, parent[1])
            late_joins.append((target, ids[index]))
    if late_joins:
        conn.exec_driver_sql("UPDATE alert SET joined_to_id = ? WHERE id = ?", late_joins)
    cve_rows = [(alert_id, cve) for alert_id, (_, item) in zip(ids, new) for cve in item.cves]
    if cve_rows:
        conn.exec_driver_sql("INSERT INTO alert_cve (alert_id, cve) VALUES (?, ?)", cve_rows)
    events = []
    for alert_id, data, parent, (_, item) in zip(ids, rows, parent_of, new):
        events.append((now, actor, "alert.raised", "alert", alert_id, {
            "source": data["source_key"], "native_id": data["native_id"], "dedup_key": data["dedup_key"],
            "title": data["title"], "severity": data["severity"], "category": data["category"],
            "cves": list(item.cves), "joined_to": parent[0] if parent else None,
        }))
        if parent is not None:
            events.append((now, actor, "alert.joined", "alert", parent[0],
                           {"joined": alert_id, "source": source_key, "title": data["title"], "cves": parent[1]}))
            report.joined.append((alert_id, parent[0]))  # type: ignore[arg-type]
    append_events_bulk(conn.connection.driver_connection, events)
    report.new.extend(ids)


def ingest_into(
    session: Session,
    rt: Runtime,
    source_key: str,
    items: Sequence[FeedItem],
    actor: str = SYSTEM,
) -> IngestReport:
    """Store `items` inside the caller's write transaction."""
    now = rt.now()
    report = IngestReport()
    batch: dict[str, FeedItem] = {}
    for item in items:
        batch.setdefault(dedup_key(source_key, item), item)  # the same item twice in one feed counts once
    keys = list(batch)
    known: dict[str, tuple[int, str]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        for alert_id, key, content_hash in session.exec(
            select(Alert.id, Alert.dedup_key, Alert.content_hash).where(col(Alert.dedup_key).in_(chunk))
        ).all():
            known[key] = (alert_id, content_hash)  # type: ignore[assignment]
    new: list[tuple[str, FeedItem]] = []
    for key, item in batch.items():
        found = known.get(key)
        if found is None:
            new.append((key, item))
        elif found[1] == item.content_hash:
            report.unchanged += 1
        else:
            existing = session.get(Alert, found[0])
            _update(session, existing, _row(source_key, key, item, now), now, actor)  # type: ignore[arg-type]
            report.updated.append(found[0])
    session.flush()
    if new:
        _insert_new(session, rt, source_key, new, now, actor, report)
    return report


def ingest_items(rt: Runtime, source_key: str, items: Sequence[FeedItem], actor: str = SYSTEM) -> IngestReport:
    """Store `items` in one write transaction of their own."""
    with rt.db.write() as session:
        return ingest_into(session, rt, source_key, items, actor)


# -- what arrives outside any feed ----------------------------------------------------------------
MANUAL_SOURCE = "manual"
IMPORT_SOURCE = "import"
MAX_IMPORT_BYTES = 50_000_000


def add_manual_alert(
    rt: Runtime,
    actor: Actor,
    *,
    title: str,
    summary: str = "",
    severity: Severity | None = None,
    link: str = "",
    note: str = "",
) -> AlertRecord:
    """A warning typed in by an officer (an IRLab item, a phone call from NCSC, a letter).

    The text goes through the same normalizer as feed items (CVE ids, letter number,
    category, related alerts); a severity given by the person wins over the words.
    """
    from watchdesk.feeds.items import RawItem
    from watchdesk.feeds.normalize import Watch, normalize

    if not person_text(title, TITLE_MAX, "the title", multiline=False):
        raise InvalidInput("an alert needs a title; give --title.")
    person_text(summary, SUMMARY_MAX, "the summary")
    if len(link) > LINK_MAX:
        raise InvalidInput(f"the link is {len(link):,} characters long, more than the {LINK_MAX:,} allowed; shorten it.")
    if link and not re.match(r"^https?://", link.strip(), re.IGNORECASE):
        raise InvalidInput(f"link '{clean_line(link, max_length=80)}' is not a web address; give an http(s):// link or none.")
    note = person_text(note, SOURCE_NOTE_MAX, "--note (where the warning came from)", multiline=False)
    body = f"{summary}\n\nNguồn / source: {note}" if note else summary
    raw = RawItem(native_id=f"{MANUAL_SOURCE}-{uuid.uuid4().hex[:16]}", link=link, title=title, summary=body,
                  severity=severity.value if severity else "")
    item = normalize(raw, default_severity=Severity.MEDIUM, zone=rt.zone,
                     watch=Watch.of(rt.config.watch.vendors, rt.config.watch.products))
    if severity is not None and item.severity != severity and not item.affects_us:
        item = dataclasses.replace(item, severity=severity)
    with rt.db.write() as session:
        report = ingest_into(session, rt, MANUAL_SOURCE, [item], actor=actor.handle)
        alert_id = report.new[0]
        if note:
            append_event(session, rt.now(), actor.handle, "alert.source_note", "alert", alert_id, {"note": note})
    from watchdesk.services.alerts import get_alert

    return get_alert(rt, alert_id)


def _import_kind(path: Path, head: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".json" or head.lstrip()[:1] in (b"{", b"["):
        return "json"
    if suffix in (".html", ".htm"):
        return "html"
    return "rss"


def import_file(rt: Runtime, actor: Actor, path: str | Path, source_key: str | None = None) -> tuple[IngestReport, list[str]]:
    """A saved feed, JSON or CSV file, stored like a poll of `source_key` (default 'import')."""
    from watchdesk.feeds.adapters import parse_body
    from watchdesk.feeds.csvfile import parse_csv
    from watchdesk.feeds.normalize import Watch, normalize
    from watchdesk.feeds.xmlprep import NotAFeed

    path = Path(path).expanduser()
    try:
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise InvalidInput(f"{path}: the file is {size // 1_000_000} MB, more than the {MAX_IMPORT_BYTES // 1_000_000} MB an import takes; split it.")
        body = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file; check the path.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path}: is a folder; give a feed, JSON or CSV file.") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the file ({exc.strerror}).") from None
    src = rt.config.source(source_key) if source_key else None
    if source_key and src is None and source_key not in (IMPORT_SOURCE, MANUAL_SOURCE):
        known = ", ".join(s.key for s in rt.config.sources) or "none configured"
        raise NotFound(f"no source '{source_key}' in the config ({known}); leave --source out to import as '{IMPORT_SOURCE}'.")
    key = source_key or IMPORT_SOURCE
    try:
        if src is not None and src.kind.value != "manual":
            outcome = parse_body(src.kind.value, body, preset=src.preset, mapping=src.mapping, base_url=src.url)
        else:
            kind = _import_kind(path, body[:64])
            outcome = parse_csv(body, where=str(path)) if kind == "csv" else parse_body(kind, body, base_url="")
    except NotAFeed as exc:
        sentence = str(exc)
        raise InvalidInput(sentence if sentence.startswith(str(path)) else f"{path}: the file {sentence}.") from None
    default = src.severity if src is not None else Severity.MEDIUM
    watch = Watch.of(rt.config.watch.vendors, rt.config.watch.products)
    items = [normalize(raw, default_severity=default, zone=rt.zone, watch=watch) for raw in outcome.items]
    with rt.db.write() as session:
        report = ingest_into(session, rt, key, items, actor=actor.handle)
        append_event(session, rt.now(), actor.handle, "source.imported", "source", key,
                     {"file": path.name, "items": len(items), **report.counts})
    return report, outcome.warnings
