"""The report's figures held against the audit chain.

The acknowledgment report computes its figures from the alert columns (received_at,
first_acked_at, acked_at, resolved_at, and the durations ack_us, resolve_us, snoozed_us), which a
hand edit can change without touching the chain. Each acknowledgment and resolution is also an
event whose body the chain seals (its `at`, and for the first acknowledgment the received time and
snoozed time it was counted with). This check reads those events for the window's alerts and names
every alert whose columns say otherwise: the durations must be what the chained times make them
(ack_us = first acknowledgment − received_at − snoozed_us, resolve_us = resolution − received_at).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from watchdesk.store.queries.reports import driver_rows, first_raised_seq
from watchdesk.store.types import micros

ACK_KIND = "alert.acknowledged"  # payload: first, received_at, snoozed_seconds
RESOLVE_KINDS = ("alert.resolved", "alert.cleared")  # events that set resolved_at (payload: implicit_ack); add any new one here
_TOLERANCE_US = 2000  # event payloads round seconds to the millisecond

# (seq, alert id, kind, at, flag, snoozed_seconds, received_at) of the acknowledgments and resolutions
# from seq :first on; flag: `first` of an acknowledgment, `implicit_ack` of a resolution (true or not);
# the payload fields only of the events that count as a first acknowledgment.
_EVENTS = {
    # SQLite-only: json_extract parses the body again for each field (SQLite < 3.45 keeps no parse), so
    # the payload fields are read only where they count.
    "sqlite": "SELECT seq, CAST(subject_id AS INTEGER), kind, at, f, "
              "CASE WHEN f AND kind = :ack THEN json_extract(body, '$.data.snoozed_seconds') END, "
              "CASE WHEN f AND kind = :ack THEN json_extract(body, '$.data.received_at') END "
              "FROM (SELECT seq, subject_id, kind, body, json_extract(body, '$.at') AS at, CASE kind WHEN :ack "
              "THEN json_extract(body, '$.data.first') ELSE json_extract(body, '$.data.implicit_ack') END AS f "
              "FROM event WHERE kind IN (:ack, {resolve}) AND subject_type = 'alert' AND seq >= :first) e",
    # PostgreSQL: the stored generated columns (at, payload: the body's data as JSON text).
    "postgresql": "SELECT seq, CAST(subject_id AS INTEGER), kind, at, f, "
                  "CASE WHEN f AND kind = :ack THEN d ->> 'snoozed_seconds' END, "
                  "CASE WHEN f AND kind = :ack THEN d ->> 'received_at' END "
                  "FROM (SELECT seq, subject_id, kind, at, CAST(payload AS json) AS d, COALESCE(CAST(payload AS json) ->> "
                  "CASE kind WHEN :ack THEN 'first' ELSE 'implicit_ack' END, 'false') = 'true' AS f "
                  "FROM event WHERE kind IN (:ack, {resolve}) AND subject_type = 'alert' AND seq >= :first) e",
}


@dataclass
class _Seen:
    first_at: str | None = None  # the first acknowledgment (or a resolve that acknowledged implicitly)
    first_payload: tuple | None = None  # (received_at, snoozed_seconds) a first acknowledgment was counted with
    ack_ats: set[str] | None = None
    resolved_at: str | None = None


def figures_disagree(session: Session, start: str, end: str, limit: int = 20) -> tuple[int, list[str]]:
    """(how many alerts received in [start, end) disagree with the chain, what the first `limit` are).

    Run inside the report's read session (one snapshot); the two bulk reads go to the driver's cursor. The events of the window's alerts all come after the
    first of them was raised, so the kind index is read from there on."""
    window = {"start": start, "end": end}
    first_seq = first_raised_seq(session, start, end)
    seen: dict[int, _Seen] = {}
    # Rows come in index order (sorting 200,000 of them by seq in SQL cost more than the check), so the
    # seq decides here.
    rows = driver_rows(session, _EVENTS[session.connection().dialect.name].format(
        resolve=", ".join(f":r{i}" for i in range(len(RESOLVE_KINDS)))),
        {"ack": ACK_KIND, "first": first_seq, **{f"r{i}": k for i, k in enumerate(RESOLVE_KINDS)}})
    rows.sort()
    for _seq, aid, kind, at, flag, snoozed_s, received in rows:
        s = seen.get(aid)
        if s is None:
            s = seen[aid] = _Seen(ack_ats=set())
        if kind != ACK_KIND:
            s.resolved_at = at
        if kind == ACK_KIND or flag:
            s.ack_ats.add(at)  # type: ignore[union-attr]
            if s.first_at is None and flag:
                s.first_at = at
                s.first_payload = (received, snoozed_s) if kind == ACK_KIND else None
    bad: list[str] = []
    count = 0
    rows = driver_rows(
        session, "SELECT id, received_at, first_acked_at, acked_at, resolved_at, snoozed_us, ack_us, resolve_us FROM alert "
        "WHERE received_at >= :start AND received_at < :end ORDER BY received_at, id", window)
    for aid, received, first_acked, acked, resolved, snoozed, ack_us, resolve_us in rows:
        s = seen.get(aid) or _Seen(ack_ats=set())
        why = _disagreement(s, received, first_acked, acked, resolved, snoozed or 0) or _durations(
            received, first_acked, resolved, snoozed or 0, ack_us, resolve_us)
        if why:
            count += 1
            if len(bad) < limit:
                bad.append(f"#{aid}: {why}")
    return count, bad


def _disagreement(s: _Seen, received: str, first_acked: str | None, acked: str | None, resolved: str | None, snoozed: int) -> str:
    if first_acked != s.first_at:
        if s.first_at is None:
            return f"first_acked_at is {first_acked} but the log holds no acknowledgment"
        return f"first_acked_at is {first_acked or 'empty'} but the log's first acknowledgment is at {s.first_at}"
    if s.first_payload is not None:
        ev_received, ev_snoozed = s.first_payload
        if ev_received is not None and ev_received != received:
            return f"received_at is {received} but the acknowledgment was counted from {ev_received}"
        if ev_snoozed is not None and abs(round(float(ev_snoozed) * 1_000_000) - snoozed) > _TOLERANCE_US:
            return f"snoozed_us is {snoozed} but the acknowledgment was counted with {float(ev_snoozed):g} s"
    if acked is not None and acked not in (s.ack_ats or ()):
        return f"acked_at is {acked} but the log holds no acknowledgment then"
    if resolved is not None and resolved != s.resolved_at:
        if s.resolved_at is None:
            return f"resolved_at is {resolved} but the log holds no resolution"
        return f"resolved_at is {resolved} but the log's resolution is at {s.resolved_at}"
    return ""


def _durations(received: str, first_acked: str | None, resolved: str | None, snoozed: int, ack_us: int | None,
               resolve_us: int | None) -> str:
    """The stored durations against the times already held against the chain (first_acked_at, resolved_at)."""
    want = None if first_acked is None else _between(received, first_acked) - snoozed
    if ack_us != want:
        if want is None:
            return f"ack_us is {ack_us} but the log holds no acknowledgment"
        return f"ack_us is {ack_us} but the log's first acknowledgment makes it {want}"
    want = None if resolved is None else _between(received, resolved)
    if resolve_us != want:
        if want is None:
            return f"resolve_us is {resolve_us} but the log holds no resolution"
        return f"resolve_us is {resolve_us} but the log's resolution makes it {want}"
    return ""


def _between(earlier: str, later: str) -> int:
    """Microseconds between two stored UTC texts."""
    return micros(datetime.fromisoformat(later) - datetime.fromisoformat(earlier))
