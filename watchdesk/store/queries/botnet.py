"""Botnet lists: the lists imported, and the lists each address of ours appeared in."""

from __future__ import annotations

from sqlmodel import col, select

from watchdesk.store.db import Session
from watchdesk.store.models import BotnetList, BotnetMatch


def list_by_hash(session: Session, file_hash: str) -> BotnetList | None:
    return session.exec(select(BotnetList).where(BotnetList.file_hash == file_hash)).first()


def list_by_name(session: Session, name: str) -> BotnetList | None:
    return session.exec(select(BotnetList).where(BotnetList.name == name)).first()


def lists(session: Session) -> list[BotnetList]:
    """Every imported list, oldest first."""
    return list(session.exec(select(BotnetList).order_by(col(BotnetList.imported_at), col(BotnetList.id))).all())


def matches_of(session: Session, address: str) -> list[tuple[BotnetMatch, BotnetList]]:
    """Every match of `address` with its list, the oldest list first."""
    return list(session.exec(
        select(BotnetMatch, BotnetList).join(BotnetList, BotnetList.id == BotnetMatch.list_id)
        .where(BotnetMatch.address == address).order_by(col(BotnetList.imported_at), col(BotnetList.id))
    ).all())


def earlier_matches_of(session: Session, address: str, list_id: int) -> list[tuple[BotnetMatch, BotnetList]]:
    """The matches of `address` in lists other than `list_id`, with their list, the newest list first."""
    return list(session.exec(
        select(BotnetMatch, BotnetList).join(BotnetList, BotnetList.id == BotnetMatch.list_id)
        .where(BotnetMatch.address == address, BotnetMatch.list_id != list_id)
        .order_by(col(BotnetList.imported_at).desc(), col(BotnetList.id).desc())
    ).all())
