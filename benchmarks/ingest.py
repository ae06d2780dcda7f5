"""Feed ingest figures, against HTTP servers on 127.0.0.1 started by this script.

    python benchmarks/ingest.py [--items 2000] [--runs 5] [--repolls 10]

Prints, in one run:
  1. the time to ingest an N-item RSS feed (fetch, parse, normalize, dedup, store with its
     audit events) on a fresh database, and its ratio to `feedparser.parse` alone on the
     same bytes (target <= 1.5x);
  2. the time to re-poll it unchanged: same body without validators (body hash), and with
     an ETag (304) (target <= 20 ms);
  3. ten sources polled together, one of them dripping a byte every 0.25 s with a 3 s
     deadline: when each of the nine healthy ones was stored, against the same nine polled
     alone (target: the same, i.e. as if the dripping one were absent);
  4. poll_due when nothing is due (the engine's per-tick cost; target well under 1 ms).
Medians of --runs runs (after one warm-up run), with their ranges; each ratio is taken within
one run (baseline timed right before the ingest), so a busy machine shows in both. The load
average is printed first and last: compare figures only between quiet runs.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feedparser  # noqa: E402

from tests.support.feed_factory import rss_feed  # noqa: E402
from tests.support.feed_server import FeedServer, Reply  # noqa: E402
from watchdesk.clock import FakeClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.services.runtime import Runtime, open_runtime  # noqa: E402
from watchdesk.services.sources import poll_due  # noqa: E402

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def runtime(folder: str, sources: list[dict]) -> Runtime:
    config = parse_config({"sources": sources})
    return open_runtime(config, db_path=str(Path(folder) / "bench.db"), clock=FakeClock())


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _spread(values: list[float], scale: float = 1000.0, fmt: str = "{:.1f}") -> str:
    return "–".join(fmt.format(v * scale) for v in (min(values), max(values)))


def bench_ingest(server: FeedServer, items: int, runs: int, repolls: int) -> None:
    """Each run: feedparser alone, the full ingest on a fresh database, feedparser alone again, re-polls.

    The baseline is the mean of the parses just before and just after the ingest it is
    compared with, so a neighbour's load lands on both; the ratio is taken per run and its
    median reported.
    """
    body = rss_feed(items)
    server.route("/feed", Reply(body=body, headers=RSS))
    server.route("/etag", Reply(body=body, headers=RSS, etag='"v1"'))
    sources = [{"key": "feed", "kind": "rss", "url": server.url("/feed"), "max_bytes": 50_000_000},
               {"key": "etag", "kind": "rss", "url": server.url("/etag"), "max_bytes": 50_000_000}]
    fast = {"sanitize_html": False, "resolve_relative_uris": False}  # what watchdesk.feeds.rss passes
    parse_times, fast_times, ingest_times, unchanged_times, etag_times = [], [], [], [], []
    worst = {"unchanged": 0.0, "etag": 0.0}
    for run in range(runs + 1):  # run 0 warms up imports, regex caches and the TLS context; not counted
        t = time.perf_counter()
        parsed = feedparser.parse(io.BytesIO(body))
        fp_before = time.perf_counter() - t
        assert len(parsed.entries) == items
        t = time.perf_counter()
        feedparser.parse(io.BytesIO(body), **fast)
        fp_fast = time.perf_counter() - t
        with tempfile.TemporaryDirectory() as folder:
            rt = runtime(folder, sources)
            t = time.perf_counter()
            [first] = poll_due(rt, only="feed")
            ingest = time.perf_counter() - t
            assert len(first.new) == items, first
            t = time.perf_counter()
            feedparser.parse(io.BytesIO(body))
            fp_after = time.perf_counter() - t
            fp = (fp_before + fp_after) / 2
            print(f"  run {run}{' (warm-up)' if not run else ''}: feedparser {fp_before * 1000:.0f} ms before, "
                  f"{fp_after * 1000:.0f} ms after, ingest {ingest * 1000:.0f} ms", flush=True)
            poll_due(rt, only="etag")
            unchanged, cond = [], []
            for _ in range(repolls):
                t = time.perf_counter()
                [again] = poll_due(rt, only="feed")
                unchanged.append(time.perf_counter() - t)
                assert again.status == "unchanged", again
                t = time.perf_counter()
                [same] = poll_due(rt, only="etag")
                cond.append(time.perf_counter() - t)
                assert same.status == "not-modified", same
            rt.db.dispose()
        if run:
            parse_times.append(fp)
            fast_times.append(fp_fast)
            ingest_times.append(ingest)
            unchanged_times.append(statistics.median(unchanged))
            etag_times.append(statistics.median(cond))
            worst = {"unchanged": max(worst["unchanged"], *unchanged), "etag": max(worst["etag"], *cond)}
    ratios = [i / p for i, p in zip(ingest_times, parse_times)]
    strict = [i / p for i, p in zip(ingest_times, fast_times)]
    med = statistics.median
    print(f"{items}-item RSS feed ({len(body) / 1e6:.1f} MB), median of {runs} runs (range in brackets):")
    print(f"  feedparser.parse alone (defaults)         {ms(med(parse_times))}  [{_spread(parse_times)}]  mean of the parses around each ingest")
    print(f"  feedparser.parse, sanitize/resolve off    {ms(med(fast_times))}  [{_spread(fast_times)}]")
    print(f"  ingest (fetch+parse+normalize+dedup+store){ms(med(ingest_times))}  [{_spread(ingest_times)}]  with its audit events")
    print(f"  ratio ingest / feedparser.parse           {med(ratios):8.2f}x    [{_spread(ratios, 1, '{:.2f}')}]  (target <= 1.5x)")
    print(f"  ratio ingest / parse with ingest's opts   {med(strict):8.2f}x    [{_spread(strict, 1, '{:.2f}')}]  (stricter; no target)")
    print(f"  re-poll unchanged (same body hash)        {ms(med(unchanged_times))}  [{_spread(unchanged_times)}]  worst single poll {worst['unchanged'] * 1000:.1f} ms (target <= 20 ms)")
    print(f"  re-poll with ETag (304)                   {ms(med(etag_times))}  [{_spread(etag_times)}]  worst single poll {worst['etag'] * 1000:.1f} ms (target <= 20 ms)")
    print(f"  (re-poll figures: each run's median of {repolls} polls)")


def bench_drip(server: FeedServer, runs: int) -> None:
    healthy = []
    for i in range(9):
        healthy.append({"key": f"ok{i}", "kind": "rss", "url": server.route(f"/ok{i}", Reply(body=rss_feed(200, start=i * 1000), headers=RSS))})
    server.route("/drip", Reply(body=rss_feed(50), drip=0.25, headers=RSS))
    drip = {"key": "drip", "kind": "rss", "url": server.url("/drip"), "deadline": 3}
    alone_t, with_t, drip_t = [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            rt = runtime(folder, healthy)
            results = poll_due(rt, force=True)
            alone_t.append(max(r.elapsed for r in results))
            rt.db.dispose()
        with tempfile.TemporaryDirectory() as folder:
            rt = runtime(folder, healthy + [drip])
            results = {r.key: r for r in poll_due(rt, force=True)}
            with_t.append(max(r.elapsed for k, r in results.items() if k != "drip"))
            drip_t.append(results["drip"].elapsed)
            assert results["drip"].status == "error", results["drip"]
            rt.db.dispose()
    alone, together = statistics.median(alone_t), statistics.median(with_t)
    print("ten sources (200 items each), one dripping a byte every 0.25 s, deadline 3 s:")
    print(f"  nine healthy alone: all stored after          {ms(alone)}")
    print(f"  nine healthy beside the drip: all stored after {ms(together)}   ratio {together / alone:4.2f}x (target ~1x)")
    print(f"  the dripping one cut off after                {ms(statistics.median(drip_t))}")


def bench_idle(server: FeedServer) -> None:
    with tempfile.TemporaryDirectory() as folder:
        sources = [{"key": f"s{i}", "kind": "rss", "url": server.route(f"/idle{i}", Reply(body=rss_feed(5), headers=RSS))} for i in range(10)]
        rt = runtime(folder, sources)
        poll_due(rt)
        n = 20_000
        t = time.perf_counter()
        for _ in range(n):
            poll_due(rt)
        per = (time.perf_counter() - t) / n
        rt.db.dispose()
    print(f"poll_due with nothing due (10 sources): {per * 1e6:.1f} µs per call   (target well under 1 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repolls", type=int, default=10, help="re-polls per run (their median is the run's figure)")
    args = parser.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    with FeedServer() as server:
        bench_ingest(server, args.items, args.runs, args.repolls)
        bench_drip(server, args.runs)
        bench_idle(server)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
