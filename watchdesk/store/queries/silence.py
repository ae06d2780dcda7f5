"""The SQL of the "no alert is ever silent" check: plain rows (times as stored text), no ORM, so a
scan of 10,000 open alerts parses nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from watchdesk.store.types import to_db_text

_COLUMNS = "id, state, joined_to_id, next_escalation_at, exhausted, snoozed_until"
_OPEN = text(f"SELECT {_COLUMNS} FROM alert WHERE state IN ('new', 'acknowledged')")
# The open rows `silence` could fault: every other open row has a deadline of its own within the
# horizon and no snooze beyond it, which `silence` passes (tests/engine/test_grouping.py holds the
# two to each other). The engine's tick then reads a handful of rows, not 10,000.
_SUSPECTS = text(f"SELECT {_COLUMNS} FROM alert WHERE state IN ('new', 'acknowledged') AND (joined_to_id IS NOT NULL "
                 "OR next_escalation_at IS NULL OR next_escalation_at > :latest OR snoozed_until > :latest)")
_BY_ID = text(f"SELECT {_COLUMNS} FROM alert WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
_CALLED = text("SELECT DISTINCT alert_id FROM call_task WHERE contact_key = :contact AND alert_id IN :ids").bindparams(
    bindparam("ids", expanding=True))
_CHUNK = 500


def open_alert_facts(session: Session, latest: datetime | None) -> list[Any]:
    """(id, state, joined_to_id, next_escalation_at, exhausted, snoozed_until) of the open alerts:
    all of them (`latest` None), or only those joined, without a deadline, or with a deadline
    or a snooze past `latest`."""
    if latest is None:
        return list(session.connection().execute(_OPEN).all())
    return list(session.connection().execute(_SUSPECTS, {"latest": to_db_text(latest)}).all())


def alert_facts(session: Session, ids: Sequence[int]) -> list[Any]:
    """The same columns for the alerts `ids`."""
    out: list[Any] = []
    for start in range(0, len(ids), _CHUNK):
        out += session.connection().execute(_BY_ID, {"ids": list(ids[start:start + _CHUNK])}).all()
    return out


def alerts_with_call_to(session: Session, contact_key: str, ids: Sequence[int]) -> set[int]:
    """Those of `ids` that have a call task for `contact_key`."""
    out: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        out.update(r[0] for r in session.connection().execute(_CALLED, {"contact": contact_key, "ids": list(ids[start:start + _CHUNK])}))
    return out
