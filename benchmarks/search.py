"""How long the board's "search all history" takes on a large history.

    python benchmarks/search.py [--db PATH] [--alerts 100000] [--runs 3]

With --db, uses that database (e.g. written by benchmarks/make_history.py); else builds one in a
temporary folder: the demo desk, and --alerts copies of its resolved alerts spread over the past
year, each with a title of its own (the search reads alerts only, no events). Prints the median
of --runs for: a word found in many alerts (the search stops at the board's 200 resolved hits),
a word found in none (every alert read: the worst case), and, for scale, the board's own load
(open alerts and the latest 200 resolved).
"""

from __future__ import annotations

import argparse
import statistics
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from watchdesk.clock import FakeClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.services.alerts import AlertFilter, list_alerts, search_history  # noqa: E402
from watchdesk.services.runtime import open_runtime  # noqa: E402

BOARD = 200  # the board's RESOLVED_SHOWN


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a database written by benchmarks/make_history.py")
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="watchdesk-search-") as folder:
        db = args.db
        if db is None:
            db = Path(folder) / "history.db"
            build(db, args.alerts)
        rt = open_runtime(parse_config({}), db_path=str(db), clock=FakeClock("2026-02-17T02:00:00+07:00"), upgrade=False)
        board, n_board = timed(lambda: list_alerts(rt, AlertFilter(limit=BOARD)), args.runs)
        common, n_common = timed(lambda: search_history(rt, AlertFilter(limit=BOARD, search="cve")), args.runs)
        nothing, n_nothing = timed(lambda: search_history(rt, AlertFilter(limit=BOARD, search="khong-co-tu-nay")), args.runs)
        print(f"database {db}: median of {args.runs} runs")
        print(f"board load (open + latest {BOARD} resolved):    {board:8.1f} ms  ({n_board} alerts)")
        print(f"search all history, a common word ('cve'):      {common:8.1f} ms  ({n_common} alerts)")
        print(f"search all history, a word in none (every row):  {nothing:8.1f} ms  ({n_nothing} alerts)")
        rt.db.dispose()


if __name__ == "__main__":
    main()
