"""Roll call's SQL: which misses were raised already, and whether a shift's officer checked in."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import String, bindparam, text
from sqlmodel import Session, select

from watchdesk.store.models import Alert

_RAISED = text("SELECT dedup_key FROM alert WHERE dedup_key IN :keys").bindparams(bindparam("keys", expanding=True, type_=String))
_CHECKED_IN = text("SELECT checked_in_at FROM shift WHERE id = :id")


def existing_dedup_keys(session: Session, keys: Collection[str]) -> set[str]:
    """The keys among `keys` some alert already has."""
    if not keys:
        return set()
    return {r[0] for r in session.connection().execute(_RAISED, {"keys": list(keys)})}


def checked_in(session: Session, shift_id: int | None) -> bool:
    """True when the shift's officer has checked in."""
    return session.connection().execute(_CHECKED_IN, {"id": shift_id}).scalar() is not None


def alert_by_dedup_key(session: Session, dedup_key: str) -> Alert | None:
    """The alert with this dedup key, if any."""
    return session.exec(select(Alert).where(Alert.dedup_key == dedup_key)).first()
