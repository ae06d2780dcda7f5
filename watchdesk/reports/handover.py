"""The handover record (biên bản bàn giao ca) as JSON, Markdown and a printable A4 HTML page with signature lines."""

from __future__ import annotations

import json
from typing import Any

from watchdesk.reports.common import duration, esc, html_page, html_table, local, md_table
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


def _sections(h: HandoverRecord, zone: str) -> list[tuple[str, list[str], list[list[object]]]]:
    s = h.summary
    t = lambda v: local(v, zone, "%d/%m %H:%M")  # noqa: E731
    return [
        ("Cảnh báo còn mở / Open alerts (carried over to the next shift)",
         ["#", "severity", "title", "state", "level", "owner", "next deadline", "received", "note"],
         [[o["id"], o["severity"], o["title"], o["state"], o["level"], o["owner"] or "—", t(o["next_deadline"]) or "—",
           t(o["received_at"]), ("carried over; " if o.get("carried_over") else "") + ("exhausted; " if o.get("exhausted") else "")
           + (f"snoozed until {t(o['snoozed_until'])}" if o.get("snoozed_until") else "")] for o in s.get("open", [])]),
        ("Cảnh báo nhận trong ca / Received during the shift", ["#", "severity", "source", "title", "received", "state now"],
         [[a["id"], a["severity"], a["source"], a["title"], t(a["received_at"]), a["state"]] for a in s.get("received", [])]),
        ("Đã xác nhận / Acknowledged", ["#", "title", "at", "by", "time to ack", "first"],
         [[a["id"], a["title"], t(a["at"]), a["by"] + ("" if a.get("on_duty", True) else " (không trực / not on duty)"),
           duration(a.get("ack_seconds")), "yes" if a.get("first") else "again"] for a in s.get("acknowledged", [])]),
        ("Đã xử lý / Resolved", ["#", "title", "at", "by", "resolution"],
         [[a["id"], a["title"], t(a["at"]), a["by"], a.get("note", "")] for a in s.get("resolved", [])]),
        ("Đã chuyển cấp / Escalated", ["#", "title", "at", "to level", "notified", "calls", "by"],
         [[a["id"], a["title"], t(a["at"]), a.get("level"), ", ".join(a.get("notified", [])), ", ".join(a.get("calls", [])),
           a["by"] + (" (manual)" if a.get("manual") else "")] for a in s.get("escalated", [])]),
        ("Vi phạm thời hạn xác nhận / SLA breaches", ["#", "severity", "title", "time to ack", "target", "by"],
         [[b["id"], b["severity"], b["title"], duration(b["ack_seconds"]) + ("" if b["acknowledged"] else " (still waiting)")
           + (f" (grouped with #{b['grouped_with']})" if b.get("grouped_with") else ""),
           duration(b["target_seconds"]), b["by"] or "—"] for b in s.get("breaches", [])]),
        ("Hệ thống tự xóa / Cleared by the system (answered: check-in, accepted handover, source recovered)",
         ["#", "title", "at", "what answered it"],
         [[c["id"], c["title"], t(c["at"]), c["reason"]] for c in s.get("cleared", [])]),
        ("Nguồn lỗi hoặc im lặng / Sources failing or silent", ["source", "state", "failures", "failed in shift", "last error", "last new item"],
         [[f"{x['name']} ({x['key']})", x["state"], x["failures"], x["failed_in_shift"], x["last_error"], t(x["last_new_item_at"])]
          for x in s.get("sources", [])]),
        ("Cuộc gọi ra ngoài / Calls to outside contacts", ["alert", "contact", "asked at", "outcome", "reference", "by", "note"],
         [[f"#{c['alert_id']}", c["contact"], t(c["created_at"]), c["outcome"], c["reference"], c["by"], c["note"]]
          for c in s.get("calls", [])]),
    ]


def _facts(h: HandoverRecord, zone: str) -> list[tuple[str, str]]:
    c = h.summary.get("counts", {})
    behalf = [("Người nhận thay / Accepted on their behalf by", f"{h.accepted_by_name} ({h.accepted_by})")] if h.on_behalf else []
    return [
        ("Ca trực / Shift", f"#{h.shift_id}: {local(h.period_start, zone)} – {local(h.period_end, zone)} ({zone})"),
        ("Bên giao / Outgoing", f"{h.outgoing_name} ({h.outgoing})"),
        ("Bên nhận / Incoming", f"{h.incoming_name} ({h.incoming})" if h.incoming else "—"),
        *behalf,
        ("Trạng thái / Status", h.status + (f"; signed out {local(h.signed_out_at, zone)}" if h.signed_out_at else "")
         + (" (ký sớm / early, confirmed: before the shift ended)" if h.signed_out_early else "")
         + (f"; accepted by {h.accepted_by} {local(h.accepted_at, zone)}" if h.accepted_at else "")
         + (f" (nhận thay / on behalf of {h.incoming})" if h.on_behalf else "")
         + (" (nhận sớm / early, confirmed: before the incoming shift began)" if h.accepted_early else "")
         + (f"; acceptance due {local(h.due_at, zone)}" if h.due_at and not h.accepted_at else "")
         + (f"; late-handover alert #{h.alert_id}" if h.alert_id else "")),
        ("Tóm tắt / In short", f"{c.get('received', 0)} received, {c.get('acknowledged', 0)} acknowledged, "
         f"{c.get('resolved', 0)} resolved, {c.get('escalated', 0)} escalations, {c.get('open', 0)} open, "
         f"{c.get('breaches', 0)} SLA breaches, {c.get('cleared', 0)} cleared by the system, {c.get('calls', 0)} calls, "
         f"{c.get('sources', 0)} source problems"),
        ("Định nghĩa vi phạm / Breach", BREACH_DEFINITION),
    ]


TITLE = "Biên bản bàn giao ca trực / Shift handover record"


def render_md(h: HandoverRecord, proof: Proof, zone: str) -> str:
    lines = [proof.first_line(), "", f"# {TITLE}", ""]
    lines += [f"- **{k}:** {v}" for k, v in ((k, _md(v)) for k, v in _facts(h, zone))]
    for title, header, rows in _sections(h, zone):
        lines += ["", f"## {title}", ""]
        lines += md_table(header, rows) if rows else ["(không có / none)"]
    lines += ["", "## Ghi chú của bên giao / Outgoing officer's notes", "", _md(h.notes) or "(none)"]
    lines += ["", "## Ý kiến của bên nhận / Incoming officer's remarks", "", _md(h.remarks) or "(none)"]
    lines += ["", f"Audit head at export: seq {proof.head_seq}, hash {proof.head_hash or '—'} — {proof.sentence}", ""]
    lines += [f"Audit checkpoint: {proof.checkpoint}", ""]
    return "\n".join(lines)


def _md(text: str) -> str:
    from watchdesk.reports.common import md_cell

    return "  \n".join(md_cell(line) for line in (text or "").splitlines())


def render_html(h: HandoverRecord, proof: Proof, zone: str) -> str:
    facts = html_table(["", ""], [[k, v] for k, v in _facts(h, zone)], "facts")
    parts = [f"<h1>{esc(TITLE)}</h1>", facts]
    for title, header, rows in _sections(h, zone):
        parts.append(f"<h2>{esc(title)}</h2>")
        parts.append(html_table(header, rows) if rows else "<p>(không có / none)</p>")
    parts.append(f"<h2>Ghi chú của bên giao / Outgoing officer's notes</h2><div class=\"notes\">{esc(h.notes)}</div>")
    parts.append(f"<h2>Ý kiến của bên nhận / Incoming officer's remarks</h2><div class=\"notes\">{esc(h.remarks)}</div>")
    parts.append(
        '<div class="signatures">'
        f'<div>BÊN GIAO / OUTGOING<br><i>(ký, ghi rõ họ tên)</i><div class="line">{esc(h.outgoing_name)}</div>'
        f'{esc(local(h.signed_out_at, zone))}</div>'
        f'<div>BÊN NHẬN / INCOMING<br><i>(ký, ghi rõ họ tên)</i><div class="line">{esc(h.incoming_name)}</div>'
        + (f'Người nhận thay / accepted on their behalf by: {esc(h.accepted_by_name)} ({esc(h.accepted_by)})<br>' if h.on_behalf else "")
        + f'{esc(local(h.accepted_at, zone))}</div></div>'
    )
    parts.append(f'<p class="proof">Audit head at export: seq {esc(proof.head_seq)}, hash {esc(proof.head_hash)} — {esc(proof.sentence)}</p>')
    parts.append(f'<p class="proof">Audit checkpoint: {esc(proof.checkpoint)}</p>')
    return html_page(proof.first_line(), proof.ok, TITLE, "\n".join(parts))


def render(h: HandoverRecord, proof: Proof, zone: str, fmt: str) -> str:
    if fmt == "json":
        return render_json(h, proof)
    return {"md": render_md, "html": render_html}[fmt](h, proof, zone)
