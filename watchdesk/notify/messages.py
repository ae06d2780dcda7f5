"""The words of a page: subject and body for an alert at a level (plain text, no markup)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Page:
    subject: str
    body: str


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
    head = f"[{severity.upper()}] #{alert_id} {title}"
    subject = f"{head} (level {level})" if len(head) < 200 else f"{head[:197]}… (level {level})"
    received = received_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")
    lines = [
        head,
        f"Received {received} ({zone.key}); not acknowledged yet — now at level {level}"
        + (f", round {round + 1}" if round else "")
        + ".",
    ]
    if manual_by:
        lines.append(f"Escalated by {manual_by}" + (f": {reason}" if reason else "."))
    if link:
        lines.append(link)
    lines.append(f"Acknowledge at the desk, or: watchdesk alert ack {alert_id} --as YOUR_HANDLE")
    return Page(subject=subject, body="\n".join(lines))


def assignment_page(*, alert_id: int, title: str, severity: str, by: str) -> Page:
    head = f"[{severity.upper()}] #{alert_id} {title}"
    return Page(subject=f"{head} (assigned to you)", body=f"{head}\nAssigned to you by {by}.")
