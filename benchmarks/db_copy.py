"""Moving a desk: `db copy` of a make_history database, into SQLite and (given a URL) PostgreSQL.

    python benchmarks/db_copy.py [--alerts 100000] [--events 1000000] [--postgres auto|URL]

Prints, for each target, the time of the whole copy (both chain checks included) and its ratio
to the baseline measured in the same run: reading every copied row from the source once and
verifying its chain once, which any copy has to do. `--postgres auto` starts a throwaway cluster
(benchmarks/backends.py); a URL must name an empty database.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backends import add_option, backends  # noqa: E402 - the script folder is on sys.path
from make_history import DEFAULT_END, build  # noqa: E402
from watchdesk.store import audit  # noqa: E402
from watchdesk.store.copy import _batches, copied_tables, copy_database  # noqa: E402
from watchdesk.store.db import Database  # noqa: E402


def baseline(db: Database) -> float:
    start = time.perf_counter()
    for table in copied_tables():
        for _rows in _batches(db, table):
            pass
    audit.verify(db, checkpoint=None)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    add_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, backends(Path(tmp), args.postgres, "copy") as targets:
        folder = Path(tmp)
        built = time.perf_counter()
        build(folder / "history.db", args.alerts, args.events, DEFAULT_END, 7)
        print(f"history of {args.alerts:,} alerts and {args.events:,} events built in {time.perf_counter() - built:.1f} s")
        source = Database(f"sqlite:///{folder / 'history.db'}", upgrade=False)
        now = DEFAULT_END + timedelta(days=1)  # past every heartbeat the history holds
        base = baseline(source)
        print(f"baseline (read every row once, verify the chain once): {base:.2f} s")
        for name, url in targets:
            done = copy_database(source, Database(url), now)
            rows = sum(done.rows.values())
            print(f"{name:<10} copied {rows:,} rows ({done.events:,} events) in {done.seconds:.2f} s "
                  f"= {rows / done.seconds:,.0f} rows/s, {done.seconds / base:.2f}x baseline; chain verified on both sides")


if __name__ == "__main__":
    main()
