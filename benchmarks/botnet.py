"""Botnet list figures: a 1,000,000-row CSV and a 100,000-row xlsx matched against 1,000 networks.

    python benchmarks/botnet.py [--rows 1000000] [--xlsx-rows 100000] [--networks 1000] [--runs 3] [--postgres auto|URL]

Prints, in one run:
  1. reading the CSV alone (open + csv.reader over every row), then reading and matching it
     (`watchdesk.feeds.botnet.read_list`: hash, decode, every address checked, ours gathered);
     targets: <= 5 s and <= 3x reading it alone;
  2. the whole `botnet import` of that CSV (read, match, the list stored, one alert per address
     of ours with its audit event, in one write transaction) on a fresh database;
  3. reading the xlsx alone (openpyxl read-only, every row's values), then `read_list` on it;
     target: <= 3x reading it alone.
Medians of --runs runs; each ratio is taken within one run (baseline right before), so a busy
machine shows in both. About 1 row in 1,000 is an address of ours (IPv4 and IPv6).
With --postgres (`auto`: a throwaway cluster, benchmarks/backends.py; a URL: an empty database)
the import (2.) runs on PostgreSQL too and is printed for both backends side by side, with its
ratio to reading and matching the same file (1.'s read_list, this run); 1. and 3. read files
only and are the same on either backend.
"""

from __future__ import annotations

import argparse
import csv
import ipaddress
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backends import Figures, add_option, backends  # noqa: E402 - the script folder is on sys.path
from tests.support.botnet_files import EN_HEADER, VI_HEADER  # noqa: E402
from watchdesk.clock import FakeClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.core.networks import Network, NetworkIndex  # noqa: E402
from watchdesk.core.records import Actor  # noqa: E402
from watchdesk.core.enums import Role  # noqa: E402
from watchdesk.feeds.botnet import read_list  # noqa: E402
from watchdesk.services.botnet import import_list  # noqa: E402
from watchdesk.services.runtime import open_runtime  # noqa: E402

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FAMILIES = ("Mirai", "Mozi", "Emotet", "Gafgyt", "Conficker", "Sality")


def networks(rng: random.Random, n: int) -> list[str]:
    """n/10 IPv6 /48s and the rest IPv4 /24s, all distinct, some nested in a /16 of ours."""
    out: set[str] = set()
    while len(out) < n - n // 10:
        out.add(f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.0/24")
    while len(out) < n:
        out.add(f"2001:db8:{rng.randrange(65536):x}::/48")
    return sorted(out)


def address(rng: random.Random, ours: list[str]) -> str:
    if rng.random() < 0.001:  # one of ours
        net = ipaddress.ip_network(rng.choice(ours))
        return str(net.network_address + rng.randrange(1, 250))
    if rng.random() < 0.05:
        return f"2a0{rng.randrange(10)}:{rng.randrange(65536):x}::{rng.randrange(65536):x}"
    return f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def rows(rng: random.Random, ours: list[str], n: int):  # noqa: ANN201
    for _ in range(n):
        yield (address(rng, ours), f"2026-11-{rng.randrange(1, 31):02d} {rng.randrange(24):02d}:{rng.randrange(60):02d}:00",
               rng.choice((23, 80, 443, 8080, 7547)), rng.choice(FAMILIES), "AS" + str(rng.randrange(1, 60000)))


def make_csv(path: Path, data) -> None:  # noqa: ANN001
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(EN_HEADER)
        writer.writerows(data)


def make_xlsx(path: Path, data) -> None:  # noqa: ANN001
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet("Botnet")
    ws.append(["DANH SÁCH ĐỊA CHỈ IP BOTNET"])
    ws.append(list(VI_HEADER))
    for i, row in enumerate(data, 1):
        ws.append([i, *row])
    book.save(path)


def csv_alone(path: Path) -> float:
    start = time.perf_counter()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for _row in csv.reader(fh):
            pass
    return time.perf_counter() - start


def xlsx_alone(path: Path) -> float:
    from openpyxl import load_workbook

    start = time.perf_counter()
    book = load_workbook(path, read_only=True, data_only=True)
    for _row in book.worksheets[0].iter_rows(values_only=True):
        pass
    book.close()
    return time.perf_counter() - start


def timed(func):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s (range {min(values):.2f}–{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--networks", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    add_option(parser)
    args = parser.parse_args()
    rng = random.Random(14)
    ours = networks(rng, args.networks)
    index = NetworkIndex([Network(c) for c in ours])
    print(f"load average {os.getloadavg()[0]:.2f}; {len(ours)} networks, {args.rows:,} CSV rows, {args.xlsx_rows:,} xlsx rows")
    with tempfile.TemporaryDirectory() as tmp, backends(Path(tmp), args.postgres, "bench") as urls:
        tmpdir = Path(tmp)
        csv_path, xlsx_path = tmpdir / "list.csv", tmpdir / "list.xlsx"
        make_csv(csv_path, rows(rng, ours, args.rows))
        make_xlsx(xlsx_path, rows(rng, ours, args.xlsx_rows))
        print(f"CSV {csv_path.stat().st_size / 1e6:.1f} MB, xlsx {xlsx_path.stat().st_size / 1e6:.1f} MB")

        alone, matched, ratios = [], [], []
        for _ in range(args.runs):
            base = csv_alone(csv_path)
            took, reading = timed(lambda: read_list(csv_path, index, ZONE))
            alone.append(base), matched.append(took), ratios.append(took / base)
        print(f"1. CSV read alone (csv.reader):          {fmt(alone)}")
        print(f"   CSV read and matched (read_list):     {fmt(matched)}; {reading.rows:,} rows, "
              f"{len(reading.sightings)} addresses of ours  [target <= 5 s]")
        print(f"   ratio read_list / csv.reader:         {statistics.median(ratios):.2f}x  [target <= 3x]")

        read_match = statistics.median(matched)
        config = parse_config({"watch": {"networks": ours}})
        actor = Actor(handle="minh", role=Role.SUPERVISOR, officer_id=None, full_name="Minh", proof="bench")
        figs = Figures([name for name, _url in urls])
        stored: dict[str, tuple[float, float, int, int]] = {}
        for name, url in urls:
            rt = open_runtime(config, db_path=url, clock=FakeClock("2026-12-01T09:00:00+07:00"))
            took, report = timed(lambda: import_list(rt, actor, csv_path, "2026-11"))
            again, _r = timed(lambda: import_list(rt, actor, csv_path, "2026-11"))
            stored[name] = (took, again, report.matched, len(report.raised))
            rt.db.dispose()
        cells = lambda fn: {n: fn(*r) for n, r in stored.items()}  # noqa: E731
        if figs.several:
            figs.add("2. botnet import of the CSV (stored)", cells(lambda took, _a, _m, _r: f"{took:.2f} s {took / read_match:4.2f}x read_list"),
                     "read, match, store: one alert per address of ours in one write transaction")
            figs.add("   addresses of ours, alerts raised", cells(lambda _t, _a, matched, raised: f"{matched}, {raised}"))
            figs.add("   the same file again (nothing changes)", cells(lambda _t, again, _m, _r: f"{again:.2f} s {again / read_match:4.2f}x read_list"))
            figs.add("   (read_list alone, 1.'s median)", cells(lambda *_r: f"{read_match:.2f} s"))
        else:
            figs.add("2. botnet import of the CSV (stored):    ",
                     cells(lambda took, _a, matched, raised: f"{took:.2f} s; {matched} addresses of ours, {raised} alerts raised in one write transaction"))
            figs.add("   the same file again (nothing changes): ", cells(lambda _t, again, _m, _r: f"{again:.2f} s"))
        figs.print()

        alone, matched, ratios = [], [], []
        for _ in range(args.runs):
            base = xlsx_alone(xlsx_path)
            took, reading = timed(lambda: read_list(xlsx_path, index, ZONE))
            alone.append(base), matched.append(took), ratios.append(took / base)
        print(f"3. xlsx read alone (openpyxl read-only): {fmt(alone)}")
        print(f"   xlsx read and matched (read_list):    {fmt(matched)}; {reading.rows:,} rows, "
              f"{len(reading.sightings)} addresses of ours")
        print(f"   ratio read_list / openpyxl:           {statistics.median(ratios):.2f}x  [target <= 3x]")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
