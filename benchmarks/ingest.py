"""Feed ingest figures, against HTTP servers on 127.0.0.1 started by this script.

    python benchmarks/ingest.py [--items 2000] [--runs 5] [--repolls 10] [--postgres auto|URL]

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

With --postgres (`auto`: a throwaway cluster, benchmarks/backends.py; a URL: a server where the
role may create databases) everything runs on PostgreSQL too, each run on a fresh database of
its own, and the figures are printed for both backends side by side, each ratio against the
baselines its own run measured.
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

from backends import Figures, add_option, backends, fresh  # noqa: E402 - the script folder is on sys.path
from tests.support.feed_factory import rss_feed  # noqa: E402
from tests.support.feed_server import FeedServer, Reply  # noqa: E402
from watchdesk.clock import FakeClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.services.runtime import Runtime, open_runtime  # noqa: E402
from watchdesk.services.sources import poll_due  # noqa: E402

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def runtime(url: str, sources: list[dict]) -> Runtime:
    config = parse_config({"sources": sources})
    return open_runtime(config, db_path=url, clock=FakeClock())


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _spread(values: list[float], scale: float = 1000.0, fmt: str = "{:.1f}") -> str:
    return "–".join(fmt.format(v * scale) for v in (min(values), max(values)))


def bench_ingest(server: FeedServer, url: str, say, items: int, runs: int, repolls: int) -> dict:  # noqa: ANN001
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
        rt = runtime(fresh(url, f"ingest{run}"), sources)
        t = time.perf_counter()
        [first] = poll_due(rt, only="feed")
        ingest = time.perf_counter() - t
        assert len(first.new) == items, first
        t = time.perf_counter()
        feedparser.parse(io.BytesIO(body))
        fp_after = time.perf_counter() - t
        fp = (fp_before + fp_after) / 2
        say(f"  run {run}{' (warm-up)' if not run else ''}: feedparser {fp_before * 1000:.0f} ms before, "
            f"{fp_after * 1000:.0f} ms after, ingest {ingest * 1000:.0f} ms")
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
    return {"size": len(body), "parse": parse_times, "fast": fast_times, "ingest": ingest_times,
            "unchanged": unchanged_times, "etag": etag_times, "worst": worst,
            "ratios": [i / p for i, p in zip(ingest_times, parse_times)],
            "strict": [i / p for i, p in zip(ingest_times, fast_times)]}


def bench_drip(server: FeedServer, url: str, runs: int) -> dict:
    healthy = []
    for i in range(9):
        healthy.append({"key": f"ok{i}", "kind": "rss", "url": server.route(f"/ok{i}", Reply(body=rss_feed(200, start=i * 1000), headers=RSS))})
    server.route("/drip", Reply(body=rss_feed(50), drip=0.25, headers=RSS))
    drip = {"key": "drip", "kind": "rss", "url": server.url("/drip"), "deadline": 3}
    alone_t, with_t, drip_t = [], [], []
    for run in range(runs):
        rt = runtime(fresh(url, f"alone{run}"), healthy)
        results = poll_due(rt, force=True)
        alone_t.append(max(r.elapsed for r in results))
        rt.db.dispose()
        rt = runtime(fresh(url, f"drip{run}"), healthy + [drip])
        results = {r.key: r for r in poll_due(rt, force=True)}
        with_t.append(max(r.elapsed for k, r in results.items() if k != "drip"))
        drip_t.append(results["drip"].elapsed)
        assert results["drip"].status == "error", results["drip"]
        rt.db.dispose()
    return {"alone": statistics.median(alone_t), "together": statistics.median(with_t), "drip": statistics.median(drip_t)}


def bench_idle(server: FeedServer, url: str) -> float:
    sources = [{"key": f"s{i}", "kind": "rss", "url": server.route(f"/idle{i}", Reply(body=rss_feed(5), headers=RSS))} for i in range(10)]
    rt = runtime(fresh(url, "idle"), sources)
    poll_due(rt)
    n = 0
    t = time.perf_counter()
    while n < 20_000 and (n % 500 or time.perf_counter() - t < 5):  # 20,000 calls, or what 5 s allow on a slower backend
        poll_due(rt)
        n += 1
    per = (time.perf_counter() - t) / n
    rt.db.dispose()
    return per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repolls", type=int, default=10, help="re-polls per run (their median is the run's figure)")
    add_option(parser)
    args = parser.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp, backends(Path(tmp), args.postgres, "ingest") as urls, FeedServer() as server:
        figs = Figures([name for name, _url in urls])
        results = {}
        for name, url in urls:
            say = lambda text, name=name: figs.say(name, text)  # noqa: E731
            results[name] = {"ingest": bench_ingest(server, url, say, args.items, args.runs, args.repolls),
                             "drip": bench_drip(server, url, args.runs), "idle": bench_idle(server, url)}
    med = statistics.median
    runs, items = args.runs, args.items
    ing = lambda fn: {n: fn(r["ingest"]) for n, r in results.items()}  # noqa: E731
    drip = lambda fn: {n: fn(r["drip"]) for n, r in results.items()}  # noqa: E731
    size = next(iter(results.values()))["ingest"]["size"]
    figs.add(f"{items}-item RSS feed ({size / 1e6:.1f} MB), median of {runs} runs (range in brackets):", ing(lambda r: ""))
    figs.add("  feedparser.parse alone (defaults)         ", ing(lambda r: f"{ms(med(r['parse']))}  [{_spread(r['parse'])}]"),
             "  mean of the parses around each ingest")
    figs.add("  feedparser.parse, sanitize/resolve off    ", ing(lambda r: f"{ms(med(r['fast']))}  [{_spread(r['fast'])}]"))
    figs.add("  ingest (fetch+parse+normalize+dedup+store)", ing(lambda r: f"{ms(med(r['ingest']))}  [{_spread(r['ingest'])}]"),
             "  with its audit events")
    figs.add("  ratio ingest / feedparser.parse           ", ing(lambda r: f"{med(r['ratios']):8.2f}x    [{_spread(r['ratios'], 1, '{:.2f}')}]"),
             "  (target <= 1.5x)")
    figs.add("  ratio ingest / parse with ingest's opts   ", ing(lambda r: f"{med(r['strict']):8.2f}x    [{_spread(r['strict'], 1, '{:.2f}')}]"),
             "  (stricter; no target)")
    figs.add("  re-poll unchanged (same body hash)        ",
             ing(lambda r: f"{ms(med(r['unchanged']))}  [{_spread(r['unchanged'])}]  worst single poll {r['worst']['unchanged'] * 1000:.1f} ms"), " (target <= 20 ms)")
    figs.add("  re-poll with ETag (304)                   ",
             ing(lambda r: f"{ms(med(r['etag']))}  [{_spread(r['etag'])}]  worst single poll {r['worst']['etag'] * 1000:.1f} ms"), " (target <= 20 ms)")
    figs.add(f"  (re-poll figures: each run's median of {args.repolls} polls)", ing(lambda r: ""))
    figs.add("ten sources (200 items each), one dripping a byte every 0.25 s, deadline 3 s:", drip(lambda r: ""))
    figs.add("  nine healthy alone: all stored after          ", drip(lambda r: ms(r["alone"])))
    figs.add("  nine healthy beside the drip: all stored after ", drip(lambda r: f"{ms(r['together'])}   ratio {r['together'] / r['alone']:4.2f}x"),
             " (target ~1x)")
    figs.add("  the dripping one cut off after                ", drip(lambda r: ms(r["drip"])))
    figs.add("poll_due with nothing due (10 sources): ", {n: f"{r['idle'] * 1e6:.1f} µs per call" for n, r in results.items()},
             "   (target well under 1 ms)")
    figs.print()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
