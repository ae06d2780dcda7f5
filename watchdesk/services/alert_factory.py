"""The one way an alert row comes into being (feeds, manual entry, the desk's own checks).

Whatever raises it, a new alert starts at level 1, step 0, round 0 with
`next_escalation_at = received_at`: the next engine tick pages the level-1 officer on duty
and sets the deadline from the severity's policy. Creation and its `alert.raised` event
share the caller's write transaction.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session, select

from watchdesk.core.enums import AlertState, Category, Severity
from watchdesk.core.text import clean_line, clean_text
from watchdesk.store.audit import SYSTEM, append_event
from watchdesk.store.models import Alert, AlertCve


def insert_alert(session: Session, row: Alert, now: datetime, actor: str = SYSTEM) -> tuple[Alert, bool]:
    """Insert `row` unless its dedup_key exists; returns (the alert, created?).

    The caller holds a write transaction (BEGIN IMMEDIATE), so the existence check and the
    insert cannot race with another process.
    """
    existing = session.exec(select(Alert).where(Alert.dedup_key == row.dedup_key)).first()
    if existing is not None:
        return existing, False
    row.state = AlertState.NEW.value
    row.level, row.step, row.round = 1, 0, 0
    row.received_at = row.received_at or now
    row.next_escalation_at = row.received_at
    session.add(row)
    session.flush()
    for cve in json.loads(row.cves or "[]"):
        session.add(AlertCve(alert_id=row.id, cve=cve))
    append_event(
        session, now, actor, "alert.raised", "alert", row.id,
        {
            "source": row.source_key, "native_id": row.native_id, "dedup_key": row.dedup_key,
            "title": row.title, "severity": row.severity, "category": row.category,
            "cves": json.loads(row.cves or "[]"), "joined_to": row.joined_to_id,
        },
    )
    return row, True


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
    row = Alert(
        source_key=source_key,
        native_id=dedup_key,
        dedup_key=dedup_key,
        title=clean_line(title, max_length=300),
        summary=clean_text(summary, max_length=20_000),
        link=link,
        severity=Severity(severity).value,
        severity_raw="",
        category=Category(category).value,
        received_at=now,
        updated_at=now,
    )
    return insert_alert(session, row, now, actor)
