"""Verify one seq range of the audit chain (stdlib only, so it starts fast in a subprocess).

    python -m watchdesk.store.verify_range DB LO HI   -> one JSON line

Checks, for every row with LO <= seq <= HI: seq contiguity, the row's hash over its stored
prev_hash and body, and that each prev_hash is the hash of the row before it (inside the
range). The caller checks the links between ranges. Rows up to HI never change (the log
is append-only), so ranges read in different snapshots still see one chain.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from collections.abc import Iterable

from watchdesk.core.audit import DOMAIN


def check_range(path: str, lo: int, hi: int) -> dict[str, object]:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    except sqlite3.DatabaseError as exc:
        return {"bad": lo, "why": "damaged", "detail": " ".join(str(exc).split())}
    conn.text_factory = bytes
    try:
        rows = conn.execute("SELECT seq, body, prev_hash, hash FROM event WHERE seq BETWEEN ? AND ? ORDER BY seq", (lo, hi))
        return check_rows(rows, lo, hi)
    except sqlite3.DatabaseError as exc:
        return {"bad": lo, "why": "damaged", "detail": " ".join(str(exc).split())}
    except _Unreadable as exc:  # a page SQLite cannot read: a failure at the first seq not yet checked
        return {"bad": exc.seq, "why": "damaged", "detail": " ".join(str(exc.__cause__).split())}
    finally:
        conn.close()


class _Unreadable(Exception):
    def __init__(self, seq: int) -> None:
        super().__init__(seq)
        self.seq = seq


def check_rows(rows: Iterable[tuple[int, bytes | str, bytes, bytes]], lo: int, hi: int) -> dict[str, object]:
    """The check of `check_range` over (seq, body, prev_hash, hash) rows in seq order, from any
    driver (a text body is hashed as its UTF-8, which is what was stored)."""
    sha = hashlib.sha256
    expected, first_prev, prev = lo, None, None
    try:
        for seq, body, prev_hash, digest in rows:
            if isinstance(body, str):
                body = body.encode("utf-8")
            if seq != expected:
                return {"bad": expected, "why": "gap"}
            if prev is None:
                first_prev = prev_hash
            elif prev_hash != prev:
                return {"bad": seq, "why": "link"}
            if sha(b"%b%d;%b%b" % (DOMAIN, seq, prev_hash, body)).digest() != digest:
                return {"bad": seq, "why": "hash"}
            prev, expected = digest, expected + 1
    except sqlite3.DatabaseError as exc:
        raise _Unreadable(expected) from exc
    if expected != hi + 1:
        return {"bad": expected, "why": "gap"}
    return {"bad": None, "first_prev": (first_prev or b"").hex(), "last": (prev or b"").hex()}


if __name__ == "__main__":
    print(json.dumps(check_range(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
