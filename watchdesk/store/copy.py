"""Moving a desk: copy a whole history into an empty database, the audit chain checked on both sides.

The rows are copied as stored (ids, hashes and the time text included), table by table in
foreign-key order, in one write transaction on the target: a copy that fails leaves the target
as empty as it was. Columns the database computes (the event's fields read from its body) are
left to the target to compute. Runner heartbeats are not history and are not copied: claims
named by an engine of the old database are free on the new one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Insert, Table, func, insert, select, text
from sqlmodel import SQLModel

from watchdesk.store import audit, models  # noqa: F401 - models registers the tables on the metadata
from watchdesk.store.db import Database, DatabaseError
from watchdesk.store.migrations import LATEST
from watchdesk.store.runners import live_runners

SKIPPED = frozenset({"runner", "change_mark", "schema_version"})
"""Not history: live heartbeats, the change counter and the schema mark (the target keeps its own)."""

BATCH = 2000


@dataclass(frozen=True)
class CopyDone:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    events: int = 0
    head_hash: str = ""
    seconds: float = 0.0


def copied_tables() -> list[Table]:
    """The tables of a desk's history, parents before children."""
    return [t for t in SQLModel.metadata.sorted_tables if t.name not in SKIPPED]


def _stored_columns(table: Table) -> list:
    return [c for c in table.columns if c.computed is None]


def _counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        conn = session.connection()
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in copied_tables()}


def _batches(db: Database, table: Table) -> Iterator[list[dict]]:
    columns = _stored_columns(table)
    order = list(table.primary_key.columns)
    with db.read() as session:
        result = session.connection().execution_options(stream_results=True).execute(select(*columns).order_by(*order))
        while rows := result.fetchmany(BATCH):
            yield [dict(r._mapping) for r in rows]


def _insert(conn: Connection, table: Table, stmt: Insert, rows: list[dict]) -> None:
    if conn.dialect.name != "postgresql":
        conn.execute(stmt, rows)  # sqlite3's executemany: one prepared statement, the fastest way in
        return
    # PostgreSQL: COPY, one statement a batch (psycopg's executemany is a statement a row, and
    # each would fire the change-mark trigger). Values go through each column's own bind
    # processing first (aware times to their stored text), as an INSERT would send them.
    columns = _stored_columns(table)
    process = [c.type.bind_processor(conn.dialect) for c in columns]
    names = ", ".join(conn.dialect.identifier_preparer.quote(c.name) for c in columns)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {conn.dialect.identifier_preparer.quote(table.name)} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([f(row[c.name]) if f else row[c.name] for c, f in zip(columns, process)])


def _advance_sequences(conn: Connection) -> None:
    """Rows came with their ids: move each id sequence past them, or the next insert would collide.

    SQLite's AUTOINCREMENT counter follows explicit ids by itself; PostgreSQL's sequences do not."""
    if conn.dialect.name != "postgresql":
        return
    for table in copied_tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and column.type.python_type is int):
                conn.execute(
                    text("SELECT setval(pg_get_serial_sequence(:t, :c), (SELECT COALESCE(MAX(" + column.name + "), 0) + 1 FROM "
                         + table.name + "), false) WHERE pg_get_serial_sequence(:t, :c) IS NOT NULL"),
                    {"t": table.name, "c": column.name},
                )


def copy_database(source: Database, target: Database, now: datetime, *,
                  progress: Callable[[str, int], None] | None = None) -> CopyDone:
    """Copy every row of `source` into the empty `target`; raise DatabaseError (one sentence) when refused."""
    started = time.perf_counter()
    src, dst = source.where, target.where  # its file, or its URL without the password
    version = source.schema_version()
    if version != LATEST:
        raise DatabaseError(
            f"{src} is at schema {version}, not {LATEST}: run 'watchdesk --db {src} db upgrade' first, then copy."
        )
    with source.read() as session:
        alive = live_runners(session.connection(), now)
    if alive:
        raise DatabaseError(
            f"{src}: an engine or desk is running on it ({', '.join(sorted(alive))}); stop it, then copy, "
            "so that nothing is written while the history moves."
        )
    chain = audit.verify(source)
    if not chain.ok:
        raise DatabaseError(f"{src}: the audit chain does not hold, nothing was copied: {chain.sentence()}")
    held = {name: n for name, n in _counts(target).items() if n}
    if held:
        what = ", ".join(f"{n} {name}" for name, n in sorted(held.items()))
        raise DatabaseError(f"{dst} is not empty ({what}): db copy only fills an empty database; give a new one.")
    copied: dict[str, int] = {}
    with target.write() as session:
        conn = session.connection()
        for table in copied_tables():
            stmt = insert(table)
            n = 0
            for rows in _batches(source, table):
                _insert(conn, table, stmt, rows)
                n += len(rows)
                if progress is not None:
                    progress(table.name, n)
            copied[table.name] = n
        _advance_sequences(conn)
    # The target's own check, by its own reading: the same head, the same number of events.
    again = audit.verify(target, checkpoint=None)
    if not again.ok or again.head != chain.head:
        raise DatabaseError(
            f"{dst}: the copied audit chain does not match the source's ({again.sentence()}); "
            "drop the target and copy again."
        )
    if _counts(target) != {t.name: copied[t.name] for t in copied_tables()}:
        raise DatabaseError(f"{dst}: the row counts differ from what was copied; drop the target and copy again.")
    return CopyDone(rows=copied, events=chain.count, head_hash=chain.head.hash if chain.head else "",
                    seconds=time.perf_counter() - started)
