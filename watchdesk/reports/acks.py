"""The acknowledgment report rendered as JSON, CSV, Markdown or printable HTML."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from watchdesk.core.humane import word
from watchdesk.i18n import N_, _, current_language
from watchdesk.reports.common import duration, esc, html_page, html_table, iso, local, md_table, num
from watchdesk.services.reports import AckReport, Stats

FORMATS = ("csv", "json", "md", "html")
GROUPS = (("by_severity", N_("Per severity")), ("by_source", N_("Per source")),
          ("by_officer", N_("Per officer (first acknowledgment)")), ("by_shift", N_("Per shift (level 1 on duty when received)")))


def stats_json(s: Stats) -> dict[str, Any]:
    return {"count": s.count, "acknowledged": s.acked, "mean_seconds": num(s.mean), "median_seconds": num(s.median),
            "p90_seconds": num(s.p90), "max_seconds": num(s.max), "breaches": s.breaches, "cleared_by_system": s.cleared}


def to_json(r: AckReport) -> dict[str, Any]:
    """Stable field names (documented in the README part)."""
    return {
        "audit_log": r.proof.first_line(),
        "proof": {"verified": r.proof.checked, "ok": r.proof.ok, "head_seq": r.proof.head_seq,
                  "head_hash": r.proof.head_hash, "bad_seq": r.proof.bad_seq, "result": r.proof.sentence,
                  "figures_checked": r.proof.figures_checked, "figures_disagree": r.proof.disagree_count,
                  "disagreeing_alerts": list(r.proof.disagree)},
        "report": r.title, "period": r.period, "from": r.start.isoformat(), "to": r.end.isoformat(),
        "generated_at": r.generated_at.isoformat(), "zone": r.zone,
        "definitions": list(r.definitions),
        "ack_targets_seconds": r.targets,
        "overall": stats_json(r.overall),
        **{key: {k: stats_json(v) for k, v in getattr(r, key).items()} for key, _name in GROUPS},
        "breaches": [
            {"alert_id": b.alert_id, "title": b.title, "severity": b.severity, "ack_seconds": num(b.ack_seconds),
             "target_seconds": b.target_seconds, "target_ran_out_at": iso(b.target_ran_out_at),
             "first_acked_by": b.first_acked_by, "on_duty_level1": b.on_duty_level1, "on_duty_level2": b.on_duty_level2}
            for b in r.breaches
        ],
        "never_acknowledged": [
            {"alert_id": u.alert_id, "title": u.title, "severity": u.severity, "state": u.state, "level": u.level,
             "received_at": iso(u.received_at), "waiting_seconds": num(u.waiting_seconds), "overdue": u.overdue,
             "exhausted": u.exhausted}
            for u in r.never_acked
        ],
        "grouped": [
            {"alert_id": g.alert_id, "title": g.title, "severity": g.severity, "grouped_with": g.parent_id,
             "received_at": iso(g.received_at), "acknowledged_at": iso(g.acked_at), "first_acked_by": g.first_acked_by,
             "ack_seconds": num(g.ack_seconds), "waiting_seconds": num(g.waiting_seconds), "breached": g.breached}
            for g in r.grouped
        ],
        "cleared_by_system": [
            {"alert_id": c.alert_id, "title": c.title, "severity": c.severity, "category": c.category,
             "received_at": iso(c.received_at), "cleared_at": iso(c.cleared_at), "seconds": num(c.seconds), "reason": c.reason}
            for c in r.cleared
        ],
        "acknowledged_off_duty": [
            {"alert_id": o.alert_id, "title": o.title, "by": o.by, "at": iso(o.at), "first": o.first}
            for o in r.off_duty
        ],
        "escalations_by_level": {str(k): v for k, v in r.escalations_by_level.items()},
        "alerts_by_highest_level": {str(k): v for k, v in r.alerts_by_top_level.items()},
        "time_to_resolve_by_severity": {k: stats_json(v) for k, v in r.resolve_by_severity.items()},
        "alerts_per_hour": [{"hour": h.isoformat(), "alerts": n} for h, n in r.per_hour],
        "duty_hours": [{"officer": h.officer, "full_name": h.full_name, "shifts": h.shifts, "hours": h.hours,
                        "night_hours": h.night_hours, "holiday_hours": h.holiday_hours} for h in r.hours],
        "alerts": [
            {"id": a.id, "title": a.title, "source": a.source, "severity": a.severity, "state": a.state, "level": a.level,
             "received_at": iso(a.received_at), "first_acked_at": iso(a.first_acked_at), "first_acked_by": a.first_acked_by,
             "snoozed_seconds": num(a.snoozed_seconds), "ack_seconds": num(a.ack_seconds), "target_seconds": a.target_seconds,
             "breached": bool(a.breached), "shift": a.shift, "escalations": a.escalations,
             "resolved_at": iso(a.resolved_at), "resolve_seconds": num(a.resolve_seconds),
             "grouped_with": a.grouped_with, "cleared_by_system": bool(a.cleared)}
            for a in r.alerts
        ],
    }


def render_json(r: AckReport) -> str:
    text = json.dumps(to_json(r), ensure_ascii=False, indent=2)
    # The proof is the first key: keep it on the first line with the brace.
    return "{" + text[1:].lstrip() + "\n"


def _stat_row(name: str, s: Stats) -> list[object]:
    return [name, s.count, s.acked, duration(s.mean), duration(s.median), duration(s.p90), duration(s.max), s.breaches, s.cleared]


STAT_HEADER = ["", N_("alerts"), N_("acknowledged"), N_("mean (MTTA)"), N_("median"), N_("p90"), N_("max"), N_("SLA breaches"),
               N_("cleared by the system")]


def _h(*names: str) -> list[str]:
    """A human table's header in the reader's language (CSV keeps its English field names)."""
    return [_(n) if n else "" for n in names]


def _yes(flag: object, no: str = "") -> str:
    return _("yes") if flag else no


def _note(a: object) -> str:
    """What sets a per-alert line apart: grouped with a parent, or cleared by the system."""
    if getattr(a, "cleared", False):
        return _("cleared by the system")
    parent = getattr(a, "grouped_with", None)
    return _("grouped with #{id}").format(id=parent) if parent is not None else ""


def _group_key(key: str, value: str) -> str:
    """A per-severity row reads the severity word; sources, officers and shifts keep their names."""
    return word(value) if key in ("by_severity", "resolve") else value


def _sections(r: AckReport) -> list[tuple[str, list[str], list[list[object]]]]:
    z = r.zone
    stat_header = _h(*STAT_HEADER)
    out: list[tuple[str, list[str], list[list[object]]]] = [(_("Overall"), stat_header, [_stat_row(_("all alerts"), r.overall)])]
    for key, title in GROUPS:
        out.append((_(title), stat_header, [_stat_row(_group_key(key, k), v) for k, v in getattr(r, key).items()]))
    out.append((_("SLA breaches ({n})").format(n=len(r.breaches)),
                _h(N_("alert"), N_("severity"), N_("title"), N_("time to ack"), N_("target"), N_("target ran out"), N_("first ack by"), N_("level 1 on duty"),
                   N_("level 2 on duty")),
                [[f"#{b.alert_id}", word(b.severity), b.title, duration(b.ack_seconds), duration(b.target_seconds),
                  local(b.target_ran_out_at, z), b.first_acked_by, b.on_duty_level1, b.on_duty_level2] for b in r.breaches]))
    out.append((_("Never acknowledged ({n})").format(n=len(r.never_acked)),
                _h(N_("alert"), N_("severity"), N_("title"), N_("state"), N_("level"), N_("received"), N_("waiting"), N_("overdue"), N_("exhausted")),
                [[f"#{u.alert_id}", word(u.severity), u.title, word(u.state), u.level, local(u.received_at, z),
                  duration(u.waiting_seconds), _yes(u.overdue, _("no")), _yes(u.exhausted, _("no"))] for u in r.never_acked]))
    out.append((_("Grouped with another alert ({n}): acknowledged with their parent").format(n=len(r.grouped)),
                _h(N_("alert"), N_("severity"), N_("title"), N_("grouped with"), N_("received"), N_("acknowledged (parent's first)"), N_("by"), N_("time to ack"),
                   N_("breach")),
                [[f"#{g.alert_id}", word(g.severity), g.title, f"#{g.parent_id}", local(g.received_at, z), local(g.acked_at, z) or "—",
                  g.first_acked_by or "—",
                  duration(g.ack_seconds) if g.ack_seconds is not None
                  else _("{time} (waiting with #{id})").format(time=duration(g.waiting_seconds), id=g.parent_id),
                  _yes(g.breached)] for g in r.grouped]))
    out.append((_("Cleared by the system ({n}): answered before anyone acknowledged them; no time to acknowledge").format(n=len(r.cleared)),
                _h(N_("alert"), N_("severity"), N_("category"), N_("title"), N_("received"), N_("cleared"), N_("after"), N_("what answered it")),
                [[f"#{c.alert_id}", word(c.severity), c.category, c.title, local(c.received_at, z), local(c.cleared_at, z),
                  duration(c.seconds), c.reason] for c in r.cleared]))
    out.append((_("Acknowledged by someone not on duty ({n})").format(n=len(r.off_duty)),
                _h(N_("alert"), N_("title"), N_("by"), N_("at"), N_("first acknowledgment")),
                [[f"#{o.alert_id}", o.title, o.by, local(o.at, z), _("yes") if o.first else _("again")] for o in r.off_duty]))
    out.append((_("Escalations by level"), _h(N_("level"), N_("escalation steps"), N_("alerts whose highest level this is")),
                [[lvl, r.escalations_by_level.get(lvl, 0), r.alerts_by_top_level.get(lvl, 0)]
                 for lvl in sorted(set(r.escalations_by_level) | set(r.alerts_by_top_level))]))
    out.append((_("Time to resolve"), _h("", N_("alerts"), N_("resolved"), N_("mean"), N_("median"), N_("p90"), N_("max")),
                [_stat_row(word(k), v)[:7] for k, v in r.resolve_by_severity.items()]))
    out.append((_("Duty hours (from the roster)"), _h(N_("officer"), N_("name"), N_("shifts"), N_("hours"), N_("night hours"), N_("holiday hours")),
                [[h.officer, h.full_name, h.shifts, h.hours, h.night_hours, h.holiday_hours] for h in r.hours]))
    out.append((_("Per alert ({n})").format(n=len(r.alerts)),
                _h(N_("alert"), N_("severity"), N_("source"), N_("title"), N_("received"), N_("first ack"), N_("by"), N_("time to ack"), N_("snoozed"), N_("breach"),
                   N_("escalations"), N_("state"), N_("time to resolve"), N_("note")),
                [[f"#{a.id}", word(a.severity), a.source, a.title, local(a.received_at, z), local(a.first_acked_at, z),
                  a.first_acked_by, duration(a.ack_seconds), duration(a.snoozed_seconds) if a.snoozed_seconds else "",
                  _yes(a.breached), a.escalations, word(a.state), duration(a.resolve_seconds), _note(a)] for a in r.alerts]))
    return out


def _heading(r: AckReport) -> list[str]:
    z = r.zone
    span = f"{local(r.start, z)} – {local(r.end, z)} ({z})"
    return [
        _("Period: {period}").format(period=r.period or span) + (f" ({span})" if r.period else ""),
        _("Made at {at} ({zone}); audit head seq {seq}, hash {hash}; verification: {result}").format(
            at=local(r.generated_at, z), zone=z, seq=r.proof.head_seq, hash=r.proof.head_hash or "—", result=r.proof.sentence),
    ]


def _title(r: AckReport) -> str:
    return _(r.title)


def render_md(r: AckReport) -> str:
    lines = [r.proof.first_line(), "", f"# {_title(r)}", ""]
    lines += [f"- {x}" for x in _heading(r)]
    lines += ["", "## " + _("Definitions"), ""] + [f"- {_(d)}" for d in r.definitions]
    for title, header, rows in _sections(r):
        lines += ["", f"## {title}", ""]
        lines += md_table(header, rows) if rows else [_("(none)")]
    return "\n".join(lines) + "\n"


def render_html(r: AckReport) -> str:
    parts = [f"<h1>{esc(_title(r))}</h1>", "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in _heading(r)) + "</ul>",
             f"<h2>{esc(_('Definitions'))}</h2><ul>" + "".join(f"<li>{esc(_(d))}</li>" for d in r.definitions) + "</ul>"]
    for title, header, rows in _sections(r):
        parts.append(f"<h2>{esc(title)}</h2>")
        parts.append(html_table(header, rows) if rows else f"<p>{esc(_('(none)'))}</p>")
    return html_page(r.proof.first_line(), r.proof.ok and r.proof.checked, _title(r), "\n".join(parts), lang=current_language())


def render_csv(r: AckReport) -> str:
    """Sections one after another: a title row, a header row, the data rows, a blank row.

    Seconds are plain numbers (3 decimals) and times ISO 8601, for spreadsheets.
    """
    buf = io.StringIO()
    w = _SafeWriter(csv.writer(buf, lineterminator="\n"))
    w.writerow([r.proof.first_line()])
    w.writerow(["report", r.title, "period", r.period, "from", r.start.isoformat(), "to", r.end.isoformat(),
                "generated_at", r.generated_at.isoformat(), "audit_head_seq", r.proof.head_seq, "audit_head_hash", r.proof.head_hash])
    for d in r.definitions:
        w.writerow(["definition", d])
    stat_header = ["group", "key", "alerts", "acknowledged", "mean_seconds", "median_seconds", "p90_seconds", "max_seconds", "breaches",
                   "cleared_by_system"]
    w.writerow([])
    w.writerow(stat_header)
    w.writerow(["overall", "all", *_csv_stats(r.overall)])
    for key, _title in GROUPS:
        for k, v in getattr(r, key).items():
            w.writerow([key.removeprefix("by_"), k, *_csv_stats(v)])
    for k, v in r.resolve_by_severity.items():
        w.writerow(["resolve_by_severity", k, *_csv_stats(v)])
    w.writerow([])
    w.writerow(["breach_alert_id", "severity", "title", "ack_seconds", "target_seconds", "target_ran_out_at", "first_acked_by",
                "on_duty_level1", "on_duty_level2"])
    for b in r.breaches:
        w.writerow([b.alert_id, b.severity, b.title, num(b.ack_seconds), b.target_seconds, iso(b.target_ran_out_at),
                    b.first_acked_by, b.on_duty_level1, b.on_duty_level2])
    w.writerow([])
    w.writerow(["unacked_alert_id", "severity", "title", "state", "level", "received_at", "waiting_seconds", "overdue", "exhausted"])
    for u in r.never_acked:
        w.writerow([u.alert_id, u.severity, u.title, u.state, u.level, iso(u.received_at), num(u.waiting_seconds),
                    int(u.overdue), int(u.exhausted)])
    w.writerow([])
    w.writerow(["grouped_alert_id", "severity", "title", "grouped_with", "received_at", "acknowledged_at", "first_acked_by",
                "ack_seconds", "waiting_seconds", "breached"])
    for g in r.grouped:
        w.writerow([g.alert_id, g.severity, g.title, g.parent_id, iso(g.received_at), iso(g.acked_at), g.first_acked_by,
                    num(g.ack_seconds), num(g.waiting_seconds), int(g.breached)])
    w.writerow([])
    w.writerow(["cleared_alert_id", "severity", "category", "title", "received_at", "cleared_at", "seconds", "reason"])
    for c in r.cleared:
        w.writerow([c.alert_id, c.severity, c.category, c.title, iso(c.received_at), iso(c.cleared_at), num(c.seconds), c.reason])
    w.writerow([])
    w.writerow(["off_duty_ack_alert_id", "title", "by", "at", "first"])
    for o in r.off_duty:
        w.writerow([o.alert_id, o.title, o.by, iso(o.at), int(o.first)])
    w.writerow([])
    w.writerow(["escalation_level", "escalation_steps", "alerts_highest_level"])
    for lvl in sorted(set(r.escalations_by_level) | set(r.alerts_by_top_level)):
        w.writerow([lvl, r.escalations_by_level.get(lvl, 0), r.alerts_by_top_level.get(lvl, 0)])
    w.writerow([])
    w.writerow(["duty_officer", "full_name", "shifts", "hours", "night_hours", "holiday_hours"])
    for h in r.hours:
        w.writerow([h.officer, h.full_name, h.shifts, h.hours, h.night_hours, h.holiday_hours])
    w.writerow([])
    w.writerow(["alert_id", "severity", "source", "title", "state", "level", "received_at", "first_acked_at", "first_acked_by",
                "snoozed_seconds", "ack_seconds", "target_seconds", "breached", "shift", "escalations", "resolved_at", "resolve_seconds",
                "grouped_with", "cleared_by_system"])
    for a in r.alerts:
        w.writerow([a.id, a.severity, a.source, a.title, a.state, a.level, iso(a.received_at), iso(a.first_acked_at),
                    a.first_acked_by, num(a.snoozed_seconds), num(a.ack_seconds), a.target_seconds, int(bool(a.breached)),
                    a.shift, a.escalations, iso(a.resolved_at), num(a.resolve_seconds), a.grouped_with or "", int(bool(a.cleared))])
    return buf.getvalue()


def _csv_stats(s: Stats) -> list[object]:
    return [s.count, s.acked, num(s.mean), num(s.median), num(s.p90), num(s.max), s.breaches, s.cleared]


def render(r: AckReport, fmt: str) -> str:
    return {"csv": render_csv, "json": render_json, "md": render_md, "html": render_html}[fmt](r)


class _SafeWriter:
    """A csv writer that keeps text cells from being read as spreadsheet formulas (=, +, -, @ first)."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer

    def writerow(self, row: list[object]) -> None:
        self.writer.writerow([f"'{c}" if isinstance(c, str) and c[:1] in ("=", "+", "-", "@", "\t", "\r") else c for c in row])
