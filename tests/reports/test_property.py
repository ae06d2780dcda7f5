"""Property-based histories: the report's MTTA, percentiles and breach lists equal a plain recomputation from the raw events.

Each example builds a fresh database through the real services (raise, snooze, acknowledge,
resolve), then recomputes every figure from the audit log alone: received = the alert.raised
event's time, first acknowledgment = the first alert.acknowledged (or implicit-ack alert.resolved)
event, snoozed time = the alert.snoozed events' spans cut at that acknowledgment.
"""

from __future__ import annotations

import math
import tempfile
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchdesk.clock import FakeClock
from watchdesk.config import parse_config
from watchdesk.services import lifecycle
from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in
from watchdesk.services.reports import ack_report
from watchdesk.services.runtime import open_runtime
from watchdesk.store.audit import tail

from tests.reports.history import duty, new_alert

T0 = datetime(2026, 2, 16, 12, 0, tzinfo=timezone.utc)
SEVERITIES = ["critical", "high", "medium", "low"]

alert_st = st.fixed_dictionaries({
    "severity": st.sampled_from(SEVERITIES),
    "source": st.sampled_from(["kev", "kgm", "manual"]),
    "officer": st.sampled_from(["hung", "thu"]),
    "snooze": st.one_of(st.none(), st.integers(60, 3 * 3600)),  # seconds, at +1 s
    "ack_after": st.one_of(st.none(), st.integers(2, 6 * 3600)),  # seconds after receipt
    "how": st.sampled_from(["ack", "resolve"]),  # resolving unacknowledged is an implicit first ack
})


def nearest(values: list[float], p: int) -> float | None:
    """Nearest rank, written independently of the report (exact fractions)."""
    if not values:
        return None
    s = sorted(values)
    return s[max(1, math.ceil(Fraction(p, 100) * len(s))) - 1]


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def recompute(rt, targets: dict[str, float]):
    events = tail(rt.db, 100_000, kind="alert.*")
    raised, first, snoozes, sev, src = {}, {}, defaultdict(list), {}, {}
    for e in events:
        aid = int(e.subject_id)
        if e.kind == "alert.raised":
            raised[aid] = _dt(e.at)
            sev[aid], src[aid] = e.payload["severity"], e.payload["source"]
        elif e.kind == "alert.snoozed":
            snoozes[aid].append((_dt(e.at), _dt(e.payload["until"])))
        elif (e.kind == "alert.acknowledged" or (e.kind == "alert.resolved" and e.payload["implicit_ack"])) and aid not in first:
            first[aid] = (_dt(e.at), e.actor)
    acks, who = {}, {}
    for aid, (at, actor) in first.items():
        snoozed = sum(((min(until, at) - s).total_seconds() for s, until in snoozes[aid] if s < at), 0.0)
        acks[aid] = (at - raised[aid]).total_seconds() - snoozed
        who[aid] = actor
    breaches = sorted(a for a, v in acks.items() if v > targets[sev[a]])
    return raised, acks, who, sev, src, breaches


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(alert_st, min_size=1, max_size=8))
def test_report_equals_a_plain_recomputation(plan):
    with tempfile.TemporaryDirectory() as folder:
        clock = FakeClock(T0)
        rt = open_runtime(parse_config({}), db_path=str(Path(folder) / "p.db"), clock=clock)
        try:
            bootstrap_supervisor(rt, "minh", "Nguyễn Văn Minh", "246810")
            boss = sign_in(rt, "minh", "246810")
            for h in ("hung", "thu"):
                add_officer(rt, boss, h, h.title(), "officer")
            people = {h: sign_in(rt, h, None) for h in ("hung", "thu")}
            at = T0
            for n, item in enumerate(plan):
                # Each alert lives in its own 8-hour slot with its own level-1 shift.
                slot = T0 + timedelta(hours=8 * n)
                duty(rt, item["officer"], 1, slot, slot + timedelta(hours=8))
                at = slot + timedelta(minutes=1)
                aid = new_alert(rt, clock, at, f"alert {n}", item["severity"], item["source"])
                if item["snooze"]:
                    clock.set(at + timedelta(seconds=1))
                    lifecycle.snooze(rt, people[item["officer"]], aid, timedelta(seconds=min(item["snooze"], 4 * 3600)), "wait")
                if item["ack_after"]:
                    clock.set(at + timedelta(seconds=item["ack_after"]))
                    if item["how"] == "ack":
                        lifecycle.acknowledge(rt, people[item["officer"]], aid)
                    else:
                        lifecycle.resolve(rt, people[item["officer"]], aid, "done")
            clock.set(T0 + timedelta(hours=8 * len(plan) + 1))
            report = ack_report(rt, T0, T0 + timedelta(hours=8 * len(plan)))
            targets = report.targets
            raised, acks, who, sev, src, breaches = recompute(rt, targets)

            values = list(acks.values())
            o = report.overall
            assert o.count == len(raised) and o.acked == len(values)
            assert (o.mean is None) == (not values)
            if values:
                assert math.isclose(o.mean, sum(values) / len(values), rel_tol=1e-12, abs_tol=1e-9)
            assert o.median == nearest(values, 50) and o.p90 == nearest(values, 90)
            assert o.max == (max(values) if values else None)
            assert [b.alert_id for b in report.breaches] == breaches
            assert {b.alert_id: b.ack_seconds for b in report.breaches} == {a: acks[a] for a in breaches}
            for s in set(sev.values()):
                group = [v for a, v in acks.items() if sev[a] == s]
                st_ = report.by_severity[s]
                assert st_.count == sum(1 for a in sev if sev[a] == s)
                assert (st_.median, st_.p90, st_.breaches) == (nearest(group, 50), nearest(group, 90), sum(1 for a in breaches if sev[a] == s))
            for h in set(who.values()):
                group = [v for a, v in acks.items() if who[a] == h]
                assert (report.by_officer[h].acked, report.by_officer[h].max) == (len(group), max(group))
            for key in set(src.values()):
                assert report.by_source[key].count == sum(1 for a in src if src[a] == key)
            assert sorted(u.alert_id for u in report.never_acked) == sorted(set(raised) - set(acks))
            for b in report.breaches:  # who was on duty: the slot's officer
                assert b.on_duty_level1 == plan[b.alert_id - 1]["officer"] or b.target_ran_out_at >= (T0 + timedelta(hours=8 * b.alert_id)).strftime("%Y-%m-%d %H:%M:%S")
        finally:
            rt.db.dispose()
