"""Alerts posted in: the occurrences of a sender's key (`inbound_key`)."""

from __future__ import annotations

from sqlmodel import col, select

from watchdesk.store.db import Session
from watchdesk.store.models import InboundKey


def latest_occurrence(session: Session, integration: str, fingerprint: str) -> InboundKey | None:
    """The newest occurrence of a key (its digest) posted by `integration`; None for a key never seen."""
    return session.exec(
        select(InboundKey).where(InboundKey.integration == integration, InboundKey.fingerprint == fingerprint)
        .order_by(col(InboundKey.occurrence).desc())
    ).first()
