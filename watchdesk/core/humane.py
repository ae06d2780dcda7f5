"""Values as a person reads them: the one human duration of every view (desk, CLI, reports).

`format_duration` (core.limits) writes the config's own syntax ('1h30m', what `parse_duration`
reads back); this writes what an officer reads: '4h05m' in English, '4 giờ 5 phút' in
Vietnamese, never a count of seconds.
"""

from __future__ import annotations

from datetime import date, timedelta

from watchdesk.i18n import N_, _


def human_duration(value: timedelta | float | None, *, empty: str = "—") -> str:
    """'42s', '7m05s', '4h05m', '3d04h' (vi: '42 giây', '7 phút 5 giây', '4 giờ 5 phút', '3 ngày 4 giờ');
    `empty` for None. Rounded to the unit shown: seconds under an hour, minutes under a day, hours beyond."""
    if value is None:
        return empty
    seconds = int(round(value.total_seconds() if isinstance(value, timedelta) else value))
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 60:
        text = _("{s}s").format(s=s)
    elif s < 3600:
        m, s = divmod(s, 60)
        text = _("{m}m{s:02d}s").format(m=m, s=s) if s else _("{m}m").format(m=m)
    elif s < 86400 - 30:
        h, m = divmod((s + 30) // 60, 60)  # to the nearest minute
        text = _("{h}h{m:02d}m").format(h=h, m=m) if m else _("{h}h").format(h=h)
    else:
        d, h = divmod((s + 1800) // 3600, 24)
        text = _("{d}d{h:02d}h").format(d=d, h=h) if h else _("{d}d").format(d=d)
    return sign + text


def human_step(level: int | None, calls: list[str] | tuple[str, ...] = ()) -> str:
    """An escalation step as a person reads it: 'level 2', 'call vncert, ncsc', 'level 3 + call ncsc'
    (vi: 'cấp 2', 'gọi vncert, ncsc'). The stored event keeps the English label of
    services.escalation.step_label; every view shows this instead."""
    parts = [_("level {n}").format(n=level)] if level is not None else []
    if calls:
        parts.append(_("call {who}").format(who=", ".join(calls)))
    return " + ".join(parts)


def human_hours(hours: int) -> str:
    """A report window: 'last 7 days' for whole days, else 'last 12 hours' (plural forms by gettext)."""
    from watchdesk.i18n import ngettext

    if hours >= 48 and hours % 24 == 0:
        days = hours // 24
        return ngettext("last {n} day", "last {n} days", days).format(n=days)
    return ngettext("last {n} hour", "last {n} hours", hours).format(n=hours)


_WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))
_WEEKDAYS_SHORT = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def weekday(day: date, *, short: bool = False) -> str:
    """The day's name in the reader's language ('Monday' / 'Thứ Hai'; short 'Mon' / 'T2'), never strftime's
    %a, which follows the process locale."""
    return _((_WEEKDAYS_SHORT if short else _WEEKDAYS)[day.weekday()])


# The stored values (stable English in JSON and CSV) and the word a person reads for each.
_WORDS = {
    # severity
    "critical": N_("critical"), "high": N_("high"), "medium": N_("medium"), "low": N_("low"),
    # alert state
    "new": N_("new"), "acknowledged": N_("acknowledged"), "resolved": N_("resolved"), "snoozed": N_("snoozed"),
    # roles
    "officer": N_("officer"), "lead": N_("lead"), "supervisor": N_("supervisor"),
    # handover record
    "draft": N_("draft"), "signed": N_("signed"), "accepted": N_("accepted"),
    # a source's health and the outcome of one poll: the one table of these words, desk and CLI alike
    "ok": N_("ok"), "failing": N_("failing"), "stale": N_("stale"), "never-polled": N_("never polled"),
    "manual": N_("manual, nothing to poll"), "disabled": N_("disabled"), "not-configured": N_("not in the config"),
    "unchanged": N_("unchanged since the last poll"), "not-modified": N_("unchanged since the last poll"), "error": N_("failed"),
    # a call task and its outcome, a notification's delivery
    "to do": N_("to do"), "called": N_("called"), "no-answer": N_("no answer"), "reported": N_("reported"),
    "pending": N_("pending"), "sent": N_("sent"), "failed": N_("failed"), "cancelled": N_("cancelled"),
    # what an alert is about
    "vulnerability": N_("vulnerability"), "apt": N_("APT campaign"), "phishing": N_("phishing"), "summary": N_("summary"),
    "botnet": N_("botnet"), "source-health": N_("source health"), "roll-call": N_("roll call"), "handover": N_("handover"),
    "website": N_("website"), "other": N_("other"),
    # the desk acting by itself, and an engine's jobs (store.runners.JOBS)
    "system": N_("system"),
    "poll": N_("polling the sources"), "escalate": N_("escalating"), "deliver": N_("sending the pages"),
    "checks": N_("the checks"),
}
SOURCE_STATES = ("ok", "failing", "stale", "never-polled", "manual", "disabled", "not-configured")
"""A source's health states (services.sources.SourceHealth.state), each read through `word`."""


def word(value: object) -> str:
    """The translated word for a stored value (severity, state, role, handover status, source
    state); an unknown value is shown as it is."""
    text = "" if value is None else str(getattr(value, "value", value))
    return _(_WORDS[text]) if text in _WORDS else text


# What the timeline says of each event kind and of the facts it carries (the payload's keys stay in
# the audit log; a person reads labels, local times, durations and rounds counted from 1).
EVENT_WORDS = {
    "alert.raised": N_("raised"), "alert.updated": N_("updated by its source"), "alert.joined": N_("joined to another alert"),
    "alert.paged": N_("paged"), "alert.escalated": N_("escalated"), "alert.exhausted": N_("escalation steps exhausted"),
    "alert.nobody_on_duty": N_("nobody on duty at this level"), "alert.steps_skipped": N_("steps skipped"),
    "alert.acknowledged": N_("acknowledged"), "alert.ack_timeout": N_("acknowledgment timed out"),
    "alert.assigned": N_("assigned"), "alert.noted": N_("note"), "alert.snoozed": N_("snoozed"),
    "alert.snooze_ended": N_("snooze ended"), "alert.resolved": N_("resolved"), "alert.cleared": N_("cleared by the system"),
    "alert.recurred": N_("recurred"), "alert.source_firing": N_("the source says it is firing"),
    "alert.source_resolved": N_("the source says it is resolved"), "alert.source_note": N_("note from the source"),
}
FACT_LABELS = {
    "level": N_("level"), "round": N_("round"), "severity": N_("severity"), "state": N_("state"),
    "from_state": N_("was"), "by": N_("by"), "handle": N_("officer"), "to": N_("to"), "notified": N_("notified"),
    "channel": N_("channel"),
    "outcome": N_("outcome"), "reference": N_("reference"), "category": N_("category"), "source": N_("source"),
    "cves": N_("CVE"), "joined_to": N_("joined to"), "until": N_("until"), "snoozed_until": N_("snoozed until"),
    "next_escalation_at": N_("next escalation"), "acked_at": N_("acknowledged at"), "resolved_at": N_("resolved at"),
    "received_at": N_("received"), "published_at": N_("published"), "seconds": N_("after"),
    "snoozed_seconds": N_("snoozed for"), "resolve_seconds": N_("resolved after"), "why": N_("why"),
}


STORED_SENTENCES = frozenset({N_("no engine ran when these steps were due")})
"""Fixed English sentences the engine writes into events (the audit log keeps them as written);
a view shows them through `stored_sentence`, in the reader's language."""


def stored_sentence(text: str) -> str:
    return _(text) if text in STORED_SENTENCES else text


def event_word(kind: str) -> str:
    return _(EVENT_WORDS[kind]) if kind in EVENT_WORDS else kind


def event_facts(payload: dict[str, object], zone: object) -> list[str]:
    """'level 2', 'round 1', 'snoozed until 17/02 03:00' …: the facts of an event a person reads.
    Keys without a label (ids, dedup keys, raw titles) are left to the audit log."""
    from datetime import datetime, timezone

    facts = []
    for key, value in payload.items():
        if key not in FACT_LABELS or value in (None, "", [], {}):
            continue
        if key == "round" and isinstance(value, int):
            value = value + 1  # people count rounds from 1; JSON keeps 0-based `round`
        elif key.endswith("seconds") and isinstance(value, (int, float)):
            value = human_duration(value)
        elif key.endswith(("_at", "until")) and isinstance(value, str):
            try:
                when = datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
                value = when.astimezone(zone).strftime("%d/%m %H:%M")  # type: ignore[arg-type]
        elif key in ("severity", "state", "from_state", "outcome", "category"):
            value = word(value)
        elif key == "joined_to":
            value = f"#{value}"
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        if isinstance(value, bool):
            value = _("yes") if value else _("no")
        if len(str(value)) <= 60:
            facts.append(f"{_(FACT_LABELS[key])} {value}")
    return facts
