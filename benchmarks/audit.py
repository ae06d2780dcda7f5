"""Audit log figures: append rate, and verifying a long chain against bare hashing.

    python benchmarks/audit.py [--events 1000000] [--appends 2000] [--postgres auto|URL]

Prints events appended per second (one process, one event per write transaction,
synchronous=FULL, as the services append), the time to verify an N-event chain, and its ratio
to hashing the same bytes with bare hashlib in the same run. With --postgres (`auto`: a throwaway cluster, benchmarks/backends.py; a URL: an empty
database) every figure is printed for SQLite and PostgreSQL side by side, with two more
baselines per backend: an empty write transaction (the append's floor) and one statement's
round trip. On PostgreSQL the appends go to a database of their own, the chain is built in a
SQLite file and moved there by `db copy`, and verify reads it in one process (the range workers
read SQLite's file).
Targets: verify 1,000,000 events in <= 5 s and <= 3x the bare-hash time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backends import Figures, add_option, backends, fresh, round_trip  # noqa: E402 - the script folder is on sys.path
from watchdesk.core.audit import DOMAIN  # noqa: E402
from watchdesk.store import audit  # noqa: E402
from watchdesk.store.audit import append_event, append_events_bulk  # noqa: E402
from watchdesk.store.copy import copy_database  # noqa: E402
from watchdesk.store.db import Database  # noqa: E402
from watchdesk.store.queries.reports import driver_rows  # noqa: E402

T0 = datetime(2026, 2, 16, 19, 0, tzinfo=timezone.utc)


def append_rate(db: Database, count: int) -> float:
    start = time.perf_counter()
    for i in range(count):
        with db.write() as session:
            append_event(session, T0, "lan", "alert.acknowledged", "alert", i, {"level": 1, "severity": "critical"})
    elapsed = time.perf_counter() - start
    return count / elapsed


def empty_writes(db: Database, count: int) -> float:
    """Write transactions per second that change nothing: the floor under one append."""
    times = []
    for _ in range(count):
        t = time.perf_counter()
        with db.write() as session:
            driver_rows(session, "SELECT 1", {})  # a statement, so the transaction (and its write lock) begins
        times.append(time.perf_counter() - t)
    return 1 / statistics.median(times)


def _events(count: int):  # noqa: ANN202
    kinds = ("alert.raised", "alert.acknowledged", "alert.escalated", "alert.resolved", "notification.sent")
    return (
        (T0 + timedelta(seconds=seq), ("system", "lan", "hung", "thu")[seq % 4], kinds[seq % 5], "alert", str(seq // 10),
         {"alert": seq // 10, "level": seq % 3 + 1, "severity": "high", "title": "Lỗ hổng nghiêm trọng trong FortiOS"})
        for seq in range(1, count + 1)
    )


def build_chain(path: Path, count: int) -> list[bytes]:
    """Bulk-build a valid chain through append_events_bulk; returns each event's hashed bytes."""
    Database(f"sqlite:///{path}").dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    append_events_bulk(conn, _events(count))
    conn.execute("COMMIT")
    conn.text_factory = bytes
    bodies = [b"%b%d;%b%b" % (DOMAIN, seq, prev, body) for seq, body, prev in conn.execute("SELECT seq, body, prev_hash FROM event ORDER BY seq")]
    conn.close()
    return bodies


def measure(url: str, folder: Path, events: int, appends: int, several: bool) -> dict[str, float]:
    """Every figure of one backend (seconds, or events per second). The appends go to a fresh
    database of their own, the chain to `url`: on PostgreSQL it is built in a SQLite file beside
    and moved by `db copy` (COPY; the same bytes), as a desk's history would arrive there."""
    out: dict[str, float] = {}
    db = Database(fresh(url, "append"))
    try:
        if several:
            out["round_trip"] = round_trip(db)
            out["empty"] = empty_writes(db, min(appends, 500))
        out["rate"] = append_rate(db, appends)
    finally:
        db.dispose()
    t = time.perf_counter()
    db = Database(url)
    chain = db.path or folder / "chain-for-postgresql.db"
    bodies = build_chain(chain, events)
    try:
        if not db.is_sqlite:
            source = Database(f"sqlite:///{chain}", upgrade=False)
            copy_database(source, db, T0 + timedelta(days=400))  # past every event of the chain
            source.dispose()
        out["build"] = time.perf_counter() - t

        sha = hashlib.sha256
        t = time.perf_counter()
        for body in bodies:
            sha(body).hexdigest()
        out["bare"] = time.perf_counter() - t
        del bodies

        t = time.perf_counter()
        result = audit.verify(db)
        out["verify"] = time.perf_counter() - t
        assert result.ok and result.count == events, result.sentence()
        out["workers"] = min(os.cpu_count() or 1, 8) if db.is_sqlite and events >= audit.PARALLEL_FROM else 1
        if out["workers"] > 1 or not several:  # on one worker the verify above is already the one-process figure
            t = time.perf_counter()
            assert audit.verify(db, workers=1).ok
            out["single"] = time.perf_counter() - t
    finally:
        db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=2_000)
    add_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, backends(Path(tmp), args.postgres, "audit") as urls:
        figs = Figures([name for name, _url in urls])
        results = {name: measure(url, Path(tmp), args.events, args.appends, figs.several) for name, url in urls}
    cells = lambda fn: {n: fn(r) for n, r in results.items()}  # noqa: E731
    if figs.several:
        figs.add("one statement's round trip (SELECT 1 in an open transaction)", cells(lambda r: f"{r['round_trip'] * 1e6:,.0f} µs"))
        figs.add("empty write transaction", cells(lambda r: f"{r['empty']:,.0f} /s"), "(BEGIN IMMEDIATE / the advisory write lock, commit)")
        figs.add("append", cells(lambda r: f"{r['rate']:,.0f} events/s {r['empty'] / r['rate']:4.1f}x empty"),
                 f"(one process, one event per write transaction, {args.appends} events)")
    else:
        figs.add("append: ", cells(lambda r: f"{r['rate']:,.0f} events/s"),
                 f" (one process, one event per BEGIN IMMEDIATE transaction, synchronous=FULL, {args.appends} events)")
    figs.add(f"built a {args.events:,}-event chain in ", cells(lambda r: f"{r['build']:.1f} s"))
    figs.add("bare hashlib.sha256 over the same bytes (already in memory): ", cells(lambda r: f"{r['bare']:.2f} s"))
    figs.add(f"verify {args.events:,} events: ",
             cells(lambda r: f"{r['verify']:.2f} s  ratio {r['verify'] / r['bare']:.2f}x bare hash"),
             "" if figs.several else f" ({results['sqlite']['workers']:.0f} range workers, one per core)")
    if figs.several:
        figs.add("  range workers", cells(lambda r: f"{r['workers']:.0f}"), "(one per core, reading SQLite's file; one process on PostgreSQL)")
    figs.add("verify in one process, for comparison: ",
             cells(lambda r: f"{r.get('single', r['verify']):.2f} s  ratio {r.get('single', r['verify']) / r['bare']:.2f}x bare hash"))
    met = lambda r: r["verify"] <= 5 * args.events / 1_000_000 and r["verify"] / r["bare"] <= 3  # noqa: E731
    figs.add("targets (<= 5 s per million, <= 3x bare): ", cells(lambda r: "MET" if met(r) else "MISSED"))
    figs.print()


if __name__ == "__main__":
    main()
