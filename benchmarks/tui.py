"""Desk figures on a large history: time to first paint, key press to repaint, memory.

    python benchmarks/tui.py [--db PATH] [--alerts 100000] [--events 1000000] [--runs 5] [--postgres auto|URL]

With --db, uses that database (e.g. one written by benchmarks/make_history.py); else it
builds one here: 100,000 alerts (all but a few hundred resolved) and 1,000,000 audit events
(a valid hash chain). Each figure is measured in fresh processes, headless, at 120×40:

* first paint: from the start of the process (the parent's clock before it spawns the child, so
  interpreter start-up counts) to the desk's first frame, against a bare Textual app (one
  Static) started the same way, interleaved in the same run. The desk starts as `watchdesk`
  does (watchdesk/cli/desk.py: config file read, then validated and the runtime opened by the
  app's worker after its first frame), so that frame is the shell: header, screen names, the Alerts board saying it is
  opening the database, footer. Targets: <= 1.0 s and <= 2x bare. Unlike a person's
  `watchdesk`: headless (run_test), a fixed clock, no sign-in screen over the board, and the
  engine off (it would write to a history database other benchmarks share).
* board rows: from the start of the process to the first frame with the board's rows, the
  same way (database opened, the store imported, alerts read): printed with its ratio to
  bare, no target of its own.
* key press to repaint on the board: cursor down, a search keystroke (reload through a
  worker), a screen switch to the Log (tail of 1,000,000 events). Target: <= 100 ms.
* resident memory once the board is up. Target: <= 250 MB.

With --postgres (`auto`: a throwaway cluster, benchmarks/backends.py; a URL: an empty database)
`db copy` (store/copy.py) moves the history into PostgreSQL too, the desk is started on each
backend (its --db given the URL) in the same interleaved runs as the bare app, and every figure
is printed for both backends side by side, against the bare app of the same runs.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backends import Figures, add_option, backends  # noqa: E402 - the script folder is on sys.path

T_END = datetime(2026, 2, 16, 19, 0, tzinfo=timezone.utc)  # 02:00, first night of Tết 2026 in Hanoi

DRIVER = textwrap.dedent("""
    import time
    import asyncio, json, os, sys
    sys.path.insert(0, {root!r})
    MODE, DB, CONFIG, SPAWNED = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

    def since_spawn():
        # wall-clock seconds since the parent started this process (interpreter start-up included)
        return time.time() - SPAWNED

    async def bare():
        from textual.app import App
        from textual.widgets import Static

        class Bare(App):
            def compose(self):
                yield Static("watchdesk")

        app = Bare()
        frames = []
        first_display = app._display

        painted = asyncio.Event()

        def note_frame(screen, renderable):
            frames.append(since_spawn())
            painted.set()
            return first_display(screen, renderable)

        app._display = note_frame
        async with app.run_test(size=(120, 40)) as pilot:
            await asyncio.wait_for(painted.wait(), 60)
            await pilot.pause()
            import psutil
            rss = psutil.Process().memory_info().rss
        return {{"first_frame": frames[0], "rss": rss}}

    async def desk():
        # As `watchdesk --config CONFIG --db DB` starts it (watchdesk/cli/desk.py): the click
        # group's modules, the config file read, the app built on a DeskOpener; the config is
        # validated and the database opened by the app's worker after the first frame. Not as the CLI: headless at 120x40 (run_test),
        # a fixed clock (02:00 on the history's last day), no sign-in screen over the board, and the
        # engine off (it would write to the shared history database).
        import watchdesk.cli.main  # noqa: F401 - the command's own imports
        from watchdesk.cli.common import State
        from watchdesk.cli.desk import desk_app
        from watchdesk.clock import FakeClock
        from datetime import datetime

        app = desk_app(State(CONFIG, DB), clock=FakeClock(datetime.fromisoformat({end!r})), run_engine=False, watch=True,
                       ask_sign_in=False, blink=False)
        out = {{}}
        frames = []
        first_display = app._display

        # Waited for with an event set by the frame hook: a polling loop here would take the GIL
        # from the worker that opens the database, and slow what it measures.
        painted_rows = asyncio.Event()

        def note_frame(screen, renderable):
            now = since_spawn()
            if not frames:
                out["first_frame"] = now
                out["first_screen"] = type(screen).__name__
                out["store_at_first_frame"] = any(m.startswith(("pydantic", "sqlalchemy", "sqlmodel", "watchdesk.store")) for m in sys.modules.copy())
            if "rows_frame" not in out:
                boards = screen.query("#board")
                if boards and boards.first().row_count:
                    out["rows_frame"] = now
                    painted_rows.set()
            frames.append(now)
            return first_display(screen, renderable)

        app._display = note_frame
        from textual import events

        async with app.run_test(size=(120, 40)) as pilot:
            while not painted_rows.is_set():
                if app.open_failure:
                    raise SystemExit(app.open_failure)
                try:
                    await asyncio.wait_for(painted_rows.wait(), 0.5)
                except asyncio.TimeoutError:
                    pass
            table = app.screen.query_one("#board")
            app._display = first_display
            await pilot.pause(0.3)
            import psutil
            out["rows"] = table.row_count
            out["rss"] = psutil.Process().memory_info().rss
            # Key press to repaint, measured from the key event entering the app to the next
            # frame the app composes (Pilot's own idle waits are not part of the figure).
            painted = []
            original = app._display

            def display(screen, renderable):
                painted.append(time.perf_counter())
                return original(screen, renderable)

            app._display = display

            async def key_to_paint(key, applied=None):
                # seconds from the key event to the first frame painted after applied() (a time) holds
                await pilot.pause()
                painted.clear()
                event = events.Key(key, key if len(key) == 1 else None)
                event.set_sender(app)
                t = time.perf_counter()
                app._driver.send_message(event)
                while True:
                    after = t if applied is None else applied()
                    if after is not None and painted and painted[-1] >= after:
                        return painted[-1] - t
                    await asyncio.sleep(0.0005)

            out["down"] = [await key_to_paint("down") for _ in range(40)]
            board = app.screen
            filled = []
            apply_search = board._apply_search

            def timed_search():
                apply_search()
                filled.append(time.perf_counter())

            board._apply_search = timed_search
            await key_to_paint("slash")
            searches = []
            typed = ""
            for ch in "fortios":
                typed += ch
                searches.append(await key_to_paint(ch, lambda: filled[-1] if filled and board.shown_search == typed else None))
            out["search"] = searches
            await pilot.press("escape")
            t = time.perf_counter()
            await pilot.press("4")
            while not (app.screen.query("#log-table") and app.screen.query_one("#log-table").row_count):
                await pilot.pause(0.001)
            await pilot.pause()
            out["log"] = time.perf_counter() - t
            out["rss_after"] = psutil.Process().memory_info().rss
        app.rt.db.dispose()
        return out

    result = asyncio.run(bare() if MODE == "bare" else desk())
    print(json.dumps(result))
""")


def build_history(path: Path, alerts: int, events: int, open_alerts: int = 300) -> None:
    """A large desk: officers, `alerts` alerts (the newest `open_alerts` still open), `events` events."""
    from sqlalchemy import insert

    from watchdesk.clock import FakeClock
    from watchdesk.config import parse_config
    from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in
    from watchdesk.services.runtime import open_runtime
    from watchdesk.store.audit import append_events_bulk
    from watchdesk.store.models import Alert

    rt = open_runtime(parse_config({}), db_path=str(path), clock=FakeClock(T_END))
    bootstrap_supervisor(rt, "minh", "Nguyễn Văn Minh", "246810")
    boss = sign_in(rt, "minh", "246810")
    for handle, name, role in (("lan", "Trần Thị Lan", "lead"), ("hung", "Lê Văn Hùng", "officer"), ("thu", "Phạm Thị Thu", "officer")):
        add_officer(rt, boss, handle, name, role, pin="246810" if role == "lead" else "")
    rng = random.Random(2026)
    words = ["Lỗ hổng", "nghiêm trọng", "trong", "FortiOS", "Exchange", "Ivanti", "Apache", "OpenSSL", "Cisco", "mã độc",
             "chiến dịch", "APT", "lừa đảo", "botnet", "cảnh báo", "bản vá", "Windows", "Linux", "VMware", "Citrix"]
    severities = ["critical", "high", "medium", "low"]
    span = timedelta(days=365)
    rows = []
    for n in range(alerts):
        received = T_END - span + span * (n / alerts)
        is_open = n >= alerts - open_alerts
        state = "new" if is_open and n % 3 else ("acknowledged" if is_open else "resolved")
        rows.append({
            "source_key": ("khonggianmang", "cisa-kev", "nvd", "irlab")[n % 4], "native_id": f"n{n}", "dedup_key": f"bench:{n}",
            "title": " ".join(rng.sample(words, 7)) + f" #{n}", "summary": " ".join(rng.choices(words, k=40)),
            "severity": severities[n % 4], "received_at": received, "updated_at": received, "state": state,
            "level": 1 + n % 3, "next_escalation_at": (T_END + timedelta(minutes=n % 90)) if is_open else None,
            "acked_by_id": 2 if state != "new" else None, "acked_at": received + timedelta(minutes=4) if state != "new" else None,
            "resolved_by_id": 3 if state == "resolved" else None,
            "resolved_at": received + timedelta(hours=2) if state == "resolved" else None,
            "resolution": "Đã vá" if state == "resolved" else "",
        })
    with rt.db.write() as session:
        for i in range(0, len(rows), 10_000):
            session.execute(insert(Alert), rows[i : i + 10_000])
    rt.db.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    kinds = ("alert.raised", "alert.acknowledged", "notification.sent", "alert.resolved", "alert.noted")
    have = conn.execute("SELECT COUNT(*) FROM event").fetchone()[0]
    step = span / max(events, 1)
    append_events_bulk(conn, (
        (T_END - span + step * i, ("system", "lan", "hung", "thu")[i % 4], kinds[i % 5], "alert", str(1 + (i // 10) % alerts),
         {"level": i % 3 + 1, "text": "Đã kiểm tra"})
        for i in range(max(events - have, 0))
    ))
    conn.execute("COMMIT")
    conn.close()


def counts(url: str) -> tuple[int, int, int]:
    """Alerts, open alerts and events in the database at `url`."""
    from watchdesk.store.db import Database
    from watchdesk.store.queries.reports import driver_rows

    db = Database(url, upgrade=False)
    try:
        with db.read() as session:
            [(n_alerts, n_open)] = driver_rows(session, "SELECT COUNT(*), SUM(CASE WHEN state <> 'resolved' THEN 1 ELSE 0 END) FROM alert", {})
            [(n_events,)] = driver_rows(session, "SELECT MAX(seq) FROM event", {})
    finally:
        db.dispose()
    return n_alerts, n_open, n_events


def copy_into(db: Path, url: str) -> str:
    """`db copy` of the SQLite history into the empty PostgreSQL database at `url`; the sentence to print."""
    from watchdesk.store.copy import copy_database
    from watchdesk.store.db import Database

    source, target = Database(f"sqlite:///{db}", upgrade=False), Database(url)
    try:
        done = copy_database(source, target, T_END + timedelta(days=1))
    finally:
        source.dispose()
        target.dispose()
    return f"db copy into PostgreSQL: {sum(done.rows.values()):,} rows in {done.seconds:.1f} s"


def run(mode: str, db: Path | str, config: Path) -> dict:
    code = DRIVER.format(root=str(ROOT), end=T_END.isoformat())
    spawned = time.time()  # the child measures from here: interpreter start-up is part of every figure
    done = subprocess.run([sys.executable, "-c", code, mode, str(db), str(config), repr(spawned)],
                          capture_output=True, text=True, cwd=str(ROOT), timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an existing large database (e.g. from make_history.py)")
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    add_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="watchdesk-bench-") as folder, backends(Path(folder), args.postgres, "desk") as urls:
        figs = Figures([name for name, _url in urls])
        db = args.db
        if db is None:
            db = Path(folder) / "history.db"
            t = time.perf_counter()
            build_history(db, args.alerts, args.events)
            print(f"built {args.alerts:,} alerts and {args.events:,} events in {time.perf_counter() - t:.1f} s")
        targets: dict[str, Path | str] = {"sqlite": db}
        for name, url in urls[1:]:
            figs.say(name, copy_into(db, url))
            targets[name] = url
        n_alerts, n_open, n_events = counts(f"sqlite:///{db}")
        print(f"database: {n_alerts:,} alerts ({n_open:,} open), {n_events:,} events, {db.stat().st_size / 1e6:.0f} MB")
        for name, url in urls[1:]:
            figs.say(name, "{:,} alerts ({:,} open), {:,} events".format(*counts(url)))
        config = Path(folder) / "watchdesk.toml"
        config.write_text("# the benchmark's config: every default\n", encoding="utf-8")
        bare: list[dict] = []
        desks: dict[str, list[dict]] = {name: [] for name in targets}
        for _ in range(args.runs):  # interleaved, so a busy moment on the machine hits both
            bare.append(run("bare", db, config))
            for name, target in targets.items():
                desks[name].append(run("desk", target, config))
    for name, desk in desks.items():
        for r in desk:
            if r["first_screen"] != "OpeningScreen" or r["store_at_first_frame"]:
                raise SystemExit(f"the desk's first frame ({name}) was {r['first_screen']} with the store imported: "
                                 f"{r['store_at_first_frame']} (pydantic or the store imported); the shell is meant to paint first")
    _print(figs, bare, desks, args.runs, n_alerts, n_events)


def _print(figs: Figures, bare: list[dict], desks: dict[str, list[dict]], runs: int, n_alerts: int, n_events: int) -> None:
    med = statistics.median
    span = lambda key, rs: f"{min(r[key] for r in rs):.3f}-{max(r[key] for r in rs):.3f}"  # noqa: E731
    p95 = lambda xs: sorted(xs)[int(len(xs) * 0.95) - 1]  # noqa: E731
    bare_ff = med(r["first_frame"] for r in bare)
    fig = {}
    for name, desk in desks.items():
        fig[name] = {
            "desk": desk, "rows": desk[0]["rows"],
            "ff": med(r["first_frame"] for r in desk), "rows_frame": med(r["rows_frame"] for r in desk),
            "down": [x for r in desk for x in r["down"]], "search": [x for r in desk for x in r["search"]],
            "log": med(r["log"] for r in desk), "rss": max(max(r["rss"], r["rss_after"]) for r in desk) / 2**20,
            "by_key": [med(r["search"][i] for r in desk) * 1000 for i in range(len(desk[0]["search"]))],
        }
    cells = lambda fn: {n: fn(f) for n, f in fig.items()}  # noqa: E731
    ok_ff = lambda f: "OK" if f["ff"] <= 1.0 and f["ff"] <= 2 * bare_ff else "MISSED"  # noqa: E731
    bare_rss = max(r["rss"] for r in bare) / 2**20
    if figs.several:
        figs.add("board rows loaded", cells(lambda f: f"{f['rows']:,}"), f"open alerts + the latest resolved; never all {n_alerts:,}")
        figs.add(f"times from process start, medians of {runs} interleaved runs", cells(lambda f: ""))
        figs.add("  bare Textual app (one Static), first frame (baseline)", cells(lambda f: f"{bare_ff:.3f} s"), "the same runs for both")
        figs.add("  first paint, desk shell", cells(lambda f: f"{f['ff']:.3f} s {f['ff'] / bare_ff:4.2f}x bare {ok_ff(f)}"),
                 "target <= 1.0 s and <= 2x; store not imported yet")
        figs.add("  board rows on screen", cells(lambda f: f"{f['rows_frame']:.3f} s {f['rows_frame'] / bare_ff:4.2f}x bare"),
                 "database opened in the worker, first page of alerts painted; no target")
        figs.add("key to repaint, cursor down: median / p95",
                 cells(lambda f: f"{med(f['down']) * 1000:.1f} / {p95(f['down']) * 1000:.1f} ms {'OK' if p95(f['down']) <= 0.1 else 'MISSED'}"),
                 "target <= 100 ms")
        figs.add("key to repaint, search keystroke: median / p95",
                 cells(lambda f: f"{med(f['search']) * 1000:.1f} / {p95(f['search']) * 1000:.1f} ms {'OK' if p95(f['search']) <= 0.1 else 'MISSED'}"),
                 "target <= 100 ms; folded match over the loaded rows")
        figs.add(f"key to repaint, '4' to the Log (tail of {n_events:,} events)", cells(lambda f: f"{f['log'] * 1000:.1f} ms"))
        figs.add("resident memory", cells(lambda f: f"{f['rss']:.0f} MB {'OK' if f['rss'] <= 250 else 'MISSED'}"),
                 f"target <= 250 MB; bare app {bare_rss:.0f} MB")
    else:
        figs.add("board rows loaded: ", cells(lambda f: f"{f['rows']:,}"), f" (open alerts + the latest resolved; never all {n_alerts:,})")
        figs.add(f"times from process start (interpreter start-up included), medians of {runs} interleaved runs "
                 "(range in brackets):", cells(lambda f: ""))
        figs.add("  bare Textual app (one Static), first frame: ", cells(lambda f: f"{bare_ff:.3f} s [{span('first_frame', bare)}]"))
        figs.add("  first paint, desk shell (header, screen names, board 'opening the database', footer; store not imported yet): ",
                 cells(lambda f: f"{f['ff']:.3f} s [{span('first_frame', f['desk'])}], {f['ff'] / bare_ff:.2f}x bare "
                                 f"(target <= 1.0 s and <= 2x) {ok_ff(f)}"))
        figs.add("  board rows on screen (database opened in the worker, first page of alerts painted): ",
                 cells(lambda f: f"{f['rows_frame']:.3f} s [{span('rows_frame', f['desk'])}], {f['rows_frame'] / bare_ff:.2f}x bare "
                                 f"(no target; <= 1.0 s would be {'met' if f['rows_frame'] <= 1.0 else 'missed'})"))
        figs.add("key to repaint, cursor down: ",
                 cells(lambda f: f"median {med(f['down']) * 1000:.1f} ms, p95 {p95(f['down']) * 1000:.1f} ms "
                                 f"(target <= 100 ms) {'OK' if p95(f['down']) <= 0.1 else 'MISSED'}"))
        figs.add("key to repaint, search keystroke (folded match over the loaded rows): ",
                 cells(lambda f: f"median {med(f['search']) * 1000:.1f} ms, p95 {p95(f['search']) * 1000:.1f} ms "
                                 f"(target <= 100 ms) {'OK' if p95(f['search']) <= 0.1 else 'MISSED'}"))
        figs.add("  search keystrokes one by one (median ms): ",
                 cells(lambda f: ", ".join(f"{ch} {ms:.0f}" for ch, ms in zip("fortios", f["by_key"]))))
        figs.add(f"key to repaint, '4' to the Log (tail of {n_events:,} events): ", cells(lambda f: f"median {f['log'] * 1000:.1f} ms"))
        figs.add("resident memory: ", cells(lambda f: f"desk {f['rss']:.0f} MB, bare app {bare_rss:.0f} MB "
                                                      f"(target <= 250 MB) {'OK' if f['rss'] <= 250 else 'MISSED'}"))
    figs.print()


if __name__ == "__main__":
    main()
