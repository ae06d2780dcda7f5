"""Feed ingest figures, against HTTP servers on 127.0.0.1 started by this script.

    python benchmarks/ingest.py [--items 2000] [--runs 3]

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
Medians of --runs runs; figures are ratios within the same run, so a busy machine shows.
"""

from __future__ import annotations

import argparse
import io
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


def bench_ingest(server: FeedServer, items: int, runs: int) -> None:
    body = rss_feed(items)
    server.route("/feed", Reply(body=body, headers=RSS))
    server.route("/etag", Reply(body=body, headers=RSS, etag='"v1"'))
    parse_times, ingest_times, unchanged_times, etag_times = [], [], [], []
    for _ in range(runs):
        t = time.perf_counter()
        parsed = feedparser.parse(io.BytesIO(body))
        parse_times.append(time.perf_counter() - t)
        assert len(parsed.entries) == items
        with tempfile.TemporaryDirectory() as folder:
            rt = runtime(folder, [{"key": "feed", "kind": "rss", "url": server.url("/feed"), "max_bytes": 50_000_000},
                                  {"key": "etag", "kind": "rss", "url": server.url("/etag"), "max_bytes": 50_000_000}])
            t = time.perf_counter()
            [first] = poll_due(rt, only="feed")
            ingest_times.append(time.perf_counter() - t)
            assert len(first.new) == items, first
            poll_due(rt, only="etag")
            t = time.perf_counter()
            [again] = poll_due(rt, only="feed")
            unchanged_times.append(time.perf_counter() - t)
            assert again.status == "unchanged", again
            t = time.perf_counter()
            [cond] = poll_due(rt, only="etag")
            etag_times.append(time.perf_counter() - t)
            assert cond.status == "not-modified", cond
            rt.db.dispose()
    fp, ing = statistics.median(parse_times), statistics.median(ingest_times)
    print(f"{items}-item RSS feed ({len(body) / 1e6:.1f} MB), median of {runs}:")
    print(f"  feedparser.parse alone             {ms(fp)}")
    print(f"  ingest (fetch+parse+normalize+store){ms(ing)}   ratio {ing / fp:4.2f}x   (target <= 1.5x)")
    print(f"  re-poll unchanged (same body hash)  {ms(statistics.median(unchanged_times))}   (target <= 20 ms)")
    print(f"  re-poll with ETag (304)             {ms(statistics.median(etag_times))}   (target <= 20 ms)")


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
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with FeedServer() as server:
        bench_ingest(server, args.items, args.runs)
        bench_drip(server, args.runs)
        bench_idle(server)


if __name__ == "__main__":
    main()
