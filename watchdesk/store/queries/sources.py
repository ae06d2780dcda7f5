"""Sources: their rows, the schedule of polls, claims on due polls, and the cheap unchanged-poll update.

Stored times are fixed-width UTC text (store.types), so text order is time order: the claim
compares `next_poll_at` as stored and sets it back by compare-and-set on the same text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, text
from sqlmodel import select

from watchdesk.store.db import Session
from watchdesk.store.models import Source
from watchdesk.store.runners import live_runners
from watchdesk.store.types import from_db_text, to_db_text


def all_sources(session: Session) -> list[Source]:
    """Every source row, configured or not."""
    return list(session.exec(select(Source)).all())


def source_row(session: Session, key: str) -> Source:
    """The row of source `key` (raises when there is none: a polled source always has one)."""
    return session.exec(select(Source).where(Source.key == key)).one()


def source_row_or_none(session: Session, key: str) -> Source | None:
    """The row of source `key`, or None."""
    return session.exec(select(Source).where(Source.key == key)).first()


# One aggregate row in plain text SQL: this runs after every poll, and an ORM query costs several
# times the SQL it sends. A poll claimed by an engine counts as due at `recheck` (not at its lease's end).
_SCHEDULE = text(
    "SELECT count(next_poll_at), min(CASE WHEN claimed_by != '' AND next_poll_at = claimed_until "
    "AND next_poll_at > :recheck THEN :recheck ELSE next_poll_at END) FROM source WHERE key IN :keys"
).bindparams(bindparam("keys", expanding=True, type_=String))


def poll_schedule(session: Session, keys: Sequence[str], recheck: datetime) -> tuple[int, datetime | None]:
    """(how many of `keys` have a row with a next poll time, the earliest of those times, a claim's at `recheck`)."""
    known, earliest = session.connection().execute(_SCHEDULE, {"keys": list(keys), "recheck": to_db_text(recheck)}).one()
    return known, from_db_text(earliest)


_TOUCH = ("UPDATE source SET failing_since = NULL, last_ok_at = :now, last_polled_at = :now, next_poll_at = :next_poll_at"
          "{validators} WHERE key = :key AND failures = 0 AND health_alert_id IS NULL"
          " AND coalesce(last_new_item_at, created_at) > :fresh_after")
_TOUCH_ANSWERED = text(_TOUCH.format(validators=""))
_TOUCH_NEW_VALIDATORS = text(_TOUCH.format(validators=", etag = :etag, last_modified = :last_modified, body_hash = :body_hash"))


def touch_healthy_source(session: Session, key: str, now: datetime, next_poll_at: datetime, fresh_after: datetime | None,
                         validators: tuple[str, str, str] | None) -> bool:
    """Record an unchanged answer of a healthy source in one UPDATE; True when the row qualified.

    Healthy: no failures, no health alert, a new item (or its creation) after `fresh_after`
    (None: never stale). `validators` (etag, last_modified, body_hash) replace the stored ones."""
    params: dict[str, Any] = {"now": to_db_text(now), "next_poll_at": to_db_text(next_poll_at), "key": key,
                              "fresh_after": to_db_text(fresh_after) if fresh_after is not None else ""}
    statement = _TOUCH_ANSWERED
    if validators is not None:
        statement = _TOUCH_NEW_VALIDATORS
        params.update(zip(("etag", "last_modified", "body_hash"), validators))
    return session.connection().execute(statement, params).rowcount == 1  # type: ignore[attr-defined]


_CLAIMABLE = text(
    "SELECT key, id, next_poll_at, etag, last_modified, body_hash, claimed_by, claimed_until FROM source WHERE key IN :keys"
).bindparams(bindparam("keys", expanding=True, type_=String))


def claimable_sources(session: Session, keys: Sequence[str]) -> dict[str, tuple]:
    """key -> (id, next_poll_at, etag, last_modified, body_hash, claimed_by, claimed_until), times as stored text."""
    return {r[0]: tuple(r[1:]) for r in session.connection().execute(_CLAIMABLE, {"keys": list(keys)}).all()}


_CLAIM_UNSCHEDULED = text("UPDATE source SET next_poll_at = :lease, claimed_by = :runner, claimed_until = :lease"
                          " WHERE id = :source_id AND next_poll_at IS NULL")
_CLAIM = text("UPDATE source SET next_poll_at = :lease, claimed_by = :runner, claimed_until = :lease"
              " WHERE id = :source_id AND next_poll_at = :was")


def claim_source(session: Session, source_id: int, was: str | None, lease: datetime, runner: str) -> bool:
    """Compare-and-set: move `next_poll_at` from `was` (stored text, or None) to `lease`, naming `runner`.
    True when this call took it (rowcount 1)."""
    params: dict[str, Any] = {"lease": to_db_text(lease), "runner": runner, "source_id": source_id}
    if was is None:
        return session.connection().execute(_CLAIM_UNSCHEDULED, params).rowcount == 1  # type: ignore[attr-defined]
    return session.connection().execute(_CLAIM, {**params, "was": was}).rowcount == 1  # type: ignore[attr-defined]


def live_runner_ids(session: Session, now: datetime) -> set[str]:
    """The runners alive at `now` (store.runners.live_runners), in this session's transaction."""
    return live_runners(session.connection(), now)
