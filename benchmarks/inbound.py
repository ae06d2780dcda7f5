"""Inbound figures: alerts accepted per second, and POST → the desk's banner seeing it.

    python benchmarks/inbound.py [--posts 1000] [--clients 8] [--batch 50] [--samples 40]

1. Alerts accepted per second by the listener (aiohttp, writes in threads on one SQLite file):
   --posts generic posts from --clients concurrent clients (one alert each), then Alertmanager
   posts carrying --batch alerts each.
2. POST → banner, with `serve`'s engine running beside the listener (nudged by each post, it
   pages the level-1 officer on the terminal channel) and a desk's change poll reading exactly
   what the desk's banner reads: PRAGMA data_version / change_mark every WATCH_INTERVAL (the
   desk's own 0.5 s), then the alert rows newer than the last seen, and the terminal pages
   (`terminal_messages_since`). Measured from the start of the POST to the poll that sees the
   alert row, and to the poll that sees its terminal page (target ≤ 1 s, worst case).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watchdesk.clock import SystemClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.engine import serve  # noqa: E402
from watchdesk.inbound.access import inbound_plan  # noqa: E402
from watchdesk.inbound.server import Background, InboundServer  # noqa: E402
from watchdesk.notify.outbox import terminal_messages_since  # noqa: E402
from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in  # noqa: E402
from watchdesk.services.runtime import Runtime, open_runtime  # noqa: E402
from watchdesk.store.models import Shift  # noqa: E402
from watchdesk.services.desk_state import change_watcher  # noqa: E402

WATCH_INTERVAL = 0.5  # watchdesk.tui.app.WATCH_INTERVAL (not imported: that would load Textual)
TOKEN = "bench-token-0123456789abcdef"
ENV = {"WD_BENCH_AM": TOKEN, "WD_BENCH_GENERIC": TOKEN + "-g"}
CONFIG = {
    "inbound": {"listen": "127.0.0.1:0", "max_body": 4_194_304, "integrations": [
        {"key": "prom", "kind": "alertmanager", "token_env": "WD_BENCH_AM"},
        {"key": "uptime", "kind": "generic", "token_env": "WD_BENCH_GENERIC"},
    ]},
    "policies": {sev: {"steps": [{"after": "0s", "level": 1, "channels": ["terminal"]},
                                 {"after": "15m", "level": 2, "channels": ["terminal"]}], "repeat": 1}
                 for sev in ("critical", "high", "medium", "low")},
}


def _runtime(tmp: str) -> Runtime:
    rt = open_runtime(parse_config(CONFIG), db_path=f"{tmp}/inbound.db", clock=SystemClock())
    bootstrap_supervisor(rt, "minh", "Nguyễn Văn Minh", "246810")
    boss = sign_in(rt, "minh", "246810")
    add_officer(rt, boss, "hung", "Lê Văn Hùng")
    now = rt.now()
    with rt.db.write() as session:
        for officer_id, level in ((2, 1), (1, 2)):
            session.add(Shift(officer_id=officer_id, level=level, starts_at=now - timedelta(hours=1),
                              ends_at=now + timedelta(hours=23), checked_in_at=now - timedelta(hours=1)))
    return rt


def _am(n: int, batch: int, run: str) -> dict[str, Any]:
    return {"version": "4", "groupKey": "{}:{alertname=\"Bench\"}", "truncatedAlerts": 0, "status": "firing",
            "receiver": "watchdesk", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager.example.vn:9093",
            "alerts": [{"status": "firing", "labels": {"alertname": "Bench", "instance": f"host-{n}-{i}", "severity": "warning"},
                        "annotations": {"summary": f"Máy {n}-{i} quá tải"}, "startsAt": "2026-02-16T18:55:00Z",
                        "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus.example.vn:9090/graph",
                        "fingerprint": f"{run}-{n}-{i}"} for i in range(batch)]}


def throughput(posts: int, clients: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rt = _runtime(tmp)
        plan = inbound_plan(rt.config.inbound, "bench", ENV)
        assert plan is not None
        background = Background(InboundServer(rt, plan))
        url = background.start()
        local = threading.local()

        def client() -> httpx.Client:
            if not hasattr(local, "c"):
                local.c = httpx.Client(timeout=60)
            return local.c

        def generic(n: int) -> int:
            r = client().post(url + "/api/v1/alerts", json={"title": f"Uptime: site {n} down", "severity": "high",
                                                             "dedup_key": f"site-{n}", "checker": "kuma"},
                              headers={"Authorization": f"Bearer {TOKEN}-g"})
            return len(r.json()["created"]) if r.status_code == 200 else 0

        def am(n: int) -> int:
            r = client().post(url + "/api/v1/alertmanager", json=_am(n, batch, "t"), headers={"Authorization": f"Bearer {TOKEN}"})
            return len(r.json()["created"]) if r.status_code == 200 else 0

        try:
            with ThreadPoolExecutor(clients) as pool:
                t = time.perf_counter()
                made = sum(pool.map(generic, range(posts)))
                single = time.perf_counter() - t
                rounds = max(1, posts // batch)
                t = time.perf_counter()
                made_batched = sum(pool.map(am, range(rounds)))
                batched = time.perf_counter() - t
        finally:
            background.stop()
            rt.db.dispose()
    print(f"generic posts, one alert each, {clients} clients: {made:,} alerts in {single:.2f} s = {made / single:,.0f} alerts/s "
          f"({posts / single:,.0f} posts/s)")
    print(f"Alertmanager posts of {batch} alerts, {clients} clients: {made_batched:,} alerts in {batched:.2f} s = "
          f"{made_batched / batched:,.0f} alerts/s")


def latency(samples: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        rt = _runtime(tmp)
        plan = inbound_plan(rt.config.inbound, "bench", ENV)
        assert plan is not None
        stop, wake = threading.Event(), threading.Event()
        server = InboundServer(rt, plan, on_new=wake.set)
        background = Background(server)
        url = background.start()
        engine = threading.Thread(target=serve, args=(rt, stop, timedelta(seconds=5)), kwargs={"wake": wake}, daemon=True)
        engine.start()
        seen_row: dict[int, float] = {}
        seen_page: dict[int, float] = {}
        desk_stop = threading.Event()

        def desk() -> None:
            """The desk's change poll: the mark every WATCH_INTERVAL, re-armed when the poll ends."""
            watcher = change_watcher(rt)
            last_version, max_id, last_page = None, 0, 0
            conn = rt.db.raw()
            while not desk_stop.is_set():
                version = watcher.version()
                if version != last_version:
                    last_version = version
                    now = time.perf_counter()
                    for (alert_id,) in conn.execute("SELECT id FROM alert WHERE id > ? ORDER BY id LIMIT 50", (max_id,)).fetchall():
                        seen_row.setdefault(alert_id, now)
                        max_id = max(max_id, alert_id)
                    pages = terminal_messages_since(rt, last_page)
                    for p in pages:
                        if p.alert_id:
                            seen_page.setdefault(p.alert_id, now)
                    if pages:
                        last_page = pages[-1].id
                desk_stop.wait(WATCH_INTERVAL)
            conn.close()
            watcher.close()

        poller = threading.Thread(target=desk, daemon=True)
        poller.start()
        posted: dict[int, float] = {}
        answered: list[float] = []
        try:
            with httpx.Client(timeout=30) as client:
                for n in range(samples):
                    time.sleep(0.137 * (n % 7) + 0.05)  # spread the posts over the desk's poll phase
                    t = time.perf_counter()
                    r = client.post(url + "/api/v1/alertmanager", json=_am(n, 1, uuid.uuid4().hex),
                                    headers={"Authorization": f"Bearer {TOKEN}"})
                    answered.append(time.perf_counter() - t)
                    posted[r.json()["created"][0]] = t
            deadline = time.perf_counter() + 10
            while (len(seen_row) < samples or len(seen_page) < samples) and time.perf_counter() < deadline:
                time.sleep(0.05)
        finally:
            desk_stop.set()
            poller.join()
            stop.set()
            engine.join(30)
            background.stop()
            rt.db.dispose()
    rows = [seen_row[i] - t for i, t in posted.items() if i in seen_row]
    pages = [seen_page[i] - t for i, t in posted.items() if i in seen_page]
    ms = lambda xs, f: f(xs) * 1000 if xs else float("nan")  # noqa: E731
    print(f"POST answered: median {ms(answered, statistics.median):.0f} ms, worst {ms(answered, max):.0f} ms over {samples} posts")
    print(f"POST → the desk's poll sees the alert (banner): median {ms(rows, statistics.median):.0f} ms, "
          f"worst {ms(rows, max):.0f} ms ({len(rows)}/{samples} seen; desk polls every {WATCH_INTERVAL:.1f} s; target ≤ 1000 ms) — "
          f"{'OK' if rows and len(rows) == samples and max(rows) <= 1 else 'OVER TARGET'}")
    print(f"POST → the desk's poll sees its level-1 terminal page: median {ms(pages, statistics.median):.0f} ms, "
          f"worst {ms(pages, max):.0f} ms ({len(pages)}/{samples} seen; target ≤ 1000 ms) — "
          f"{'OK' if pages and len(pages) == samples and max(pages) <= 1 else 'OVER TARGET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    throughput(args.posts, args.clients, args.batch)
    latency(args.samples)


if __name__ == "__main__":
    main()
