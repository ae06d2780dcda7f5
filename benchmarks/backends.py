"""The databases a benchmark runs on, side by side: a SQLite file and, when asked, PostgreSQL.

`--postgres auto` starts a throwaway cluster the way the tests do (tests/support/postgres.py:
initdb + pg_ctl on a free loopback port, removed afterwards); `--postgres URL` uses an empty
database of yours, and leaves what the benchmark wrote there. A benchmark that wants a fresh database per run asks `fresh(url, tag)`: a sibling file on SQLite,
a new database on the same PostgreSQL server (with a URL of yours its role needs CREATEDB; the
databases made are dropped when `backends()` ends).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--postgres", default="", metavar="auto|URL",
                        help="run on PostgreSQL too: 'auto' starts a throwaway cluster, or an empty database's URL")


_made: list[tuple[str, str]] = []  # (server URL, database) made by fresh(), dropped when backends() ends


def _admin(url: str, *statements: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:  # CREATE/DROP DATABASE run outside a transaction
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]  # names made here, never user text


def fresh(url: str, tag: str) -> str:
    """A new empty database beside `url`'s, named by `tag` (letters, digits, '_')."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return f"sqlite:///{path.with_name(f'{path.stem}-{tag}{path.suffix}')}"
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{parsed.database}_{tag}"
    _admin(url, f'CREATE DATABASE "{name}"')
    _made.append((url, name))
    return parsed.set(database=name).render_as_string(hide_password=False)


@contextmanager
def backends(folder: Path, postgres: str, name: str = "bench") -> Iterator[list[tuple[str, str]]]:
    """[(backend, url)]: SQLite first, then PostgreSQL when `postgres` is set."""
    urls = [("sqlite", f"sqlite:///{folder / (name + '.db')}")]
    if not postgres:
        yield urls
        return
    if postgres != "auto":
        try:
            yield urls + [("postgresql", postgres)]
        finally:
            while _made:
                server, database = _made.pop()
                _admin(server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        return
    from tests.support.postgres import start_cluster, unavailable_reason

    reason = unavailable_reason()
    if reason:
        raise SystemExit(f"--postgres auto: {reason}")
    cluster = start_cluster()
    # Said once, so nobody reads its write figures as a production server's: tests/support/postgres.py
    # runs the throwaway cluster with fsync and synchronous_commit off.
    print(f"PostgreSQL: a throwaway cluster on 127.0.0.1:{cluster.port} (fsync off, synchronous_commit off)", flush=True)
    try:
        database = cluster.create_database()
        yield urls + [("postgresql", cluster.url(database))]
    finally:
        _made.clear()  # the cluster goes with them
        cluster.stop()


def round_trip(db: Any, n: int = 200) -> float:
    """Seconds for one statement (`SELECT 1`) inside an open read transaction, median of n: the floor
    under every statement a benchmark times (a library call on SQLite, a round trip to the server on
    PostgreSQL)."""
    from watchdesk.store.queries.reports import driver_rows

    times = []
    for _ in range(n):
        with db.read() as session:
            driver_rows(session, "SELECT 1", {})  # opens the transaction
            t = time.perf_counter()
            driver_rows(session, "SELECT 1", {})
            times.append(time.perf_counter() - t)
    return statistics.median(times)


class Figures:
    """A benchmark's figure lines, one cell per backend.

    With SQLite alone (no --postgres) each line prints as `label + cell + note`, the benchmark's
    own sentence as it always read; with both backends the labels make one column, each backend's
    cells a right-aligned column under its name, the notes (targets) after them.
    """

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.rows: list[tuple[str, dict[str, str], str]] = []

    @property
    def several(self) -> bool:
        return len(self.names) > 1

    def say(self, backend: str, text: str) -> None:
        """A progress line printed now (named by its backend when there are several)."""
        print(f"{backend}: {text}" if self.several else text, flush=True)

    def add(self, label: str, cells: dict[str, str], note: str = "") -> None:
        self.rows.append((label, cells, note))

    def print(self) -> None:
        if not self.several:
            for label, cells, note in self.rows:
                print(label + cells.get(self.names[0], "–") + note)
            return
        labels = [label.strip().rstrip(":") for label, _c, _n in self.rows]
        width = max(map(len, labels), default=0)
        cols = [max(len(n), *(len(cells.get(n, "–").strip()) for _l, cells, _n in self.rows)) for n in self.names]
        print(" " * width + "".join(f"  {n:>{w}}" for n, w in zip(self.names, cols)))
        for text, (_label, cells, note) in zip(labels, self.rows):
            line = f"{text:<{width}}" + "".join(f"  {cells.get(n, '–').strip():>{w}}" for n, w in zip(self.names, cols))
            print(line + (f"  {note.strip()}" if note.strip() else ""))
