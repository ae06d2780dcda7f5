"""Escalation: policies per severity, the due-alert sweep, manual escalation, and the dry-run plan.

Bookkeeping on the alert row (see DESIGN.md "Alert lifecycle"): `step` is how many policy
steps have fired in the current `round`; `next_escalation_at` is when the next one is due
(for an acknowledged alert: when its ack timeout runs out). A step's `after` is the wait
after the previous step, so deadlines follow the policy's schedule from `received_at`.

One sweep, per due alert, in one write transaction shared by the batch:
  1. walk the schedule from the stored deadline up to now: the steps whose time has come;
  2. the steps due at the latest of those instants fire; earlier ones were missed while no
     engine ran — they are logged as skipped, and the officers of the level the alert has
     reached get ONE page (after downtime nobody gets a burst of stale pages);
  3. a roster step with nobody on duty is logged and the next step fires at once;
  4. a compare-and-set UPDATE (`WHERE id, state, level, step, round, next_escalation_at`)
     decides: only the engine whose UPDATE changed the row queues the pages, creates the
     call tasks and writes the events, all in the same transaction.
After the last step the policy repeats up to `repeat` rounds (a repeated round whose first step
waits 0 starts one last-step wait after the previous round); then the alert is exhausted
(still open, flagged) and the fallback contact always gets a call task.

`_plan` is the one statement of these rules: the sweep executes it, and the dry run
(`simulate`, behind `escalation plan` and "Escalation ahead") runs it at each step's instant.
A joined child has no deadline: its parent's escalation covers it; a more severe child raises
its parent onto the higher policy (`raise_severity`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from watchdesk.clock import ensure_utc
from watchdesk.config import Config, PolicyConfig, StepConfig
from watchdesk.core.enums import AlertState, Severity
from watchdesk.core.records import OfficerRecord
from watchdesk.notify.messages import page_for
from watchdesk.notify.outbox import enqueue, enqueue_many
from watchdesk.services.officers import to_record as to_officer_record
from watchdesk.services.roster import on_duty
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import SYSTEM, append_event
from watchdesk.store.db import Session
from watchdesk.store.models import Alert
from watchdesk.store.queries import escalation as q
from watchdesk.store.queries.alerts import append_events
from watchdesk.store.queries.escalation import DueAlert
from watchdesk.store.types import to_db_text

log = logging.getLogger("watchdesk.escalation")


def policy_for(config: Config, severity: Severity | str) -> PolicyConfig:
    return config.policies[Severity(severity)]


@dataclass(frozen=True)
class StepAt:
    """Step `step` of round `round`, due at `due`."""

    step: int
    round: int
    due: datetime


def next_position(policy: PolicyConfig, step: int, round: int) -> tuple[int, int] | None:
    """The step after `step` of `round`: the next in the round, the first of the next round, or None (exhausted)."""
    if step + 1 < len(policy.steps):
        return step + 1, round
    if round < policy.repeat:
        return 0, round + 1
    return None


def wait_before(policy: PolicyConfig, step: int, new_round: bool) -> timedelta:
    """The wait before `step`. A repeated round whose first step waits 0 starts one
    last-step wait after the previous round's last step, so rounds never pile up at one instant."""
    after = policy.steps[step].after
    if new_round and step == 0 and after == timedelta(0):
        return policy.steps[-1].after
    return after


def _following(policy: PolicyConfig, item: StepAt, base: datetime) -> StepAt | None:
    pos = next_position(policy, item.step, item.round)
    if pos is None:
        return None
    return StepAt(pos[0], pos[1], base + wait_before(policy, pos[0], pos[1] != item.round))


def walk_due(policy: PolicyConfig, start: StepAt, now: datetime) -> tuple[list[StepAt], StepAt | None]:
    """The steps due by `now` from `start` on the policy's schedule, and the first one not yet due."""
    items: list[StepAt] = []
    current: StepAt | None = start
    while current is not None and current.due <= now:
        items.append(current)
        current = _following(policy, current, current.due)
    return items, current


def step_label(step: StepConfig) -> str:
    parts = []
    if step.level is not None:
        parts.append(f"level {step.level}")
    if step.contacts:
        parts.append("call " + ", ".join(step.contacts))
    return " + ".join(parts)


# -- who a step reaches ---------------------------------------------------------------------
def target_for(channel_type: str, channel_format: str, officer: OfficerRecord) -> str:
    """The address of an officer on a channel ('' when they have none there)."""
    if channel_type == "email":
        return officer.email
    if channel_type == "webhook" and channel_format == "telegram":
        return officer.chat_ids.get("telegram", "")
    if channel_type == "webhook" and channel_format == "slack":
        return officer.chat_ids.get("slack") or officer.chat_ids.get("mattermost") or officer.handle
    return officer.handle


class _Roster:
    """On-duty answers cached for one sweep (one instant)."""

    def __init__(self, rt: Runtime, now: datetime) -> None:
        self.rt, self.now = rt, now
        self._cache: dict[int, list[OfficerRecord]] = {}

    def at_level(self, level: int) -> list[OfficerRecord]:
        if level not in self._cache:
            self._cache[level] = [o for o in on_duty(self.rt, level, self.now) if o.active]
        return self._cache[level]


@dataclass
class _Firing:
    """One step about to fire for one alert: who it reaches, whom to call."""

    item: StepAt
    step: StepConfig
    officers: list[OfficerRecord]
    calls: tuple[str, ...]
    """The step's contacts, and the fallback contact on the policy's last word."""
    final: bool

    @property
    def reached_nobody(self) -> bool:
        return self.step.level is not None and not self.officers and not self.step.contacts


@dataclass
class _Plan:
    firings: list[_Firing]
    skipped: list[StepAt]
    after: StepAt | None  # the next step, or None when exhausted
    level: int  # the level reached once the plan is done
    start_level: int  # the level reached by the skipped steps


def _plan(config: Config, roster: _Roster, policy: PolicyConfig, level: int, start: StepAt, now: datetime) -> _Plan:
    """What happens at `now` to an alert at `level` whose schedule resumes at `start`.

    The one statement of the rules: the engine executes it (escalate_due, escalate_now) and the
    dry run (simulate) calls it at each step's instant, so they cannot drift apart.
    """
    items, after = walk_due(policy, start, now)
    if not items:
        return _Plan([], [], after, level, level)
    latest = items[-1].due
    fire = [i for i in items if i.due == latest]
    skipped = [i for i in items if i.due < latest]
    if skipped and not any(policy.steps[i.step].level is not None for i in fire):
        # After downtime the steps due now may all be calls: still page the level reached, once.
        reached = [i for i in skipped if policy.steps[i.step].level is not None]
        if reached:
            skipped.remove(reached[-1])
            fire.insert(0, reached[-1])
    for item in skipped:
        level = policy.steps[item.step].level or level
    start_level = level

    def firing(item: StepAt) -> _Firing:
        step = policy.steps[item.step]
        officers = roster.at_level(step.level) if step.level is not None else []
        final = next_position(policy, item.step, item.round) is None
        calls = list(step.contacts)
        if final and config.escalation.fallback_contact not in calls:
            calls.append(config.escalation.fallback_contact)  # the last word always reaches it
        return _Firing(item, step, officers, tuple(calls), final)

    firings = [firing(i) for i in fire]
    # Nobody on duty at a level: the next step runs at once (same instant), and so on.
    while firings[-1].reached_nobody and after is not None:
        item = StepAt(after.step, after.round, latest)
        firings.append(firing(item))
        after = _following(policy, item, latest)
    for f in firings:
        level = f.step.level or level
    return _Plan(firings, skipped, after, level, start_level)


@dataclass(frozen=True)
class Escalated:
    """What one alert's escalation did (for reports and tests)."""

    alert_id: int
    level: int
    round: int
    step: int
    notified: tuple[str, ...]
    queued: int
    calls: tuple[str, ...]
    nobody_at: tuple[int, ...]
    skipped: int
    exhausted: bool
    next_escalation_at: datetime | None


class _Writes:
    """What a transaction's escalations write beside their compare-and-sets, gathered and written
    together at its end (`write`): the pages in one statement, the call tasks in one, the events
    chained in the order they were taken, in one (store.audit.append_events_bulk). Same
    transaction, same rows, same chain as writing each at once; per alert, a sweep then costs
    its compare-and-set alone."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.events: list[tuple[datetime, str, str, str, object, dict]] = []
        self.pages: list[dict] = []
        self.calls: list[tuple[int, str, int, int]] = []
        self._texts: dict[datetime, str] = {}

    def text(self, when: datetime) -> str:
        """to_db_text, once per instant (a sweep's alerts share a few instants)."""
        got = self._texts.get(when)
        if got is None:
            got = self._texts[when] = to_db_text(when)
        return got

    def event(self, actor: str, kind: str, alert_id: int | None, payload: dict) -> None:
        self.events.append((self.now, actor, kind, "alert", "" if alert_id is None else alert_id, payload))

    def write(self, session: Session) -> list[bool]:
        """Write everything gathered; for each page, whether it was queued (its key was new)."""
        queued = enqueue_many(session, self.pages, self.now) if self.pages else []
        q.insert_call_tasks(session, self.calls, self.now)
        if self.events:
            append_events(session, self.events)
        return queued


@dataclass(frozen=True)
class _Applied:
    """An escalation whose pages are gathered, not yet written: `pages` indexes _Writes.pages."""

    escalated: Escalated
    pages: range

    def done(self, queued: list[bool]) -> Escalated:
        return replace(self.escalated, queued=sum(queued[i] for i in self.pages))


def _apply(
    writes: _Writes,
    rt: Runtime,
    row: Alert | DueAlert,
    plan: _Plan,
    *,
    actor: str = SYSTEM,
    manual_reason: str | None = None,
) -> _Applied:
    """Gather the pages, the call tasks and the events of a plan whose CAS won."""
    now = writes.now
    policy = policy_for(rt.config, row.severity)
    alert_id = row.id or 0
    if plan.skipped:
        writes.event(
            actor, "alert.steps_skipped", alert_id,
            {
                "steps": [
                    {"round": i.round, "step": i.step, "label": step_label(policy.steps[i.step]), "due": writes.text(i.due)}
                    for i in plan.skipped
                ],
                "reason": "no engine ran when these steps were due",
            },
        )
    notified: list[str] = []
    calls: list[str] = []
    nobody: list[int] = []
    first = len(writes.pages)
    level = plan.start_level
    for firing in plan.firings:
        step, item = firing.step, firing.item
        from_level = level
        level = step.level or level
        reached: list[str] = []
        unreachable: list[dict[str, str]] = []
        if step.level is not None and not firing.officers:
            nobody.append(step.level)
            writes.event(
                actor, "alert.nobody_on_duty", alert_id,
                {"level": step.level, "round": item.round, "step": item.step,
                 "then": "next step at once" if firing.reached_nobody else "contacts of this step"},
            )
        page = page_for(
            alert_id=alert_id, title=row.title, severity=row.severity, received_at=row.received_at,  # type: ignore[arg-type]
            link=row.link, level=level, round=item.round, zone=rt.zone,
            manual_by=actor if manual_reason is not None else "", reason=manual_reason or "",
        )
        for officer in firing.officers:
            for name in step.channels:
                conf = rt.config.channels.get(name)
                if conf is None or not conf.enabled:
                    unreachable.append({"handle": officer.handle, "channel": name, "why": "channel disabled or undefined"})
                    continue
                target = target_for(conf.type, conf.format, officer)
                if not target:
                    unreachable.append({"handle": officer.handle, "channel": name, "why": "no address for this channel"})
                    continue
                writes.pages.append({"alert_id": alert_id, "level": level, "round": item.round, "channel": name,
                                     "channel_type": conf.type, "target": target, "page": page})
            reached.append(officer.handle)
        step_calls = list(firing.calls)
        writes.calls.extend((alert_id, key, item.round, item.step) for key in step_calls)
        notified.extend(reached)
        calls.extend(step_calls)
        first_page = item.round == 0 and item.step == 0 and manual_reason is None
        writes.event(
            actor, "alert.paged" if first_page else "alert.escalated", alert_id,
            {
                "from_level": from_level, "level": level, "round": item.round, "step": item.step,
                "label": step_label(step), "notified": reached, "channels": list(step.channels),
                "calls": step_calls, "unreachable": unreachable, "manual": manual_reason is not None,
                "reason": manual_reason or "", "due": writes.text(item.due),
                "severity": row.severity, "received_at": writes.text(row.received_at),  # type: ignore[arg-type]
            },
        )
    exhausted = plan.after is None
    if exhausted:
        writes.event(
            actor, "alert.exhausted", alert_id,
            {"round": plan.firings[-1].item.round if plan.firings else row.round, "level": level,
             "fallback_contact": rt.config.escalation.fallback_contact},
        )
    last = plan.firings[-1].item if plan.firings else StepAt(row.step, row.round, now)
    escalated = Escalated(
        alert_id=alert_id, level=plan.level, round=plan.after.round if plan.after else last.round,
        step=plan.after.step if plan.after else len(policy.steps), notified=tuple(notified), queued=0,
        calls=tuple(calls), nobody_at=tuple(nobody), skipped=len(plan.skipped), exhausted=exhausted,
        next_escalation_at=plan.after.due if plan.after else None,
    )
    return _Applied(escalated, range(first, len(writes.pages)))


_CAS_COLUMNS = ("state", "level", "step", "round", "next_escalation_at", "exhausted", "acked_by_id", "acked_at", "snoozed_until")


def _move(row: Alert | DueAlert, from_state: str, plan: _Plan, policy: PolicyConfig, extra: dict | None = None) -> q.Move:
    """The compare-and-set that decides which engine (or person) moves this alert."""
    last = plan.firings[-1].item if plan.firings else None
    values = {
        "state": AlertState.NEW.value,
        "level": plan.level,
        "step": plan.after.step if plan.after else len(policy.steps),
        "round": plan.after.round if plan.after else (last.round if last else row.round),
        "next_escalation_at": plan.after.due if plan.after else None,
        "exhausted": plan.after is None,
        **(extra or {}),
    }
    return q.Move({c: values[c] for c in _CAS_COLUMNS if c in values}, alert_id=row.id, state=from_state,
                  level=row.level, step=row.step, round=row.round, next_escalation_at=row.next_escalation_at)


def _cas(session: Session, row: Alert | DueAlert, from_state: str, plan: _Plan, policy: PolicyConfig, extra: dict | None = None) -> bool:
    """One alert's compare-and-set, now (a person's escalation)."""
    move = _move(row, from_state, plan, policy, extra)
    return q.move_alert(session, move.values, alert_id=move.alert_id, state=move.state, level=move.level, step=move.step,
                        round=move.round, next_escalation_at=move.next_escalation_at)


def _start(policy: PolicyConfig, row: Alert | DueAlert, due: datetime) -> StepAt | None:
    """Where the schedule resumes; a policy edited to fewer steps continues from its end."""
    if row.step < len(policy.steps):
        return StepAt(row.step, row.round, due)
    pos = next_position(policy, len(policy.steps) - 1, row.round)
    return StepAt(pos[0], pos[1], due) if pos else None


def resume_at(policy: PolicyConfig, row: Alert | DueAlert) -> StepAt | None:
    """The next step of an open alert as the engine will take it: an acknowledged alert past its
    ack timeout starts a fresh round from the first step (PagerDuty's re-trigger); a new one
    resumes its schedule. None when nothing is ahead (exhausted, joined, resolved)."""
    if row.next_escalation_at is None or row.state == AlertState.RESOLVED.value:
        return None
    if row.state == AlertState.ACKNOWLEDGED.value:
        return StepAt(0, row.round + 1, row.next_escalation_at)
    return _start(policy, row, row.next_escalation_at)


@dataclass(frozen=True)
class SweepReport:
    escalated: tuple[Escalated, ...] = ()
    retriggered: int = 0
    snooze_ended: int = 0
    lost_races: int = 0

    @property
    def queued(self) -> int:
        return sum(e.queued for e in self.escalated)

    @property
    def calls(self) -> int:
        return sum(len(e.calls) for e in self.escalated)


@dataclass(frozen=True)
class _Candidate:
    """A due alert, re-checked inside the write lock, with its plan and its compare-and-set."""

    row: DueAlert
    plan: _Plan
    policy: PolicyConfig
    start: StepAt | None
    move: q.Move


def escalate_due(rt: Runtime, limit: int = 500) -> SweepReport:
    """Escalate every due alert (and re-arm every acknowledged one past its ack timeout).

    The compare-and-sets go to the database together (store.queries.escalation.move_alerts),
    up to and including an ack timeout's: its acknowledged children are reopened right after it,
    before the next alert's, as when each was sent alone."""
    now = rt.now()
    with rt.db.read() as session:
        ids = q.due_alert_ids(session, now, limit)
    if not ids:
        return SweepReport()
    roster = _Roster(rt, now)
    applied: list[_Applied] = []
    retriggered = snoozes = lost = 0
    with rt.db.write() as session:
        writes = _Writes(now)
        waiting: list[_Candidate] = []

        def settle() -> None:
            nonlocal retriggered, snoozes, lost
            for c, won in zip(waiting, q.move_alerts(session, [c.move for c in waiting]), strict=True):
                if not won:
                    lost += 1
                    continue
                row = c.row
                if row.state == AlertState.ACKNOWLEDGED.value:
                    retriggered += 1
                    writes.event(
                        SYSTEM, "alert.ack_timeout", row.id,
                        {"acked_by_id": row.acked_by_id, "acked_at": to_db_text(row.acked_at) if row.acked_at else None,
                         "ack_timeout_seconds": c.policy.ack_timeout.total_seconds(),
                         "round": c.start.round if c.start else row.round},
                    )
                    _reopen_children(session, writes, row.id, "alert.ack_timeout")
                elif row.snoozed_until is not None:
                    snoozes += 1
                    writes.event(SYSTEM, "alert.snooze_ended", row.id, {"snoozed_until": to_db_text(row.snoozed_until)})
                applied.append(_apply(writes, rt, row, c.plan))
            waiting.clear()

        for row in q.alerts_in_due_order(session, ids):
            # Re-check inside the write lock: another engine may have moved it since our read.
            if row.next_escalation_at is None or row.next_escalation_at > now or row.state == AlertState.RESOLVED.value:
                lost += 1
                continue
            policy = policy_for(rt.config, row.severity)
            extra: dict = {}
            start = resume_at(policy, row)
            if row.state == AlertState.ACKNOWLEDGED.value:
                # Ack timeout (PagerDuty's re-trigger): back to new, a fresh round from the first step.
                extra = {"acked_by_id": None, "acked_at": None, "snoozed_until": None}
            elif row.snoozed_until is not None:
                extra["snoozed_until"] = None
            if start is None:
                plan = _Plan([], [], None, row.level, row.level)
            else:
                plan = _plan(rt.config, roster, policy, row.level, start, now)
            waiting.append(_Candidate(row, plan, policy, start, _move(row, row.state, plan, policy, extra)))
            if row.state == AlertState.ACKNOWLEDGED.value:
                settle()  # its children are reopened before the next alert's compare-and-set
        settle()
        queued = writes.write(session)
    done = [a.done(queued) for a in applied]
    for e in done:
        log.info(
            "alert #%s → level %s (round %s): paged %s%s%s", e.alert_id, e.level, e.round + 1,
            ", ".join(e.notified) or "nobody", f"; calls: {', '.join(e.calls)}" if e.calls else "",
            "; exhausted" if e.exhausted else "",
        )
    return SweepReport(tuple(done), retriggered, snoozes, lost)


def escalate_now(session: Session, rt: Runtime, row: Alert, now: datetime, actor: str, reason: str) -> Escalated | None:
    """A person's escalation inside their write transaction: the next step fires now.

    None when the compare-and-set lost (the alert changed under us).
    """
    policy = policy_for(rt.config, row.severity)
    start = _start(policy, row, now)
    if start is None:
        return None
    plan = _plan(rt.config, _Roster(rt, now), policy, row.level, start, now)
    if not _cas(session, row, row.state, plan, policy, {"acked_by_id": None, "acked_at": None, "snoozed_until": None}):
        return None
    writes = _Writes(now)
    if row.state == AlertState.ACKNOWLEDGED.value:
        _reopen_children(session, writes, row.id, "alert.escalated")
    applied = _apply(writes, rt, row, plan, actor=actor, manual_reason=reason)
    return applied.done(writes.write(session))


def _reopen_children(session: Session, writes: _Writes, parent_id: int | None, why: str) -> list[int]:
    """An acknowledged parent is new again (ack timeout, manual escalation): so are the children
    acknowledged with it, each with an event. They stay joined: the parent's escalation covers them."""
    ids = q.acknowledged_children(session, parent_id)
    for child in ids:
        q.reopen(session, child)
        writes.event(SYSTEM, "alert.reopened", child, {"with": parent_id, "because": why})
    return ids


# -- dry run ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedStep:
    """One line of `escalation plan`: when, which step, who would hear of it."""

    at: datetime
    round: int
    step: int
    label: str
    level: int | None
    officers: tuple[str, ...]
    channels: tuple[str, ...]
    calls: tuple[dict[str, str], ...] = field(default=())
    nobody: bool = False
    final: bool = False
    then_calls: bool = False
    """Nobody on duty but the step has contacts of its own: they are called (no next step at once)."""


def _contact_dicts(config: Config, keys: Iterable[str]) -> tuple[dict[str, str], ...]:
    out = []
    for key in keys:
        c = config.contact(key)
        if c is not None:
            out.append({"key": c.key, "name": c.name, "phone": c.phone, "hotline": c.hotline, "email": c.email})
    return tuple(out)


def simulate(rt: Runtime, severity: Severity | str, start: StepAt, level: int = 1) -> list[PlannedStep]:
    """Every step from `start` on if nobody acknowledges: the engine's own `_plan` run at each
    step's instant with the roster of that instant (an engine ticking on time does exactly this)."""
    policy = policy_for(rt.config, severity)
    out: list[PlannedStep] = []
    current: StepAt | None = start
    while current is not None:
        plan = _plan(rt.config, _Roster(rt, current.due), policy, level, current, current.due)
        for f in plan.firings:
            out.append(
                PlannedStep(
                    at=current.due, round=f.item.round, step=f.item.step, label=step_label(f.step), level=f.step.level,
                    officers=tuple(o.handle for o in f.officers), channels=tuple(f.step.channels) if f.officers else (),
                    calls=_contact_dicts(rt.config, f.calls), nobody=f.step.level is not None and not f.officers,
                    final=f.final, then_calls=bool(f.step.contacts),
                )
            )
        level, current = plan.level, plan.after
    return out


def plan_escalation(rt: Runtime, severity: Severity | str, at: datetime) -> list[PlannedStep]:
    """The dry run: an alert of `severity` arriving at `at`, never acknowledged."""
    return simulate(rt, severity, StepAt(0, 0, ensure_utc(at)))


def plan_of_row(rt: Runtime, row: Alert) -> list[PlannedStep]:
    """The steps still ahead of this alert row if nobody acts ([] when resolved, exhausted or joined)."""
    policy = policy_for(rt.config, row.severity)
    start = resume_at(policy, row)
    return simulate(rt, row.severity, start, row.level) if start else []


def plan_for_alert(rt: Runtime, alert_id: int) -> list[PlannedStep]:
    """The steps ahead of an open alert: its own, its ack timeout's re-trigger when acknowledged,
    or, joined to an open parent, the parent's (which covers it). [] when resolved or exhausted."""
    with rt.db.read() as session:
        row = session.get(Alert, alert_id)
        if row is not None and row.joined_to_id is not None and row.state != AlertState.RESOLVED.value:
            parent = session.get(Alert, row.joined_to_id)
            row = parent if parent is not None and parent.state != AlertState.RESOLVED.value else row
    if row is None or row.state == AlertState.RESOLVED.value:
        return []
    return plan_of_row(rt, row)


# -- joining never lowers urgency ------------------------------------------------------------------
def raise_severity(session: Session, rt: Runtime, parent: Alert, to: Severity, now: datetime, actor: str, child_id: int) -> bool:
    """A more severe child raises its parent, with an event. Unacknowledged, the parent follows the
    higher policy from now (its next step at that policy's wait, never later than it was);
    acknowledged, its acknowledger is paged on the higher policy's first-step channels and the
    ack timeout shortens to the higher policy's. False when the parent was as severe already."""
    if Severity(parent.severity).rank <= to.rank:
        return False
    before = parent.severity
    policy = policy_for(rt.config, to)
    due = parent.next_escalation_at
    notified: list[str] = []
    if parent.state == AlertState.NEW.value and due is not None and not parent.exhausted and parent.snoozed_until is None:
        start = _start(policy, parent, now)
        if start is not None:
            due = min(due, now + wait_before(policy, start.step, start.round != parent.round))
    elif parent.state == AlertState.ACKNOWLEDGED.value and due is not None and parent.acked_at is not None:
        due = min(due, max(now, parent.acked_at + policy.ack_timeout))
        notified = _tell_acknowledger(session, rt, parent, before, to, child_id, now)
    q.set_severity(session, parent.id, to.value, due)
    parent.severity, parent.next_escalation_at = to.value, due
    append_event(
        session, now, actor, "alert.severity_raised", "alert", parent.id,
        {"from": before, "to": to.value, "because": child_id, "state": parent.state,
         "next_escalation_at": to_db_text(due) if due else None, "notified": notified},
    )
    return True


def _tell_acknowledger(session: Session, rt: Runtime, parent: Alert, before: str, to: Severity, child_id: int, now: datetime) -> list[str]:
    from watchdesk.notify.messages import raised_page
    from watchdesk.store.models import Officer

    officer = session.get(Officer, parent.acked_by_id) if parent.acked_by_id else None
    if officer is None:
        return []
    record = to_officer_record(officer)
    page = raised_page(alert_id=parent.id, title=parent.title, before=before, to=to.value, child_id=child_id)
    sent = False
    for name in policy_for(rt.config, to).steps[0].channels:
        conf = rt.config.channels.get(name)
        target = target_for(conf.type, conf.format, record) if conf is not None and conf.enabled else ""
        if target:
            sent = enqueue(session, alert_id=parent.id, level=parent.level, round=parent.round, channel=name,
                           channel_type=conf.type, target=target, page=page, now=now,  # type: ignore[union-attr]
                           key=f"alert:{parent.id}:raised:{to.value}:{child_id}:{name}") or sent
    return [record.handle] if sent else []


