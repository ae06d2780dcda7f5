"""No alert is ever silent (DESIGN.md): the invariant as ONE predicate, and the engine check.

An open alert is in exactly one of:
  joined       — to an OPEN root parent whose escalation covers it; it keeps no timers of its own;
  escalating   — a next step is armed (`next_escalation_at`), or exhausted with its fallback call task;
  acknowledged — its ack timeout is armed;
  snoozed      — until a bounded time, with the step after the snooze armed.
Lifecycle, escalation and the alert factory keep it by construction; `silence` states it once,
and the engine check, the tests and the state machine (tests/engine/test_lifecycle_machine.py)
all ask it. The check finds what a crash, a hand edit or a bug left behind and raises one
critical "silent alert" alert naming them, once per set of alerts.
"""

from __future__ import annotations

import hashlib
import weakref
from datetime import datetime, timedelta
from typing import NamedTuple

from watchdesk.config import Config
from watchdesk.core.enums import AlertState, Category, Severity
from watchdesk.i18n import _
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.runtime import Runtime
from watchdesk.store.queries import silence as q
from watchdesk.store.types import to_db_text

SOURCE_KEY = "watchdesk"
CHECK_EVERY = timedelta(seconds=60)  # no need to look every tick; a look costs a few ms over 10,000 open
_OPEN = (AlertState.NEW.value, AlertState.ACKNOWLEDGED.value)


class Facts(NamedTuple):
    """What the invariant looks at on one alert row. Times are aware datetimes, or the stored
    UTC text (it sorts as the instants do): the scan of 10,000 rows then parses none."""

    id: int
    state: str
    joined_to: int | None
    next_at: datetime | str | None
    exhausted: bool
    snoozed_until: datetime | str | None


FAR = timedelta(days=7)


def horizon(config: Config) -> timedelta:
    """How far ahead a deadline or a snooze may lie: the longest step wait, ack timeout or snooze,
    and a week at least, so a policy shortened since an alert was armed is no false alarm.
    Beyond it a deadline was not set by watchdesk (a hand edit, a bug) and would page too late."""
    waits = [config.alerts.snooze_max, FAR]
    for policy in config.policies.values():
        waits.append(policy.ack_timeout)
        waits.extend(step.after for step in policy.steps)
    return max(waits)


def silence(alert: Facts, parent: Facts | None, parent_silent: bool, fallback_called: bool, latest: datetime | str) -> str:
    """Why this open alert breaks the invariant ('' when it does not; a resolved alert never does).

    `latest` is now + horizon(): no rule arms a deadline or a snooze beyond it."""
    if alert.state not in _OPEN:
        return ""
    if alert.joined_to is not None:
        if parent is None or parent.state not in _OPEN:
            return (_("grouped under #{id}, which is resolved: nothing pages for it") if parent
                    else _("grouped under #{id}, which is missing: nothing pages for it")).format(id=alert.joined_to)
        if parent.joined_to is not None:
            return _("grouped under #{id}, which is itself grouped under #{parent}").format(id=parent.id, parent=parent.joined_to)
        if alert.next_at is not None:
            return _("grouped under #{id} but keeps a deadline of its own").format(id=parent.id)
        if parent_silent:
            return _("grouped under #{id}, which is silent").format(id=parent.id)
        return ""
    if alert.snoozed_until is not None and alert.snoozed_until > latest:  # type: ignore[operator]
        return _("snoozed far past the longest snooze")
    if alert.next_at is not None:
        return _("its next deadline is later than any policy sets") if alert.next_at > latest else ""  # type: ignore[operator]
    if alert.state == AlertState.ACKNOWLEDGED.value:
        return _("acknowledged with no ack timeout armed")
    if alert.exhausted:
        return "" if fallback_called else _("exhausted, with no call task for the fallback contact")
    return _("snoozed with nothing to wake it") if alert.snoozed_until is not None else _("unacknowledged with no next step")


def silent_alerts(rt: Runtime, now: datetime | None = None, everything: bool = False) -> dict[int, str]:
    """Every open alert breaking the invariant, with why (plain rows, no ORM). `everything` asks
    `silence` about every open row instead of the suspects only (the tests compare the two)."""
    now = now or rt.now()
    until = now + horizon(rt.config)
    latest = to_db_text(until)
    # The suspects only (see store/queries/silence.py): every other open row passes `silence`
    # (tests/engine/test_grouping.py holds the two to each other).
    with rt.db.read() as session:
        facts = {r[0]: Facts._make(r) for r in q.open_alert_facts(session, None if everything else until)}
        away = sorted({f.joined_to for f in facts.values() if f.joined_to is not None and f.joined_to not in facts})
        parents = {r[0]: Facts._make(r) for r in q.alert_facts(session, away)}
        exhausted = [f.id for f in (*facts.values(), *parents.values()) if f.exhausted and f.state == AlertState.NEW.value]
        called = q.alerts_with_call_to(session, rt.config.escalation.fallback_contact, exhausted)
    out: dict[int, str] = {}
    silent_parents = {p.id for p in parents.values() if silence(p, None, False, p.id in called, latest)}
    roots = [f for f in facts.values() if f.joined_to is None]
    for f in roots + [f for f in facts.values() if f.joined_to is not None]:  # parents first: a child asks after its parent
        parent = facts.get(f.joined_to) or parents.get(f.joined_to) if f.joined_to is not None else None  # type: ignore[arg-type]
        quiet = parent is not None and (parent.id in out or parent.id in silent_parents)
        why = silence(f, parent, quiet, f.id in called, latest)
        if why:
            out[f.id] = why
    return out


_last_run: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def check_silent_alerts(rt: Runtime) -> list[int]:
    """The engine check: one critical alert naming every silent open alert (once per set);
    returns the id of the alert it raised ([] when none). Runs at most every CHECK_EVERY."""
    now = rt.now()
    last = _last_run.get(rt.db)
    if last is not None and now - last < CHECK_EVERY and now >= last:
        return []
    _last_run[rt.db] = now
    found = silent_alerts(rt, now)
    if not found:
        return []
    ids = sorted(found)
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]
    named = ", ".join(f"#{i}" for i in ids[:20])
    if len(ids) > 20:
        named = _("{alerts} and {n} more").format(alerts=named, n=len(ids) - 20)
    lines = [f"#{i}: {found[i]}" for i in ids[:200]]
    with rt.db.write() as session:
        alert, created = raise_alert(
            session, now, source_key=SOURCE_KEY, dedup_key=f"silent:{digest}",
            title=_("Silent alert: {alerts} would never page anyone").format(alerts=named),
            summary=_("These open alerts break the rule that every open alert pages until a person acts "
                      "(after a crash, a hand edit of the database, or a bug). Look at each: acknowledge, "
                      "resolve or escalate it by hand.") + "\n" + "\n".join(lines),
            severity=Severity.CRITICAL, category=Category.OTHER,
        )
    return [alert.id] if created and alert.id is not None else []

