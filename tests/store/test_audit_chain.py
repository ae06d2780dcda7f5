"""The audit log: tampering of every kind is caught at the right seq."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from watchdesk.store import audit
from watchdesk.store.audit import append_event
from watchdesk.store.db import Database

T0 = datetime(2026, 2, 17, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def chain(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'chain.db'}")
    with db.write() as session:
        for i in range(1, 201):
            append_event(session, T0 + timedelta(seconds=i), f"officer{i % 7}", "test.event", "alert", i % 13, {"i": i, "note": f"ghi chú {i}"})
    return db


def intruder(db: Database) -> sqlite3.Connection:
    """A raw connection with the append-only triggers dropped, as an intruder would."""
    conn = sqlite3.connect(str(db.path), isolation_level=None)
    conn.execute("DROP TRIGGER event_no_update")
    conn.execute("DROP TRIGGER event_no_delete")
    return conn


def test_an_intact_chain_verifies(chain: Database) -> None:
    result = audit.verify(chain)
    assert result.ok and result.count == 200 and result.head and result.head.seq == 200


def test_generated_columns_cannot_be_edited_apart(chain: Database) -> None:
    conn = intruder(chain)
    with pytest.raises(sqlite3.OperationalError, match="generated column"):
        conn.execute("UPDATE event SET actor = 'x' WHERE seq = 3")


def test_triggers_refuse_update_and_delete(chain: Database) -> None:
    conn = sqlite3.connect(str(chain.path))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE event SET body = body WHERE seq = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM event WHERE seq = 3")


@pytest.mark.parametrize("field,value", [("actor", "someone-else"), ("data.note", "sửa"), ("at", "2026-02-17 03:00:00.000000"), ("kind", "test.other"), ("subject_id", "99")])
def test_an_edited_row_fails_at_its_seq(chain: Database, field: str, value: str) -> None:
    conn = intruder(chain)
    conn.execute(f"UPDATE event SET body = json_set(body, '$.{field}', ?) WHERE seq = 120", (value,))
    assert conn.execute(f"SELECT json_extract(body, '$.{field}') FROM event WHERE seq = 120").fetchone()[0] == value
    result = audit.verify(chain)
    assert not result.ok and result.bad_seq == 120
    assert "edited" in result.reason


def test_an_edited_row_with_recomputed_hash_fails_at_the_next_seq(chain: Database) -> None:
    """Rewriting one row and its hash breaks the link of the row after it."""
    conn = intruder(chain)
    from watchdesk.core.audit import event_hash

    conn.execute("UPDATE event SET body = json_set(body, '$.actor', 'forged') WHERE seq = 50")
    body, prev = conn.execute("SELECT body, prev_hash FROM event WHERE seq = 50").fetchone()
    conn.execute("UPDATE event SET hash = ? WHERE seq = 50", (event_hash(50, prev, body),))
    result = audit.verify(chain)
    assert not result.ok and result.bad_seq == 51


def test_a_deleted_row_fails_at_the_missing_seq(chain: Database) -> None:
    intruder(chain).execute("DELETE FROM event WHERE seq = 77")
    result = audit.verify(chain)
    assert not result.ok and result.bad_seq == 77


def test_reordered_rows_fail(chain: Database) -> None:
    conn = intruder(chain)
    # Swap the contents of seq 30 and 31 (keeping seq numbers), as a reordering would.
    a = conn.execute("SELECT body, prev_hash, hash FROM event WHERE seq = 30").fetchone()
    b = conn.execute("SELECT body, prev_hash, hash FROM event WHERE seq = 31").fetchone()
    conn.execute("UPDATE event SET prev_hash = x'00' WHERE seq = 30")
    for seq, values in ((31, a), (30, b)):
        conn.execute("UPDATE event SET body=?, prev_hash=?, hash=? WHERE seq=?", (*values, seq))
    result = audit.verify(chain)
    assert not result.ok and result.bad_seq == 30


def test_an_inserted_row_fails(chain: Database) -> None:
    conn = intruder(chain)
    # Make room at seq 101 by shifting the tail up one, then insert a forged event there.
    for seq in range(200, 100, -1):
        conn.execute("UPDATE event SET seq = seq + 1 WHERE seq = ?", (seq,))
    conn.execute(
        "INSERT INTO event (seq, body, prev_hash, hash) VALUES (101, '{\"actor\":\"ghost\"}', x'01', x'02')"
    )
    result = audit.verify(chain)
    assert not result.ok and result.bad_seq == 101


def test_truncation_is_caught_with_a_checkpoint(chain: Database, tmp_path: Path) -> None:
    head = audit.head(chain)
    assert head is not None
    checkpoint = tmp_path / "head.json"
    audit.write_checkpoint(head, checkpoint)
    intruder(chain).execute("DELETE FROM event WHERE seq > 180")
    assert audit.verify(chain).ok  # without the checkpoint a clean cut is invisible
    result = audit.verify(chain, audit.read_checkpoint(checkpoint))
    assert not result.ok and result.bad_seq == 181 and "truncated" in result.reason


def test_a_rewritten_chain_is_caught_with_a_checkpoint(chain: Database, tmp_path: Path) -> None:
    head = audit.head(chain)
    assert head is not None
    conn = intruder(chain)
    conn.execute("DELETE FROM event WHERE seq >= 150")
    db = Database(f"sqlite:///{chain.path}")
    with db.write() as session:
        for i in range(60):
            append_event(session, T0, "forger", "test.event", "", "", {"i": i})
    assert audit.verify(db).ok
    result = audit.verify(db, head)
    assert not result.ok and result.bad_seq == 200 and "rewritten" in result.reason


def test_tail_filters(chain: Database) -> None:
    events = audit.tail(chain, 5, actor="officer3")
    assert len(events) == 5 and all(e.actor == "officer3" for e in events)
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert audit.tail(chain, 3, kind="test.*")[-1].seq == 200


@pytest.mark.parametrize("tamper,bad_seq", [
    ("UPDATE event SET body = json_set(body, '$.actor', 'x') WHERE seq = 140", 140),  # inside the 2nd range
    ("DELETE FROM event WHERE seq = 67", 67),  # the first row of the 2nd range
    ("UPDATE event SET prev_hash = x'00' WHERE seq = 134", 134),  # a link between rows
])
def test_range_workers_find_the_same_first_bad_seq(chain: Database, tamper: str, bad_seq: int) -> None:
    assert audit.verify(chain, workers=3).ok
    intruder(chain).execute(tamper)
    for workers in (1, 3):
        result = audit.verify(chain, workers=workers)
        assert not result.ok and result.bad_seq == bad_seq, (workers, result)
