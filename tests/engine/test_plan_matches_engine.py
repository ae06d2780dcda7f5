"""The dry run a supervisor trusts before Tết (`escalation plan`) and the engine agree: over random
rosters and policies, the same steps at the same times reach the same people and the same calls."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_PIN
from tests.engine.conftest import duty
from watchdesk.clock import FakeClock
from watchdesk.config import parse_config
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.escalation import escalate_due, plan_escalation
from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in
from watchdesk.services.runtime import Runtime, open_runtime
from watchdesk.store.audit import events_for

HANDLES = ("hung", "thu", "lan", "minh")
START = "2026-02-17T02:00:00+07:00"

step_st = st.one_of(
    st.builds(lambda after, level, contacts: {"after": f"{after}m", "level": level, "channels": ["terminal"],
                                              **({"contacts": contacts} if contacts else {})},
              st.integers(0, 30), st.integers(1, 3), st.sampled_from([[], ["ncsc"]])),
    st.builds(lambda after, contacts: {"after": f"{after}m", "contacts": contacts, "channels": []},
              st.integers(0, 30), st.sampled_from([["vncert"], ["ncsc", "vncert"]])),
)
policy_st = st.builds(lambda steps, repeat: {"steps": steps, "repeat": repeat, "ack_timeout": "2h"},
                      st.lists(step_st, min_size=1, max_size=4), st.integers(0, 2))
# (handle, level, start minute, length in minutes) relative to the alert's arrival; gaps are likely.
shift_st = st.tuples(st.sampled_from(HANDLES), st.integers(1, 3), st.integers(-60, 200), st.integers(5, 240))


def _runtime(folder: str, policy: dict[str, Any], clock: FakeClock) -> Runtime:
    config = parse_config({"policies": {sev: policy for sev in ("critical", "high", "medium", "low")}})
    rt = open_runtime(config, db_path=str(Path(folder) / "plan.db"), clock=clock)
    bootstrap_supervisor(rt, "minh", "Nguyễn Văn Minh", TEST_PIN)
    boss = sign_in(rt, "minh", TEST_PIN)
    for handle in HANDLES[:3]:
        add_officer(rt, boss, handle, handle.title(), "lead" if handle == "lan" else "officer", pin=TEST_PIN)
    return rt


def _planned(rt: Runtime) -> list[tuple]:
    return [(p.at, p.round, p.step, p.level, p.officers, tuple(c["key"] for c in p.calls))
            for p in plan_escalation(rt, "high", rt.now())]


def _executed(rt: Runtime, alert_id: int) -> list[tuple]:
    from datetime import datetime, timezone

    out = []
    for e in events_for(rt.db, "alert", alert_id):
        if e.kind in ("alert.paged", "alert.escalated"):
            p = e.payload
            at = datetime.fromisoformat(e.at).replace(tzinfo=timezone.utc)
            level = p["level"] if p["label"].startswith("level") else None
            out.append((at, p["round"], p["step"], level, tuple(sorted(p["notified"])), tuple(p["calls"])))
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=policy_st, shifts=st.lists(shift_st, max_size=6))
def test_the_dry_run_and_the_engine_take_the_same_steps(policy: dict[str, Any], shifts: list[tuple]) -> None:
    clock = FakeClock(START)
    with tempfile.TemporaryDirectory() as folder:
        rt = _runtime(folder, policy, clock)
        try:
            t0 = clock.now()
            for handle, level, start, length in shifts:
                duty(rt, handle, level, t0 + timedelta(minutes=start), t0 + timedelta(minutes=start + length))
            planned = _planned(rt)
            with rt.db.write() as session:
                row, _ = raise_alert(session, t0, source_key="manual", dedup_key="plan", title="Cảnh báo thử")
                alert_id = row.id
            # The engine, ticking exactly at each deadline (an engine on time), until nothing is ahead.
            for _ in range(100):
                with rt.db.read() as session:
                    from watchdesk.store.models import Alert

                    due = session.get(Alert, alert_id).next_escalation_at  # type: ignore[union-attr]
                if due is None:
                    break
                clock.fast_forward(due - clock.now())
                escalate_due(rt)
            assert _executed(rt, alert_id) == planned
            assert rt.config.escalation.fallback_contact in planned[-1][5]  # the last word always reaches it
        finally:
            rt.db.dispose()
