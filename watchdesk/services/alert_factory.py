"""The one way alert rows come into being (feeds in bulk, manual entry, the desk's own checks).

`create_alerts` writes a batch: rows, their alert_cve index (subject CVEs and mentions apart),
the `alert.raised` events, and for a child that joins an open alert the join's effects.
Whatever raises it, a new alert starts at level 1, step 0, round 0 with
`next_escalation_at = received_at`: the next engine tick pages the level-1 officer on duty
and sets the deadline from the severity's policy. A child joined to an open parent keeps no
timers of its own (the parent's escalation covers it); joining an acknowledged parent it is
created acknowledged with the parent (same acknowledger, at its own arrival), so the board and
the reports see it covered; joining a less severe parent raises the parent (escalation.raise_severity).
Everything shares the caller's write transaction.

The rows go in bulk (store.queries.alerts): a first poll of a 2,000-item feed must cost little
more than parsing it (benchmarks/ingest.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from watchdesk.core.enums import AlertState, Category, Severity
from watchdesk.core.text import clean_line, clean_text
from watchdesk.services.escalation import raise_severity
from watchdesk.store.audit import SYSTEM
from watchdesk.store.db import Session
from watchdesk.store.models import Alert
from watchdesk.store.queries.alerts import alert_heads, alert_ids_by_dedup_key, append_events, insert_alerts, insert_cve_links

if TYPE_CHECKING:
    from watchdesk.services.runtime import Runtime


@dataclass
class NewAlert:
    """What a new alert is made of (already cleaned text)."""

    source_key: str
    dedup_key: str
    title: str
    summary: str = ""
    link: str = ""
    severity: str = Severity.HIGH.value
    severity_raw: str = ""
    category: str = Category.OTHER.value
    native_id: str = ""
    cves: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    doc_number: str = ""
    affects_us: bool = False
    content_hash: str = ""
    published_at: datetime | None = None
    received_at: datetime | None = None
    attachments: tuple[dict[str, str], ...] = ()
    joined_to: int | None = None
    """An open root alert whose subject CVEs hold all of this one's (decided by the caller)."""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The identity parts are a publisher's raw words (a guid, a native id): a NUL there is
        # meaningless and PostgreSQL refuses it in text, which would fail the whole poll.
        for name in ("dedup_key", "native_id", "link", "doc_number"):
            value = getattr(self, name)
            if "\x00" in value:
                setattr(self, name, value.replace("\x00", ""))


_defaults: dict | None = None


def _values(spec: NewAlert, now: datetime) -> dict:
    global _defaults
    if _defaults is None:
        _defaults = Alert(source_key="", dedup_key="", title="").model_dump(exclude={"id"})
    received = spec.received_at or now
    return {
        **_defaults,
        "source_key": spec.source_key, "native_id": spec.native_id, "dedup_key": spec.dedup_key,
        "title": spec.title, "summary": spec.summary, "link": spec.link,
        "attachments": json.dumps(list(spec.attachments), ensure_ascii=False),
        "severity": spec.severity, "severity_raw": spec.severity_raw, "category": spec.category,
        "cves": json.dumps(list(spec.cves)), "mentions": json.dumps(list(spec.mentions)),
        "doc_number": spec.doc_number, "affects_us": spec.affects_us, "content_hash": spec.content_hash,
        "published_at": spec.published_at, "received_at": received, "updated_at": received,
        "state": AlertState.NEW.value, "level": 1, "step": 0, "round": 0,
        "next_escalation_at": received,
    }


def create_alerts(
    session: Session,
    now: datetime,
    specs: Sequence[NewAlert],
    actor: str = SYSTEM,
    rt: Runtime | None = None,
    unknown: bool = False,
) -> list[tuple[int, bool]]:
    """Create the alerts whose dedup_key is not stored yet; (id, created?) for each spec, in order.

    The caller holds a write transaction (BEGIN IMMEDIATE), so the existence check and the
    insert cannot race with another process (`unknown`: the caller looked the keys up in this
    transaction already, as ingest does). A spec with `joined_to` needs `rt` (the parent may
    follow a higher policy and page its acknowledger).
    """
    existing = {} if unknown else alert_ids_by_dedup_key(session, [s.dedup_key for s in specs])
    fresh: dict[str, NewAlert] = {}
    for spec in specs:
        if spec.dedup_key not in existing:
            fresh.setdefault(spec.dedup_key, spec)
    if fresh:
        _insert(session, now, list(fresh.values()), actor, rt)
        existing.update(alert_ids_by_dedup_key(session, list(fresh)))
    return [(existing[s.dedup_key], s.dedup_key in fresh) for s in specs]


def _insert(session: Session, now: datetime, specs: list[NewAlert], actor: str, rt: Runtime | None) -> None:
    rows = [_values(s, now) for s in specs]
    parents: dict[int, tuple[str, str, int | None]] = {}  # id -> (state, severity, acked_by_id)
    joined = sorted({s.joined_to for s in specs if s.joined_to is not None})
    if joined:
        if rt is None:
            raise ValueError("joining an alert needs the runtime (policies and channels)")
        for pid, (state, severity, acker, root) in alert_heads(session, joined).items():
            if state != AlertState.RESOLVED.value and root is None:
                parents[pid] = (state, severity, acker)
        missing = [p for p in joined if p not in parents]
        if missing:
            raise ValueError(f"alert #{missing[0]} is not an open root alert; nothing may join it")
    for spec, data in zip(specs, rows):
        if spec.joined_to is None:
            continue
        state, _, acker = parents[spec.joined_to]
        data["joined_to_id"] = spec.joined_to
        data["next_escalation_at"] = None  # the parent's escalation covers it: no timers of its own
        if state == AlertState.ACKNOWLEDGED.value:
            data.update(state=AlertState.ACKNOWLEDGED.value, acked_by_id=acker,
                        acked_at=data["received_at"], first_acked_at=data["received_at"], ack_us=0)
    insert_alerts(session, rows)
    id_of = alert_ids_by_dedup_key(session, [s.dedup_key for s in specs])
    cve_rows = [(id_of[s.dedup_key], c, False) for s in specs for c in s.cves]
    cve_rows += [(id_of[s.dedup_key], c, True) for s in specs for c in s.mentions if c not in s.cves]
    if cve_rows:
        insert_cve_links(session, cve_rows)
    events: list[tuple] = []
    children: dict[int, list[tuple[int, NewAlert]]] = {}
    for spec, data in zip(specs, rows):
        alert_id = id_of[spec.dedup_key]
        payload = {
            "source": spec.source_key, "native_id": spec.native_id, "dedup_key": spec.dedup_key,
            "title": spec.title, "severity": spec.severity, "category": spec.category,
            "cves": list(spec.cves), "joined_to": spec.joined_to,
        }
        if spec.mentions:
            payload["mentions"] = list(spec.mentions)
        if data["state"] == AlertState.ACKNOWLEDGED.value:
            payload["acknowledged_with"] = spec.joined_to
        events.append((now, actor, "alert.raised", "alert", alert_id, {**payload, **spec.extra}))
        if spec.joined_to is not None:
            children.setdefault(spec.joined_to, []).append((alert_id, spec))
    # The parents' side after the children's: "#8 joined by #12", then any severity raise.
    for parent_id, kids in children.items():
        for alert_id, spec in kids:
            events.append((now, actor, "alert.joined", "alert", parent_id,
                           {"joined": alert_id, "source": spec.source_key, "title": spec.title, "cves": list(spec.cves)}))
    append_events(session, events)
    for parent_id, kids in children.items():
        # Joining never lowers urgency: the most severe child raises its parent (rare: load the row then).
        child_id, top = min(((i, Severity(s.severity)) for i, s in kids), key=lambda c: (c[1].rank, c[0]))
        if top.rank < Severity(parents[parent_id][1]).rank:
            parent = session.get(Alert, parent_id)
            raise_severity(session, rt, parent, top, now, actor, child_id)  # type: ignore[arg-type]


def _spec_of(row: Alert) -> NewAlert:
    return NewAlert(
        source_key=row.source_key, dedup_key=row.dedup_key, title=row.title, summary=row.summary, link=row.link,
        severity=row.severity, severity_raw=row.severity_raw, category=row.category, native_id=row.native_id,
        cves=tuple(json.loads(row.cves or "[]")), mentions=tuple(json.loads(row.mentions or "[]")),
        doc_number=row.doc_number, affects_us=row.affects_us, content_hash=row.content_hash,
        published_at=row.published_at, received_at=row.received_at,
        attachments=tuple(json.loads(row.attachments or "[]")), joined_to=row.joined_to_id,
    )


def insert_alert(session: Session, row: Alert, now: datetime, actor: str = SYSTEM, rt: Runtime | None = None) -> tuple[Alert, bool]:
    """`row` as a new alert unless its dedup_key exists; returns (the stored alert, created?)."""
    [(alert_id, created)] = create_alerts(session, now, [_spec_of(row)], actor, rt)
    stored = session.get(Alert, alert_id)
    assert stored is not None
    return stored, created


def raise_alert(
    session: Session,
    now: datetime,
    *,
    source_key: str,
    dedup_key: str,
    title: str,
    summary: str = "",
    severity: Severity = Severity.HIGH,
    category: Category = Category.OTHER,
    link: str = "",
    actor: str = SYSTEM,
) -> tuple[Alert, bool]:
    """An alert the desk raises itself (a silent source, a missed roll call, a late handover)."""
    spec = NewAlert(
        source_key=source_key, native_id=dedup_key, dedup_key=dedup_key, title=clean_line(title, max_length=300),
        summary=clean_text(summary, max_length=20_000), link=link, severity=Severity(severity).value,
        category=Category(category).value, received_at=now,
    )
    [(alert_id, created)] = create_alerts(session, now, [spec], actor)
    stored = session.get(Alert, alert_id)
    assert stored is not None
    return stored, created
