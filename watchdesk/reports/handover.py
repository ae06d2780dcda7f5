"""The handover record (biên bản bàn giao ca) as JSON, Markdown and a printable A4 HTML page with signature lines."""

from __future__ import annotations

import json
from typing import Any

from watchdesk.core.humane import human_duration
from watchdesk.i18n import N_, _, both, gettext_in, ngettext, speaking
from watchdesk.reports.common import esc, html_page, html_table, local, md_table
from watchdesk.services.handover import HandoverRecord
from watchdesk.services.reports import Proof
from watchdesk.services.sla import BREACH_DEFINITION

FORMATS = ("md", "html", "json")


def to_json(h: HandoverRecord, proof: Proof) -> dict[str, Any]:
    return {
        "audit_log": proof.first_line(),
        "proof": {"ok": proof.ok, "head_seq": proof.head_seq, "head_hash": proof.head_hash, "bad_seq": proof.bad_seq,
                  "result": proof.sentence, "checkpoint": proof.checkpoint},
        "id": h.id, "shift_id": h.shift_id, "status": h.status,
        "outgoing": h.outgoing, "outgoing_name": h.outgoing_name, "incoming": h.incoming, "incoming_name": h.incoming_name,
        "period_start": h.period_start.isoformat(), "period_end": h.period_end.isoformat(),
        "signed_out_at": h.signed_out_at.isoformat() if h.signed_out_at else None,
        "accepted_at": h.accepted_at.isoformat() if h.accepted_at else None, "accepted_by": h.accepted_by,
        "accepted_by_name": h.accepted_by_name, "on_behalf": h.on_behalf,
        "signed_out_early": h.signed_out_early, "accepted_early": h.accepted_early,
        "due_at": h.due_at.isoformat() if h.due_at else None, "alert_id": h.alert_id,
        "notes": h.notes, "remarks": h.remarks, "breach_definition": BREACH_DEFINITION, "summary": h.summary,
    }


def render_json(h: HandoverRecord, proof: Proof) -> str:
    text = json.dumps(to_json(h, proof), ensure_ascii=False, indent=2)
    return "{" + text[1:].lstrip() + "\n"


def _head(*names: str) -> list[str]:
    return [both(n) if n != "#" else n for n in names]


def _sections(h: HandoverRecord, zone: str) -> list[tuple[str, list[str], list[list[object]]]]:
    s = h.summary
    t = lambda v: local(v, zone, "%d/%m %H:%M")  # noqa: E731
    yes = both("yes")
    return [
        (both("Open alerts (carried over to the next shift)"),
         _head("#", N_("severity"), N_("title"), N_("state"), N_("level"), N_("owner"), N_("next deadline"), N_("received"), N_("note")),
         [[o["id"], both(o["severity"]), o["title"], both(o["state"]), o["level"], o["owner"] or "—", t(o["next_deadline"]) or "—",
           t(o["received_at"]), "; ".join(
               ([both("carried over")] if o.get("carried_over") else []) + ([both("exhausted")] if o.get("exhausted") else [])
               + ([both("snoozed until") + " " + t(o["snoozed_until"])] if o.get("snoozed_until") else []))]
          for o in s.get("open", [])]),
        (both("Received during the shift"), _head("#", N_("severity"), N_("source"), N_("title"), N_("received"), N_("state now")),
         [[a["id"], both(a["severity"]), a["source"], a["title"], t(a["received_at"]), both(a["state"])] for a in s.get("received", [])]),
        (both("Acknowledged"), _head("#", N_("title"), N_("at"), N_("by"), N_("time to ack"), N_("first")),
         [[a["id"], a["title"], t(a["at"]), a["by"] + ("" if a.get("on_duty", True) else " (" + both("not on duty") + ")"),
           bi_duration(a.get("ack_seconds")), yes if a.get("first") else both("again")] for a in s.get("acknowledged", [])]),
        (both("Resolved"), _head("#", N_("title"), N_("at"), N_("by"), N_("resolution")),
         [[a["id"], a["title"], t(a["at"]), a["by"], a.get("note", "")] for a in s.get("resolved", [])]),
        (both("Escalated"), _head("#", N_("title"), N_("at"), N_("to level"), N_("notified"), N_("calls"), N_("by")),
         [[a["id"], a["title"], t(a["at"]), a.get("level"), ", ".join(a.get("notified", [])), ", ".join(a.get("calls", [])),
           (both("system") if a["by"] == "system" else a["by"]) + (" (" + both("manual") + ")" if a.get("manual") else "")] for a in s.get("escalated", [])]),
        (both("SLA breaches"), _head("#", N_("severity"), N_("title"), N_("time to ack"), N_("target"), N_("by")),
         [[b["id"], both(b["severity"]), b["title"], bi_duration(b["ack_seconds"])
           + ("" if b["acknowledged"] else " (" + both("still waiting") + ")")
           + (" (" + both("grouped with") + f" #{b['grouped_with']})" if b.get("grouped_with") else ""),
           bi_duration(b["target_seconds"]), b["by"] or "—"] for b in s.get("breaches", [])]),
        (both("Cleared by the system (answered: check-in, accepted handover, source recovered)"),
         _head("#", N_("title"), N_("at"), N_("what answered it")),
         [[c["id"], c["title"], t(c["at"]), c["reason"]] for c in s.get("cleared", [])]),
        (both("Sources failing or silent"), _head(N_("source"), N_("state"), N_("failures"), N_("failed in shift"), N_("last error"), N_("last new item")),
         [[f"{x['name']} ({x['key']})", both(x["state"]), x["failures"], x["failed_in_shift"], x["last_error"], t(x["last_new_item_at"])]
          for x in s.get("sources", [])]),
        (both("Calls to outside contacts"), _head(N_("alert"), N_("contact"), N_("asked at"), N_("outcome"), N_("reference"), N_("by"), N_("note")),
         [[f"#{c['alert_id']}", c["contact"], t(c["created_at"]), both(c["outcome"]), c["reference"], c["by"], c["note"]]
          for c in s.get("calls", [])]),
    ]


def bi_duration(seconds: float | None) -> str:
    """'4 giờ 5 phút / 4h05m': a duration in both halves of the record."""
    vietnamese, english = _in("vi", human_duration, seconds), _in("en", human_duration, seconds)
    return english if vietnamese == english else f"{vietnamese} / {english}"


def _in(language: str, func, *args):  # noqa: ANN001, ANN202 - a renderer run in one language
    with speaking(language):
        return func(*args)


def counts_sentence(c: dict[str, Any]) -> str:
    """'3 received, 1 acknowledged, …, 1 SLA breach, 2 calls': each count in its plural form (desk, CLI)."""
    n = lambda key: c.get(key, 0)  # noqa: E731
    return ", ".join(x.format(n=count) for x, count in (
        (_("{n} received"), n("received")),
        (_("{n} acknowledged"), n("acknowledged")),
        (_("{n} resolved"), n("resolved")),
        (ngettext("{n} escalation", "{n} escalations", n("escalated")), n("escalated")),
        (_("{n} open"), n("open")),
        (ngettext("{n} SLA breach", "{n} SLA breaches", n("breaches")), n("breaches")),
        (_("{n} cleared by the system"), n("cleared")),
        (ngettext("{n} call", "{n} calls", n("calls")), n("calls")),
        (ngettext("{n} source problem", "{n} source problems", n("sources")), n("sources")),
    ))


def _counts(c: dict[str, Any]) -> str:
    return f"{_in('vi', counts_sentence, c)} / {_in('en', counts_sentence, c)}"


def _status(h: HandoverRecord, zone: str) -> str:
    def say() -> str:
        text = _(h.status)
        if h.signed_out_at:
            text += "; " + _("signed out {at}").format(at=local(h.signed_out_at, zone))
        if h.signed_out_early:
            text += " " + _("(early, confirmed: before the shift ended)")
        if h.accepted_at:
            text += "; " + _("accepted by {who} {at}").format(who=h.accepted_by, at=local(h.accepted_at, zone))
        if h.on_behalf:
            text += " " + _("(on behalf of {who})").format(who=h.incoming)
        if h.accepted_early:
            text += " " + _("(early, confirmed: before the incoming shift began)")
        if h.due_at and not h.accepted_at:
            text += "; " + _("acceptance due {at}").format(at=local(h.due_at, zone))
        if h.alert_id:
            text += "; " + _("late-handover alert #{id}").format(id=h.alert_id)
        return text

    return f"{_in('vi', say)} / {_in('en', say)}"


def _facts(h: HandoverRecord, zone: str) -> list[tuple[str, str]]:
    c = h.summary.get("counts", {})
    behalf = [(both("Accepted on their behalf by"), f"{h.accepted_by_name} ({h.accepted_by})")] if h.on_behalf else []
    return [
        (both("Shift"), f"#{h.shift_id}: {local(h.period_start, zone)} – {local(h.period_end, zone)} ({zone})"),
        (both("Outgoing"), f"{h.outgoing_name} ({h.outgoing})"),
        (both("Incoming"), f"{h.incoming_name} ({h.incoming})" if h.incoming else "—"),
        *behalf,
        (both("Status"), _status(h, zone)),
        (both("In short"), _counts(c)),
        (both("Breach"), f"{gettext_in('vi', BREACH_DEFINITION)} / {BREACH_DEFINITION}"),
    ]


TITLE = N_("Shift handover record")


def _proof_lines(proof: Proof) -> list[str]:
    def say() -> list[str]:
        return [_("Audit head at export: seq {seq}, hash {hash} — {result}").format(
                    seq=proof.head_seq, hash=proof.head_hash or "—", result=proof.sentence),
                _("Audit checkpoint: {checkpoint}").format(checkpoint=proof.checkpoint)]

    return [f"{vi} / {en}" for vi, en in zip(_in("vi", say), _in("en", say))]


def render_md(h: HandoverRecord, proof: Proof, zone: str) -> str:
    lines = [proof.first_line(), "", f"# {both(TITLE)}", ""]
    lines += [f"- **{k}:** {v}" for k, v in ((k, _md(v)) for k, v in _facts(h, zone))]
    none = "(" + both("none") + ")"
    for title, header, rows in _sections(h, zone):
        lines += ["", f"## {title}", ""]
        lines += md_table(header, rows) if rows else [none]
    lines += ["", f"## {both(NOTES)}", "", _md(h.notes) or none]
    lines += ["", f"## {both(REMARKS)}", "", _md(h.remarks) or none]
    for line in _proof_lines(proof):
        lines += ["", line]
    lines.append("")
    return "\n".join(lines)


NOTES = N_("Outgoing officer's notes")
REMARKS = N_("Incoming officer's remarks")


def _md(text: str) -> str:
    from watchdesk.reports.common import md_cell

    return "  \n".join(md_cell(line) for line in (text or "").splitlines())


def render_html(h: HandoverRecord, proof: Proof, zone: str) -> str:
    facts = html_table(["", ""], [[k, v] for k, v in _facts(h, zone)], "facts")
    parts = [f"<h1>{esc(both(TITLE))}</h1>", facts]
    none = "<p>(" + esc(both("none")) + ")</p>"
    for title, header, rows in _sections(h, zone):
        parts.append(f"<h2>{esc(title)}</h2>")
        parts.append(html_table(header, rows) if rows else none)
    parts.append(f"<h2>{esc(both(NOTES))}</h2><div class=\"notes\">{esc(h.notes)}</div>")
    parts.append(f"<h2>{esc(both(REMARKS))}</h2><div class=\"notes\">{esc(h.remarks)}</div>")
    sign = "<br><i>(" + esc(gettext_in("vi", "sign, write the full name")) + ")</i>"
    outgoing, incoming, behalf = both("OUTGOING"), both("INCOMING"), both("Accepted on their behalf by")
    parts.append(
        '<div class="signatures">'
        f'<div>{esc(outgoing)}{sign}<div class="line">{esc(h.outgoing_name)}</div>'
        f'{esc(local(h.signed_out_at, zone))}</div>'
        f'<div>{esc(incoming)}{sign}<div class="line">{esc(h.incoming_name)}</div>'
        + (f'{esc(behalf)}: {esc(h.accepted_by_name)} ({esc(h.accepted_by)})<br>' if h.on_behalf else "")
        + f'{esc(local(h.accepted_at, zone))}</div></div>'
    )
    parts += [f'<p class="proof">{esc(line)}</p>' for line in _proof_lines(proof)]
    return html_page(proof.first_line(), proof.ok, both(TITLE), "\n".join(parts))


def render(h: HandoverRecord, proof: Proof, zone: str, fmt: str) -> str:
    if fmt == "json":
        return render_json(h, proof)
    return {"md": render_md, "html": render_html}[fmt](h, proof, zone)
