"""Reading alerts: records, lists with filters, related alerts.

Changing alerts lives elsewhere: ingest (watchdesk.services.ingest) creates and updates
them; the lifecycle (watchdesk.services.lifecycle) acknowledges, escalates and resolves.
Escalation bookkeeping on the row: `step` is how many policy steps have fired in the
current `round`; `next_escalation_at` is when the next one is due (an alert created with
step 0 and next_escalation_at = received_at is paged at level 1 by the next engine tick).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from watchdesk.core.enums import AlertState, Severity
from watchdesk.core.records import AlertRecord
from watchdesk.core.text import fold, matches
from watchdesk.services.errors import NotFound
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import SYSTEM
from watchdesk.store.db import Session
from watchdesk.store.models import Alert
from watchdesk.store.queries.alerts import (
    alert_ids_sharing, alerts_by_ids, joined_child_ids, listed_alerts, occurrence_links, officer_handles, open_alert_states,
    open_search_rows, resolved_search_rows,
)
from watchdesk.i18n import _


def related_ids(session: Session, alert: Alert) -> tuple[int, ...]:
    """Alerts sharing a CVE with this one (subject or mention, either side), joined to it / it to them,
    or the occurrences before and after it of the same alert posted in by local monitoring (inbound_key)."""
    cves = [*json.loads(alert.cves or "[]"), *json.loads(alert.mentions or "[]")]
    ids: set[int] = set()
    if cves:
        ids.update(alert_ids_sharing(session, cves))
    ids.update(joined_child_ids(session, alert.id))  # type: ignore[arg-type]
    if alert.joined_to_id:
        ids.add(alert.joined_to_id)
    if alert.source_key.startswith("inbound:"):
        ids.update(i for pair in occurrence_links(session, alert.id) for i in pair if i)  # type: ignore[arg-type]
    ids.discard(alert.id)  # type: ignore[arg-type]
    return tuple(sorted(i for i in ids if i))


def to_records(session: Session, rows: list[Alert], with_related: bool = False) -> list[AlertRecord]:
    names = officer_handles(session, [i for r in rows for i in (r.assignee_id, r.acked_by_id, r.resolved_by_id)])
    out = []
    for r in rows:
        out.append(
            AlertRecord(
                id=r.id or 0,
                source=r.source_key,
                native_id=r.native_id,
                title=r.title,
                summary=r.summary,
                link=r.link,
                severity=Severity(r.severity),
                severity_raw=r.severity_raw,
                category=r.category,
                cves=tuple(json.loads(r.cves or "[]")),
                doc_number=r.doc_number,
                published_at=r.published_at,
                received_at=r.received_at,  # type: ignore[arg-type]
                state=AlertState(r.state),
                level=r.level,
                round=r.round,
                step=r.step,
                next_escalation_at=r.next_escalation_at,
                exhausted=r.exhausted,
                assignee=names.get(r.assignee_id or 0, ""),
                acked_by=names.get(r.acked_by_id or 0, ""),
                acked_at=r.acked_at,
                # Resolved by nobody: cleared by the system when its question was answered (services.clearing).
                resolved_by=names.get(r.resolved_by_id or 0, "") or (SYSTEM if r.state == AlertState.RESOLVED.value else ""),
                resolved_at=r.resolved_at,
                resolution=r.resolution,
                snoozed_until=r.snoozed_until,
                affects_us=r.affects_us,
                joined_to=r.joined_to_id,
                attachments=tuple(json.loads(r.attachments or "[]")),
                related=related_ids(session, r) if with_related else (),
                mentions=tuple(json.loads(r.mentions or "[]")),
            )
        )
    return out


def get_alert(rt: Runtime, alert_id: int) -> AlertRecord:
    with rt.db.read() as session:
        row = session.get(Alert, alert_id)
        if row is None:
            raise NotFound(_("no alert #{alert_id}; see 'watchdesk alert list'.").format(alert_id=alert_id))
        return to_records(session, [row], with_related=True)[0]


@dataclass(frozen=True)
class AlertFilter:
    states: tuple[AlertState, ...] = ()
    severities: tuple[Severity, ...] = ()
    sources: tuple[str, ...] = ()
    search: str = ""
    limit: int = 500


def board_order(records: list[AlertRecord]) -> list[AlertRecord]:
    """By urgency: unacknowledged first (exhausted ones before the rest), then acknowledged, each
    by severity and then by deadline; resolved last, the latest first. A joined child comes right
    after its parent when the parent is in the list (siblings in the same order among themselves)."""
    state_rank = {AlertState.NEW: 0, AlertState.ACKNOWLEDGED: 1}
    far = "9999"

    def key(a: AlertRecord) -> tuple:
        if a.state == AlertState.RESOLVED:
            return (2, 0, 0, "", -(a.resolved_at or a.received_at).timestamp())
        # Exhausted: every step of every round fired and nobody answered; it leads the board.
        exhausted = 0 if a.state == AlertState.NEW and a.exhausted else 1
        deadline = a.next_escalation_at.isoformat() if a.next_escalation_at else far
        return (state_rank[a.state], exhausted, a.severity.rank, deadline, -a.received_at.timestamp())

    ordered = sorted(records, key=key)
    position = {a.id: i for i, a in enumerate(ordered)}
    parent = {a.id: a.joined_to for a in ordered if a.joined_to in position and a.joined_to != a.id}

    def root(alert_id: int) -> int:
        chain = [alert_id]
        while (up := parent.get(chain[-1])) is not None and up not in chain:
            chain.append(up)
        if up is None:
            return chain[-1]
        loop = chain[chain.index(up):]  # a cycle of joins (a hand edit): its most urgent member leads
        return min(loop, key=position.__getitem__)

    children: dict[int, list[AlertRecord]] = {}
    for a in ordered:
        if a.id in parent and root(a.id) != a.id:
            children.setdefault(parent[a.id], []).append(a)
    out: list[AlertRecord] = []
    placed: set[int] = set()
    for a in ordered:
        if root(a.id) != a.id:
            continue
        stack = [a]  # depth first, children in board order (no recursion: a hand-made chain may be long)
        while stack:
            b = stack.pop()
            if b.id not in placed:
                placed.add(b.id)
                out.append(b)
                stack.extend(reversed(children.get(b.id, ())))
    return out


def _selection(flt: AlertFilter) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The filter's states, severities and sources as stored values (empty: any)."""
    return tuple(s.value for s in flt.states), tuple(s.value for s in flt.severities), tuple(flt.sources)


def list_alerts(rt: Runtime, flt: AlertFilter = AlertFilter(), with_related: bool = False) -> list[AlertRecord]:
    """Alerts matching the filter, in board order. Open alerts are never cut by the limit."""
    with rt.db.read() as session:
        rows = listed_alerts(session, *_selection(flt), resolved_limit=flt.limit)
        if flt.search:
            rows = [r for r in rows if matches(flt.search, r.title, r.summary, r.cves, r.mentions, r.source_key, r.doc_number)]
        return board_order(to_records(session, rows, with_related=with_related))


HISTORY_BATCH = 5000  # resolved alerts read per round trip while the whole history is searched


def search_history(rt: Runtime, flt: AlertFilter, with_related: bool = False) -> list[AlertRecord]:
    """`flt.search` over the whole history, in board order: every open alert that matches, and the
    latest `flt.limit` matching resolved ones however old (list_alerts searches only the latest
    `limit` resolved). The folded match runs here, not in SQL: the searched columns are read in
    batches as plain tuples, and only the hits are loaded whole."""

    words = fold(flt.search).split()

    def hit(row: tuple) -> bool:
        # core.text.matches, with the query folded once and each row's text folded in one call
        hay = fold(" ".join(h for h in row[1:] if h))
        return all(w in hay for w in words)

    selection = _selection(flt)
    with rt.db.read() as session:
        hits = [r[0] for r in open_search_rows(session, *selection) if hit(r)]
        found, offset = 0, 0
        while found < flt.limit:
            batch = resolved_search_rows(session, *selection, offset=offset, limit=HISTORY_BATCH)
            for r in batch:
                if found < flt.limit and hit(r):
                    hits.append(r[0])
                    found += 1
            if len(batch) < HISTORY_BATCH:
                break
            offset += HISTORY_BATCH
        rows = alerts_by_ids(session, hits)
        return board_order(to_records(session, rows, with_related=with_related))


def open_alert_count(rt: Runtime) -> dict[str, int]:
    with rt.db.read() as session:
        rows = open_alert_states(session)
    return {"new": rows.count("new"), "acknowledged": rows.count("acknowledged")}
