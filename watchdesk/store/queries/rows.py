"""Many rows written by one statement, in order: SQLite's executemany, PostgreSQL's INSERT ... SELECT
over `unnest` of one array per column.

On PostgreSQL every statement costs the server its own execution and its statement-level triggers
(the change mark), even pipelined in one executemany: one INSERT of 100 rows takes about half the
server time of 100 INSERTs. Arrays keep that statement short and the same for any number of rows,
so psycopg parses it once (a `VALUES (...), (...)` list with a bind per value is parsed again on
every call, which cost the client more than the server saved). SQLite runs in-process, where
executemany's one prepared statement is as cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, text

from watchdesk.store.db import Session


@lru_cache(maxsize=32)
def _one_row(head: str, names: tuple[str, ...], tail: str) -> TextClause:
    return text(f"{head} ({', '.join(names)}) VALUES ({', '.join(f':{c}' for c in names)}){tail}")


@lru_cache(maxsize=32)
def _arrays(head: str, columns: tuple[tuple[str, str], ...], tail: str) -> TextClause:
    names = ", ".join(c for c, _t in columns)
    arrays = ", ".join(f"CAST(:{c} AS {t}[])" for c, t in columns)
    # WITH ORDINALITY and ORDER BY: the rows go in (and take their ids) in the order given.
    return text(f"{head} ({names}) SELECT {names} FROM unnest({arrays}) WITH ORDINALITY AS u({names}, n) ORDER BY n{tail}")


def insert_rows(session: Session, head: str, columns: Sequence[tuple[str, str]], rows: Sequence[Mapping[str, Any]],
                tail: str = "") -> None:
    """`head (columns) VALUES (...)tail` for every row, in order, as one statement. `columns` are
    (name, PostgreSQL type) pairs; each row maps every column name to its value."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        conn.execute(_one_row(head, tuple(c for c, _t in columns), tail), list(rows))
        return
    conn.execute(_arrays(head, tuple(columns), tail), {c: [r[c] for r in rows] for c, _t in columns})
