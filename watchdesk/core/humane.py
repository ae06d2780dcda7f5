"""Values as a person reads them: the one human duration of every view (desk, CLI, reports).

`format_duration` (core.limits) writes the config's own syntax ('1h30m', what `parse_duration`
reads back); this writes what an officer reads: '4h05m' in English, '4 giờ 5 phút' in
Vietnamese, never a count of seconds.
"""

from __future__ import annotations

from datetime import timedelta

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


def human_hours(hours: int) -> str:
    """A report window: 'last 7 days' for whole days, else 'last 12 hours' (plural forms by gettext)."""
    from watchdesk.i18n import ngettext

    if hours >= 48 and hours % 24 == 0:
        days = hours // 24
        return ngettext("last {n} day", "last {n} days", days).format(n=days)
    return ngettext("last {n} hour", "last {n} hours", hours).format(n=hours)


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
    # a source's health and the outcome of one poll (desk and CLI say the same word)
    "ok": N_("ok"), "failing": N_("failing"), "stale": N_("stale"), "disabled": N_("disabled"),
    "manual": N_("manual, nothing to poll"), "unchanged": N_("unchanged since the last poll"),
    "not-modified": N_("unchanged since the last poll"), "error": N_("error"),
    # a call task not yet answered, and the desk acting by itself
    "to do": N_("to do"), "system": N_("system"),
}


def word(value: object) -> str:
    """The translated word for a stored value (severity, state, role, handover status, source
    state); an unknown value is shown as it is."""
    text = "" if value is None else str(getattr(value, "value", value))
    return _(_WORDS[text]) if text in _WORDS else text
