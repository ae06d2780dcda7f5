"""Outside contacts' SQL."""

from __future__ import annotations

from sqlmodel import Session, select

from watchdesk.store.models import Contact


def contacts_by_key(session: Session) -> dict[str, Contact]:
    """Every contact row (retired ones too), by key."""
    return {c.key: c for c in session.exec(select(Contact)).all()}
