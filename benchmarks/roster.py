"""Roster figures: "who is on duty at T" over a year of shifts for 200 officers, and a coverage check.

    python benchmarks/roster.py [--officers 200] [--queries 2000] [--postgres auto|URL]

Builds a year (2026) of shifts in a real SQLite file: 200 officers in posts of five, posts
rotating 3x8 at level 1, 2x12 at level 2 and 24 h at level 3 (about 37,000 shifts), plus 1,000
overrides over parts of shifts. Then prints:
  - on_duty(level, T) at random instants of the year: mean and p95 per query, and the ratio
    to a baseline measured in the same run (reading one officer by primary key through the
    same Runtime, i.e. the cost of opening a read session);         target <= 5 ms/query
  - the coverage check over a 10-day watch period (every level, every rule): mean per check,
    and its ratio to fetching the same rows with bare sqlite3;      target <= 100 ms

With --postgres (`auto`: a throwaway cluster, benchmarks/backends.py; a URL: an empty database)
`db copy` (store/copy.py) moves the built roster into PostgreSQL too and every figure is printed
for both backends side by side; the coverage check's baseline is then, on each backend, the same
rows fetched by one statement through the driver's cursor in a read session.
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

from backends import Figures, add_option, backends  # noqa: E402 - the script folder is on sys.path
from watchdesk.clock import FakeClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.core.roster import parse_local, parse_pattern, pattern_slots, rotate  # noqa: E402
from watchdesk.services import roster  # noqa: E402
from watchdesk.services.periods import add_period  # noqa: E402
from watchdesk.services.runtime import Runtime, open_runtime  # noqa: E402
from watchdesk.core.records import SYSTEM_ACTOR  # noqa: E402
from watchdesk.store.copy import copy_database  # noqa: E402
from watchdesk.store.db import Database  # noqa: E402
from watchdesk.store.models import Officer  # noqa: E402
from watchdesk.store.queries.reports import driver_rows  # noqa: E402
from watchdesk.store.types import to_db_text  # noqa: E402

UTC = timezone.utc
COVERED = ("SELECT s.*, o.handle FROM shift s JOIN officer o ON o.id = s.officer_id "
           "WHERE s.starts_at < :ends AND s.ends_at > :starts AND NOT s.cancelled")
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


def measure(rt: Runtime, queries: int, seed: int, several: bool) -> dict[str, float]:
    """Every figure of one backend (ms); the same instants and levels on each."""
    rng = random.Random(seed)
    year = 365 * 24 * 3600
    instants = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(year)) for _ in range(queries)]
    levels = [rng.choice((1, 2, 3)) for _ in instants]
    some = [roster.on_duty(rt, lv, at) for lv, at in zip(levels[:50], instants[:50])]  # warm up
    assert all(some), "every instant of the year has someone on duty"

    def baseline() -> None:
        with rt.db.read() as session:
            session.get(Officer, 1)

    base = timed(baseline, queries)
    it = iter(zip(levels, instants))
    query = timed(lambda: roster.on_duty(rt, *next(it)), queries)
    out = {"base": statistics.fmean(base), "mean": statistics.fmean(query), "p95": statistics.quantiles(query, n=20)[-1]}

    period = add_period(rt, SYSTEM_ACTOR, "bench", parse_local("2026-02-13 17:00", rt.zone), parse_local("2026-02-23 17:00", rt.zone))
    report = roster.coverage(rt, period)
    checks = timed(lambda: roster.coverage(rt, period), 20)
    binds = {"ends": to_db_text(period.ends_at + timedelta(days=1)), "starts": to_db_text(period.starts_at - timedelta(days=1))}

    def bare() -> None:
        if several:  # the same statement through the driver's cursor on either backend
            with rt.db.read() as session:
                driver_rows(session, COVERED, binds)
            return
        conn = sqlite3.connect(str(rt.db.path))
        conn.execute(COVERED, binds).fetchall()
        conn.close()

    out["bare"] = statistics.fmean(timed(bare, 20))
    out["check"] = statistics.fmean(checks)
    out["shifts"], out["issues"] = report.shifts, len(report.issues)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--officers", type=int, default=200)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=4)
    add_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, backends(Path(tmp), args.postgres, "roster") as urls:
        clock = FakeClock("2026-02-17T02:00:00+07:00")
        figs = Figures([name for name, _url in urls])
        rt = open_runtime(parse_config({}), db_path=urls[0][1], clock=clock)
        t = time.perf_counter()
        shifts = build(rt, args.officers, args.seed)
        print(f"built {shifts:,} shifts for {args.officers} officers over 2026 in {time.perf_counter() - t:.1f} s")
        runtimes = {"sqlite": rt}
        for backend, url in urls[1:]:  # the roster as built, before the run adds its watch period
            target = Database(url)
            done = copy_database(rt.db, target, clock.now() + timedelta(days=1))
            target.dispose()
            figs.say(backend, f"db copy into PostgreSQL: {sum(done.rows.values()):,} rows in {done.seconds:.1f} s")
            runtimes[backend] = open_runtime(parse_config({}), db_path=url, clock=clock)
        results = {}
        for backend, runtime in runtimes.items():
            try:
                results[backend] = measure(runtime, args.queries, args.seed, figs.several)
            finally:
                runtime.db.dispose()
    cells = lambda fn: {n: fn(r) for n, r in results.items()}  # noqa: E731
    if figs.several:
        figs.add("one officer by primary key (baseline)", cells(lambda r: f"{r['base']:.3f} ms"), "same Runtime: a read session's cost")
        figs.add("who is on duty at T: mean", cells(lambda r: f"{r['mean']:.3f} ms {r['mean'] / r['base']:4.1f}x base"),
                 f"{args.queries} random instants and levels")
        figs.add("who is on duty at T: p95", cells(lambda r: f"{r['p95']:.3f} ms {'OK' if r['p95'] <= 5 else 'MISSED'}"), "target <= 5 ms")
        figs.add("the driver's fetch of the coverage's rows", cells(lambda r: f"{r['bare']:.1f} ms"), "one statement, same rows (baseline)")
        figs.add("coverage check over 10 days", cells(lambda r: f"{r['check']:.1f} ms {r['check'] / r['bare']:4.1f}x fetch"),
                 "target <= 100 ms")
        figs.add("  shifts, issues found", cells(lambda r: f"{r['shifts']:.0f}, {r['issues']:.0f}"))
    else:
        figs.add("baseline (one officer by primary key, same Runtime): ", cells(lambda r: f"{r['base']:.3f} ms/query"))
        figs.add("who is on duty at T: ",
                 cells(lambda r: f"mean {r['mean']:.3f} ms, p95 {r['p95']:.3f} ms per query ({args.queries} random instants and levels)"
                                 f"  ratio {r['mean'] / r['base']:.1f}x baseline  target <= 5 ms: {'OK' if r['p95'] <= 5 else 'MISSED'}"))
        figs.add("coverage check over 10 days: ",
                 cells(lambda r: f"mean {r['check']:.1f} ms per check ({r['shifts']:.0f} shifts, {r['issues']:.0f} issues)  "
                                 f"ratio {r['check'] / r['bare']:.1f}x bare sqlite3 fetch of the same rows ({r['bare']:.1f} ms)  "
                                 f"target <= 100 ms: {'OK' if r['check'] <= 100 else 'MISSED'}"))
    figs.print()


if __name__ == "__main__":
    main()
