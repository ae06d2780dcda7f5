"""`watchdesk db copy`: a desk's whole history moves into an empty database, the chain checked on both sides."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from watchdesk.cli import cli
from watchdesk.demo.build import build_demo
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.runtime import open_runtime
from watchdesk.store import audit, runners
from watchdesk.store.copy import _stored_columns, copied_tables, copy_database
from watchdesk.store.db import Database, DatabaseError
from watchdesk.store.models import Event


@pytest.fixture
def demo(tmp_path: Path):
    rt, clock = build_demo(tmp_path / "demo")
    yield rt, clock
    rt.db.dispose()


def _rows(db: Database) -> dict[str, list[tuple]]:
    with db.read() as session:
        conn = session.connection()
        return {
            t.name: [tuple(r) for r in conn.execute(select(*_stored_columns(t)).order_by(*t.primary_key.columns))]
            for t in copied_tables()
        }


def test_copy_moves_every_row_and_the_same_chain(demo, db_url: str) -> None:
    """Into a new SQLite file and into an empty PostgreSQL database: the same rows, the same chain."""
    rt, clock = demo
    target = Database(db_url)
    done = copy_database(rt.db, target, clock.now())
    before, after = _rows(rt.db), _rows(target)
    assert before == after
    assert done.rows["alert"] == len(before["alert"]) > 0 and done.rows["event"] == done.events > 0
    assert audit.verify(target, checkpoint=None).head == audit.verify(rt.db, checkpoint=None).head
    # Computed columns are the target's own reading of the same bodies.
    with target.read() as session:
        nulls = session.connection().execute(select(func.count()).where(Event.kind.is_(None))).scalar_one()
    assert nulls == 0
    target.dispose()


def test_the_copied_desk_goes_on_from_where_it_was(demo, db_url: str) -> None:
    """New rows after the copy take new ids and extend the same chain (no collision with copied ids)."""
    rt, clock = demo
    copy_database(rt.db, Database(db_url), clock.now())
    moved = open_runtime(rt.config.model_copy(update={"database": rt.config.database.model_copy(update={"url": db_url, "path": ""})}), clock=clock)
    last = max(r[0] for r in _rows(moved.db)["alert"])
    with moved.db.write() as session:
        new, created = raise_alert(session, clock.now(), source_key="manual", dedup_key="after-the-move", title="After the move")
    assert created and new.id > last
    assert audit.verify(moved.db, checkpoint=None).ok
    moved.db.dispose()


def test_a_target_that_holds_anything_is_refused_and_left_as_it_was(demo, tmp_path: Path) -> None:
    rt, clock = demo
    target = Database(f"sqlite:///{tmp_path / 'moved.db'}")
    copy_database(rt.db, target, clock.now())
    held = _rows(target)
    with pytest.raises(DatabaseError, match=r"moved\.db is not empty \(.*alert.*\): db copy only fills an empty database"):
        copy_database(rt.db, target, clock.now())
    assert _rows(target) == held


def test_a_broken_chain_is_not_copied(demo, tmp_path: Path) -> None:
    rt, clock = demo
    conn = sqlite3.connect(rt.db.path)
    conn.execute("DROP TRIGGER event_no_update")
    conn.execute("UPDATE event SET body = body || ' ' WHERE seq = 3")
    conn.commit()
    conn.close()
    target = Database(f"sqlite:///{tmp_path / 'moved.db'}")
    with pytest.raises(DatabaseError, match="the audit chain does not hold, nothing was copied"):
        copy_database(rt.db, target, clock.now())
    assert all(not rows for rows in _rows(target).values())


def test_a_running_engine_on_the_source_stops_the_copy(demo, tmp_path: Path) -> None:
    rt, clock = demo
    with rt.db.write() as session:
        runners.heartbeat(session, "host:1:serve", "serve", clock.now(), clock.now())
    with pytest.raises(DatabaseError, match=r"an engine or desk is running on it \(host:1:serve\)"):
        copy_database(rt.db, Database(f"sqlite:///{tmp_path / 'moved.db'}"), clock.now())
    # Once its heartbeat is stale (the engine stopped), the copy goes ahead; heartbeats are not copied.
    done = copy_database(rt.db, Database(f"sqlite:///{tmp_path / 'moved2.db'}"), clock.now() + timedelta(minutes=1))
    assert "runner" not in done.rows


def test_cli_copy_says_what_moved_and_refuses_in_one_sentence(demo, tmp_path: Path) -> None:
    rt, _clock = demo
    target = tmp_path / "moved.db"
    runner = CliRunner()
    ok = runner.invoke(cli, ["--lang", "en", "db", "copy", str(rt.db.path), str(target)])
    assert ok.exit_code == 0, ok.output
    assert "audit events" in ok.output and "the chain holds on both sides" in ok.output
    again = runner.invoke(cli, ["--lang", "en", "db", "copy", str(rt.db.path), str(target)])
    assert again.exit_code == 2
    assert again.output.count("\n") == 1 and "is not empty" in again.output
    missing = runner.invoke(cli, ["--lang", "en", "db", "copy", str(tmp_path / "nope.db"), str(tmp_path / "x.db")])
    assert missing.exit_code == 2 and "no such database file" in missing.output


def test_backup_on_postgresql_names_pg_dump(pg_database: str, tmp_path: Path) -> None:
    """The one-step SQLite backup does not apply: the sentence gives the command that does, and it works."""
    import shutil
    import subprocess

    from watchdesk.store.backup import backup

    db = Database(pg_database)
    target = tmp_path / "desk.dump"
    with pytest.raises(DatabaseError) as refused:
        backup(db, target)
    sentence = str(refused.value)
    assert "pg_dump --format=custom --file=" in sentence and "password" not in db.where
    pg_dump = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"
    command = sentence.split("tool, ", 1)[1].split(" (password", 1)[0]
    args = [pg_dump, *__import__("shlex").split(command)[1:]]
    ran = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert target.stat().st_size > 0
    db.dispose()
