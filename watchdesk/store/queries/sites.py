"""Our own websites: the `site_watch` row of a site source (services.sites)."""

from __future__ import annotations

from sqlmodel import select

from watchdesk.store.db import Session
from watchdesk.store.models import SiteWatch


def site_watch(session: Session, source_key: str) -> SiteWatch | None:
    """The site's latest check and baseline, or None before its first check."""
    return session.exec(select(SiteWatch).where(SiteWatch.source_key == source_key)).first()
