"""What the damage checks cost on a large history.

    python benchmarks/damage.py [--db PATH] [--alerts 100000] [--events 1000000] [--runs 3]

With --db, uses that database (written by benchmarks/make_history.py); else builds one in a
temporary folder. Prints the median of --runs for:

* the start-up check of `serve` and the desk: SQLite's quick_check (whole file) and the
  checkpoint check (two primary-key reads);
* `db check`'s full integrity_check;
* the report's proof: the chain verified, and apart from it the figures check (the window's
  time columns against their chained acknowledgment/resolution events) over all alerts;
* `watchdesk backup` alone, and while a second process appends events as fast as it can
  (the writer's events per second meanwhile are printed too).

SQLite only, no --postgres: these figures are about SQLite's file (quick_check and
integrity_check, the backup API, the WAL under a writer); on PostgreSQL the server checks its own
pages and `pg_dump` is the backup. The proof's figures on both backends are in benchmarks/report.py.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from watchdesk.store import audit  # noqa: E402
from watchdesk.store.backup import backup  # noqa: E402
from watchdesk.store.checkpoint import anchors_for, append, latest  # noqa: E402
from watchdesk.store.db import Database  # noqa: E402
from watchdesk.store.proof import figures_disagree  # noqa: E402

WRITER = """
import sys, time
from datetime import datetime, timezone
from watchdesk.store.audit import append_event
from watchdesk.store.db import Database
db = Database(f"sqlite:///{sys.argv[1]}", busy_timeout=60)
print("ready", flush=True)
at = datetime(2026, 2, 17, tzinfo=timezone.utc)
n = 0
while True:
    with db.write() as s:
        append_event(s, at, "bench", "bench.append", "bench", "", {"n": n})
    n += 1
"""


def timed(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--alerts", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="watchdesk-damage-"))
    path = Path(args.db) if args.db else tmp / "history.db"
    if not args.db:
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_history.py"), str(path),
                        "--alerts", str(args.alerts), "--events", str(args.events)], check=True)
    db = Database(f"sqlite:///{path}", upgrade=False)
    db.anchors = anchors_for(str(tmp / "checkpoints.jsonl"), db.path)
    head = audit.head(db)
    if head is not None and latest(db.anchors) is None:
        append(db.anchors, head.seq, head.hash, head.at, "benchmark")
    size = path.stat().st_size / 2**20
    print(f"database: {path} ({size:.0f} MiB, head seq {head.seq if head else 0})")

    t, res = timed(lambda: db.integrity(quick=True, limit=10), args.runs)
    print(f"start-up quick_check (whole file)          {t * 1000:8.0f} ms  ok={res.ok}")
    t, res = timed(lambda: audit.reaches(db, latest(db.anchors)), args.runs)
    print(f"start-up checkpoint check                  {t * 1000:8.2f} ms  problem={res!r}")
    t, res = timed(lambda: db.integrity(quick=False, limit=10), 1)
    print(f"db check: integrity_check (whole file)     {t * 1000:8.0f} ms  ok={res.ok}")
    t, res = timed(lambda: audit.verify(db), args.runs)
    print(f"proof: chain verified against checkpoint   {t * 1000:8.0f} ms  ok={res.ok}")

    def figures() -> tuple[int, list[str]]:
        with db.read() as session:  # one snapshot, as the report reads it
            return figures_disagree(session, "0000", "9999")

    t, res = timed(figures, args.runs)
    print(f"proof: figures against chained events      {t * 1000:8.0f} ms  disagreeing={res[0]}")

    t, res = timed(lambda: backup(db, tmp / f"alone-{time.monotonic_ns()}.db"), 1)
    print(f"backup, nobody writing                     {t * 1000:8.0f} ms  {res.pages} pages")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    try:
        time.sleep(1.0)  # let it reach full speed
        before = audit.head(db).seq
        t0 = time.perf_counter()
        res = backup(db, tmp / "under-writer.db")
        t = time.perf_counter() - t0
        after = audit.head(db).seq
    finally:
        writer.kill()
        writer.wait()
    print(f"backup under a sustained writer            {t * 1000:8.0f} ms  {res.pages} pages; "
          f"the writer appended {after - before} events meanwhile ({(after - before) / t:.0f}/s)")


if __name__ == "__main__":
    main()
