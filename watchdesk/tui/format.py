"""Turning records into plain Rich `Text` for widgets (never markup: the text is untrusted).

Every function returns `Text` built from literal pieces, so a title such as
`[@click=app.quit]` is shown as those characters and does nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rich.text import Text

from watchdesk.core.enums import AlertState, Severity
from watchdesk.core.records import AlertRecord
from watchdesk.i18n import N_, _

SEVERITY_WORD = {
    Severity.CRITICAL: N_("CRIT"),
    Severity.HIGH: N_("HIGH"),
    Severity.MEDIUM: N_("MED"),
    Severity.LOW: N_("LOW"),
}
# Readable without colour (the word says it); colour only helps.
SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "dim",
}
STATE_WORD = {
    AlertState.NEW: N_("NEW"),
    AlertState.ACKNOWLEDGED: N_("ACK"),
    AlertState.RESOLVED: N_("DONE"),
}
STATE_STYLE = {AlertState.NEW: "bold", AlertState.ACKNOWLEDGED: "", AlertState.RESOLVED: "dim"}


def plain(value: object, style: str = "") -> Text:
    """Untrusted text as a Text object: never parsed as markup."""
    return Text("" if value is None else str(value), style=style, no_wrap=True, overflow="ellipsis")


def short(value: str, width: int) -> str:
    """`value` cut to `width` cells with an ellipsis (one line)."""
    value = " ".join(value.split())
    return value if len(value) <= width else value[: max(width - 1, 0)] + "…"


def severity_text(sev: Severity) -> Text:
    return Text(_(SEVERITY_WORD[sev]), style=SEVERITY_STYLE[sev], no_wrap=True)


def state_text(state: AlertState) -> Text:
    return Text(_(STATE_WORD[state]), style=STATE_STYLE[state], no_wrap=True)


def span(delta: timedelta) -> str:
    """A compact duration: '45s', '12m', '3h05', '2d4h' (negative shown with '-')."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{sign}{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{sign}{hours}h{minutes:02d}"
    days, hours = divmod(hours, 24)
    return f"{sign}{days}d{hours}h"


def age_text(alert: AlertRecord, now: datetime) -> Text:
    return Text(span(now - alert.received_at), no_wrap=True)


def next_text(alert: AlertRecord, now: datetime) -> Text:
    """Time to the next escalation, counting down; overdue in reverse video."""
    if alert.state == AlertState.RESOLVED:
        return Text("", no_wrap=True)
    if alert.snoozed_until and alert.snoozed_until > now:
        return Text(_("zz ") + span(alert.snoozed_until - now), style="italic", no_wrap=True)
    if alert.state == AlertState.ACKNOWLEDGED:
        return Text("-", style="dim", no_wrap=True)
    if alert.exhausted:
        return Text(_("EXHAUSTED"), style="bold reverse", no_wrap=True)
    if alert.joined_to is not None and alert.next_escalation_at is None:
        return Text(_("→#{id}").format(id=alert.joined_to), style="dim", no_wrap=True)  # escalates with its parent
    if alert.next_escalation_at is None:
        return Text("", no_wrap=True)
    left = alert.next_escalation_at - now
    if left.total_seconds() <= 0:
        return Text(_("due ") + span(-left), style="bold reverse", no_wrap=True)
    return Text(span(left), style="bold" if left <= timedelta(minutes=2) else "", no_wrap=True)


def local(when: datetime | None, zone: ZoneInfo, fmt: str = "%d/%m %H:%M") -> str:
    return "-" if when is None else when.astimezone(zone).strftime(fmt)
