"""Roster figures: "who is on duty at T" over a year of shifts for 200 officers, and a coverage check.

    python benchmarks/roster.py [--officers 200] [--queries 2000]

Builds a year (2026) of shifts in a real SQLite file: 200 officers in posts of five, posts
rotating 3x8 at level 1, 2x12 at level 2 and 24 h at level 3 (about 37,000 shifts), plus 1,000
overrides over parts of shifts. Then prints:
  - on_duty(level, T) at random instants of the year: mean and p95 per query, and the ratio
    to a baseline measured in the same run (reading one officer by primary key through the
    same Runtime, i.e. the cost of opening a read session);         target <= 5 ms/query
  - the coverage check over a 10-day watch period (every level, every rule): mean per check,
    and its ratio to fetching the same rows with bare sqlite3;      target <= 100 ms
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watchdesk.clock import FakeClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.core.roster import parse_local, parse_pattern, pattern_slots, rotate  # noqa: E402
from watchdesk.services import roster  # noqa: E402
from watchdesk.services.periods import add_period  # noqa: E402
from watchdesk.services.runtime import Runtime, open_runtime  # noqa: E402
from watchdesk.core.records import SYSTEM_ACTOR  # noqa: E402
from watchdesk.store.models import Officer  # noqa: E402
from watchdesk.store.types import to_db_text  # noqa: E402

UTC = timezone.utc
LEVEL_PLAN = ((1, "3x8", 0.625), (2, "2x12", 0.25), (3, "24h", 0.125))  # level, pattern, share of officers


def build(rt: Runtime, officers: int, seed: int) -> int:
    """Officers and a year of shifts, bulk-inserted; returns the number of shifts."""
    zone = rt.zone
    start, end = parse_local("2026-01-01 00:00", zone), parse_local("2027-01-01 00:00", zone)
    conn = rt.db.raw()
    conn.execute("BEGIN IMMEDIATE")
    created = to_db_text(rt.now())
    conn.executemany(
        "INSERT INTO officer (handle, full_name, role, phone, email, chat_ids, pin_hash, active, created_at) VALUES (?, ?, 'officer', '', '', '{}', '', 1, ?)",
        [(f"o{i:03d}", f"Officer {i:03d}", created) for i in range(officers)],
    )
    ids = [r[0] for r in conn.execute("SELECT id FROM officer ORDER BY handle")]
    rows = []
    cursor = 0
    for level, pattern, share in LEVEL_PLAN:
        team = ids[cursor: cursor + int(officers * share)]
        cursor += len(team)
        slots = pattern_slots(start, end, parse_pattern(pattern), zone)
        for post in range(0, len(team), 5):
            members = team[post: post + 5]
            for p in rotate(slots, members, level):
                rows.append((p.officer, level, to_db_text(p.start), to_db_text(p.end), "pattern", None))
    conn.executemany(
        "INSERT INTO shift (officer_id, level, starts_at, ends_at, origin, replaces_id, reason, approved_by, note, cancelled) "
        "VALUES (?, ?, ?, ?, ?, ?, '', '', '', 0)", rows,
    )
    rng = random.Random(seed)
    picks = rng.sample(range(1, len(rows) + 1), 1000)
    overrides = []
    for shift_id in picks:
        officer, level, s, e, *_ = rows[shift_id - 1]
        overrides.append((rng.choice(ids), level, s, s[:11] + "23:59:00.000000" if s[:10] == e[:10] else e, "override", shift_id))
    conn.executemany(
        "INSERT INTO shift (officer_id, level, starts_at, ends_at, origin, replaces_id, reason, approved_by, note, cancelled) "
        "VALUES (?, ?, ?, ?, ?, ?, 'bench', 'system', '', 0)", overrides,
    )
    conn.execute("COMMIT")
    conn.close()
    return len(rows) + len(overrides)


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--officers", type=int, default=200)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock("2026-02-17T02:00:00+07:00")
        rt = open_runtime(parse_config({}), db_path=str(Path(tmp) / "roster.db"), clock=clock)
        t = time.perf_counter()
        shifts = build(rt, args.officers, args.seed)
        print(f"built {shifts:,} shifts for {args.officers} officers over 2026 in {time.perf_counter() - t:.1f} s")

        rng = random.Random(args.seed)
        year = 365 * 24 * 3600
        instants = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(year)) for _ in range(args.queries)]
        levels = [rng.choice((1, 2, 3)) for _ in instants]
        some = [roster.on_duty(rt, lv, at) for lv, at in zip(levels[:50], instants[:50])]  # warm up
        assert all(some), "every instant of the year has someone on duty"

        def baseline() -> None:
            with rt.db.read() as session:
                session.get(Officer, 1)

        base = timed(baseline, args.queries)
        it = iter(zip(levels, instants))
        query = timed(lambda: roster.on_duty(rt, *next(it)), args.queries)
        mean, p95 = statistics.fmean(query), statistics.quantiles(query, n=20)[-1]
        print(f"baseline (one officer by primary key, same Runtime): {statistics.fmean(base):.3f} ms/query")
        print(f"who is on duty at T: mean {mean:.3f} ms, p95 {p95:.3f} ms per query "
              f"({args.queries} random instants and levels)  ratio {mean / statistics.fmean(base):.1f}x baseline  "
              f"target <= 5 ms: {'OK' if p95 <= 5 else 'MISSED'}")

        period = add_period(rt, SYSTEM_ACTOR, "bench", parse_local("2026-02-13 17:00", rt.zone), parse_local("2026-02-23 17:00", rt.zone))
        report = roster.coverage(rt, period)
        checks = timed(lambda: roster.coverage(rt, period), 20)

        def bare() -> None:
            conn = sqlite3.connect(str(rt.db.path))
            conn.execute(
                "SELECT s.*, o.handle FROM shift s JOIN officer o ON o.id = s.officer_id WHERE s.starts_at < ? AND s.ends_at > ? AND s.cancelled = 0",
                (to_db_text(period.ends_at + timedelta(days=1)), to_db_text(period.starts_at - timedelta(days=1))),
            ).fetchall()
            conn.close()

        bare_ms = statistics.fmean(timed(bare, 20))
        mean_c = statistics.fmean(checks)
        print(f"coverage check over 10 days: mean {mean_c:.1f} ms per check ({report.shifts} shifts, {len(report.issues)} issues)  "
              f"ratio {mean_c / bare_ms:.1f}x bare sqlite3 fetch of the same rows ({bare_ms:.1f} ms)  "
              f"target <= 100 ms: {'OK' if mean_c <= 100 else 'MISSED'}")
        rt.db.dispose()


if __name__ == "__main__":
    main()
