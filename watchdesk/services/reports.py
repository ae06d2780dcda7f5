"""The supervisors' acknowledgment report over a watch period or a date range.

Definitions (written into every report, see DEFINITIONS):
* time to acknowledge = first acknowledgment (alert.first_acked_at) − received_at − the time the
  alert spent snoozed before that first acknowledgment (alert.snoozed_us): alert.ack_us, written
  with the first acknowledgment (integer microseconds, as are resolve_us and snoozed_us);
* an SLA breach is decided by `services.sla.breached` (the handover uses the same function and
  states the same `BREACH_DEFINITION`); acknowledged breaches are listed with who was on duty when
  the target ran out, unacknowledged ones are the never-acknowledged alerts marked overdue;
* a grouped alert (joined_to_id set) is acknowledged with its parent: timed from its own
  received_at to the parent's first_acked_at (0 when it arrived after it), listed apart;
* an alert cleared by the system (resolved, resolved_by NULL, never acknowledged by a person:
  see services.clearing) is counted apart, never as anyone's time to acknowledge, never as
  "never acknowledged" or a breach;
* an acknowledgment by someone not on duty (`"on_duty": false` in its `alert.acknowledged` event;
  older events without the field count as on duty) is listed;
* percentiles are nearest-rank (see `nearest_rank`); the median is the 50th percentile;
* time to resolve = resolved_at − received_at (snoozes included).

The figures come from the stored alert columns the lifecycle services write (durations added as integers); who acknowledged
first comes from the alert row when its current acknowledgment is the first one, else from the
`alert.acknowledged` event marked `first`. Escalations by level come from `alert.escalated`
events. Every report carries its proof: the audit log's head, the result of verifying it against
its latest checkpoint, and the window's time columns held against their chained events.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain, compress, repeat
from operator import add, eq, gt, is_, is_not, itemgetter, methodcaller, truediv
from typing import NamedTuple, TypeVar
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from watchdesk.config import RosterConfig
from watchdesk.core.enums import Severity
from watchdesk.core.holidays_vn import public_holidays
from watchdesk.i18n import N_, _, ngettext
from watchdesk.core.roster import HoursRow, Segment, duty_hours, local_to_utc
from watchdesk.services import sla
from watchdesk.services.clearing import RESOLUTION_PREFIX
from watchdesk.services.errors import InvalidInput
from watchdesk.services.periods import get_period
from watchdesk.services.roster import MAX_SHIFT, effective_shifts
from watchdesk.services.runtime import Runtime
from watchdesk.store import audit
from watchdesk.store.queries import reports as queries
from watchdesk.store.types import from_db_text, to_db_text

UTC = timezone.utc
T = TypeVar("T", int, float)
TT = TypeVar("TT", bound=tuple)
NOBODY = "(nobody on duty)"
PERCENTILE_METHOD = (
    "nearest-rank: the p-th percentile of n sorted values is the value at rank ⌈p·n/100⌉ (1-based); "
    "the median is the 50th percentile"
)
DEFINITIONS = (  # English in JSON and CSV; the Markdown and HTML reports translate them (marked with N_)
    N_("Time to acknowledge runs from received_at (when the desk received the alert) to its FIRST "
       "acknowledgment, minus the time the alert was snoozed before that acknowledgment (snoozed time is excluded)."),
    sla.BREACH_DEFINITION,
    N_("The SLA breaches table lists the acknowledged breaches with the officers on duty when the target ran out; "
       "unacknowledged alerts past their target are the never-acknowledged ones marked overdue."),
    N_("Resolving an unacknowledged alert counts as its first acknowledgment."),
    N_("Cleared by the system: an alert the desk raised about itself (roll call, late handover, source health) that "
       "its answer resolved before any person acknowledged it; counted apart, with no time to acknowledge."),
    N_("Acknowledged by someone not on duty: the acknowledgment records that its officer was not on duty "
       "(acknowledgments recorded before the desk noted it count as on duty)."),
    N_("Percentiles: nearest-rank: the p-th percentile of n sorted values is the value at rank ⌈p·n/100⌉ (1-based); "
       "the median is the 50th percentile."),
    N_("Time to resolve runs from received_at to resolved_at (snoozed time included)."),
    N_("Per shift: the level-1 shift on duty when the alert was received (of two at once, the one that began last). "
       "Per officer: who acknowledged first."),
)


def nearest_rank(ordered: list[T], p: int) -> T | None:
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
    cleared: int = 0  # cleared by the system: in `count`, never in `acked` or the times


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
    grouped_with: int | None  # the parent whose acknowledgment this alert's is
    cleared: bool  # cleared by the system (no person acknowledged it)


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
    grouped_with: int | None = None


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


class Grouped(NamedTuple):
    """An alert joined to another: acknowledged with its parent, timed from its own arrival."""

    alert_id: int
    title: str
    severity: str
    parent_id: int
    received_at: str
    acked_at: str | None  # the parent's first acknowledgment (None: the parent waits too)
    first_acked_by: str
    ack_seconds: float | None
    waiting_seconds: float | None  # while the parent is unacknowledged, snoozed time excluded
    breached: bool


class Cleared(NamedTuple):
    """An alert the desk raised about itself whose answer cleared it before any person acknowledged it."""

    alert_id: int
    title: str
    severity: str
    category: str
    received_at: str
    cleared_at: str
    seconds: float  # received → cleared
    reason: str  # what answered it


class OffDutyAck(NamedTuple):
    """An acknowledgment by an officer who was not on duty at that instant."""

    alert_id: int
    title: str
    by: str
    at: str
    first: bool


@dataclass(frozen=True)
class Proof:
    ok: bool
    sentence: str
    head_seq: int | None
    head_hash: str
    bad_seq: int | None
    checked: bool = True
    disagree_count: int = 0  # alerts whose time columns disagree with their chained events
    disagree: tuple[str, ...] = ()  # the first of them, named ("#12: first_acked_at is … but …")
    figures_checked: bool = False
    checkpoint: str = ""  # the latest checkpoint outside the database, in words

    def first_line(self) -> str:
        if not self.checked:
            return _("Audit log NOT verified for this report.")
        if not self.ok and self.bad_seq is None and self.disagree_count:
            shown = ", ".join(d.split(":", 1)[0] for d in self.disagree[:5])
            if self.disagree_count > 5:
                shown += " " + _("and {n} more").format(n=self.disagree_count - 5)
            return ngettext(
                "WARNING: {n} alert has times that disagree with the audit log ({shown}); the figures below cannot be trusted.",
                "WARNING: {n} alerts have times that disagree with the audit log ({shown}); the figures below cannot be trusted.",
                self.disagree_count).format(n=self.disagree_count, shown=shown)
        if self.ok:
            if self.figures_checked:
                return _("Audit log verified at report time: head seq {seq}, hash {hash}; the report's times agree with it.").format(
                    seq=self.head_seq, hash=self.head_hash)
            return _("Audit log verified at report time: head seq {seq}, hash {hash}.").format(seq=self.head_seq, hash=self.head_hash)
        return _("WARNING: the audit log is TAMPERED — {why}; the figures below cannot be trusted.").format(why=self.sentence)


def make_proof(rt: Runtime, *, check: bool = True, window: tuple[datetime, datetime] | None = None) -> Proof:
    """The audit log's head and the result of verifying the whole chain now, against its latest
    checkpoint; with `window`, also the times of the alerts received in it against their events."""
    from watchdesk.store.checkpoint import describe

    if not check:
        head = audit.head(rt.db)
        return Proof(True, "not verified", head.seq if head else None, head.hash if head else "", None, checked=False,
                     checkpoint=describe(rt.db.anchors))
    result = audit.verify(rt.db)
    head = result.head if result.ok else audit.head(rt.db)
    proof = Proof(result.ok, result.sentence(), head.seq if head else None, head.hash if head else "", result.bad_seq,
                  checkpoint=describe(rt.db.anchors))
    if window is None or not result.ok:
        return proof
    from watchdesk.store.proof import figures_disagree

    with rt.db.read() as session:
        count, named = figures_disagree(session, to_db_text(window[0]), to_db_text(window[1]))
    if not count:
        return replace(proof, figures_checked=True)
    sentence = f"{count} alert(s) have times that disagree with their chained events: " + "; ".join(named)
    return replace(proof, ok=False, sentence=sentence, disagree_count=count, disagree=tuple(named), figures_checked=True)


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
    grouped: list[Grouped] = field(default_factory=list)
    cleared: list[Cleared] = field(default_factory=list)
    off_duty: list[OffDutyAck] = field(default_factory=list)


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
            raise InvalidInput(_("{flag} '{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-02-16.").format(flag=flag, value=value)) from None
    if days[1] < days[0]:
        raise InvalidInput(_("--to {to} is before --from {start}; give the earlier day first.").format(to=days[1], start=days[0]))
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

    def at_each(self, level: int, whens: list[str]) -> list[str]:
        """Handles on duty at each of `whens` (stored UTC texts), comma-separated, earliest shift first."""
        names = ["", *self.names.get(level, [])]  # names[k]: on duty from the k-th change point on
        return list(map(names.__getitem__, map(bisect_right, repeat(self.points.get(level, [])), whens)))


def _stats(counts: dict[str, int], values: dict[str, list[int]], breaches: Counter[str], keys: list[str],
           cleared: Counter[str] | None = None) -> dict[str, Stats]:
    """Stats (seconds) per key from ascending lists of microseconds."""
    out = {}
    for k in keys:
        ordered = values.get(k, [])  # ascending
        out[k] = Stats(
            counts.get(k, 0), len(ordered), sum(ordered) / len(ordered) / 1e6 if ordered else None,
            _secs(nearest_rank(ordered, 50)), _secs(nearest_rank(ordered, 90)), _secs(ordered[-1] if ordered else None),
            breaches.get(k, 0), cleared.get(k, 0) if cleared else 0,
        )
    return out


@dataclass(frozen=True)
class WindowRows:
    """What the report reads, in one snapshot: plain rows, no connection (see `read_window`)."""

    columns: tuple[tuple, ...]  # the scan's columns (queries.SCAN_SQL, with the line columns when wanted), received order
    parents: dict[int, tuple]  # first_acked_at, acked_at, acked_by_id of the grouped alerts' parents
    handles: dict[int | None, str]  # officer id → handle
    first_by: dict[int, str]  # the first acknowledger from its event, for alerts acknowledged again since
    # The alerts the report lists apart, read by id: each list's own columns.
    late: dict[int, tuple]  # (title,) of the breached ones (none when the lines are read: the scan has them)
    unacked: dict[int, tuple]  # title, severity, state, level, received_at, snoozed_us, snoozed_until, exhausted
    grouped: dict[int, tuple]  # title, snoozed_us, snoozed_until
    cleared: dict[int, tuple]  # title, category, resolved_at, resolution
    off_titles: dict[int, tuple]  # (title,) of those acknowledged off duty
    escalations: list[tuple[int, int]]  # (alert id, level reached) of every escalation since the window's first alert
    off_duty: list[tuple[int, str, str, int]]  # (alert id, at, actor, first) of off-duty acknowledgments since then


def _targets_us(targets: dict[str, float]) -> dict[str, int]:
    return {k: round(v * 1_000_000) for k, v in targets.items()}


def read_window(rt: Runtime, start: datetime, end: datetime, targets: dict[str, float], *, with_alerts: bool) -> WindowRows:
    """Read, in one snapshot, every row the report over [start, end) needs.

    One indexed scan reads the window's alerts in received order with their stored durations; the few
    alerts the report names apart are then read by id. `targets` (seconds by severity) picks the
    breached ones among them (`sla.breached`).
    """
    lo, hi = to_db_text(start), to_db_text(end)
    tus = _targets_us(targets)
    with rt.db.read() as session:  # one snapshot for every query below
        # Escalations of the window's alerts come after the first one was raised: start the kind scan there.
        first_seq = queries.first_raised_seq(session, lo, hi)
        esc_rows = queries.escalations_since(session, first_seq)
        off_rows = queries.off_duty_acks_since(session, first_seq)
        handles = queries.officer_handles(session)
        scanned = queries.window_scan(session, lo, hi, lines=with_alerts)
        # Column by column: one C-level pass each, cheaper than zip(*rows) over 100,000 arguments.
        columns = tuple(tuple(map(itemgetter(k), scanned)) for k in range(queries.BASE_COLUMNS + (4 if with_alerts else 0)))
        del scanned
        ids, sevs, acks, who_codes, parents, cleared_flags = (columns[k] for k in (0, 1, 5, 7, 8, 9))
        n = len(ids)
        grouped = _grouped_at(n, parents, cleared_flags)
        parent_rows = queries.by_id(session, "parents", sorted({parents[i] for i in grouped}))
        # First acknowledgers from their events: alerts acknowledged again since, and the grouped
        # alerts' parents acknowledged again since (a grouped alert's acknowledgment is its parent's).
        again = set(map(ids.__getitem__, _at(n, map(eq, who_codes, repeat(0)))))
        again.update(p for p, (first, acked_at, _by) in parent_rows.items() if first is not None and acked_at != first)
        first_by = queries.first_acknowledgers(session, sorted(again))
        in_window = set(ids)
        off_duty = [r for r in off_rows if r[0] in in_window]
        cleared = _at(n, cleared_flags)
        apart = set(grouped) | set(cleared)
        none_at = _at(n, map(is_, acks, repeat(None)))
        late = []
        if not with_alerts:  # else the breached ones' titles ride on the scan
            late = [ids[i] for i in _late_at(acks, list(map(tus.get, sevs, repeat(0))), none_at) if i not in apart]
        unacked = [ids[i] for i in none_at if i not in apart]
        return WindowRows(
            columns, parent_rows, handles, first_by,
            late=queries.by_id(session, "late", late),
            unacked=queries.by_id(session, "unacked", unacked),
            grouped=queries.by_id(session, "grouped", [ids[i] for i in grouped]),
            cleared=queries.by_id(session, "cleared", [ids[i] for i in cleared]),
            off_titles=queries.by_id(session, "titles", sorted({r[0] for r in off_duty})),
            escalations=[(aid, level) for aid, level in esc_rows if aid in in_window],
            off_duty=off_duty,
        )


def ack_report(
    rt: Runtime, start: datetime, end: datetime, period: str = "", *, verify: bool = True, with_alerts: bool = True
) -> AckReport:
    """Compute the acknowledgment report over the alerts received in [start, end): its proof, one
    snapshot read of the window (`read_window`), then the figures worked out from those rows alone
    (`aggregate`)."""
    now = rt.now()
    proof = make_proof(rt, check=verify, window=(start, end))
    targets = {s.value: rt.config.ack_target(s).total_seconds() for s in Severity}
    segments = effective_shifts(rt, start - MAX_SHIFT, end + MAX_SHIFT)
    with _no_cyclic_gc():
        rows = read_window(rt, start, end, targets, with_alerts=with_alerts)
        report = aggregate(rows, segments, targets, start=start, end=end, period=period, now=now, zone=rt.zone,
                           roster=rt.config.roster, proof=proof, with_alerts=with_alerts)
        # Freed before the collector resumes, so its first pass does not walk the window's columns.
        del rows
    return report


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while the report builds its rows.

    A window of 100,000 alerts allocates millions of tuples, lists and strings, none in a cycle; each
    allocation burst set off full collections that walked them all again (a third of the report's
    time in benchmarks/report.py). Reference counting still frees everything; the collector resumes after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def aggregate(
    rows: WindowRows, segments: list[Segment], targets: dict[str, float], *, start: datetime, end: datetime, period: str,
    now: datetime, zone: ZoneInfo, roster: RosterConfig, proof: Proof, with_alerts: bool,
) -> AckReport:
    """The report from the rows of one window (no I/O): Python groups the alerts in one pass and sorts
    each group once; shifts and hours are ranges of the received order found by bisection.

    A window holds 100,000 alerts: the passes over whole columns are map/compress over C functions, so
    no Python frame runs per alert (see `_at`); Python loops run per group, per breach or per exception."""
    columns, parent_rows = rows.columns, rows.parents
    # Durations are integer microseconds until the figures are made (seconds, as the report shows them).
    ids, sevs, srcs, levels, recvs, acks, rsecs, who_codes, parents, cleared_flags, snoozeds = columns[:queries.BASE_COLUMNS]
    n = len(ids)
    cleared_at = _at(n, cleared_flags)
    grouped_at = _grouped_at(n, parents, cleared_flags)
    # A grouped alert's acknowledgment is its parent's (who, and when): timed from its own arrival.
    ack_subject = {}
    if grouped_at:
        acks, who_codes = list(acks), list(who_codes)
        for i in grouped_at:
            first, acked_at, acked_by = parent_rows.get(parents[i], (None, None, None))
            if first is None:
                acks[i] = who_codes[i] = None  # the parent waits: so does this one
            else:
                acks[i] = sla.grouped_ack_us(from_db_text(recvs[i]), from_db_text(first))
                who_codes[i] = acked_by if acked_at == first else 0
                ack_subject[i] = parents[i]
    tus = _targets_us(targets)
    tgts = list(map(tus.get, sevs, repeat(0)))
    none_at = _at(n, map(is_, acks, repeat(None)))
    late_at = _late_at(acks, tgts, none_at)
    apart = set(cleared_at) | set(grouped_at)
    unacked_ids = [ids[i] for i in none_at if i not in apart]
    again = _at(n, map(eq, who_codes, repeat(0)))

    whos = list(map(rows.handles.get, who_codes, repeat("?")))
    for i in none_at:
        whos[i] = ""
    for i in again:
        whos[i] = rows.first_by.get(ack_subject.get(i, ids[i]), "?")
    shifts, shift_ranges = _shift_of_each(zone, segments, recvs)

    # One pass groups the alerts by (severity, source, officer); each group is sorted once and a dimension
    # is the union of a few groups: sorted runs, which timsort merges in near-linear time. A shift is a
    # range of the received order, so its times are a slice.
    groups: dict[tuple[str, str, str], list] = defaultdict(list)
    # groups[key].append(ack) for every alert, the loop run by map in C (deque(maxlen=0) only drains it).
    deque(map(list.append, map(groups.__getitem__, zip(sevs, srcs, whos)), acks), maxlen=0)
    values: list[dict[str, list[int]]] = [defaultdict(list) for _ in range(4)]
    sizes: list[Counter[str]] = [Counter() for _ in range(4)]
    for key, acked in groups.items():
        size = len(acked)
        if key[2] == "":  # not acknowledged (officer ""): counted, no time
            acked = []
        acked.sort()
        for dim in range(3):
            sizes[dim][key[dim]] += size
            values[dim][key[dim]].extend(acked)
    dims = (sevs, srcs, whos, shifts)
    # The breaches, as `sla.breached` decided them above, and the alerts cleared by the system, per dimension.
    breach_counts = [Counter(map(keys.__getitem__, late_at)) for keys in dims]
    cleared_counts = [Counter(map(keys.__getitem__, cleared_at)) for keys in dims]
    for label, ranges in shift_ranges.items():
        for lo, hi in ranges:
            sizes[3][label] += hi - lo
            some = acks[lo:hi]
            if bisect_left(none_at, hi) > bisect_left(none_at, lo):
                some = [a for a in some if a is not None]
            values[3][label].extend(some)
    for dim_values in values:
        for acked in dim_values.values():
            acked.sort()

    rank = {s.value: s.rank for s in Severity}
    sev_keys = sorted(sizes[0], key=lambda k: (rank.get(k, 9), k))
    by_severity = _stats(sizes[0], values[0], breach_counts[0], sev_keys, cleared_counts[0])
    by_source = _stats(sizes[1], values[1], breach_counts[1], sorted(sizes[1]), cleared_counts[1])
    officers = sorted(k for k in values[2] if k != "")
    by_officer = _stats({k: len(values[2][k]) for k in officers}, values[2], breach_counts[2], officers)
    shift_keys = sorted(shift_ranges, key=lambda k: k == NOBODY)  # first seen, i.e. by time; nobody last
    by_shift = _stats(sizes[3], values[3], breach_counts[3], shift_keys, cleared_counts[3])
    ack_sorted = sorted(chain.from_iterable(values[0].values()))
    overall = _stats({"": n}, {"": ack_sorted}, Counter({"": len(late_at)}), [""], Counter({"": len(cleared_at)}))[""]
    resolved: dict[str, list[int]] = defaultdict(list)
    deque(map(list.append, map(resolved.__getitem__, sevs), rsecs), maxlen=0)  # resolved[sev].append(r), in C
    for sev, times in resolved.items():
        resolved[sev] = sorted(filter(_is_value, times))
    resolve_by_severity = _stats(sizes[0], resolved, Counter(), sev_keys)

    esc_count = Counter(map(itemgetter(0), rows.escalations))
    esc_by_level = Counter(map(itemgetter(1), rows.escalations))

    grouped_set = set(grouped_at)
    if with_alerts:
        late_titles = list(map(columns[queries.BASE_COLUMNS].__getitem__, late_at))
    else:
        late_titles = [(rows.grouped if i in grouped_set else rows.late)[ids[i]][0] for i in late_at]
    # The target ran out `target` after arrival, snoozed time excluded: a grouped alert's time runs from
    # its own arrival with no snooze of its own.
    late_tgts = list(map(tgts.__getitem__, late_at))
    run_outs = list(map(add, map(snoozeds.__getitem__, late_at), late_tgts))
    late_parents: list[int | None] = [None] * len(late_at)
    for k, i in enumerate(late_at):
        if i in grouped_set:
            run_outs[k], late_parents[k] = late_tgts[k], parents[i]
    ran_out = _texts_after(list(map(recvs.__getitem__, late_at)), run_outs)
    duty = _OnDuty(segments)
    late_sevs = list(map(sevs.__getitem__, late_at))
    breaches = _named(Breach, map(ids.__getitem__, late_at), late_titles, late_sevs,
                      _seconds(list(map(acks.__getitem__, late_at))), map(targets.get, late_sevs, repeat(0.0)), ran_out,
                      map(whos.__getitem__, late_at), duty.at_each(1, ran_out), duty.at_each(2, ran_out), late_parents)
    unacked = []
    for aid in unacked_ids:
        title, sev, state, level, recv, snoozed, until, exhausted = rows.unacked[aid]
        waiting = sla.waiting_us(from_db_text(recv), now, snoozed, from_db_text(until))
        unacked.append(Unacked(aid, title, sev, state, level, recv, waiting / 1e6, sla.breached(waiting, tus.get(sev, 0)),
                               bool(exhausted)))
    grouped = []
    for i in grouped_at:
        title, snoozed, until = rows.grouped[ids[i]]
        first = parent_rows.get(parents[i], (None,))[0]
        waiting = None if acks[i] is not None else sla.waiting_us(from_db_text(recvs[i]), now, snoozed, from_db_text(until))
        grouped.append(Grouped(ids[i], title, sevs[i], parents[i], recvs[i], first, whos[i], _secs(acks[i]), _secs(waiting),
                               sla.breached(acks[i] if acks[i] is not None else waiting, tgts[i])))
    cleared = []
    for i in cleared_at:
        title, category, resolved_at, resolution = rows.cleared[ids[i]]
        cleared.append(Cleared(ids[i], title, sevs[i], category, recvs[i], resolved_at, (rsecs[i] or 0) / 1e6,
                               resolution.removeprefix(RESOLUTION_PREFIX)))

    alerts: list[AlertAck] = []
    if with_alerts:
        titles, states, firsts, resolveds = columns[queries.BASE_COLUMNS:]
        if grouped_at:  # a grouped alert's first acknowledgment is its parent's
            firsts = list(firsts)
            for i in grouped_at:
                firsts[i] = parent_rows.get(parents[i], (None,))[0]
        grouped_with: list[int | None] = [None] * n
        for i in grouped_at:
            grouped_with[i] = parents[i]
        alerts = _named(AlertAck, ids, titles, srcs, sevs, states, levels, recvs, firsts, whos, _seconds(snoozeds),
                        _seconds(acks), map(targets.get, sevs, repeat(0.0)), map(set(late_at).__contains__, range(n)),
                        shifts, map(esc_count.get, ids, repeat(0)), resolveds, _seconds(rsecs), grouped_with,
                        map(bool, cleared_flags))
    off_duty = [OffDutyAck(aid, rows.off_titles[aid][0], actor, at, bool(first)) for aid, at, actor, first in rows.off_duty]
    return AckReport(
        title=N_("Acknowledgment report"), period=period, start=start, end=end, generated_at=now, zone=zone.key,
        proof=proof, overall=overall, by_severity=by_severity, by_source=by_source, by_officer=by_officer,
        by_shift=by_shift, alerts=alerts, breaches=breaches, never_acked=unacked,
        escalations_by_level=dict(sorted(esc_by_level.items())), alerts_by_top_level=dict(sorted(Counter(levels).items())),
        resolve_by_severity=resolve_by_severity, per_hour=_per_hour(zone, start, end, recvs), hours=_hours(zone, roster, start, end, segments),
        targets=targets, grouped=grouped, cleared=cleared, off_duty=off_duty,
    )


# -- column helpers: each a pass over a whole column in C ------------------------------------------
_is_value = partial(is_not, None)  # _is_value(x) is `None is not x`


def _at(n: int, flags: Iterable[object]) -> list[int]:
    """The positions (0..n-1) whose flag is true."""
    return list(compress(range(n), flags))


def _grouped_at(n: int, parents: Sequence[int | None], cleared_flags: Sequence[object]) -> list[int]:
    """Positions of the grouped alerts (a parent set), those cleared by the system excepted."""
    return [i for i in _at(n, map(is_not, parents, repeat(None))) if not cleared_flags[i]]


def _late_at(acks: Sequence[int | None], tgts: Sequence[int], none_at: list[int]) -> list[int]:
    """Positions of the SLA breaches: `sla.breached(ack, target)` over the columns (an alert with no
    time, listed in none_at, never breaches; it compares as -inf so `>` runs in C over the rest)."""
    if none_at:
        filled: Sequence[float | int | None] = list(acks)
        for i in none_at:
            filled[i] = float("-inf")  # type: ignore[index]
    else:
        filled = acks
    return _at(len(acks), map(gt, filled, tgts))


def _seconds(us: Sequence[int | None]) -> list[float | None]:
    """A column of microseconds in seconds (None stays None)."""
    nones = _at(len(us), map(is_, us, repeat(None)))
    if not nones:
        return list(map(truediv, us, repeat(1e6)))
    filled = list(us)
    for i in nones:
        filled[i] = 0
    out: list[float | None] = list(map(truediv, filled, repeat(1e6)))
    for i in nones:
        out[i] = None
    return out


def _named(kind: type[TT], *columns: Iterable[object]) -> list[TT]:
    """Named tuples of `kind` from its columns; tuple.__new__ fills them in C (a Python-level __new__
    per line costs more than the scan)."""
    return list(map(partial(tuple.__new__, kind), zip(*columns)))  # type: ignore[arg-type]


def _shift_of_each(zone: ZoneInfo, segments: list[Segment], recvs: tuple[str, ...]) -> tuple[list[str], dict[str, list[tuple[int, int]]]]:
    """The level-1 shift of each alert (received order): the latest one begun, if still running.

    Each segment owns the alerts received from its start to the next segment's start, up to its own end;
    bisecting the received times finds those ranges without a per-alert loop. Returns the label of each
    alert and, per label in order of first alert, its ranges [lo, hi) of the received order.
    """
    level1 = sorted((to_db_text(g.start), g.span.id, to_db_text(g.end), _shift_label(zone, g)) for g in segments if g.level == 1)
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


def _per_hour(zone: ZoneInfo, start: datetime, end: datetime, recvs: Sequence[str]) -> list[tuple[datetime, int]]:
    """Alerts received in every hour of the window, quiet hours included (count 0), each hour as its
    start in the desk's zone. The counts come from one bisect of the received times per hour that
    has alerts; a year of hours is then mapped in C (a dictionary look-up each)."""
    counts, lo = {}, 0
    while lo < len(recvs):
        hour = recvs[lo][:13]  # 'YYYY-MM-DD HH'; every time in that hour continues with ':'
        hi = bisect_left(recvs, hour + ";", lo)  # ';' sorts right after ':', before the next hour
        counts[hour], lo = hi - lo, hi
    first = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = max(0, -(-(end - first) // timedelta(hours=1)))  # the hours that start before `end`
    starts = list(map(add, repeat(first), map(timedelta, repeat(0), range(0, hours * 3600, 3600))))
    keys = map(itemgetter(slice(0, 13)), map(methodcaller("isoformat", " "), starts))
    return list(zip(map(methodcaller("astimezone", zone), starts), map(counts.get, keys, repeat(0))))


def _texts_after(stored: list[str], us: list[int]) -> list[str]:
    """Each stored UTC text `us` microseconds later (same fixed-width format as to_db_text).

    Naive UTC arithmetic and isoformat, mapped in C: the same text as to_db_text, several times faster."""
    later = map(add, map(datetime.fromisoformat, stored), map(timedelta, repeat(0), repeat(0), us))
    return list(map(methodcaller("isoformat", " ", "microseconds"), later))


def _secs(us: int | None) -> float | None:
    return None if us is None else us / 1e6


def _shift_label(zone: ZoneInfo, g: Segment) -> str:
    s, e = g.start.astimezone(zone), g.end.astimezone(zone)
    return f"{g.officer} {s:%d/%m %H:%M}–{e:%d/%m %H:%M}"


def _hours(zone: ZoneInfo, cfg: RosterConfig, start: datetime, end: datetime, segments: list[Segment]) -> list[HoursRow]:
    """The duty-hours ledger from the roster (the same rules as 'watchdesk roster hours'); segments are cut to the window."""
    days = public_holidays(start.astimezone(zone).date(), end.astimezone(zone).date())
    return duty_hours(segments, start, end, zone, night_start=cfg.night_start, night_end=cfg.night_end, holidays=days)
