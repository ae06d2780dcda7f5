"""A separate process that appends audit events: `python -m tests.support.appender DB N TAG`.

DB is a SQLite file's path or a database URL (postgresql://…).

Used by the concurrency and crash tests; each event is its own write transaction, as a
service call's would be.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from watchdesk.store.audit import append_event
from watchdesk.store.db import Database


def main() -> None:
    path, count, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    db = Database(path if "://" in path else f"sqlite:///{path}", busy_timeout=60)
    print("ready", flush=True)
    at = datetime(2026, 2, 17, tzinfo=timezone.utc)
    for i in range(count):
        with db.write() as session:
            append_event(session, at, tag, "test.append", "writer", tag, {"i": i, "tag": tag})
    print("done", flush=True)


if __name__ == "__main__":
    main()
