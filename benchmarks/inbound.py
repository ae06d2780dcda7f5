"""Inbound figures: alerts accepted per second, and POST → the desk's banner seeing it.

    python benchmarks/inbound.py [--posts 1000] [--clients 8] [--batch 50] [--samples 40] [--postgres auto|URL]

1. Alerts accepted per second by the listener (aiohttp, writes in threads on one database):
   --posts generic posts from --clients concurrent clients (one alert each), then Alertmanager
   posts carrying --batch alerts each.
2. POST → banner, with `serve`'s engine running beside the listener (nudged by each post, it
   pages the level-1 officer on the terminal channel) and a desk's change poll reading exactly
   what the desk's banner reads: the change watcher every WATCH_INTERVAL (the desk's own 0.5 s;
   PRAGMA data_version / change_mark on SQLite, LISTEN/NOTIFY on PostgreSQL), then the alert
   rows newer than the last seen (`alerts_after`, as services.desk_state.news_since reads them)
   and the terminal pages (`terminal_messages_since`). Measured from the start of the POST to the
   poll that sees the alert row, and to the poll that sees its terminal page (target ≤ 1 s, worst case).
With --postgres (`auto`: a throwaway cluster, benchmarks/backends.py; a URL: a server where the
role may create databases) both parts run on PostgreSQL too, each on a fresh database, and the
figures are printed side by side, with a baseline measured in the same run on each backend:
alerts raised per second by `raise_alert` called directly, one write transaction each, no HTTP.
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

from backends import Figures, add_option, backends, fresh  # noqa: E402 - the script folder is on sys.path
from watchdesk.clock import SystemClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.engine import serve  # noqa: E402
from watchdesk.inbound.access import inbound_plan  # noqa: E402
from watchdesk.inbound.server import Background, InboundServer  # noqa: E402
from watchdesk.notify.outbox import terminal_messages_since  # noqa: E402
from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in  # noqa: E402
from watchdesk.services.runtime import Runtime, open_runtime  # noqa: E402
from watchdesk.store.models import Shift  # noqa: E402
from watchdesk.services.alert_factory import raise_alert  # noqa: E402
from watchdesk.services.desk_state import NEW_ALERTS_SEEN, change_watcher  # noqa: E402
from watchdesk.store.queries.desk import alerts_after  # noqa: E402

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


def _runtime(url: str) -> Runtime:
    rt = open_runtime(parse_config(CONFIG), db_path=url, clock=SystemClock())
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


def direct(url: str, count: int) -> float:
    """Alerts per second raised by raise_alert itself, one write transaction each: the listener's floor."""
    rt = _runtime(url)
    t = time.perf_counter()
    for n in range(count):
        with rt.db.write() as session:
            raise_alert(session, rt.now(), source_key="uptime", dedup_key=f"direct-{n}", title=f"Uptime: site {n} down")
    rate = count / (time.perf_counter() - t)
    rt.db.dispose()
    return rate


def throughput(url: str, posts: int, clients: int, batch: int) -> dict[str, float]:
    rt = _runtime(url)
    plan = inbound_plan(rt.config.inbound, "bench", ENV)
    assert plan is not None
    background = Background(InboundServer(rt, plan))
    base = background.start()
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "c"):
            local.c = httpx.Client(timeout=60)
        return local.c

    def generic(n: int) -> int:
        r = client().post(base + "/api/v1/alerts", json={"title": f"Uptime: site {n} down", "severity": "high",
                                                         "dedup_key": f"site-{n}", "checker": "kuma"},
                          headers={"Authorization": f"Bearer {TOKEN}-g"})
        return len(r.json()["created"]) if r.status_code == 200 else 0

    def am(n: int) -> int:
        r = client().post(base + "/api/v1/alertmanager", json=_am(n, batch, "t"), headers={"Authorization": f"Bearer {TOKEN}"})
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
    return {"made": made, "single": single, "made_batched": made_batched, "batched": batched}


def latency(url: str, samples: int) -> dict[str, list[float]]:
    logging.basicConfig(level=logging.WARNING)
    rt = _runtime(url)
    plan = inbound_plan(rt.config.inbound, "bench", ENV)
    assert plan is not None
    stop, wake = threading.Event(), threading.Event()
    server = InboundServer(rt, plan, on_new=wake.set)
    background = Background(server)
    base = background.start()
    engine = threading.Thread(target=serve, args=(rt, stop, timedelta(seconds=5)), kwargs={"wake": wake}, daemon=True)
    engine.start()
    seen_row: dict[int, float] = {}
    seen_page: dict[int, float] = {}
    desk_stop = threading.Event()

    def desk() -> None:
        """The desk's change poll: the mark every WATCH_INTERVAL, re-armed when the poll ends."""
        watcher = change_watcher(rt)
        last_version, max_id, last_page = None, 0, 0
        while not desk_stop.is_set():
            version = watcher.version()
            if version != last_version:
                last_version = version
                now = time.perf_counter()
                with rt.db.read() as session:
                    fresh = [a.id for a in alerts_after(session, max_id, NEW_ALERTS_SEEN)]
                for alert_id in fresh:
                    seen_row.setdefault(alert_id, now)
                    max_id = max(max_id, alert_id)
                pages = terminal_messages_since(rt, last_page)
                for p in pages:
                    if p.alert_id:
                        seen_page.setdefault(p.alert_id, now)
                if pages:
                    last_page = pages[-1].id
            desk_stop.wait(WATCH_INTERVAL)
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
                r = client.post(base + "/api/v1/alertmanager", json=_am(n, 1, uuid.uuid4().hex),
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
    return {"answered": answered, "rows": rows, "pages": pages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--samples", type=int, default=40)
    add_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, backends(Path(tmp), args.postgres, "inbound") as urls:
        figs = Figures([name for name, _url in urls])
        results: dict[str, dict] = {}
        for name, url in urls:
            results[name] = throughput(fresh(url, "throughput"), args.posts, args.clients, args.batch)
            if figs.several:
                results[name]["direct"] = direct(fresh(url, "direct"), min(args.posts, 500))
            results[name].update(latency(fresh(url, "latency"), args.samples))
    cells = lambda fn: {n: fn(r) for n, r in results.items()}  # noqa: E731
    ms = lambda xs, f: f(xs) * 1000 if xs else float("nan")  # noqa: E731
    met = lambda xs: "OK" if xs and len(xs) == args.samples and max(xs) <= 1 else "OVER TARGET"  # noqa: E731
    clients, batch, samples = args.clients, args.batch, args.samples
    if figs.several:
        figs.add("raise_alert directly, one write transaction each (baseline)", cells(lambda r: f"{r['direct']:,.0f} alerts/s"), "no HTTP, one thread")
        figs.add(f"generic posts, one alert each, {clients} clients",
                 cells(lambda r: f"{r['made'] / r['single']:,.0f} alerts/s {r['made'] / r['single'] / r['direct']:4.2f}x direct"),
                 "(" + ", ".join(f"{n}: {r['made']:,} alerts" for n, r in results.items()) + ")")
        figs.add(f"Alertmanager posts of {batch} alerts, {clients} clients",
                 cells(lambda r: f"{r['made_batched'] / r['batched']:,.0f} alerts/s {r['made_batched'] / r['batched'] / r['direct']:4.2f}x direct"),
                 "(" + ", ".join(f"{n}: {r['made_batched']:,} alerts" for n, r in results.items()) + ")")
        figs.add("POST answered: median / worst", cells(lambda r: f"{ms(r['answered'], statistics.median):.0f} / {ms(r['answered'], max):.0f} ms"),
                 f"{samples} posts")
        for key, what in (("rows", "the alert (banner)"), ("pages", "its level-1 terminal page")):
            figs.add(f"POST → the desk's poll sees {what}: median / worst",
                     cells(lambda r, key=key: f"{ms(r[key], statistics.median):.0f} / {ms(r[key], max):.0f} ms "
                                              f"({len(r[key])}/{samples}) {met(r[key])}"),
                     f"desk polls every {WATCH_INTERVAL:.1f} s; target ≤ 1000 ms")
    else:
        figs.add(f"generic posts, one alert each, {clients} clients: ",
                 cells(lambda r: f"{r['made']:,} alerts in {r['single']:.2f} s = {r['made'] / r['single']:,.0f} alerts/s "
                                 f"({args.posts / r['single']:,.0f} posts/s)"))
        figs.add(f"Alertmanager posts of {batch} alerts, {clients} clients: ",
                 cells(lambda r: f"{r['made_batched']:,} alerts in {r['batched']:.2f} s = {r['made_batched'] / r['batched']:,.0f} alerts/s"))
        figs.add("POST answered: ", cells(lambda r: f"median {ms(r['answered'], statistics.median):.0f} ms, worst {ms(r['answered'], max):.0f} ms "
                                                   f"over {samples} posts"))
        figs.add("POST → the desk's poll sees the alert (banner): ",
                 cells(lambda r: f"median {ms(r['rows'], statistics.median):.0f} ms, worst {ms(r['rows'], max):.0f} ms "
                                 f"({len(r['rows'])}/{samples} seen; desk polls every {WATCH_INTERVAL:.1f} s; target ≤ 1000 ms) — {met(r['rows'])}"))
        figs.add("POST → the desk's poll sees its level-1 terminal page: ",
                 cells(lambda r: f"median {ms(r['pages'], statistics.median):.0f} ms, worst {ms(r['pages'], max):.0f} ms "
                                 f"({len(r['pages'])}/{samples} seen; target ≤ 1000 ms) — {met(r['pages'])}"))
    figs.print()


if __name__ == "__main__":
    main()
