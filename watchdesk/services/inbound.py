"""Alerts posted in by the unit's own monitoring: Alertmanager's webhook (v4) and generic JSON.

Each post is one write transaction: every alert it carries is raised (`raise_alert`, the one
function that creates alerts), repeated, cleared or marked there, with its events. What
identifies an alert at the sender (Alertmanager's `fingerprint`, the generic `dedup_key`) maps
to an occurrence in `inbound_key`: while that occurrence's alert is open, a repeat changes
nothing; once it was resolved, firing again is the next occurrence, a new alert linked to the
one before. "Resolved" from the sender clears an alert nobody acknowledged (by the system,
`clear_by_system`); an alert an officer acknowledged (even if the ack timed out since) is only
marked "source says resolved" — the person decides. Everything posted is untrusted text: cleaned, capped, fields we do not know kept as
details in the summary.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watchdesk.core.enums import AlertState, Category, Severity
from watchdesk.core.humane import word as human_word
from watchdesk.core.text import clean_line, clean_text
from watchdesk.i18n import _
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.clearing import clear_by_system
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import SYSTEM, append_event
from watchdesk.store.db import Session
from watchdesk.store.models import Alert, InboundKey
from watchdesk.store.queries.inbound import latest_occurrence

MAX_ALERTS = 500
"""Alerts in one Alertmanager post (its `max_alerts` should stay below; 0 there means no limit)."""
MAX_DETAILS = 40  # unknown fields kept per alert
DETAIL_MAX = 300  # characters of one detail's value
LABELS_MAX = 60  # labels / annotations listed per alert
TITLE_MAX = 300
SUMMARY_MAX = 20_000
LINK_MAX = 2000
KEY_MAX = 500  # a sender's fingerprint or dedup key (longer: refused)

# The `severity` label (or field) -> our severity. Unknown or missing words page as high: a
# monitoring system that forgot the label must not sink below the officer's attention.
SEVERITY_WORDS: Mapping[str, Severity] = {
    "critical": Severity.CRITICAL, "crit": Severity.CRITICAL, "fatal": Severity.CRITICAL,
    "emergency": Severity.CRITICAL, "disaster": Severity.CRITICAL, "page": Severity.CRITICAL,
    "high": Severity.HIGH, "error": Severity.HIGH, "major": Severity.HIGH,
    "warning": Severity.MEDIUM, "warn": Severity.MEDIUM, "medium": Severity.MEDIUM, "average": Severity.MEDIUM,
    "minor": Severity.LOW, "info": Severity.LOW, "information": Severity.LOW, "low": Severity.LOW,
    "notice": Severity.LOW, "none": Severity.LOW,
}
DEFAULT_SEVERITY = Severity.HIGH

# Alertmanager webhook v4's documented fields (prometheus.io, configuration: webhook_config).
_AM_TOP = {"version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels",
           "commonAnnotations", "externalURL", "alerts"}
_AM_ALERT = {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}
_GENERIC = {"title", "severity", "summary", "link", "dedup_key", "category", "status"}
_OPEN = (AlertState.NEW.value, AlertState.ACKNOWLEDGED.value)


class BadPayload(ValueError):
    """The post cannot be read as the integration's format; the message is one sentence for the sender."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class Posted:
    """One alert as the sender described it, already cleaned."""

    fingerprint: str
    firing: bool
    title: str
    summary: str
    severity: Severity
    category: Category
    link: str
    shown_key: str  # the sender's key as people may read it (cleaned, capped)


@dataclass
class Outcome:
    """What one post did, alert ids by effect (the HTTP answer and the log say it)."""

    created: list[int] = field(default_factory=list)
    repeated: list[int] = field(default_factory=list)
    cleared: list[int] = field(default_factory=list)
    marked: list[int] = field(default_factory=list)
    unknown: int = 0  # resolved for nothing open here

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "repeated": self.repeated, "cleared": self.cleared,
                "source_resolved": self.marked, "resolved_unknown": self.unknown}


# -- reading a post -----------------------------------------------------------------------
def severity_of(word: object) -> Severity:
    return SEVERITY_WORDS.get(clean_line(word).lower(), DEFAULT_SEVERITY) if isinstance(word, str) else DEFAULT_SEVERITY


def _category(word: object) -> Category:
    try:
        return Category(clean_line(word).lower()) if isinstance(word, str) else Category.OTHER
    except ValueError:
        return Category.OTHER


def _link(value: object) -> str:
    text = clean_line(value) if isinstance(value, str) else ""
    return text if len(text) <= LINK_MAX and re.match(r"^https?://\S+$", text, re.IGNORECASE) else ""


def _short(value: object, depth: int = 0) -> str:
    """A value of any shape as one bounded line (nesting past three levels is elided, not walked)."""
    if isinstance(value, str):
        text = value
    elif value is None or isinstance(value, (bool, int, float)):
        text = json.dumps(value)
    elif depth >= 3:
        text = "{…}" if isinstance(value, dict) else "[…]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{_short(k, 3)}: {_short(v, depth + 1)}" for k, v in list(value.items())[:20]) + "}"
    elif isinstance(value, list):
        text = "[" + ", ".join(_short(v, depth + 1) for v in value[:20]) + (", …" if len(value) > 20 else "") + "]"
    else:
        text = str(value)
    return clean_line(text, max_length=DETAIL_MAX)


def _pairs(mapping: object, title: str) -> list[str]:
    if not isinstance(mapping, dict) or not mapping:
        return []
    items = list(mapping.items())
    lines = [f"{title}:"] + [f"  {_short(k)} = {_short(v)}" for k, v in items[:LABELS_MAX]]
    if len(items) > LABELS_MAX:
        lines.append("  " + _("… {n} more").format(n=len(items) - LABELS_MAX))
    return lines


def _details(payload: Mapping[str, Any], known: set[str]) -> list[str]:
    """The fields we do not read, kept for the officer (bounded)."""
    extra = [(k, v) for k, v in payload.items() if k not in known]
    if not extra:
        return []
    lines = [_("Details:")] + [f"  {_short(k)}: {_short(v)}" for k, v in extra[:MAX_DETAILS]]
    if len(extra) > MAX_DETAILS:
        lines.append("  " + _("… {n} more fields").format(n=len(extra) - MAX_DETAILS))
    return lines


def _key_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadPayload(_("{what} must be a non-empty string.").format(what=what))
    if len(value) > KEY_MAX:
        raise BadPayload(_("{what} is {length:,} characters long; at most {most} are accepted.").format(what=what, length=len(value), most=KEY_MAX))
    return value


def read_alertmanager(payload: object) -> list[Posted]:
    """Alertmanager's webhook v4 -> the alerts it carries; BadPayload with one sentence otherwise."""
    if not isinstance(payload, dict):
        raise BadPayload(_("the body must be a JSON object (Alertmanager webhook, version \"4\")."))
    if payload.get("version") != "4":
        raise BadPayload(_("version is {version}; this endpoint reads Alertmanager's webhook version \"4\".").format(version=_short(payload.get('version'))))
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise BadPayload(_("'alerts' must be a list."))
    if len(alerts) > MAX_ALERTS:
        raise BadPayload(_("the post carries {n:,} alerts; at most {most} are read at once "
                           "(set max_alerts in Alertmanager's webhook_config).").format(n=len(alerts), most=MAX_ALERTS), too_large=True)
    common = [f"Receiver: {_short(payload.get('receiver', ''))}", f"Group: {_short(payload.get('groupKey', ''))}"]
    if payload.get("externalURL"):
        common.append(f"Alertmanager: {_short(payload.get('externalURL'))}")
    if payload.get("truncatedAlerts"):
        common.append(f"Alerts left out by Alertmanager (max_alerts): {_short(payload.get('truncatedAlerts'))}")
    common += _details(payload, _AM_TOP)
    posted = []
    for n, alert in enumerate(alerts, 1):
        if not isinstance(alert, dict):
            raise BadPayload(_("alerts[{n}] must be an object.").format(n=n))
        labels = alert.get("labels") if isinstance(alert.get("labels"), dict) else {}
        notes = alert.get("annotations") if isinstance(alert.get("annotations"), dict) else {}
        status = alert.get("status", payload.get("status"))
        if status not in ("firing", "resolved"):
            raise BadPayload(_("alerts[{n}].status is {status}; Alertmanager sends 'firing' or 'resolved'.").format(n=n, status=_short(status)))
        if "fingerprint" in alert:
            fingerprint = _key_text(alert["fingerprint"], f"alerts[{n}].fingerprint")
        else:  # Alertmanager's own fingerprint is a hash of the labels: the same without it
            fingerprint = "labels:" + json.dumps(labels, sort_keys=True, default=str)
        name = clean_line(labels.get("alertname", ""), max_length=120)
        headline = clean_line(notes.get("summary") or notes.get("title") or "", max_length=TITLE_MAX)
        title = f"{name}: {headline}" if name and headline else (headline or name or _("Alertmanager alert"))
        body = [clean_text(notes.get("description", ""), max_length=4000)] if notes.get("description") else []
        body += [_("Starts: {at}").format(at=_short(alert.get('startsAt', '')))]
        if status == "resolved" and alert.get("endsAt"):
            body.append(_("Ends: {at}").format(at=_short(alert.get('endsAt'))))
        body += _pairs(labels, _("Labels"))
        body += _pairs({k: v for k, v in notes.items() if k not in ("summary", "title", "description")}, _("Annotations"))
        body += [_("Fingerprint: {key}").format(key=_short(fingerprint))] + _details(alert, _AM_ALERT) + common
        posted.append(Posted(
            fingerprint=fingerprint, firing=status == "firing", title=title,
            summary=clean_text("\n".join(body), max_length=SUMMARY_MAX),
            severity=severity_of(labels.get("severity")), category=_category(labels.get("category")),
            link=_link(alert.get("generatorURL")) or _link(payload.get("externalURL")),
            shown_key=clean_line(fingerprint, max_length=120),
        ))
    return posted


def read_generic(payload: object) -> Posted:
    """Generic JSON (title, severity, summary, link, dedup_key, category; `status: resolved` with a
    dedup_key clears) -> one alert; BadPayload with one sentence otherwise."""
    if not isinstance(payload, dict):
        raise BadPayload(_("the body must be a JSON object with at least a 'title'."))
    title = clean_line(payload.get("title") if isinstance(payload.get("title"), str) else "", max_length=TITLE_MAX)
    status = payload.get("status", "firing")
    if status not in ("firing", "resolved"):
        raise BadPayload(_("status is {status}; give 'firing' (the default) or 'resolved'.").format(status=_short(status)))
    if "dedup_key" in payload:
        key = _key_text(payload["dedup_key"], "dedup_key")
    elif status == "resolved":
        raise BadPayload(_("a 'resolved' post needs the dedup_key of the alert it resolves."))
    else:
        key = "once:" + uuid.uuid4().hex  # no key: every post is an alert of its own
    if not title and status == "firing":
        raise BadPayload(_("'title' must be a non-empty string."))
    summary = payload.get("summary")
    body = [clean_text(summary if isinstance(summary, str) else _short(summary), max_length=SUMMARY_MAX // 2)] if summary else []
    word = payload.get("severity")
    if word is not None and (not isinstance(word, str) or clean_line(word).lower() not in SEVERITY_WORDS):
        body.append(_("Severity given: {given} (not a known word; paged as {severity})").format(
            given=_short(word), severity=DEFAULT_SEVERITY.value))
    if payload.get("link") and not _link(payload.get("link")):
        body.append(_("Link given (not an http(s) address, not opened): {link}").format(link=_short(payload.get('link'))))
    if payload.get("category") and _category(payload.get("category")) is Category.OTHER:
        body.append(_("Category given: {category}").format(category=_short(payload.get('category'))))
    if "dedup_key" in payload:
        body.append(_("Dedup key: {key}").format(key=_short(key)))
    body += _details(payload, _GENERIC)
    return Posted(
        fingerprint=key, firing=status == "firing", title=title or _("(resolved)"),
        summary=clean_text("\n".join(body), max_length=SUMMARY_MAX),
        severity=severity_of(word), category=_category(payload.get("category")), link=_link(payload.get("link")),
        shown_key=clean_line(key, max_length=120),
    )


# -- applying it ----------------------------------------------------------------------------
def receive(rt: Runtime, integration: str, kind: str, payload: object) -> Outcome:
    """Read a post of `kind` ('alertmanager' or 'generic') from `integration` and apply it in one
    write transaction; BadPayload (nothing stored) when it cannot be read."""
    posted = read_alertmanager(payload) if kind == "alertmanager" else [read_generic(payload)]
    outcome = Outcome()
    now = rt.now()
    with rt.db.write() as session:
        for item in posted:
            _apply(session, now, integration, kind, item, outcome)
    return outcome


def _digest(fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode("utf-8", "surrogatepass")).hexdigest()


def _apply(session: Session, now: datetime, integration: str, kind: str, item: Posted, outcome: Outcome) -> None:
    digest = _digest(item.fingerprint)
    latest = latest_occurrence(session, integration, digest)
    alert = session.get(Alert, latest.alert_id) if latest is not None else None
    is_open = alert is not None and alert.state in _OPEN
    sender = "Alertmanager" if kind == "alertmanager" else integration
    if not item.firing:
        if not is_open:
            outcome.unknown += 1
            return
        assert latest is not None and alert is not None
        latest.last_seen_at = now
        if alert.state == AlertState.NEW.value and alert.first_acked_at is None:
            clear_by_system(session, now, alert.id, f"{sender} ({integration}) says it is resolved",
                            integration=integration, fingerprint=item.shown_key)
            outcome.cleared.append(alert.id)  # type: ignore[arg-type]
        elif latest.source_resolved_at is None:
            # An officer holds it, or held it until the ack timed out: the sender's word is
            # recorded, the person resolves it.
            latest.source_resolved_at = now
            append_event(session, now, SYSTEM, "alert.source_resolved", "alert", alert.id, {
                "integration": integration, "fingerprint": item.shown_key,
                "note": f"Source says resolved: {sender} ({integration}) reports it resolved; "
                        "the officer holding it resolves it.",
            })
            outcome.marked.append(alert.id)  # type: ignore[arg-type]
        else:
            outcome.marked.append(alert.id)  # type: ignore[arg-type]
        session.add(latest)
        return
    if is_open:
        assert latest is not None and alert is not None
        latest.last_seen_at = now
        if latest.source_resolved_at is not None:  # said resolved, now firing again: tell the holder
            latest.source_resolved_at = None
            append_event(session, now, SYSTEM, "alert.source_firing", "alert", alert.id, {
                "integration": integration, "note": f"{sender} ({integration}) reports it firing again.",
            })
        session.add(latest)
        outcome.repeated.append(alert.id)  # type: ignore[arg-type]
        return
    occurrence = (latest.occurrence + 1) if latest is not None else 1
    summary = item.summary
    if alert is not None:
        again = _("Fired again: the earlier occurrence is alert #{id} ({state}).").format(id=alert.id, state=human_word(alert.state))
        summary = clean_text(f"{again}\n\n{summary}", max_length=SUMMARY_MAX)
    row, created = raise_alert(
        session, now, source_key=f"inbound:{integration}", dedup_key=f"inbound:{integration}:{digest[:40]}:{occurrence}",
        title=item.title, summary=summary, severity=item.severity, category=item.category, link=item.link,
    )
    if not created:  # the key exists without its inbound row: only a hand-edited database; count it seen
        outcome.repeated.append(row.id)  # type: ignore[arg-type]
        return
    session.add(InboundKey(integration=integration, fingerprint=digest, occurrence=occurrence, alert_id=row.id,
                           previous_alert_id=alert.id if alert is not None else None, last_seen_at=now))
    if alert is not None:
        append_event(session, now, SYSTEM, "alert.recurred", "alert", row.id, {
            "previous": alert.id, "integration": integration, "occurrence": occurrence,
            "note": f"Fired again after alert #{alert.id} was resolved.",
        })
    outcome.created.append(row.id)  # type: ignore[arg-type]
