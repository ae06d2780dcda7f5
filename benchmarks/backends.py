"""The databases a benchmark runs on, side by side: a SQLite file and, when asked, PostgreSQL.

`--postgres auto` starts a throwaway cluster the way the tests do (tests/support/postgres.py:
initdb + pg_ctl on a free loopback port, removed afterwards); `--postgres URL` uses a server of
yours (each run creates and drops its own database there only for `auto`: give an empty one).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--postgres", default="", metavar="auto|URL",
                        help="run on PostgreSQL too: 'auto' starts a throwaway cluster, or an empty database's URL")


@contextmanager
def backends(folder: Path, postgres: str, name: str = "bench") -> Iterator[list[tuple[str, str]]]:
    """[(backend, url)]: SQLite first, then PostgreSQL when `postgres` is set."""
    urls = [("sqlite", f"sqlite:///{folder / (name + '.db')}")]
    if not postgres:
        yield urls
        return
    if postgres != "auto":
        yield urls + [("postgresql", postgres)]
        return
    from tests.support.postgres import start_cluster, unavailable_reason

    reason = unavailable_reason()
    if reason:
        raise SystemExit(f"--postgres auto: {reason}")
    cluster = start_cluster()
    try:
        database = cluster.create_database()
        yield urls + [("postgresql", cluster.url(database))]
    finally:
        cluster.stop()
