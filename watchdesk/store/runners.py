"""Runners (engines alive against this database), the job leases and the claims they hold.

Each engine heartbeats its `runner` row every couple of seconds. A claim on an outbox row or a
source names the runner that took it and lasts as long as that runner heartbeats, however long
its send or poll takes; once the heartbeat is older than `STALE_AFTER` (the process died, or
closed while a send was still out) another engine takes the claim over. A duplicate rather
than a miss. Claims without a runner (a one-off CLI poll) keep their time lease.

Job leases (GoAlert's processing lock): each engine job in `JOBS` is done by one runner at a
time, the one its `engine_lease` row names. A lease lasts exactly as long as a claim does: while
its runner heartbeats. `take_leases` is a compare-and-set in the caller's write transaction (the
one that heartbeats): it takes every job whose row is missing, names this runner already, or
names a runner whose heartbeat is older than STALE_AFTER (or gone), and leaves the others alone.
So a standby engine, ticking every second, takes the jobs of a dead one at most STALE_AFTER +
HEARTBEAT_EVERY + one tick after its last sign of life (13 s), and `forget` frees them at once
when an engine closes. The same SQL on SQLite and PostgreSQL; writes are serialised on both (BEGIN
IMMEDIATE, the write lock), so two engines never both win a job. The per-row claims stay the
second line: an engine that lost a job mid-tick (its heartbeat went stale while it was stopped)
can at worst start one step the other already took, and that step's compare-and-set refuses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, text
from sqlmodel import Session

from watchdesk.store.types import from_db_text, to_db_text

STALE_AFTER = timedelta(seconds=10)
"""A runner whose heartbeat is older than this is taken for dead and its claims are taken over."""

HEARTBEAT_EVERY = 2.0
"""Seconds (real time) between heartbeats of a running engine: well inside STALE_AFTER."""

JOBS = ("poll", "escalate", "deliver", "checks")
"""The engine's jobs, each done by one engine at a time (`engine_lease`)."""

_HEARTBEAT = text(
    "INSERT INTO runner (id, kind, started_at, heartbeat_at) VALUES (:id, :kind, :started_at, :now) "
    "ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, kind = excluded.kind"
)
_FORGET = text("DELETE FROM runner WHERE id = :id")
_RELEASE = text("DELETE FROM engine_lease WHERE held_by = :id")
_LIVE_RUNNER = "EXISTS (SELECT 1 FROM runner WHERE runner.id = engine_lease.held_by AND runner.heartbeat_at >= :stale)"
# Insert the job's row, or move it to this runner when its holder is not alive (compare-and-set:
# a row another live runner holds is left as it is). Upsert with a WHERE: SQLite 3.24+, PostgreSQL 9.5+.
_TAKE = text(
    "INSERT INTO engine_lease (job, held_by, taken_at) VALUES (:job, :id, :now) "
    "ON CONFLICT(job) DO UPDATE SET held_by = excluded.held_by, taken_at = excluded.taken_at "
    f"WHERE engine_lease.held_by != excluded.held_by AND NOT {_LIVE_RUNNER}"
)
_HOLDER = text("SELECT held_by FROM engine_lease WHERE job = :job")
_LEASES = text(f"SELECT job, held_by, taken_at, {_LIVE_RUNNER} FROM engine_lease")
_LIVE = text("SELECT id FROM runner WHERE heartbeat_at >= :stale")


def heartbeat(session: Session, runner_id: str, kind: str, started_at: datetime, now: datetime) -> None:
    """Insert or refresh a runner's row (in the caller's write transaction)."""
    session.connection().execute(
        _HEARTBEAT, {"id": runner_id, "kind": kind, "started_at": to_db_text(started_at), "now": to_db_text(now)})


def forget(session: Session, runner_id: str) -> None:
    """Drop a runner's row and its job leases: its claims and jobs become free at once (a closing engine)."""
    session.connection().execute(_RELEASE, {"id": runner_id})
    session.connection().execute(_FORGET, {"id": runner_id})


@dataclass(frozen=True)
class Lease:
    """Who does one job: the runner its row names, since when, and whether that runner is alive."""

    job: str
    held_by: str
    taken_at: datetime | None
    alive: bool


def take_leases(session: Session, runner_id: str, now: datetime, jobs: Iterable[str] = JOBS) -> dict[str, Lease]:
    """Take every job of `jobs` no live runner other than `runner_id` holds (in the caller's write
    transaction, after this runner's heartbeat); returns the lease of every job after it, keyed by job."""
    conn = session.connection()
    stamp, stale = to_db_text(now), to_db_text(now - STALE_AFTER)
    conn.execute(_TAKE, [{"job": job, "id": runner_id, "now": stamp, "stale": stale} for job in jobs])
    return leases(session, now)


def holder(session: Session, job: str) -> str | None:
    """The runner `job`'s row names (alive or not), None when nobody took it yet."""
    row = session.connection().execute(_HOLDER, {"job": job}).first()
    return row[0] if row else None


def leases(session: Session, now: datetime) -> dict[str, Lease]:
    """Every job's lease as it stands at `now` (alive: its runner heartbeated within STALE_AFTER)."""
    rows = session.connection().execute(_LEASES, {"stale": to_db_text(now - STALE_AFTER)}).all()
    return {r[0]: Lease(r[0], r[1], from_db_text(r[2]), bool(r[3])) for r in rows}


def live_runners(conn: Connection, now: datetime) -> set[str]:
    """Ids of the runners that heartbeated within STALE_AFTER of `now`."""
    return {r[0] for r in conn.execute(_LIVE, {"stale": to_db_text(now - STALE_AFTER)}).all()}


def takeable(table: str) -> str:
    """SQL condition (named binds :now and :stale, from `takeable_args`) true when a row of `table`
    is not held by a live claim: the one copy of the free-claim rule.

    A named claim holds while its runner heartbeats; an unnamed one until its `claimed_until`."""
    return (
        f"(({table}.claimed_by = '' AND ({table}.claimed_until IS NULL OR {table}.claimed_until <= :now)) "
        f"OR ({table}.claimed_by != '' AND NOT EXISTS (SELECT 1 FROM runner WHERE runner.id = {table}.claimed_by "
        "AND runner.heartbeat_at >= :stale)))"
    )


def takeable_args(now: datetime) -> dict[str, str]:
    """The binds of `takeable` at `now`."""
    return {"now": to_db_text(now), "stale": to_db_text(now - STALE_AFTER)}
