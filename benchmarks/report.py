"""Acknowledgment report figures on a large history, against the bare SQL aggregate over the same rows.

    python benchmarks/report.py [--db PATH] [--alerts 100000] [--events 1000000] [--runs 5]

With --db, uses that database (written by benchmarks/make_history.py); else builds one with
make_history.py in a temporary folder. Prints, as the median of --runs in this process:

* bare SQL: one GROUP BY severity statement over the window's alert rows computing count,
  acknowledged, mean and max time to acknowledge (the stored ack_us) and SLA breaches;
* the report's figures: every group (severity, source, officer, shift), nearest-rank median and
  p90, breaches with who was on duty, never-acknowledged alerts, escalations by level, time to
  resolve, alerts per hour and the duty-hours ledger;
* the full report: the figures plus the per-alert lines (100,000 of them);
* the report's own scan alone (its one SQL statement over the window, fetched): the floor of the
  report as built, since everything else is Python over those rows; the figures and the full
  report are given as multiples of it (figures: the scan of the figures' columns; full report:
  the scan with the line columns), measured in the same run;
* a 10-day window (the period's last ten days, figures and lines, no proof);
* the proof (verifying the whole audit chain; then with the window's time columns checked against
  their chained events, as the report does) and rendering CSV, apart.
Targets: figures <= 2x their scan, full report <= 2x its scan with line columns, 10-day window <= 150 ms.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from watchdesk.clock import FakeClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.core.enums import Severity  # noqa: E402
from watchdesk.reports.acks import render_csv  # noqa: E402
from watchdesk.services.reports import ack_report, make_proof, period_window  # noqa: E402
from watchdesk.services.runtime import open_runtime  # noqa: E402
from watchdesk.store.queries.reports import LINE_COLUMNS, SCAN_SQL  # noqa: E402
from watchdesk.store.types import to_db_text  # noqa: E402


def bare_sql(db: Path, start: str, end: str, targets: dict[str, float]) -> float:
    target = "CASE severity " + " ".join(f"WHEN '{k}' THEN {v!r}" for k, v in targets.items()) + " END"
    ack = "ack_us / 1000000.0"  # the duration stored with the acknowledgment
    sql = (f"SELECT severity, COUNT(*), COUNT(ack), AVG(ack), MAX(ack), SUM(ack > target) FROM "
           f"(SELECT severity, {ack} AS ack, {target} AS target FROM alert WHERE received_at >= ? AND received_at < ?) "
           "GROUP BY severity")
    conn = sqlite3.connect(db)
    t = time.perf_counter()
    rows = conn.execute(sql, (start, end)).fetchall()
    elapsed = time.perf_counter() - t
    conn.close()
    assert rows
    return elapsed


def report_scan(db: Path, start: str, end: str, lines: bool) -> float:
    """The report's main statement alone, fetched (its first-acknowledger look-ups left out)."""
    conn = sqlite3.connect(db)
    t = time.perf_counter()
    conn.execute(SCAN_SQL.format(lines=LINE_COLUMNS if lines else ""), {"start": start, "end": end}).fetchall()
    elapsed = time.perf_counter() - t
    conn.close()
    return elapsed


def timed(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a database written by benchmarks/make_history.py")
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--period", default="history", help="the watch period to report on (make_history writes 'history')")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="watchdesk-report-") as folder:
        db = args.db
        if db is None:
            db = Path(folder) / "history.db"
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_history.py"), str(db), "--alerts", str(args.alerts),
                            "--events", str(args.events)], check=True)
        rt = open_runtime(parse_config({}), db_path=str(db), clock=FakeClock("2026-02-17T02:00:00+07:00"), upgrade=False)
        start, end, name = period_window(rt, args.period)
        conn = sqlite3.connect(db)
        n_alerts = conn.execute("SELECT COUNT(*) FROM alert WHERE received_at >= ? AND received_at < ?",
                                (to_db_text(start), to_db_text(end))).fetchone()[0]
        n_events = conn.execute("SELECT MAX(seq) FROM event").fetchone()[0]
        conn.close()
        targets = {s.value: rt.config.ack_target(s).total_seconds() for s in Severity}
        print(f"database {db}: {n_alerts:,} alerts in period '{name}', {n_events:,} events")
        bare_sql(db, to_db_text(start), to_db_text(end), targets)  # warm the page cache for both sides
        bare = statistics.median(bare_sql(db, to_db_text(start), to_db_text(end), targets) for _ in range(args.runs))
        scan = statistics.median(report_scan(db, to_db_text(start), to_db_text(end), False) for _ in range(args.runs))
        scan_lines = statistics.median(report_scan(db, to_db_text(start), to_db_text(end), True) for _ in range(args.runs))
        figures, _ = timed(lambda: ack_report(rt, start, end, name, verify=False, with_alerts=False), args.runs)
        full, report = timed(lambda: ack_report(rt, start, end, name, verify=False, with_alerts=True), args.runs)
        ten_days = max(start, end - timedelta(days=10))
        window, _ = timed(lambda: ack_report(rt, ten_days, end, name, verify=False, with_alerts=True), args.runs)
        proof, _ = timed(lambda: make_proof(rt), 1)
        proof_window, _ = timed(lambda: make_proof(rt, window=(start, end)), 1)
        csv_time, text = timed(lambda: render_csv(report), 1)  # type: ignore[arg-type]
        rt.db.dispose()
    print(f"bare SQL aggregate (GROUP BY severity)      {bare * 1000:8.1f} ms")
    print(f"the report's scan alone (figures' columns)  {scan * 1000:8.1f} ms   {scan / bare:5.2f}x bare")
    print(f"the report's scan alone (with line columns) {scan_lines * 1000:8.1f} ms   {scan_lines / bare:5.2f}x bare")
    print(f"report figures (no per-alert lines)         {figures * 1000:8.1f} ms   {figures / scan:5.2f}x its scan   target <= 2x")
    print(f"full ack report (figures + per-alert lines) {full * 1000:8.1f} ms   {full / scan_lines:5.2f}x its scan   target <= 2x")
    print(f"10-day window (figures + lines, no proof)   {window * 1000:8.1f} ms   target <= 150 ms")
    print(f"proof: verify the whole chain               {proof * 1000:8.1f} ms")
    print(f"proof: chain + times against their events   {proof_window * 1000:8.1f} ms   (the report's proof)")
    print(f"render CSV ({len(text) / 1e6:.1f} MB)                       {csv_time * 1000:8.1f} ms")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
