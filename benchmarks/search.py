"""How long the board's "search all history" takes on a large history.

    python benchmarks/search.py [--db PATH] [--alerts 100000] [--runs 3] [--postgres auto|URL]

With --db, uses that database (e.g. written by benchmarks/make_history.py); else builds one in a
temporary folder: the demo desk, and --alerts copies of its resolved alerts spread over the past
year, each with a title of its own (the search reads alerts only, no events). Prints the median
of --runs for: a word found in many alerts (the search stops at the board's 200 resolved hits),
a word found in none (every alert read: the worst case), and, for scale, the board's own load
(open alerts and the latest 200 resolved).

With --postgres (`auto`: a throwaway cluster, benchmarks/backends.py; a URL: an empty database)
`db copy` (store/copy.py) moves the history into PostgreSQL too and every figure is printed for
both backends side by side, with the baseline measured in the same run on each: one statement
fetching the searched columns of every alert (what the worst case has to read).
"""

from __future__ import annotations

import argparse
import statistics
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backends import Figures, add_option, backends  # noqa: E402 - the script folder is on sys.path
from watchdesk.clock import FakeClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.services.alerts import AlertFilter, list_alerts, search_history  # noqa: E402
from watchdesk.services.runtime import Runtime, open_runtime  # noqa: E402
from watchdesk.store.copy import copy_database  # noqa: E402
from watchdesk.store.db import Database  # noqa: E402
from watchdesk.store.queries.reports import driver_rows  # noqa: E402

BOARD = 200  # the board's RESOLVED_SHOWN
NOW = "2026-02-17T02:00:00+07:00"
SEARCHED = "SELECT id, title, summary, cves, source_key, doc_number FROM alert"  # services.alerts.search_history's columns


def timed(call, runs: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        size = len(call())
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, size


def build(db: Path, n: int) -> None:
    """The demo desk plus `n` resolved alerts copied from its resolved ones (titles numbered)."""
    from watchdesk.demo.seed import seed_desk

    clock = FakeClock("2026-02-17T02:00:00+07:00")
    rt = open_runtime(parse_config({}), db_path=str(db), clock=clock)
    seed_desk(rt, clock)
    rt.db.dispose()
    conn = sqlite3.connect(db)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(alert)") if row[1] != "id"]
    made = {"native_id": "native_id || '-h' || n", "dedup_key": "dedup_key || '-h' || n", "title": "title || ' #' || n",
            "received_at": "strftime('%Y-%m-%d %H:%M:%f', received_at, '-' || (n * 300) || ' seconds')",
            "resolved_at": "strftime('%Y-%m-%d %H:%M:%f', resolved_at, '-' || (n * 300) || ' seconds')"}
    select = ", ".join(made.get(c, c) for c in columns)
    conn.execute(f"""WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ?)
                     INSERT INTO alert ({", ".join(columns)}) SELECT {select} FROM k JOIN alert a
                     WHERE a.state = 'resolved' AND a.id = (SELECT MIN(id) FROM alert WHERE state = 'resolved')""", (n,))
    conn.commit()
    conn.close()


def measure(rt: Runtime, runs: int, several: bool) -> dict[str, tuple[float, int]]:
    out = {}
    if several:
        def bare() -> list:
            with rt.db.read() as session:
                return driver_rows(session, SEARCHED, {})
        out["bare"] = timed(bare, runs)
    out["board"] = timed(lambda: list_alerts(rt, AlertFilter(limit=BOARD)), runs)
    out["common"] = timed(lambda: search_history(rt, AlertFilter(limit=BOARD, search="cve")), runs)
    out["nothing"] = timed(lambda: search_history(rt, AlertFilter(limit=BOARD, search="khong-co-tu-nay")), runs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a database written by benchmarks/make_history.py")
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    add_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="watchdesk-search-") as folder, backends(Path(folder), args.postgres, "search") as urls:
        db = args.db
        if db is None:
            db = Path(folder) / "history.db"
            build(db, args.alerts)
        clock = FakeClock(NOW)
        figs = Figures([name for name, _url in urls])
        results = {}
        for backend, url in urls:
            if backend != "sqlite":
                source = Database(f"sqlite:///{db}", upgrade=False)
                done = copy_database(source, Database(url), clock.now() + timedelta(days=1))
                source.dispose()
                figs.say(backend, f"db copy into PostgreSQL: {sum(done.rows.values()):,} rows in {done.seconds:.1f} s")
            rt = open_runtime(parse_config({}), db_path=str(db) if backend == "sqlite" else url, clock=clock, upgrade=False)
            try:
                results[backend] = measure(rt, args.runs, figs.several)
            finally:
                rt.db.dispose()
    cells = lambda key, fn: {n: fn(*r[key], r) for n, r in results.items()}  # noqa: E731
    over = lambda ms, n, r: f"{ms:8.1f} ms  ({n} alerts)" + (f" {ms / r['bare'][0]:5.2f}x bare" if figs.several else "")  # noqa: E731
    print(f"database {db}: median of {args.runs} runs")
    if figs.several:
        figs.add("bare read of the searched columns of every alert", cells("bare", lambda ms, n, r: f"{ms:8.1f} ms  ({n} rows)"),
                 "the baseline: one statement, no folding")
    figs.add(f"board load (open + latest {BOARD} resolved):    ", cells("board", over))
    figs.add("search all history, a common word ('cve'):      ", cells("common", over))
    figs.add("search all history, a word in none (every row):  ", cells("nothing", over))
    figs.print()


if __name__ == "__main__":
    main()
