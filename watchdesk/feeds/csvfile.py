"""CSV files for `watchdesk import`: one warning per row, headers in English or Vietnamese."""

from __future__ import annotations

import csv
import io

from watchdesk.core.text import fold
from watchdesk.feeds.items import ParseOutcome, RawItem
from watchdesk.feeds.xmlprep import NotAFeed, decode_body

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "ma", "so hieu", "native_id"),
    "title": ("title", "tieu de", "ten"),
    "summary": ("summary", "description", "noi dung", "mo ta", "tom tat"),
    "link": ("link", "url", "lien ket"),
    "date": ("date", "published", "ngay", "ngay ban hanh", "thoi gian"),
    "severity": ("severity", "muc do", "level"),
    "cves": ("cves", "cve"),
}


def parse_csv(body: bytes, content_type: str = "", where: str = "the file") -> ParseOutcome:
    text, _, warnings = decode_body(body, content_type)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise NotAFeed(f"{where} is empty") from None
    except csv.Error as exc:
        raise NotAFeed(f"{where}, line 1: not readable as CSV ({exc})") from None
    folded = [fold(h) for h in header]
    index = {key: next((i for i, h in enumerate(folded) if h in names), None) for key, names in COLUMNS.items()}
    if index["title"] is None:
        raise NotAFeed(f"{where}, line 1: no 'title' (or 'tiêu đề') column among {', '.join(header) or 'no columns'}; add one")
    items = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue

            def cell(key: str, row: list[str] = row) -> str:
                i = index[key]
                return row[i] if i is not None and i < len(row) else ""

            if not cell("title").strip():
                raise NotAFeed(f"{where}, line {reader.line_num}: the title is empty; fill it in or remove the line")
            items.append(
                RawItem(
                    native_id=cell("id"),
                    link=cell("link"),
                    title=cell("title"),
                    summary=cell("summary"),
                    published=cell("date"),
                    severity=cell("severity"),
                    cves=tuple(c for c in cell("cves").replace(";", ",").split(",") if c.strip()),
                )
            )
    except csv.Error as exc:
        raise NotAFeed(f"{where}, line {reader.line_num}: not readable as CSV ({exc})") from None
    return ParseOutcome(items=items, warnings=warnings)
