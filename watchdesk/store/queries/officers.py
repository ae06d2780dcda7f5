"""Officers: found by handle, listed, and the facts sign-in and the roster check ask about them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select

from watchdesk.core.enums import Role
from watchdesk.store.db import Session
from watchdesk.store.models import Officer


def officer_by_handle(session: Session, handle: str) -> Officer | None:
    return session.exec(select(Officer).where(Officer.handle == handle)).first()


def officers_by_handle(session: Session, handles: Iterable[str]) -> dict[str, Officer]:
    """The officers among `handles` that exist, by handle."""
    return {o.handle: o for o in session.exec(select(Officer).where(col(Officer.handle).in_(set(handles)))).all()}


def existing_handles(session: Session, handles: Iterable[str]) -> set[str]:
    """Which of `handles` are taken already."""
    return set(session.exec(select(Officer.handle).where(col(Officer.handle).in_(set(handles)))).all())


def officers(session: Session, *, active_only: bool = False) -> list[Officer]:
    """Every officer (or every active one), by handle."""
    query = select(Officer).order_by(Officer.handle)
    if active_only:
        query = query.where(Officer.active == True)  # noqa: E712
    return list(session.exec(query).all())


def inactive_handles(session: Session) -> set[str]:
    return set(session.exec(select(Officer.handle).where(Officer.active == False)).all())  # noqa: E712


def any_officer(session: Session) -> bool:
    return session.exec(select(Officer.id).limit(1)).first() is not None


def proven_supervisor_exists(session: Session) -> bool:
    """Whether an active supervisor has a PIN or an OS account (one who can prove who they are)."""
    return session.exec(
        select(Officer.id).where(Officer.role == Role.SUPERVISOR.value, Officer.active == True,  # noqa: E712
                                 (col(Officer.pin_hash) != "") | (col(Officer.os_user) != ""))
    ).first() is not None
