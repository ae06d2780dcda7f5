"""Engine figures: one tick over 10,000 open alerts with 100 due, and deadline → webhook latency.

    python benchmarks/engine.py [--alerts 10000] [--due 100] [--rounds 5] [--samples 24] [--skip-tick]

1. A tick with 10,000 open alerts of which 100 are due (target ≤ 50 ms), against a baseline
   measured in the same run: an idle tick over the same database (nothing due).
2. The time from an alert's deadline to a loopback webhook server receiving its page, with
   `watchdesk serve` at the default tick interval, a source polled every 4 s (new items each
   time, "poll now" beside the engine's own polls) and two desks' reads going on meanwhile (target ≤ 2 s, worst case over --samples
   pages: half with a deadline known ahead, half typed in by another writer and due at once).
3. The same with one channel hanging, then dripping one byte every 2 s, while critical pages
   keep queueing on it: the lateness of the healthy alerts' pages (target ≤ 2 s worst case).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watchdesk.clock import FakeClock, SystemClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.engine import Engine, serve  # noqa: E402
from watchdesk.core.enums import Severity  # noqa: E402
from watchdesk.services.alert_factory import raise_alert  # noqa: E402
from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in  # noqa: E402
from watchdesk.services.runtime import Runtime, open_runtime  # noqa: E402
from watchdesk.store.models import Shift  # noqa: E402
from watchdesk.store.types import to_db_text  # noqa: E402


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


def tick_benchmark(total: int, due: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock("2026-02-17T02:00:00+07:00")
        rt = open_runtime(parse_config({"policies": _policy(["terminal"])}), db_path=f"{tmp}/bench.db", clock=clock)
        _staff(rt)
        now = clock.now()
        later = to_db_text(now + timedelta(days=1))
        conn = rt.db.raw()
        conn.execute("BEGIN IMMEDIATE")
        rows = []
        for i in range(total):
            rows.append((
                "bench", f"n{i}", f"bench:{i}", f"Cảnh báo {i}: lỗ hổng CVE-2026-{i:05d}", "critical" if i % 4 == 0 else "high",
                to_db_text(now), to_db_text(now) if i < due else later,
            ))
        conn.executemany(
            "INSERT INTO alert (source_key, native_id, dedup_key, title, summary, link, attachments, severity, severity_raw, "
            "category, cves, doc_number, affects_us, content_hash, received_at, state, level, step, round, exhausted, "
            "snoozed_us, resolution, next_escalation_at) VALUES (?, ?, ?, ?, '', '', '[]', ?, '', 'other', '[]', '', 0, '', ?, "
            "'new', 1, 0, 0, 0, 0, '', ?)",
            rows,
        )
        conn.execute("COMMIT")
        conn.close()
        engine = Engine(rt, kind="tick")
        engine.tick()  # warm-up: the 100 due alerts page level 1
        idle, busy = [], []
        for _ in range(rounds):
            clock.fast_forward(timedelta(seconds=1))
            t = time.perf_counter()
            report = engine.tick()
            idle.append(time.perf_counter() - t)
            assert report.escalated == 0
            clock.fast_forward(timedelta(minutes=5) - timedelta(seconds=1))
            t = time.perf_counter()
            report = engine.tick()
            busy.append(time.perf_counter() - t)
            assert report.escalated == due, report
        engine.close()
        rt.db.dispose()
    b, i = statistics.median(busy) * 1000, statistics.median(idle) * 1000
    print(f"tick, {total:,} open alerts, {due} due: median {b:.1f} ms, worst {max(busy) * 1000:.1f} ms "
          f"over {rounds} rounds (target ≤ 50 ms) — {'OK' if b <= 50 else 'OVER TARGET'}")
    print(f"  baseline idle tick over the same database: median {i:.1f} ms; ratio busy/idle {b / i:.1f}×; "
          f"{(b - i) / due:.2f} ms per escalated alert")


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


def latency_benchmark(samples: int, hostile: str) -> None:
    """Deadline → webhook received, with `serve` at the default tick, a source polled every 4 s (new items
    each time), two desks reading, and (hostile) one channel that hangs or drips with critical pages queued."""
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
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config({
            "channels": channels, "policies": _latency_policies("bad" if hostile else "hook"),
            "sources": [{"key": "bench-feed", "kind": "rss", "url": feeds.url("/feed.rss"), "interval": "1m"}],
        })
        rt = open_runtime(config, db_path=f"{tmp}/latency.db", clock=SystemClock())
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
    print(f"deadline → webhook received, {case}, tick {interval.total_seconds():.0f} s, {len(lags)} pages "
          f"({polls} polls, {reads[0]} desk reads meanwhile): worst {worst:.2f} s (target ≤ 2 s) — "
          f"{'OK' if worst <= 2 and not missing else 'OVER TARGET'}" + (f"; {missing} never arrived" if missing else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=24)
    parser.add_argument("--skip-tick", action="store_true", help="Only the latency cases.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("watchdesk.notify").setLevel(logging.ERROR)  # the hostile cases abandon sends on purpose
    if not args.skip_tick:
        tick_benchmark(args.alerts, args.due, args.rounds)
    for hostile in ("", "hang", "drip"):
        latency_benchmark(args.samples, hostile)


if __name__ == "__main__":
    main()
