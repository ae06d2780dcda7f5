"""Storing normalized warnings as alerts: dedup, update in place, related CVEs, joining.

One alert per (source, native id | guid | link), found through `dedup_key`. A known item
whose content changed is updated in place with an `alert.updated` event and is NOT paged
again (its escalation fields are left alone). An item's subject CVEs (structured ids, the
title's) and the CVEs its prose only mentions are both indexed in alert_cve, so alerts that
share any of them are related. With `[alerts] join_related` a new item JOINS an open alert
only when all its subject CVEs are among that alert's subject CVEs (the same vulnerability,
from any source); a mention never joins. A joined child keeps no timers: the parent pages
for it (see alert_factory and DESIGN.md "No alert is ever silent").
Everything a poll brings is written in one transaction with its events.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from watchdesk.i18n import _
from watchdesk.core.enums import Category, Severity
from watchdesk.core.records import Actor, AlertRecord
from watchdesk.core.text import clean_line
from watchdesk.feeds.items import FeedItem
from watchdesk.services.alert_factory import NewAlert, create_alerts
from watchdesk.services.errors import InvalidInput, NotFound
from watchdesk.services.limits import LINK_MAX, SOURCE_NOTE_MAX, SUMMARY_MAX, TITLE_MAX, person_text
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import SYSTEM, append_event
from watchdesk.store.db import Session
from watchdesk.store.models import Alert, AlertCve
from watchdesk.store.queries.ingest import cve_links, known_alerts, open_child_severities, open_roots_by_subject


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


def _spec(source_key: str, key: str, item: FeedItem, now: datetime) -> NewAlert:
    return NewAlert(
        source_key=source_key, dedup_key=key, native_id=item.native_id or item.link, title=item.title,
        summary=item.summary, link=item.link, attachments=item.attachments, severity=item.severity.value,
        severity_raw=item.severity_raw, category=item.category.value, cves=item.cves, mentions=item.mentions,
        doc_number=item.doc_number, affects_us=item.affects_us, content_hash=item.content_hash,
        published_at=item.published_at, received_at=now,
    )


def join_target(subject: Iterable[str], roots: dict[int, set[str]]) -> int | None:
    """The earliest open root whose subject CVEs hold ALL of `subject` (never for an empty subject):
    the same vulnerability, whichever source told of it."""
    wanted = set(subject)
    if not wanted:
        return None
    return min((i for i, cves in roots.items() if wanted <= cves), default=None)


def _update(session: Session, alert: Alert, item: FeedItem, now: datetime, actor: str) -> None:
    fresh = {
        "title": item.title, "summary": item.summary, "link": item.link,
        "attachments": json.dumps(list(item.attachments), ensure_ascii=False), "severity": item.severity.value,
        "severity_raw": item.severity_raw, "category": item.category.value, "cves": json.dumps(list(item.cves)),
        "mentions": json.dumps(list(item.mentions)), "doc_number": item.doc_number, "affects_us": item.affects_us,
        "published_at": item.published_at,
    }
    # Joining never lowers urgency: a re-poll does not bring a parent below its open children.
    for sev in open_child_severities(session, alert.id):  # type: ignore[arg-type]
        if Severity(sev).rank < Severity(fresh["severity"]).rank:
            fresh["severity"] = sev
    changed = [name for name in _UPDATABLE if getattr(alert, name) != fresh[name]]
    before = {"title": alert.title, "severity": alert.severity}
    for name in _UPDATABLE:
        setattr(alert, name, fresh[name])
    alert.content_hash = item.content_hash
    alert.updated_at = now
    session.add(alert)
    if "cves" in changed or "mentions" in changed:
        for link in cve_links(session, alert.id):  # type: ignore[arg-type]
            session.delete(link)
        session.flush()
        for cve in item.cves:
            session.add(AlertCve(alert_id=alert.id, cve=cve))  # type: ignore[arg-type]
        for cve in item.mentions:
            if cve not in item.cves:
                session.add(AlertCve(alert_id=alert.id, cve=cve, mention=True))  # type: ignore[arg-type]
    append_event(
        session, now, actor, "alert.updated", "alert", alert.id,
        {"changed": changed, "before": before, "title": alert.title, "severity": alert.severity},
    )


_UPDATABLE = ("title", "summary", "link", "attachments", "severity", "severity_raw", "category", "cves",
              "mentions", "doc_number", "affects_us", "published_at")


def _insert_new(
    session: Session, rt: Runtime, source_key: str, new: list[tuple[str, FeedItem]], now: datetime, actor: str,
    report: IngestReport,
) -> None:
    """Create the new alerts through create_alerts (the one way alerts are made), in bulk.

    A new item joins an open alert only when it has subject CVEs and all of them are among that
    alert's subject CVEs; an item may join an earlier item of the same batch, so the batch goes
    in two passes: first those joining nothing or a stored alert, then those joining one of them.
    """
    join = rt.config.alerts.join_related
    roots = open_roots_by_subject(session, {c for _, item in new for c in item.cves}) if join else {}
    batch_roots: dict[int, set[str]] = {}  # index in `new` -> subject, for later items of this batch
    specs = [_spec(source_key, key, item, now) for key, item in new]
    later: dict[int, int] = {}  # index -> index of the batch root it joins
    for index, (spec, (_, item)) in enumerate(zip(specs, new)):
        if not join:
            continue
        spec.joined_to = join_target(item.cves, roots)
        if spec.joined_to is None:
            inside = join_target(item.cves, batch_roots)
            if inside is not None:
                later[index] = inside
            elif item.cves and item.category != Category.SUMMARY:
                batch_roots[index] = set(item.cves)  # a summary may join others, but never gathers them
    first = [i for i in range(len(specs)) if i not in later]
    ids: dict[int, int] = {}
    for i, (alert_id, _) in zip(first, create_alerts(session, now, [specs[i] for i in first], actor, rt, unknown=True)):
        ids[i] = alert_id
    if later:
        for i, root in later.items():
            specs[i].joined_to = ids[root]
        for i, (alert_id, _) in zip(later, create_alerts(session, now, [specs[i] for i in later], actor, rt, unknown=True)):
            ids[i] = alert_id
    for index, spec in enumerate(specs):
        report.new.append(ids[index])
        if spec.joined_to is not None:
            report.joined.append((ids[index], spec.joined_to))


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
    known = known_alerts(session, list(batch))
    new: list[tuple[str, FeedItem]] = []
    for key, item in batch.items():
        found = known.get(key)
        if found is None:
            new.append((key, item))
        elif found[1] == item.content_hash:
            report.unchanged += 1
        else:
            existing = session.get(Alert, found[0])
            _update(session, existing, item, now, actor)  # type: ignore[arg-type]
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
        raise InvalidInput(_("an alert needs a title; give --title."))
    person_text(summary, SUMMARY_MAX, "the summary")
    if len(link) > LINK_MAX:
        raise InvalidInput(_("the link is {length:,} characters long, more than the {most:,} allowed; shorten it.").format(length=len(link), most=LINK_MAX))
    if link and not re.match(r"^https?://", link.strip(), re.IGNORECASE):
        raise InvalidInput(_("link '{link}' is not a web address; give an http(s):// link or none.").format(link=clean_line(link, max_length=80)))
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
            raise InvalidInput(_("{path}: the file is {size} MB, more than the {most} MB an import takes; split it.").format(path=path, size=size // 1_000_000, most=MAX_IMPORT_BYTES // 1_000_000))
        body = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(_("{path}: no such file; check the path.").format(path=path)) from None
    except IsADirectoryError:
        raise InvalidInput(_("{path}: is a folder; give a feed, JSON or CSV file.").format(path=path)) from None
    except OSError as exc:
        raise InvalidInput(_("{path}: cannot read the file ({strerror}).").format(path=path, strerror=exc.strerror)) from None
    src = rt.config.source(source_key) if source_key else None
    if source_key and src is None and source_key not in (IMPORT_SOURCE, MANUAL_SOURCE):
        known = ", ".join(s.key for s in rt.config.sources) or _("none configured")
        raise NotFound(_("no source '{source_key}' in the config ({known}); leave --source out to import as '{import_source}'.").format(source_key=source_key, known=known, import_source=IMPORT_SOURCE))
    key = source_key or IMPORT_SOURCE
    try:
        if src is not None and src.kind.value != "manual":
            outcome = parse_body(src.kind.value, body, preset=src.preset, mapping=src.mapping, base_url=src.url)
        else:
            kind = _import_kind(path, body[:64])
            outcome = parse_csv(body, where=str(path)) if kind == "csv" else parse_body(kind, body, base_url="")
    except NotAFeed as exc:
        sentence = str(exc)
        raise InvalidInput(sentence if sentence.startswith(str(path)) else _("{path}: the file {sentence}.").format(path=path, sentence=sentence)) from None
    default = src.severity if src is not None else Severity.MEDIUM
    watch = Watch.of(rt.config.watch.vendors, rt.config.watch.products)
    items = [normalize(raw, default_severity=default, zone=rt.zone, watch=watch) for raw in outcome.items]
    with rt.db.write() as session:
        report = ingest_into(session, rt, key, items, actor=actor.handle)
        append_event(session, rt.now(), actor.handle, "source.imported", "source", key,
                     {"file": path.name, "items": len(items), **report.counts})
    return report, outcome.warnings
