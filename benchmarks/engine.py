"""Engine figures: one tick over 10,000 open alerts with 100 due, and deadline → webhook latency.

    python benchmarks/engine.py [--alerts 10000] [--due 100] [--rounds 5] [--samples 24] [--skip-tick]
                                [--skip-latency] [--profile N] [--postgres auto|URL]

1. A tick with 10,000 open alerts of which 100 are due (target ≤ 50 ms), against a baseline
   measured in the same run: an idle tick over the same database (nothing due); with the
   statements each sends (SQLAlchemy's before_cursor_execute). With --postgres, on a SQLite file
   and on PostgreSQL (benchmarks/backends.py: `auto` starts a throwaway cluster), side by side.
   --profile N prints cProfile's N costliest functions (cumulative) over the busy ticks.
2. The time from an alert's deadline to a loopback webhook server receiving its page, with
   `watchdesk serve` at the default tick interval, a source polled every 4 s (new items each
   time, "poll now" beside the engine's own polls) and two desks' reads going on meanwhile (target ≤ 2 s, worst case over --samples
   pages: half with a deadline known ahead, half typed in by another writer and due at once).
3. The same with one channel hanging, then dripping one byte every 2 s, while critical pages
   keep queueing on it: the lateness of the healthy alerts' pages (target ≤ 2 s worst case).
   Each case on an empty database of its own (benchmarks/backends.py `fresh`), on each backend.
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import pstats
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sqlalchemy import event  # noqa: E402 - the benchmark counts statements; the desk's code does not import it

from backends import Figures, add_option, backends, fresh, round_trip  # noqa: E402 - the script folder is on sys.path
from watchdesk.clock import FakeClock, SystemClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.engine import Engine, serve  # noqa: E402
from watchdesk.core.enums import Severity  # noqa: E402
from watchdesk.services.alert_factory import raise_alert  # noqa: E402
from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in  # noqa: E402
from watchdesk.services.runtime import Runtime, open_runtime  # noqa: E402
from watchdesk.store.models import Alert, Shift  # noqa: E402
from watchdesk.store.queries.alerts import insert_alerts  # noqa: E402


def _staff(rt: Runtime) -> None:
    bootstrap_supervisor(rt, "minh", "Nguyễn Văn Minh", "246810")
    boss = sign_in(rt, "minh", "246810")
    add_officer(rt, boss, "lan", "Trần Thị Lan", "lead", pin="246810")
    add_officer(rt, boss, "hung", "Lê Văn Hùng")
    now = rt.now()
    with rt.db.write() as session:
        for officer_id, level in ((3, 1), (2, 2), (1, 3)):
            session.add(Shift(officer_id=officer_id, level=level, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=23),
                              checked_in_at=now - timedelta(hours=1)))


def _policy(channels: list[str]) -> dict[str, Any]:
    steps = [{"after": "0s", "level": 1, "channels": channels}, {"after": "5m", "level": 2, "channels": channels},
             {"after": "5m", "level": 3, "channels": channels}, {"after": "5m", "contacts": ["vncert"], "channels": []}]
    return {sev: {"steps": steps, "repeat": 2} for sev in ("critical", "high", "medium", "low")}


class _Counts:
    """What a tick sends to the database, three ways: SQLAlchemy's executes (its before_cursor_execute
    event; an executemany counts once), the statements the database ran (SQLite's trace callback,
    trigger bodies left out; psycopg's execute, each row of an executemany, a COPY: so the statements
    the store sends through the driver itself count too), and, on PostgreSQL, the calls into the
    driver (one round trip each, a pipelined executemany or a COPY included)."""

    def __init__(self, rt: Runtime) -> None:
        self.executes = self.statements = self.calls = 0
        self._last = ""
        event.listen(rt.db.engine, "before_cursor_execute", self._execute)
        if rt.db.is_sqlite:
            event.listen(rt.db.engine, "connect", lambda conn, _record: conn.set_trace_callback(self._traced))
            rt.db.engine.dispose()  # connections opened from now on are traced
        else:
            self._wrap_psycopg()

    def _execute(self, *_args: Any) -> None:
        self.executes += 1

    def _traced(self, sql: str) -> None:
        # Python's sqlite3 reports each trigger a statement fires as the statement's own text again,
        # right after it: a repeat of the text just seen is its trigger, not a new statement.
        if sql != self._last:
            self.statements += 1
        self._last = sql

    def _wrap_psycopg(self) -> None:
        import psycopg

        execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany
        counts = self

        def counted_execute(cursor: Any, query: Any, params: Any = None, **kw: Any) -> Any:
            counts.statements += 1
            counts.calls += 1
            return execute(cursor, query, params, **kw)

        def counted_executemany(cursor: Any, query: Any, params_seq: Any, **kw: Any) -> Any:
            params_seq = list(params_seq)
            counts.statements += len(params_seq)
            counts.calls += 1
            return executemany(cursor, query, params_seq, **kw)

        def counted_copy(cursor: Any, statement: Any, *args: Any, **kw: Any) -> Any:
            counts.statements += 1  # COPY: one statement whatever the rows
            counts.calls += 1
            return copy(cursor, statement, *args, **kw)

        copy = psycopg.Cursor.copy
        psycopg.Cursor.execute, psycopg.Cursor.executemany = counted_execute, counted_executemany  # type: ignore[method-assign]
        psycopg.Cursor.copy = counted_copy  # type: ignore[method-assign]

    def now(self) -> tuple[int, int, int]:
        return self.executes, self.statements, self.calls


def _open_alerts(rt: Runtime, total: int, due: int) -> None:
    """`total` open alerts at level 1 (paged on the first tick), `due` of them due now, the rest tomorrow."""
    now = rt.now()
    later = now + timedelta(days=1)
    template = Alert(source_key="bench", dedup_key="", title="", received_at=now)
    base = {c.name: getattr(template, c.name) for c in Alert.__table__.columns if c.name != "id"}  # type: ignore[attr-defined]
    rows = [
        {**base, "native_id": f"n{i}", "dedup_key": f"bench:{i}", "title": f"Cảnh báo {i}: lỗ hổng CVE-2026-{i:05d}",
         "severity": "critical" if i % 4 == 0 else "high", "next_escalation_at": now if i < due else later}
        for i in range(total)
    ]
    with rt.db.write() as session:
        insert_alerts(session, rows)


def tick_benchmark(url: str, total: int, due: int, rounds: int, profile: int) -> dict[str, float]:
    """One database's tick figures: busy (`due` alerts escalate one step) and idle ticks, alternately."""
    clock = FakeClock("2026-02-17T02:00:00+07:00")
    rt = open_runtime(parse_config({"policies": _policy(["terminal"]), "database": {"url": url}}), clock=clock)
    _staff(rt)
    _open_alerts(rt, total, due)
    engine = Engine(rt, kind="tick")
    engine.tick()  # warm-up: the due alerts page level 1
    counts = _Counts(rt)
    profiler = cProfile.Profile() if profile else None
    idle: list[float] = []
    busy: list[float] = []
    idle_n: list[tuple[int, ...]] = []
    busy_n: list[tuple[int, ...]] = []
    for _ in range(rounds):
        clock.fast_forward(timedelta(seconds=1))
        n, t = counts.now(), time.perf_counter()
        report = engine.tick()
        idle.append(time.perf_counter() - t)
        idle_n.append(tuple(b - a for a, b in zip(n, counts.now())))
        assert report.escalated == 0 and not report.errors, report
        clock.fast_forward(timedelta(minutes=5) - timedelta(seconds=1))
        if profiler:
            profiler.enable()
        n, t = counts.now(), time.perf_counter()
        report = engine.tick()
        busy.append(time.perf_counter() - t)
        busy_n.append(tuple(b - a for a, b in zip(n, counts.now())))
        if profiler:
            profiler.disable()
        assert report.escalated == due and not report.errors, report
    engine.close()
    floor = round_trip(rt.db)
    rt.db.dispose()
    if profiler:
        print(f"-- cProfile of the {rounds} busy ticks on {url.partition(':')[0]} (cumulative) --")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(profile)
    out = {"busy": statistics.median(busy) * 1000, "worst": max(busy) * 1000, "idle": statistics.median(idle) * 1000,
           "round_trip": floor * 1000}
    for i, name in enumerate(("executes", "statements", "calls")):
        out[f"busy_{name}"] = statistics.median(n[i] for n in busy_n)
        out[f"idle_{name}"] = statistics.median(n[i] for n in idle_n)
    return out


def print_ticks(results: dict[str, dict[str, float]], total: int, due: int, rounds: int) -> None:
    """The tick figures of each backend side by side; the baseline is the idle tick of the same run."""
    figs = Figures(list(results))

    def cells(cell: Callable[[dict[str, float]], str]) -> dict[str, str]:
        return {name: cell(r) for name, r in results.items()}

    print(f"tick, {total:,} open alerts, {due} due, median of {rounds} rounds")
    figs.add("busy tick (the due alerts escalate a step): ", cells(lambda r: f"{r['busy']:.1f} ms"), "target <= 50 ms")
    figs.add("  worst busy tick: ", cells(lambda r: f"{r['worst']:.1f} ms"))
    figs.add("baseline: idle tick over the same database: ", cells(lambda r: f"{r['idle']:.1f} ms"))
    figs.add("  ratio busy / idle: ", cells(lambda r: f"{r['busy'] / r['idle']:.1f}x"))
    figs.add("  per escalated alert (busy - idle): ", cells(lambda r: f"{(r['busy'] - r['idle']) / due:.3f} ms"))
    figs.add("one statement (SELECT 1, median): ", cells(lambda r: f"{r['round_trip']:.3f} ms"))
    for name, label in (("executes", "SQLAlchemy executes"), ("statements", "statements the database ran"),
                        ("calls", "round trips (calls into psycopg)")):
        figs.add(f"{label}, busy / idle tick: ",
                 cells(lambda r, n=name: f"{r[f'busy_{n}']:.0f} / {r[f'idle_{n}']:.0f}" if r[f"busy_{n}"] or n != "calls" else "in-process"))
        figs.add(f"  per {due} due (busy - idle): ",
                 cells(lambda r, n=name: f"{r[f'busy_{n}'] - r[f'idle_{n}']:.0f}" if r[f"busy_{n}"] or n != "calls" else "-"))
    figs.print()


class _Hook(BaseHTTPRequestHandler):
    arrivals: dict[tuple[int, int], float] = {}

    def do_POST(self) -> None:  # noqa: N802
        at = time.time()  # wall time of receipt: the benchmark measures real latency
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        _Hook.arrivals.setdefault((body["alert_id"], body["level"]), at)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _rss_feed() -> Any:
    """An RSS feed with three new items on every request (so every poll ingests and writes)."""
    counter = iter(range(1_000_000))

    def chunks() -> Any:
        n = next(counter)
        items = "".join(
            f"<item><title>Cảnh báo lỗ hổng {n}-{i} (CVE-2026-{n * 3 + i + 10000})</title><link>https://example.vn/{n}/{i}</link>"
            f"<guid>bench-{n}-{i}</guid><description>{'Mô tả chi tiết. ' * 40}</description></item>"
            for i in range(3)
        )
        old = "".join(f"<item><title>Tin cũ {i}</title><link>https://example.vn/old/{i}</link><guid>old-{i}</guid></item>" for i in range(100))
        yield f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>bench</title>{items}{old}</channel></rss>'.encode()

    return chunks


def _latency_policies(bad: str) -> dict[str, Any]:
    """high: level 1 on the terminal, level 2 through `hook` 4 s later (a deadline known in advance);
    medium (the feed's items, and alerts typed in meanwhile): level 1 through `hook` at once;
    critical: through `bad` (the hostile channel, in the hostile case)."""
    later = [{"after": "1h", "level": 3, "channels": ["terminal"]}]
    return {
        "high": {"steps": [{"after": "0s", "level": 1, "channels": ["terminal"]}, {"after": "4s", "level": 2, "channels": ["hook"]}, *later], "repeat": 0},
        "medium": {"steps": [{"after": "0s", "level": 1, "channels": ["hook"]}, *later], "repeat": 0},
        "low": {"steps": [{"after": "0s", "level": 1, "channels": ["terminal"]}, *later], "repeat": 0},
        "critical": {"steps": [{"after": "0s", "level": 1, "channels": [bad]}, *later], "repeat": 0},
    }


def _desk_reads(rt: Runtime, stop: threading.Event, counts: list[int]) -> None:
    """What an open desk reads: the board, the banner's new pages, an alert's delivery log, a few times a second."""
    from watchdesk.core.enums import AlertState
    from watchdesk.notify.outbox import delivery_log, terminal_messages_since
    from watchdesk.services.alerts import AlertFilter, list_alerts

    last = 0
    while not stop.wait(0.2):
        board = list_alerts(rt, AlertFilter(states=(AlertState.NEW, AlertState.ACKNOWLEDGED)))
        pages = terminal_messages_since(rt, last)
        last = pages[-1].id if pages else last
        if board:
            delivery_log(rt, board[0].id)
        counts[0] += 1


def _poll_now(rt: Runtime, stop: threading.Event) -> None:
    """An officer pressing "poll now" every 4 s (the engine itself polls the source once a minute)."""
    from watchdesk.services.sources import poll_due

    while not stop.wait(4.0):
        poll_due(rt, only="bench-feed", force=True)


def latency_benchmark(db_url: str, samples: int, hostile: str, backend: str = "") -> None:
    """Deadline → webhook received, with `serve` at the default tick, a source polled every 4 s (new items
    each time), two desks reading, and (hostile) one channel that hangs or drips with critical pages queued;
    on the empty database `db_url` (its lines start with `backend` when given)."""
    from tests.support.feed_server import FeedServer, Reply
    from tests.support.hostile import HostileServer, drip, hang

    _Hook.arrivals = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    feeds = FeedServer().start()
    feeds.route("/feed.rss", Reply(chunks=_rss_feed(), headers={"Content-Type": "application/rss+xml"}))
    bad = None
    channels: dict[str, Any] = {"hook": {"type": "webhook", "url": url, "timeout": "10s"}}
    if hostile:
        bad = HostileServer(hang() if hostile == "hang" else drip(b"HTTP/1.1 200 OK\r\n", every=2.0)).__enter__()
        channels["bad"] = {"type": "webhook", "url": bad.url(), "timeout": "30s"}
    config = parse_config({
        "channels": channels, "policies": _latency_policies("bad" if hostile else "hook"),
        "sources": [{"key": "bench-feed", "kind": "rss", "url": feeds.url("/feed.rss"), "interval": "1m"}],
        "database": {"url": db_url},
    })
    rt = open_runtime(config, clock=SystemClock())
    _staff(rt)
    interval = rt.config.engine.tick_interval
    stop = threading.Event()
    runner = threading.Thread(target=serve, args=(rt, stop), daemon=True)
    runner.start()
    reads = [0]
    readers = [threading.Thread(target=_desk_reads, args=(rt, stop, reads), daemon=True) for _ in range(2)]
    readers.append(threading.Thread(target=_poll_now, args=(rt, stop), daemon=True))
    for r in readers:
        r.start()
    rng = random.Random(7)
    known: dict[tuple[int, int], float] = {}  # (alert, level) → deadline (wall seconds): level 2 of a high alert
    typed: dict[tuple[int, int], float] = {}  # level 1 of a medium alert typed in by another writer: due at once
    time.sleep(1.5)  # serve's first tick and the first poll
    for n in range(samples):
        with rt.db.write() as session:
            if n % 2 == 0:
                row, _ = raise_alert(session, rt.now(), source_key="bench", dedup_key=f"high:{n}", title=f"deadline {n}",
                                     severity=Severity.HIGH)
                known[(row.id, 2)] = (row.received_at + timedelta(seconds=4)).timestamp()  # type: ignore[operator]
            else:
                row, _ = raise_alert(session, rt.now(), source_key="bench", dedup_key=f"medium:{n}", title=f"typed in {n}",
                                     severity=Severity.MEDIUM)
                typed[(row.id, 1)] = row.received_at.timestamp()  # type: ignore[union-attr]
            if hostile:
                raise_alert(session, rt.now(), source_key="bench", dedup_key=f"critical:{n}", title=f"to the bad channel {n}",
                            severity=Severity.CRITICAL)
        time.sleep(rng.uniform(0.2, 1.1))  # arrivals at every phase of the tick
    wait_until = time.monotonic() + 15
    while not all(k in _Hook.arrivals for k in (*known, *typed)) and time.monotonic() < wait_until:
        time.sleep(0.05)
    stop.set()
    runner.join(10)
    for r in readers:
        r.join(5)
    polls = len(feeds.hits("/feed.rss"))
    rt.db.dispose()
    server.shutdown()
    feeds.stop()
    if bad is not None:
        bad.__exit__(None, None, None)
    case = {"": "healthy channels", "hang": "one channel hanging", "drip": "one channel dripping 1 byte / 2 s"}[hostile]
    lags = []
    for name, group in (("deadline known ahead (level 2)", known), ("alert typed in, due at once", typed)):
        got = [_Hook.arrivals[k] - d for k, d in group.items() if k in _Hook.arrivals]
        lags += got
        missing = len(group) - len(got)
        if got:
            print(f"  {name}: {len(got)} pages, mean {statistics.mean(got):.2f} s, worst {max(got):.2f} s"
                  + (f"; {missing} never arrived" if missing else ""))
        else:
            print(f"  {name}: none of {len(group)} pages arrived")
    missing = samples - len(lags)
    worst = max(lags) if lags else float("inf")
    print(f"{backend + ': ' if backend else ''}deadline → webhook received, {case}, tick {interval.total_seconds():.0f} s, {len(lags)} pages "
          f"({polls} polls, {reads[0]} desk reads meanwhile): worst {worst:.2f} s (target ≤ 2 s) — "
          f"{'OK' if worst <= 2 and not missing else 'OVER TARGET'}" + (f"; {missing} never arrived" if missing else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=24)
    parser.add_argument("--skip-tick", action="store_true", help="Only the latency cases.")
    parser.add_argument("--skip-latency", action="store_true", help="Only the tick.")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile's N costliest functions over the busy ticks")
    add_option(parser)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("watchdesk.notify").setLevel(logging.ERROR)  # the hostile cases abandon sends on purpose
    with tempfile.TemporaryDirectory() as tmp, backends(Path(tmp), args.postgres, "tick") as urls:
        if not args.skip_tick:
            results = {backend: tick_benchmark(url, args.alerts, args.due, args.rounds, args.profile) for backend, url in urls}
            print_ticks(results, args.alerts, args.due, args.rounds)
        if not args.skip_latency:
            for backend, url in urls:
                for hostile in ("", "hang", "drip"):
                    latency_benchmark(fresh(url, f"latency_{hostile or 'healthy'}"), args.samples, hostile,
                                      backend if len(urls) > 1 else "")


if __name__ == "__main__":
    main()
