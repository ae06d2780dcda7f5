"""Audit log figures: append rate, and verifying a long chain against bare hashing.

    python benchmarks/audit.py [--events 1000000] [--appends 2000]

Prints events appended per second (one process, one event per write transaction,
synchronous=FULL, as the services append), the time to verify an N-event chain, and its
ratio to hashing the same bytes with bare hashlib in the same run.
Targets: verify 1,000,000 events in <= 5 s and <= 3x the bare-hash time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watchdesk.core.audit import DOMAIN  # noqa: E402
from watchdesk.store import audit  # noqa: E402
from watchdesk.store.audit import append_event, append_events_bulk  # noqa: E402
from watchdesk.store.db import Database  # noqa: E402

T0 = datetime(2026, 2, 16, 19, 0, tzinfo=timezone.utc)


def append_rate(folder: Path, count: int) -> float:
    db = Database(f"sqlite:///{folder / 'append.db'}")
    start = time.perf_counter()
    for i in range(count):
        with db.write() as session:
            append_event(session, T0, "lan", "alert.acknowledged", "alert", i, {"level": 1, "severity": "critical"})
    elapsed = time.perf_counter() - start
    db.dispose()
    return count / elapsed


def build_chain(path: Path, count: int) -> list[bytes]:
    """Bulk-build a valid chain through append_events_bulk; returns each event's hashed bytes."""
    Database(f"sqlite:///{path}").dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    kinds = ("alert.raised", "alert.acknowledged", "alert.escalated", "alert.resolved", "notification.sent")
    events = (
        (T0 + timedelta(seconds=seq), ("system", "lan", "hung", "thu")[seq % 4], kinds[seq % 5], "alert", str(seq // 10),
         {"alert": seq // 10, "level": seq % 3 + 1, "severity": "high", "title": "Lỗ hổng nghiêm trọng trong FortiOS"})
        for seq in range(1, count + 1)
    )
    append_events_bulk(conn, events)
    conn.execute("COMMIT")
    conn.text_factory = bytes
    bodies = [b"%b%d;%b%b" % (DOMAIN, seq, prev, body) for seq, body, prev in conn.execute("SELECT seq, body, prev_hash FROM event ORDER BY seq")]
    conn.close()
    return bodies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rate = append_rate(folder, args.appends)
        print(f"append: {rate:,.0f} events/s (one process, one event per BEGIN IMMEDIATE transaction, synchronous=FULL, {args.appends} events)")

        path = folder / "chain.db"
        t = time.perf_counter()
        bodies = build_chain(path, args.events)
        print(f"built a {args.events:,}-event chain in {time.perf_counter() - t:.1f} s")

        sha = hashlib.sha256
        t = time.perf_counter()
        for body in bodies:
            sha(body).hexdigest()
        bare = time.perf_counter() - t
        del bodies

        db = Database(f"sqlite:///{path}")
        t = time.perf_counter()
        result = audit.verify(db)
        took = time.perf_counter() - t
        assert result.ok and result.count == args.events, result.sentence()
        ratio = took / bare
        print(f"bare hashlib.sha256 over the same bytes (already in memory): {bare:.2f} s")
        workers = min(os.cpu_count() or 1, 8) if args.events >= audit.PARALLEL_FROM else 1
        print(f"verify {args.events:,} events: {took:.2f} s  ratio {ratio:.2f}x bare hash ({workers} range workers, one per core)")
        t = time.perf_counter()
        assert audit.verify(db, workers=1).ok
        single = time.perf_counter() - t
        print(f"verify in one process, for comparison: {single:.2f} s  ratio {single / bare:.2f}x bare hash")
        ok = took <= 5 * args.events / 1_000_000 and ratio <= 3
        print(f"targets (<= 5 s per million, <= 3x bare): {'MET' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
