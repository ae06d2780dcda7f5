"""The words of a page: subject and body for an alert at a level (plain text, no markup).

Written in the desk's language (the catalog's, set when the process starts); the severity tag,
ids, times and the `watchdesk alert ack` command stay as they are in every language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from watchdesk.core.humane import word
from watchdesk.i18n import _


@dataclass(frozen=True)
class Page:
    subject: str
    body: str


def _head(alert_id: int, title: str, severity: str) -> str:
    return f"[{severity.upper()}] #{alert_id} {title}"


def page_for(
    *,
    alert_id: int,
    title: str,
    severity: str,
    received_at: datetime,
    link: str,
    level: int,
    round: int,
    zone: ZoneInfo,
    manual_by: str = "",
    reason: str = "",
) -> Page:
    """One message for every target of a step. Title and link were cleaned at ingest."""
    head = _head(alert_id, title, severity)
    at_level = "(" + _("level {n}").format(n=level) + ")"
    subject = f"{head} {at_level}" if len(head) < 200 else f"{head[:197]}… {at_level}"
    received = received_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")
    if round:
        waiting = _("Received {received} ({zone}); not acknowledged yet — now at level {level}, round {round}.").format(
            received=received, zone=zone.key, level=level, round=round + 1)
    else:
        waiting = _("Received {received} ({zone}); not acknowledged yet — now at level {level}.").format(
            received=received, zone=zone.key, level=level)
    lines = [head, waiting]
    if manual_by:
        lines.append(_("Escalated by {who}: {reason}").format(who=manual_by, reason=reason) if reason
                     else _("Escalated by {who}.").format(who=manual_by))
    if link:
        lines.append(link)
    lines.append(_("Acknowledge at the desk, or: {command}").format(command=f"watchdesk alert ack {alert_id} --as YOUR_HANDLE"))
    return Page(subject=subject, body="\n".join(lines))


def assignment_page(*, alert_id: int, title: str, severity: str, by: str) -> Page:
    head = _head(alert_id, title, severity)
    return Page(subject=f"{head} (" + _("assigned to you") + ")", body=f"{head}\n" + _("Assigned to you by {who}.").format(who=by))


def raised_page(*, alert_id: int, title: str, before: str, to: str, child_id: int) -> Page:
    """To the officer who acknowledged an alert that a joined alert just raised (it is still theirs)."""
    head = _head(alert_id, title, to)
    return Page(subject=f"{head} (" + _("raised from {before}, you acknowledged it").format(before=word(before)) + ")",
                body=f"{head}\n" + _("Raised from {before} to {to}: alert #{child} joined it. You acknowledged it; "
                                     "it is not resolved yet.").format(before=word(before), to=word(to), child=child_id))


def channel_test_page(*, desk: str, channel: str, now: datetime, zone: ZoneInfo) -> Page:
    """`watchdesk notify test`'s message: no alert behind it, nothing to do."""
    return Page(subject=_("[TEST] watchdesk '{desk}': channel {channel}").format(desk=desk, channel=channel),
                body=_("Test message from watchdesk at {at} ({zone}). No action needed.").format(
                    at=now.astimezone(zone).strftime("%d/%m/%Y %H:%M"), zone=zone.key))
