"""Ingest: what a poll's items already are in the store, and the rows an update touches (services.ingest)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select

from watchdesk.core.enums import Category
from watchdesk.store.db import Session
from watchdesk.store.models import Alert, AlertCve
from watchdesk.store.queries.alerts import OPEN_STATES, in_chunks


def known_alerts(session: Session, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
    """dedup_key -> (alert id, content_hash) for those of `keys` already stored."""
    known: dict[str, tuple[int, str]] = {}
    for chunk in in_chunks(keys):
        for alert_id, key, content_hash in session.exec(
            select(Alert.id, Alert.dedup_key, Alert.content_hash).where(col(Alert.dedup_key).in_(chunk))
        ).all():
            known[key] = (alert_id, content_hash)  # type: ignore[assignment]
    return known


def open_roots_by_subject(session: Session, cves: set[str]) -> dict[int, set[str]]:
    """Open root alerts (joined to nothing, not summaries) with any of `cves` as a SUBJECT CVE:
    alert id -> all its subject CVEs among `cves`. Mentions are never looked at."""
    roots: dict[int, set[str]] = {}
    links, alerts = AlertCve.__table__, Alert.__table__  # Core: the rows come back as plain tuples
    link, alert = links.c, alerts.c  # type: ignore[attr-defined]
    conn = session.connection()
    for chunk in in_chunks(sorted(cves)):
        query = (
            select(link.alert_id, link.cve).select_from(links.join(alerts, alert.id == link.alert_id))  # type: ignore[attr-defined]
            .where(link.cve.in_(chunk), link.mention == False, alert.state.in_(OPEN_STATES),  # noqa: E712 - SQL, not Python
                   alert.joined_to_id.is_(None), alert.category != Category.SUMMARY.value)
        )
        for alert_id, cve in conn.execute(query).all():
            roots.setdefault(alert_id, set()).add(cve)
    return roots


def open_child_severities(session: Session, alert_id: int) -> list[str]:
    """The severity of each open alert joined to `alert_id`."""
    return list(session.exec(select(Alert.severity).where(
        Alert.joined_to_id == alert_id, col(Alert.state).in_(OPEN_STATES))).all())


def cve_links(session: Session, alert_id: int) -> list[AlertCve]:
    """The alert_cve rows of `alert_id` (subject CVEs and mentions)."""
    return list(session.exec(select(AlertCve).where(AlertCve.alert_id == alert_id)).all())
