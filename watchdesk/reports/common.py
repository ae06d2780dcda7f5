"""Shared helpers for the renderers: times in the desk zone, durations, escaping, the A4 page."""

from __future__ import annotations

import html
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from watchdesk.core.humane import human_duration
from watchdesk.store.types import from_db_text

UTC = timezone.utc


def local(value: str | datetime | None, zone: ZoneInfo | str, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored UTC time (text or aware datetime) shown in the desk's zone; '' for none."""
    when = from_db_text(value)
    if when is None:
        return ""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return when.astimezone(tz).strftime(fmt)


def iso(value: str | datetime | None) -> str | None:
    """A stored UTC time as ISO 8601 with its offset (JSON, CSV)."""
    if isinstance(value, str) and len(value) == 26 and value[10] == " ":
        # Stored text 'YYYY-MM-DD HH:MM:SS.ffffff' is already UTC: rewritten as datetime.isoformat() would
        # print it (no fraction when it is zero), without parsing a datetime per cell of a 100k-line export.
        return f"{value[:10]}T{value[11:19]}{'' if value.endswith('.000000') else value[19:]}+00:00"
    when = from_db_text(value)
    return None if when is None else when.isoformat()


def duration(seconds: float | None) -> str:
    """A human duration ('4h05m', vi '4 giờ 5 phút'); '—' for none. The one helper: core.humane."""
    return human_duration(seconds)


def num(seconds: float | None) -> float | None:
    """Seconds rounded to the millisecond for JSON/CSV."""
    return None if seconds is None else round(seconds, 3)


def md_cell(text: object) -> str:
    """Plain text made safe inside a Markdown table cell (no pipes, no line breaks, no live markup)."""
    value = "" if text is None else str(text)
    value = value.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    for ch in "*_`[]<>":
        value = value.replace(ch, "\\" + ch)
    return value


def md_table(header: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return out


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def html_table(header: list[str], rows: list[list[object]], cls: str = "") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{esc(cls)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


A4_CSS = """
@page { size: A4; margin: 18mm 15mm; }
body { font-family: "Times New Roman", "DejaVu Serif", serif; font-size: 11pt; color: #000; max-width: 180mm; margin: auto; }
h1 { font-size: 15pt; text-align: center; text-transform: uppercase; margin: 4mm 0; }
h2 { font-size: 12pt; margin: 5mm 0 2mm; border-bottom: 1px solid #000; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; page-break-inside: auto; }
tr { page-break-inside: avoid; }
th, td { border: 1px solid #444; padding: 1mm 1.5mm; text-align: left; vertical-align: top; font-size: 9.5pt; }
th { background: #eee; }
.proof { font-family: monospace; font-size: 8.5pt; }
.tampered { border: 2px solid #b00; color: #b00; font-weight: bold; padding: 2mm; }
.signatures { display: flex; justify-content: space-between; margin-top: 12mm; page-break-inside: avoid; }
.signatures div { width: 45%; text-align: center; }
.signatures .line { margin-top: 22mm; border-top: 1px dotted #000; }
.notes { white-space: pre-wrap; border: 1px solid #444; padding: 2mm; min-height: 12mm; }
"""


def html_page(first_line: str, ok: bool, title: str, body: str, lang: str = "vi") -> str:
    """A printable A4 page; the proof sentence is the document's first line (an HTML comment) and its first visible line."""
    banner = f'<p class="{"proof" if ok else "tampered"}">{esc(first_line)}</p>'
    comment = first_line.replace("--", "—")
    return (
        f"<!-- {comment} -->\n<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title><style>{A4_CSS}</style></head>\n<body>\n{banner}\n{body}\n</body></html>\n"
    )
