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

from bisect import bisect_right
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
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
    per_hour: list[tuple[datetime, int]]  # alerts received per desk-zone hour
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
    """Who was on duty at an instant, per level (roster segments; none is longer than MAX_SHIFT)."""

    def __init__(self, segments: list[Segment]) -> None:
        self.rows: dict[int, list[tuple[str, str, int, str]]] = defaultdict(list)
        for g in segments:
            self.rows[g.level].append((to_db_text(g.start), to_db_text(g.end), g.span.id, g.officer))
        for rows in self.rows.values():
            rows.sort()
        self.starts = {lvl: [r[0] for r in rows] for lvl, rows in self.rows.items()}
        # reach[lvl][i]: the latest end among segments 0..i, so a look-back stops as soon as none can cover.
        self.reach: dict[int, list[str]] = {}
        for lvl, rows in self.rows.items():
            top, out = "", []
            for r in rows:
                top = max(top, r[1])
                out.append(top)
            self.reach[lvl] = out

    def at(self, level: int, when: str) -> str:
        """Handles on duty at `when` (stored UTC text), comma-separated, earliest shift first."""
        rows = self.rows.get(level, [])
        reach = self.reach.get(level, [])
        i = bisect_right(self.starts.get(level, []), when)
        found = []
        while i > 0 and reach[i - 1] > when:
            i -= 1
            if rows[i][1] > when:
                found.append(rows[i])
        return ", ".join(r[3] for r in sorted(found))


def _stats(counts: dict[str, int], values: dict[str, list[float]], breaches: Counter[str], keys: list[str]) -> dict[str, Stats]:
    out = {}
    for k in keys:
        ordered = values.get(k, [])  # already ascending: grouped from rows sorted by time
        out[k] = Stats(
            counts.get(k, 0), len(ordered), sum(ordered) / len(ordered) if ordered else None,
            nearest_rank(ordered, 50), nearest_rank(ordered, 90), ordered[-1] if ordered else None, breaches.get(k, 0),
        )
    return out


def _group(keys: tuple, values: tuple) -> dict[str, list[float]]:
    out: dict[str, list[float]] = defaultdict(list)
    for k, v in zip(keys, values):
        out[k].append(v)
    return out


def ack_report(
    rt: Runtime, start: datetime, end: datetime, period: str = "", *, verify: bool = True, with_alerts: bool = True
) -> AckReport:
    """Compute the acknowledgment report over the alerts received in [start, end).

    One indexed SQL scan reads the window's alert rows in received order; one Python pass computes
    the times (exactly as timedelta does) and merges in the level-1 shifts; grouping works on columns.
    """
    now = rt.now()
    proof = make_proof(rt, check=verify)
    targets = {s.value: rt.config.ack_target(s).total_seconds() for s in Severity}
    segments = effective_shifts(rt, start - MAX_SHIFT, end + MAX_SHIFT)
    window = {"start": to_db_text(start), "end": to_db_text(end), "nobody": NOBODY}
    conn = rt.db.raw()
    try:
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("BEGIN")  # one snapshot for every query below
        # The first acknowledger is on the row unless the alert was acknowledged again since (ack timeout).
        redo = [r[0] for r in conn.execute(
            "SELECT id FROM alert WHERE received_at >= :start AND received_at < :end AND first_acked_at IS NOT NULL "
            "AND (acked_at IS NULL OR acked_at != first_acked_at)", window)]
        conn.execute("CREATE TEMP TABLE firstby (alert_id INTEGER PRIMARY KEY, handle TEXT)")
        for i in range(0, len(redo), 500):
            chunk = [str(x) for x in redo[i:i + 500]]
            conn.executemany("INSERT OR IGNORE INTO firstby VALUES (?, ?)", [
                (int(sid), actor) for sid, actor in conn.execute(
                    "SELECT subject_id, actor FROM event WHERE kind = 'alert.acknowledged' AND subject_type = 'alert' "
                    f"AND subject_id IN ({','.join('?' * len(chunk))}) AND json_extract(body, '$.data.first') = 1 ORDER BY seq",
                    chunk,
                )
            ])
        rows = conn.execute(
            "SELECT id, title, source_key, severity, state, level, received_at, first_acked_at, acked_at, acked_by_id, "
            "snoozed_seconds, resolved_at, exhausted, snoozed_until FROM alert "
            "WHERE received_at >= :start AND received_at < :end ORDER BY received_at, id", window).fetchall()
        first_by = dict(conn.execute("SELECT alert_id, handle FROM firstby").fetchall())
        handles = dict(conn.execute("SELECT id, handle FROM officer").fetchall())
        # Escalations of the window's alerts come after the first one was raised: start the kind scan there.
        first_seq = conn.execute(
            "SELECT MIN(seq) FROM event WHERE subject_type = 'alert' AND subject_id = ? AND kind = 'alert.raised'",
            (str(rows[0][0]) if rows else "",)).fetchone()[0] or 0
        esc_rows = conn.execute(
            "SELECT CAST(subject_id AS INTEGER), json_extract(body, '$.data.level') FROM event "
            "WHERE kind = 'alert.escalated' AND seq >= ?", (first_seq,)
        ).fetchall()
        conn.execute("ROLLBACK")
    finally:
        conn.close()

    # One pass in received order: times to acknowledge and resolve, the first acknowledger, and the
    # level-1 shift (a merge with the segments sorted by start: the latest one begun, if still running).
    level1 = sorted((to_db_text(g.start), g.span.id, to_db_text(g.end), _shift_label(rt, g)) for g in segments if g.level == 1)
    seg_start = [x[0] for x in level1]
    n_seg, j = len(level1), -1
    fromiso = datetime.fromisoformat
    acks: list[float | None] = []
    whos: list[str] = []
    rsecs: list[float | None] = []
    shifts: list[str] = []
    for aid, _t, _s, _v, _st, _l, recv, first, acked_at, acked_by, snoozed, resolved, _e, _u in rows:
        received = fromiso(recv)
        if first is None:
            acks.append(None)
            whos.append("")
        else:
            acks.append((fromiso(first) - received).total_seconds() - snoozed)
            whos.append(first_by.get(aid) or (handles.get(acked_by) if acked_at == first else None) or "?")
        rsecs.append(None if resolved is None else (fromiso(resolved) - received).total_seconds())
        while j + 1 < n_seg and seg_start[j + 1] <= recv:
            j += 1
        shifts.append(level1[j][3] if j >= 0 and level1[j][2] > recv else NOBODY)
    (ids, titles, srcs, sevs, states, levels, recvs, firsts, _a, _b, snoozeds, resolveds, exhausteds,
     untils) = tuple(zip(*rows)) if rows else ((),) * 14
    tgts = [targets.get(sev, 0.0) for sev in sevs]
    in_window = set(ids)
    esc_count: Counter[int] = Counter()
    esc_by_level: Counter[int] = Counter()
    for aid, level in esc_rows:
        if aid in in_window:
            esc_count[aid] += 1
            esc_by_level[int(level or 0)] += 1

    acked = sorted((i for i, a in enumerate(acks) if a is not None), key=acks.__getitem__)
    ack_sorted = [acks[i] for i in acked]
    breached = [i for i in acked if acks[i] > tgts[i]]
    breach_set = set(breached)

    def by(col: tuple) -> tuple[dict[str, list[float]], Counter[str]]:
        return _group(tuple(col[i] for i in acked), tuple(ack_sorted)), Counter(col[i] for i in breached)

    rank = {s.value: s.rank for s in Severity}
    sev_counts = Counter(sevs)
    sev_keys = sorted(sev_counts, key=lambda k: (rank.get(k, 9), k))
    by_severity = _stats(sev_counts, *by(sevs), sev_keys)
    src_counts = Counter(srcs)
    by_source = _stats(src_counts, *by(srcs), sorted(src_counts))
    who_counts = Counter(whos[i] for i in acked)
    by_officer = _stats(who_counts, *by(whos), sorted(who_counts))
    shift_counts = Counter(shifts)
    shift_keys = sorted(shift_counts, key=lambda k: k == NOBODY)  # Counter keeps first-seen order: by time
    by_shift = _stats(shift_counts, *by(shifts), shift_keys)
    overall = Stats(len(ids), len(ack_sorted), sum(ack_sorted) / len(ack_sorted) if ack_sorted else None,
                    nearest_rank(ack_sorted, 50), nearest_rank(ack_sorted, 90), ack_sorted[-1] if ack_sorted else None,
                    len(breached))
    resolved = sorted((i for i, r in enumerate(rsecs) if r is not None), key=rsecs.__getitem__)
    resolve_by_severity = _stats(sev_counts, _group(tuple(sevs[i] for i in resolved), tuple(rsecs[i] for i in resolved)),
                                 Counter(), sev_keys)

    duty = _OnDuty(segments)
    breaches = []
    for i in sorted(breached):
        ran_out = to_db_text(_dt(recvs[i]) + timedelta(seconds=snoozeds[i] + tgts[i]))
        breaches.append(Breach(ids[i], titles[i], sevs[i], acks[i], tgts[i], ran_out, whos[i], duty.at(1, ran_out), duty.at(2, ran_out)))
    unacked = []
    for i, first in enumerate(firsts):
        if first is not None:
            continue
        # A running snooze is counted whole in snoozed_seconds; only its past part is excluded here.
        ahead = max((_dt(untils[i]) - now).total_seconds(), 0.0) if untils[i] else 0.0
        waiting = (now - _dt(recvs[i])).total_seconds() - max(snoozeds[i] - ahead, 0.0)
        unacked.append(Unacked(ids[i], titles[i], sevs[i], states[i], levels[i], recvs[i], waiting, waiting > tgts[i], bool(exhausteds[i])))

    per_hour = [(datetime.fromisoformat(h + ":00:00").replace(tzinfo=UTC).astimezone(rt.zone), n)
                for h, n in sorted(Counter(r[:13] for r in recvs).items())]
    alerts: list[AlertAck] = []
    if with_alerts:
        alerts = [AlertAck(ids[i], titles[i], srcs[i], sevs[i], states[i], levels[i], recvs[i], firsts[i], whos[i],
                           snoozeds[i], acks[i], tgts[i], i in breach_set, shifts[i], esc_count.get(ids[i], 0),
                           resolveds[i], rsecs[i]) for i in range(len(ids))]
    return AckReport(
        title="Acknowledgment report", period=period, start=start, end=end, generated_at=now, zone=rt.zone.key,
        proof=proof, overall=overall, by_severity=by_severity, by_source=by_source, by_officer=by_officer,
        by_shift=by_shift, alerts=alerts, breaches=breaches, never_acked=unacked,
        escalations_by_level=dict(sorted(esc_by_level.items())), alerts_by_top_level=dict(sorted(Counter(levels).items())),
        resolve_by_severity=resolve_by_severity, per_hour=per_hour, hours=_hours(rt, start, end), targets=targets,
    )


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _shift_label(rt: Runtime, g: Segment) -> str:
    s, e = rt.local(g.start), rt.local(g.end)
    return f"{g.officer} {s:%d/%m %H:%M}–{e:%d/%m %H:%M}"


def _hours(rt: Runtime, start: datetime, end: datetime) -> list[HoursRow]:
    """The duty-hours ledger from the roster (the same rules as 'watchdesk roster hours')."""
    zone, cfg = rt.zone, rt.config.roster
    days = public_holidays(start.astimezone(zone).date(), end.astimezone(zone).date())
    segments = effective_shifts(rt, start, end)
    return duty_hours(segments, start, end, zone, night_start=cfg.night_start, night_end=cfg.night_end, holidays=days)
