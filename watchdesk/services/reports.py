"""The supervisors' acknowledgment report over a watch period or a date range.

Definitions (written into every report, see DEFINITIONS):
* time to acknowledge = first acknowledgment (alert.first_acked_at) − received_at − the time the
  alert spent snoozed before that first acknowledgment (alert.snoozed_seconds);
* an SLA breach is a first acknowledgment later than the severity's ack target
  (config severities.<sev>.ack_target); it is listed with who was on duty when the target ran out;
* percentiles are nearest-rank (see `nearest_rank`); the median is the 50th percentile;
* time to resolve = resolved_at − received_at (snoozes included).

The figures come from the stored alert columns the lifecycle services write; who acknowledged
first comes from the alert row when its current acknowledgment is the first one, else from the
`alert.acknowledged` event marked `first`. Escalations by level come from `alert.escalated`
events. Every report carries its proof: the audit log's head and the result of verifying it.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from typing import NamedTuple
from datetime import date, datetime, time, timedelta, timezone

from watchdesk.core.enums import Severity
from watchdesk.core.holidays_vn import public_holidays
from watchdesk.core.roster import HoursRow, Segment, duty_hours, local_to_utc
from watchdesk.services.errors import InvalidInput
from watchdesk.services.periods import get_period
from watchdesk.services.roster import MAX_SHIFT, effective_shifts
from watchdesk.services.runtime import Runtime
from watchdesk.store import audit
from watchdesk.store.types import to_db_text

UTC = timezone.utc
NOBODY = "(nobody on duty)"
PERCENTILE_METHOD = (
    "nearest-rank: the p-th percentile of n sorted values is the value at rank ⌈p·n/100⌉ (1-based); "
    "the median is the 50th percentile"
)
DEFINITIONS = (
    "Time to acknowledge runs from received_at (when the desk received the alert) to its FIRST "
    "acknowledgment, minus the time the alert was snoozed before that acknowledgment (snoozed time is excluded).",
    "An SLA breach is a first acknowledgment later than the ack target of the alert's severity; "
    "the officers listed were on duty when the target ran out.",
    "Resolving an unacknowledged alert counts as its first acknowledgment.",
    f"Percentiles: {PERCENTILE_METHOD}.",
    "Time to resolve runs from received_at to resolved_at (snoozed time included).",
    "Per shift: the level-1 shift on duty when the alert was received (of two at once, the one that began last). "
    "Per officer: who acknowledged first.",
)


def nearest_rank(ordered: list[float], p: int) -> float | None:
    """The p-th percentile (0 < p <= 100) of an ascending list by the nearest-rank method."""
    if not ordered:
        return None
    rank = max(1, -(-p * len(ordered) // 100))  # ⌈p·n/100⌉ in integers: no float rounding at the edges
    return ordered[rank - 1]


@dataclass(frozen=True)
class Stats:
    """Count and time-to-acknowledge figures (seconds) of one group of alerts."""

    count: int
    acked: int
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None
    breaches: int

    @classmethod
    def of(cls, count: int, seconds: list[float], breaches: int) -> "Stats":
        ordered = sorted(seconds)
        mean = sum(ordered) / len(ordered) if ordered else None
        return cls(count, len(ordered), mean, nearest_rank(ordered, 50), nearest_rank(ordered, 90),
                   ordered[-1] if ordered else None, breaches)


class AlertAck(NamedTuple):
    """One alert's line in the report (times as stored: UTC text 'YYYY-MM-DD HH:MM:SS.ffffff')."""

    id: int
    title: str
    source: str
    severity: str
    state: str
    level: int
    received_at: str
    first_acked_at: str | None
    first_acked_by: str
    snoozed_seconds: float
    ack_seconds: float | None
    target_seconds: float
    breached: bool
    shift: str
    escalations: int
    resolved_at: str | None
    resolve_seconds: float | None


class Breach(NamedTuple):
    alert_id: int
    title: str
    severity: str
    ack_seconds: float
    target_seconds: float
    target_ran_out_at: str  # UTC text
    first_acked_by: str
    on_duty_level1: str  # handles, comma-separated, on duty when the target ran out
    on_duty_level2: str


class Unacked(NamedTuple):
    alert_id: int
    title: str
    severity: str
    state: str
    level: int
    received_at: str
    waiting_seconds: float  # at report time, snoozed time excluded
    overdue: bool
    exhausted: bool


@dataclass(frozen=True)
class Proof:
    ok: bool
    sentence: str
    head_seq: int | None
    head_hash: str
    bad_seq: int | None
    checked: bool = True

    def first_line(self) -> str:
        if not self.checked:
            return "Audit log NOT verified for this report."
        if self.ok:
            return f"Audit log verified at report time: head seq {self.head_seq}, hash {self.head_hash}."
        return f"WARNING: the audit log is TAMPERED — {self.sentence}; the figures below cannot be trusted."


def make_proof(rt: Runtime, *, check: bool = True) -> Proof:
    """The audit log's head and the result of verifying the whole chain now."""
    if not check:
        head = audit.head(rt.db)
        return Proof(True, "not verified", head.seq if head else None, head.hash if head else "", None, checked=False)
    result = audit.verify(rt.db)
    head = result.head if result.ok else audit.head(rt.db)
    return Proof(result.ok, result.sentence(), head.seq if head else None, head.hash if head else "", result.bad_seq)


@dataclass(frozen=True)
class AckReport:
    title: str
    period: str
    start: datetime
    end: datetime
    generated_at: datetime
    zone: str
    proof: Proof
    overall: Stats
    by_severity: dict[str, Stats]
    by_source: dict[str, Stats]
    by_officer: dict[str, Stats]
    by_shift: dict[str, Stats]
    alerts: list[AlertAck]
    breaches: list[Breach]
    never_acked: list[Unacked]
    escalations_by_level: dict[int, int]  # escalation steps fired, by the level they reached
    alerts_by_top_level: dict[int, int]  # alerts by the highest level they reached
    resolve_by_severity: dict[str, Stats]  # time to resolve (breaches unused: 0)
    per_hour: list[tuple[datetime, int]]  # alerts received in each hour of the window (zeros too), desk zone
    hours: list[HoursRow]
    definitions: tuple[str, ...] = DEFINITIONS
    targets: dict[str, float] = field(default_factory=dict)


# -- windows ---------------------------------------------------------------------------------
def period_window(rt: Runtime, name: str) -> tuple[datetime, datetime, str]:
    period = get_period(rt, name)
    return period.starts_at, period.ends_at, period.name


def date_window(rt: Runtime, first: str | date, last: str | date) -> tuple[datetime, datetime, str]:
    """From 00:00 of `first` to 24:00 of `last` in the desk's zone (both days included)."""
    days = []
    for value, flag in ((first, "--from"), (last, "--to")):
        if isinstance(value, date):
            days.append(value)
            continue
        try:
            days.append(date.fromisoformat(value.strip()))
        except ValueError:
            raise InvalidInput(f"{flag} '{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-02-16.") from None
    if days[1] < days[0]:
        raise InvalidInput(f"--to {days[1]} is before --from {days[0]}; give the earlier day first.")
    start = local_to_utc(datetime.combine(days[0], time(0)), rt.zone)
    end = local_to_utc(datetime.combine(days[1] + timedelta(days=1), time(0)), rt.zone)
    return start, end, f"{days[0].isoformat()} – {days[1].isoformat()}"


# -- the report ------------------------------------------------------------------------------
class _OnDuty:
    """Who was on duty at an instant, per level (roster segments; none is longer than MAX_SHIFT).

    Who is on duty only changes where a segment starts or ends, so the names are worked out once
    per change point and a look-up is one bisect (a report asks for tens of thousands of instants).
    """

    def __init__(self, segments: list[Segment]) -> None:
        rows: dict[int, list[tuple[str, str, int, str]]] = defaultdict(list)
        for g in segments:
            rows[g.level].append((to_db_text(g.start), to_db_text(g.end), g.span.id, g.officer))
        self.points: dict[int, list[str]] = {}
        self.names: dict[int, list[str]] = {}
        for level, level_rows in rows.items():
            level_rows.sort()
            starts = [r[0] for r in level_rows]
            reach, top = [], ""  # reach[i]: the latest end among rows 0..i, so a look-back stops early
            for r in level_rows:
                top = max(top, r[1])
                reach.append(top)
            points = sorted({r[0] for r in level_rows} | {r[1] for r in level_rows})
            names = []
            for when in points:
                i, found = bisect_right(starts, when), []
                while i > 0 and reach[i - 1] > when:
                    i -= 1
                    if level_rows[i][1] > when:
                        found.append(level_rows[i])
                names.append(", ".join(r[3] for r in sorted(found)))  # earliest shift first
            self.points[level], self.names[level] = points, names

    def at(self, level: int, when: str) -> str:
        """Handles on duty at `when` (stored UTC text), comma-separated, earliest shift first."""
        k = bisect_right(self.points.get(level, []), when) - 1
        return self.names[level][k] if k >= 0 else ""


def _stats(counts: dict[str, int], values: dict[str, list[float]], breaches: Counter[str], keys: list[str]) -> dict[str, Stats]:
    out = {}
    for k in keys:
        ordered = values.get(k, [])  # ascending
        out[k] = Stats(
            counts.get(k, 0), len(ordered), sum(ordered) / len(ordered) if ordered else None,
            nearest_rank(ordered, 50), nearest_rank(ordered, 90), ordered[-1] if ordered else None, breaches.get(k, 0),
        )
    return out


def _seconds(later: str, earlier: str) -> str:
    """SQL for `later − earlier` in seconds, exactly as Python's timedelta.total_seconds() gives it.

    Stored times are fixed-width 'YYYY-MM-DD HH:MM:SS.ffffff' UTC text. The whole seconds come from
    julianday() of the first 19 characters, rounded (a double is off by ~1e-5 s there, far below the
    rounding; given the fraction, SQLite would round it to the millisecond), the six fraction digits
    are added as integers, and the exact microseconds are divided once. NULL when `later` is NULL.
    """
    return (f"(CAST(round((julianday(substr({later}, 1, 19)) - julianday(substr({earlier}, 1, 19))) * 86400) AS INTEGER)"
            f" * 1000000 + CAST(substr({later}, 21) AS INTEGER) - CAST(substr({earlier}, 21) AS INTEGER)) / 1000000.0")


# The first acknowledger's officer id is on the row unless the alert was acknowledged again since
# (ack timeout): those rows say 0 and their first acknowledger comes from the `alert.acknowledged`
# event marked first. NULL: never acknowledged (or acknowledged by nobody known: shown as '?').
_ROWS_SQL = (
    "SELECT a.id, a.severity, a.source_key, a.level, a.received_at, "
    f"{_seconds('a.first_acked_at', 'a.received_at')} - a.snoozed_seconds, {_seconds('a.resolved_at', 'a.received_at')}, "
    "CASE WHEN a.first_acked_at IS NULL THEN NULL WHEN a.acked_at = a.first_acked_at THEN a.acked_by_id ELSE 0 END{lines} "
    "FROM alert a WHERE a.received_at >= :start AND a.received_at < :end ORDER BY a.received_at, a.id"
)
# The per-alert lines' own columns ride on the same scan when they are wanted.
_LINE_COLUMNS = ", a.title, a.state, a.first_acked_at, a.snoozed_seconds, a.resolved_at"


def ack_report(
    rt: Runtime, start: datetime, end: datetime, period: str = "", *, verify: bool = True, with_alerts: bool = True
) -> AckReport:
    """Compute the acknowledgment report over the alerts received in [start, end).

    One indexed SQL scan reads the window's alerts in received order with their times to acknowledge
    and resolve already computed (exactly); Python groups them in one pass and sorts each group once;
    shifts and hours are ranges of the received order found by bisection, not per-row look-ups.
    """
    now = rt.now()
    proof = make_proof(rt, check=verify)
    targets = {s.value: rt.config.ack_target(s).total_seconds() for s in Severity}
    segments = effective_shifts(rt, start - MAX_SHIFT, end + MAX_SHIFT)
    window = {"start": to_db_text(start), "end": to_db_text(end)}
    conn = rt.db.raw()
    try:
        conn.execute("BEGIN")  # one snapshot for every query below
        # Escalations of the window's alerts come after the first one was raised: start the kind scan there.
        first_seq = conn.execute(
            "SELECT MIN(seq) FROM event WHERE subject_type = 'alert' AND kind = 'alert.raised' AND subject_id = "
            "(SELECT CAST(id AS TEXT) FROM alert WHERE received_at >= :start AND received_at < :end "
            "ORDER BY received_at, id LIMIT 1)", window).fetchone()[0] or 0
        esc_rows = conn.execute(
            "SELECT CAST(subject_id AS INTEGER), json_extract(body, '$.data.level') FROM event "
            "WHERE kind = 'alert.escalated' AND seq >= ?", (first_seq,)).fetchall()
        handle_of: dict[int | None, str] = dict(conn.execute("SELECT id, handle FROM officer").fetchall())
        rows = conn.execute(_ROWS_SQL.format(lines=_LINE_COLUMNS if with_alerts else ""), window).fetchall()
        columns = tuple(zip(*rows)) if rows else ((),) * (13 if with_alerts else 8)
        del rows
        ids, sevs, srcs, levels, recvs, acks, rsecs, who_codes = columns[:8]
        tgts = [targets.get(sev, 0.0) for sev in sevs]
        breached = [i for i, (a, t) in enumerate(zip(acks, tgts)) if a is not None and a > t]
        unacked_at = [i for i, a in enumerate(acks) if a is None]
        unacked_ids = [ids[i] for i in unacked_at]
        again = [i for i, c in enumerate(who_codes) if c == 0]
        first_by = _first_acknowledgers(conn, [ids[i] for i in again])
        if with_alerts:
            extra = {ids[i]: (columns[8][i], columns[11][i]) for i in breached}
        else:
            extra = _by_id(conn, "title, snoozed_seconds", [ids[i] for i in breached])
        unacked_rows = _by_id(conn, "title, severity, state, level, received_at, snoozed_seconds, snoozed_until, exhausted",
                              unacked_ids)
        conn.execute("ROLLBACK")
    finally:
        conn.close()

    whos = [handle_of.get(c, "?") if a is not None else "" for c, a in zip(who_codes, acks)]
    for i in again:
        whos[i] = first_by.get(ids[i], "?")
    shifts, shift_ranges = _shift_of_each(rt, segments, recvs)

    # One pass groups the alerts by (severity, source, officer); each group is sorted once and a dimension
    # is the union of a few groups: sorted runs, which timsort merges in near-linear time. A shift is a
    # range of the received order, so its times are a slice.
    groups: dict[tuple[str, str, str], list] = defaultdict(list)
    for sev, src, who, ack in zip(sevs, srcs, whos, acks):
        groups[sev, src, who].append(ack)
    values: list[dict[str, list[float]]] = [defaultdict(list) for _ in range(4)]
    sizes: list[Counter[str]] = [Counter() for _ in range(4)]
    breach_counts: list[Counter[str]] = [Counter() for _ in range(4)]
    for key, acked in groups.items():
        if key[2] == "":  # never acknowledged (officer ""): counted, no time
            acked = []
        acked.sort()
        late = len(acked) - bisect_right(acked, targets.get(key[0], 0.0))  # a breach is a time above the target
        for dim in range(3):
            sizes[dim][key[dim]] += len(groups[key])
            values[dim][key[dim]].extend(acked)
            breach_counts[dim][key[dim]] += late
    for label, ranges in shift_ranges.items():
        for lo, hi in ranges:
            sizes[3][label] += hi - lo
            some = acks[lo:hi]
            if bisect_left(unacked_at, hi) > bisect_left(unacked_at, lo):
                some = [a for a in some if a is not None]
            values[3][label].extend(some)
    breach_counts[3].update(shifts[i] for i in breached)
    for dim_values in values:
        for acked in dim_values.values():
            acked.sort()

    rank = {s.value: s.rank for s in Severity}
    sev_keys = sorted(sizes[0], key=lambda k: (rank.get(k, 9), k))
    by_severity = _stats(sizes[0], values[0], breach_counts[0], sev_keys)
    by_source = _stats(sizes[1], values[1], breach_counts[1], sorted(sizes[1]))
    officers = sorted(k for k in values[2] if k != "")
    by_officer = _stats({k: len(values[2][k]) for k in officers}, values[2], breach_counts[2], officers)
    shift_keys = sorted(shift_ranges, key=lambda k: k == NOBODY)  # first seen, i.e. by time; nobody last
    by_shift = _stats(sizes[3], values[3], breach_counts[3], shift_keys)
    ack_sorted = sorted(chain.from_iterable(values[0].values()))
    overall = Stats(len(ids), len(ack_sorted), sum(ack_sorted) / len(ack_sorted) if ack_sorted else None,
                    nearest_rank(ack_sorted, 50), nearest_rank(ack_sorted, 90), ack_sorted[-1] if ack_sorted else None,
                    len(breached))
    resolved: dict[str, list[float]] = defaultdict(list)
    for sev, r in zip(sevs, rsecs):
        if r is not None:
            resolved[sev].append(r)
    for times in resolved.values():
        times.sort()
    resolve_by_severity = _stats(sizes[0], resolved, Counter(), sev_keys)

    in_window = set(ids)
    esc_count: Counter[int] = Counter()
    esc_by_level: Counter[int] = Counter()
    for aid, level in esc_rows:
        if aid in in_window:
            esc_count[aid] += 1
            esc_by_level[int(level or 0)] += 1

    duty = _OnDuty(segments)
    breaches = []
    for i in breached:
        title, snoozed = extra[ids[i]]
        ran_out = _text_after(recvs[i], snoozed + tgts[i])
        breaches.append(Breach(ids[i], title, sevs[i], acks[i], tgts[i], ran_out, whos[i], duty.at(1, ran_out), duty.at(2, ran_out)))
    unacked = []
    for aid in unacked_ids:
        title, sev, state, level, recv, snoozed, until, exhausted = unacked_rows[aid]
        # A running snooze is counted whole in snoozed_seconds; only its past part is excluded here.
        ahead = max((_dt(until) - now).total_seconds(), 0.0) if until else 0.0
        waiting = (now - _dt(recv)).total_seconds() - max(snoozed - ahead, 0.0)
        unacked.append(Unacked(aid, title, sev, state, level, recv, waiting, waiting > targets.get(sev, 0.0), bool(exhausted)))

    alerts: list[AlertAck] = []
    if with_alerts:
        breach_set = set(breached)
        titles, states, firsts, snoozeds, resolveds = columns[8:]
        flags = [i in breach_set for i in range(len(ids))]
        escs = [esc_count.get(aid, 0) for aid in ids]
        # tuple.__new__ fills the named tuples in C: a Python-level __new__ per line costs more than the scan.
        alerts = list(map(partial(tuple.__new__, AlertAck), zip(
            ids, titles, srcs, sevs, states, levels, recvs, firsts, whos, snoozeds, acks, tgts, flags, shifts, escs,
            resolveds, rsecs)))
    return AckReport(
        title="Acknowledgment report", period=period, start=start, end=end, generated_at=now, zone=rt.zone.key,
        proof=proof, overall=overall, by_severity=by_severity, by_source=by_source, by_officer=by_officer,
        by_shift=by_shift, alerts=alerts, breaches=breaches, never_acked=unacked,
        escalations_by_level=dict(sorted(esc_by_level.items())), alerts_by_top_level=dict(sorted(Counter(levels).items())),
        resolve_by_severity=resolve_by_severity, per_hour=_per_hour(rt, start, end, recvs), hours=_hours(rt, start, end, segments), targets=targets,
    )


def _first_acknowledgers(conn, ids: list[int]) -> dict[int, str]:  # noqa: ANN001 - a DB-API connection
    """Who acknowledged each given alert first, from its `alert.acknowledged` event marked first."""
    out: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        chunk = [str(x) for x in ids[i:i + 500]]
        for sid, actor in conn.execute(
            "SELECT subject_id, actor FROM event WHERE kind = 'alert.acknowledged' AND subject_type = 'alert' "
            f"AND subject_id IN ({','.join('?' * len(chunk))}) AND json_extract(body, '$.data.first') = 1 ORDER BY seq",
            chunk,
        ):
            out.setdefault(int(sid), actor)
    return out


def _by_id(conn, columns: str, ids: list[int]) -> dict[int, tuple]:  # noqa: ANN001 - a DB-API connection
    """Extra columns of the given alerts, by id, read in the caller's snapshot (ids go in as one JSON array)."""
    if not ids:
        return {}
    sql = f"SELECT a.id, {columns} FROM json_each(?) j JOIN alert a ON a.id = j.value"
    return {r[0]: r[1:] for r in conn.execute(sql, (json.dumps(ids),))}


def _shift_of_each(rt: Runtime, segments: list[Segment], recvs: tuple[str, ...]) -> tuple[list[str], dict[str, list[tuple[int, int]]]]:
    """The level-1 shift of each alert (received order): the latest one begun, if still running.

    Each segment owns the alerts received from its start to the next segment's start, up to its own end;
    bisecting the received times finds those ranges without a per-alert loop. Returns the label of each
    alert and, per label in order of first alert, its ranges [lo, hi) of the received order.
    """
    level1 = sorted((to_db_text(g.start), g.span.id, to_db_text(g.end), _shift_label(rt, g)) for g in segments if g.level == 1)
    out = [NOBODY] * len(recvs)
    owned: list[tuple[int, int, str]] = []
    for j, (seg_start, _id, seg_end, label) in enumerate(level1):
        lo = bisect_left(recvs, seg_start)
        hi = bisect_left(recvs, level1[j + 1][0]) if j + 1 < len(level1) else len(recvs)
        mid = max(lo, min(hi, bisect_left(recvs, seg_end, lo, hi)))
        if mid > lo:
            out[lo:mid] = [label] * (mid - lo)
            owned.append((lo, mid, label))
    ranges: dict[str, list[tuple[int, int]]] = defaultdict(list)
    at = 0
    for lo, hi, label in owned:  # in received order; the gaps between are nobody's
        if lo > at:
            ranges[NOBODY].append((at, lo))
        ranges[label].append((lo, hi))
        at = hi
    if at < len(recvs):
        ranges[NOBODY].append((at, len(recvs)))
    return out, ranges


def _per_hour(rt: Runtime, start: datetime, end: datetime, recvs: tuple[str, ...]) -> list[tuple[datetime, int]]:
    """Alerts received in every hour of the window, quiet hours included (count 0), each hour as its
    start in the desk's zone. The counts come from one bisect of the received times per hour that
    has alerts; a year of hours is then a dictionary look-up each."""
    counts, lo = {}, 0
    while lo < len(recvs):
        hour = recvs[lo][:13]  # 'YYYY-MM-DD HH'; every time in that hour continues with ':'
        hi = bisect_left(recvs, hour + ";", lo)  # ';' sorts right after ':', before the next hour
        counts[hour], lo = hi - lo, hi
    out, step = [], timedelta(hours=1)
    hour_at = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while hour_at < end:
        out.append((hour_at.astimezone(rt.zone), counts.get(hour_at.isoformat(" ")[:13], 0)))
        hour_at += step
    return out


def _text_after(stored: str, seconds: float) -> str:
    """The stored UTC text `seconds` after another stored UTC text (same fixed-width format)."""
    return (datetime.fromisoformat(stored) + timedelta(seconds=seconds)).isoformat(" ", "microseconds")


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _shift_label(rt: Runtime, g: Segment) -> str:
    s, e = rt.local(g.start), rt.local(g.end)
    return f"{g.officer} {s:%d/%m %H:%M}–{e:%d/%m %H:%M}"


def _hours(rt: Runtime, start: datetime, end: datetime, segments: list[Segment]) -> list[HoursRow]:
    """The duty-hours ledger from the roster (the same rules as 'watchdesk roster hours'); segments are cut to the window."""
    zone, cfg = rt.zone, rt.config.roster
    days = public_holidays(start.astimezone(zone).date(), end.astimezone(zone).date())
    return duty_hours(segments, start, end, zone, night_start=cfg.night_start, night_end=cfg.night_end, holidays=days)
