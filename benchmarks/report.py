"""Acknowledgment report figures on a large history, against the bare SQL aggregate over the same rows.

    python benchmarks/report.py [--db PATH] [--alerts 100000] [--events 1000000] [--runs 5] [--postgres auto|URL]

With --db, uses that database (written by benchmarks/make_history.py); else builds one with
make_history.py in a temporary folder. With --postgres, `db copy` (store/copy.py) moves it into
PostgreSQL too (`auto`: a throwaway cluster, benchmarks/backends.py; a URL: an empty database) and
every figure is printed for both backends side by side. Prints, as the median of --runs in this process:

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
* where the figures' time goes: the report's reads alone (`read_window`: the scan, the escalation and
  off-duty events, the lists read by id, in one snapshot) and the rest (the aggregation in Python,
  the roster's shifts and the duty-hours ledger) as figures minus reads;
* a 10-day window (the period's last ten days, figures and lines, no proof);
* the proof (verifying the whole audit chain; then with the window's time columns checked against
  their chained events, as the report does) and rendering CSV, apart.
Targets: figures <= 2x their scan, full report <= 2x its scan with line columns, 10-day window <= 150 ms.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from backends import add_option, backends  # noqa: E402 - the script folder is on sys.path
from watchdesk.clock import FakeClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.core.enums import Severity  # noqa: E402
from watchdesk.reports.acks import render_csv  # noqa: E402
from watchdesk.services.reports import ack_report, make_proof, period_window, read_window  # noqa: E402
from watchdesk.services.runtime import Runtime, open_runtime  # noqa: E402
from watchdesk.store.copy import copy_database  # noqa: E402
from watchdesk.store.db import Database  # noqa: E402
from watchdesk.store.queries.reports import LINE_COLUMNS, SCAN_SQL, driver_rows  # noqa: E402
from watchdesk.store.types import to_db_text  # noqa: E402

NOW = "2026-02-17T02:00:00+07:00"


def bare_sql(rt: Runtime, start: str, end: str, targets: dict[str, float]) -> float:
    # The targets are the benchmark's own constants (floats), written into the statement as the report compares them.
    target = "CASE severity " + " ".join(f"WHEN '{k}' THEN {v!r}" for k, v in targets.items()) + " END"
    sql = ("SELECT severity, COUNT(*), COUNT(ack), AVG(ack), MAX(ack), SUM(CASE WHEN ack > target THEN 1 ELSE 0 END) FROM "
           f"(SELECT severity, ack_us / 1000000.0 AS ack, {target} AS target FROM alert "
           "WHERE received_at >= :start AND received_at < :end) w GROUP BY severity")
    with rt.db.read() as session:
        t = time.perf_counter()
        rows = driver_rows(session, sql, {"start": start, "end": end})
        elapsed = time.perf_counter() - t
    assert rows
    return elapsed


def report_scan(rt: Runtime, start: str, end: str, lines: bool) -> float:
    """The report's main statement alone, fetched by the same driver cursor (its other look-ups left out)."""
    with rt.db.read() as session:
        t = time.perf_counter()
        driver_rows(session, SCAN_SQL.format(lines=LINE_COLUMNS if lines else ""), {"start": start, "end": end})
        return time.perf_counter() - t


def _reads(rt: Runtime, start: datetime, end: datetime, targets: dict[str, float]) -> None:
    """The figures' reads alone, with the cyclic collector paused as ack_report pauses it."""
    gc.disable()
    try:
        read_window(rt, start, end, targets, with_alerts=False)
    finally:
        gc.enable()


def timed(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def measure(rt: Runtime, period: str, runs: int) -> dict[str, float]:
    """Every figure (seconds) on one backend."""
    start, end, name = period_window(rt, period)
    lo, hi = to_db_text(start), to_db_text(end)
    targets = {s.value: rt.config.ack_target(s).total_seconds() for s in Severity}
    bare_sql(rt, lo, hi, targets)  # warm the caches for both sides
    out = {
        "bare": statistics.median(bare_sql(rt, lo, hi, targets) for _ in range(runs)),
        "scan": statistics.median(report_scan(rt, lo, hi, False) for _ in range(runs)),
        "scan_lines": statistics.median(report_scan(rt, lo, hi, True) for _ in range(runs)),
    }
    out["figures"], _ = timed(lambda: ack_report(rt, start, end, name, verify=False, with_alerts=False), runs)
    out["reads"], _ = timed(lambda: _reads(rt, start, end, targets), runs)
    out["full"], report = timed(lambda: ack_report(rt, start, end, name, verify=False, with_alerts=True), runs)
    ten_days = max(start, end - timedelta(days=10))
    out["window"], _ = timed(lambda: ack_report(rt, ten_days, end, name, verify=False, with_alerts=True), runs)
    out["proof"], _ = timed(lambda: make_proof(rt), 1)
    out["proof_window"], _ = timed(lambda: make_proof(rt, window=(start, end)), 1)
    out["csv"], text = timed(lambda: render_csv(report), 1)  # type: ignore[arg-type]
    out["csv_mb"] = len(text) / 1e6  # type: ignore[arg-type]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a database written by benchmarks/make_history.py")
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--period", default="history", help="the watch period to report on (make_history writes 'history')")
    add_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="watchdesk-report-") as folder, backends(Path(folder), args.postgres, "report") as urls:
        db = args.db
        if db is None:
            db = Path(folder) / "history.db"
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_history.py"), str(db), "--alerts", str(args.alerts),
                            "--events", str(args.events)], check=True)
        clock = FakeClock(NOW)
        results: dict[str, dict[str, float]] = {}
        for backend, url in urls:
            if backend == "sqlite":
                rt = open_runtime(parse_config({}), db_path=str(db), clock=clock, upgrade=False)
            else:
                source = Database(f"sqlite:///{db}", upgrade=False)
                done = copy_database(source, Database(url), clock.now() + timedelta(days=1))
                source.dispose()
                print(f"db copy into PostgreSQL: {sum(done.rows.values()):,} rows in {done.seconds:.1f} s")
                rt = open_runtime(parse_config({"database": {"url": url}}), clock=clock, upgrade=False)
            with rt.db.read() as session:
                start, end, name = period_window(rt, args.period)
                n_alerts = driver_rows(session, "SELECT COUNT(*) FROM alert WHERE received_at >= :start AND received_at < :end",
                                       {"start": to_db_text(start), "end": to_db_text(end)})[0][0]
                n_events = driver_rows(session, "SELECT MAX(seq) FROM event", {})[0][0]
            print(f"{backend}: {n_alerts:,} alerts in period '{name}', {n_events:,} events")
            try:
                results[backend] = measure(rt, args.period, args.runs)
            finally:
                rt.db.dispose()
    _print(results)


def _print(results: dict[str, dict[str, float]]) -> None:
    names = list(results)
    print(f"{'':44}" + "".join(f"{n:>30}" for n in names))

    def line(label: str, cell: Callable[[dict[str, float]], str], note: str = "") -> None:
        print(f"{label:44}" + "".join(f"{cell(results[n]):>30}" for n in names) + (f"   {note}" if note else ""))

    line("bare SQL aggregate (GROUP BY severity)", lambda r: f"{r['bare'] * 1000:.1f} ms")
    line("the report's scan alone (figures' columns)", lambda r: f"{r['scan'] * 1000:.1f} ms {r['scan'] / r['bare']:5.2f}x bare")
    line("the report's scan alone (with line columns)", lambda r: f"{r['scan_lines'] * 1000:.1f} ms {r['scan_lines'] / r['bare']:5.2f}x bare")
    line("report figures (no per-alert lines)", lambda r: f"{r['figures'] * 1000:.1f} ms {r['figures'] / r['scan']:5.2f}x scan",
         "target <= 2x its scan")
    line("  of which its reads (scan, events, by id)", lambda r: f"{r['reads'] * 1000:.1f} ms {r['reads'] / r['scan']:5.2f}x scan")
    line("  of which the rest (aggregation, roster)", lambda r: f"{(r['figures'] - r['reads']) * 1000:.1f} ms "
         f"{(r['figures'] - r['reads']) / r['scan']:5.2f}x scan")
    line("full ack report (figures + per-alert lines)", lambda r: f"{r['full'] * 1000:.1f} ms {r['full'] / r['scan_lines']:5.2f}x scan",
         "target <= 2x its scan")
    line("10-day window (figures + lines, no proof)", lambda r: f"{r['window'] * 1000:.1f} ms", "target <= 150 ms")
    line("proof: verify the whole chain", lambda r: f"{r['proof'] * 1000:.1f} ms")
    line("proof: chain + times against their events", lambda r: f"{r['proof_window'] * 1000:.1f} ms", "(the report's proof)")
    line("render CSV", lambda r: f"{r['csv'] * 1000:.1f} ms ({r['csv_mb']:.1f} MB)")


if __name__ == "__main__":
    main()
