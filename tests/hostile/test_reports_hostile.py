"""Hostile alert titles and notes in the reports and the handover record.

What a supervisor sees: the title's words, exactly, in every export — never a live link, script,
table break, spreadsheet formula or terminal escape.
"""

from __future__ import annotations

import csv
import io
import json

from watchdesk.reports.acks import render
from watchdesk.reports.handover import render as render_handover
from watchdesk.services import lifecycle
from watchdesk.services.handover import get_handover, sign_out
from watchdesk.services.reports import ack_report, date_window, make_proof

from tests.reports.history import duty, local, new_alert

EVIL = "=HYPERLINK(\"http://x\")|<script>alert(1)</script> [b]bold[/b] \x1b]52;c;Zm9v\x07 \u202eevil\x00 *x* | end"


def _setup(rt, clock, staff):
    L = lambda t: local(rt, t)  # noqa: E731
    duty(rt, "hung", 1, L("2026-02-16 19:00"), L("2026-02-17 07:00"))
    duty(rt, "thu", 1, L("2026-02-17 07:00"), L("2026-02-17 19:00"))
    aid = new_alert(rt, clock, L("2026-02-16 20:00"), EVIL, "critical")
    clock.set(L("2026-02-16 20:30"))
    lifecycle.acknowledge(rt, staff["hung"], aid)
    return aid


def _unsafe(text: str) -> bool:
    return any(ch in text for ch in ("\x1b", "\x07", "\x00", "\u202e"))


def test_ack_report_keeps_the_words_and_nothing_unsafe(rt, clock, staff):
    """The title's words appear; no escape, NUL or bidi override; HTML escaped; Markdown pipes escaped; CSV no formula."""
    _setup(rt, clock, staff)
    start, end, name = date_window(rt, "2026-02-16", "2026-02-17")
    r = ack_report(rt, start, end, name)
    title = r.alerts[0].title
    assert "HYPERLINK" in title and "<script>" in title and "evil" in title  # cleaned at ingest, words kept
    for fmt in ("md", "html", "csv", "json"):
        assert not _unsafe(render(r, fmt)), fmt
    page = render(r, "html")
    assert "<script>" not in page and "&lt;script&gt;" in page
    md = render(r, "md")
    row = next(line for line in md.splitlines() if "HYPERLINK" in line and line.startswith("| #"))
    assert "\\|" in row and "\\<script\\>" in row and "\\[b\\]" in row
    rows = list(csv.reader(io.StringIO(render(r, "csv"))))
    cells = [c for row in rows for c in row if "HYPERLINK" in c]
    assert cells and all(c.startswith("'=") for c in cells)
    assert json.loads(render(r, "json"))["alerts"][0]["title"] == title


def test_handover_export_keeps_notes_and_titles_inert(rt, clock, staff):
    """Notes with markup and escapes print as their words on the signed page."""
    _setup(rt, clock, staff)
    clock.set(local(rt, "2026-02-17 06:50"))
    sign_out(rt, staff["hung"], "ghi chú <img src=x onerror=alert(1)> \x1b[31mred\x1b[0m [link](javascript:x)")
    h = get_handover(rt)
    assert "\x1b" not in h.notes and "red" in h.notes
    proof = make_proof(rt)
    page = render_handover(h, proof, rt.zone.key, "html")
    assert "<img" not in page and "&lt;img" in page and not _unsafe(page)
    md = render_handover(h, proof, rt.zone.key, "md")
    assert "\\[link\\]" in md and not _unsafe(md)
