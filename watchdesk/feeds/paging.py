"""Reading a paged JSON listing (Strapi v4/v5) through the same guarded fetcher, page after page.

The first answer's `meta.pagination` says how many pages there are; the desk reads pages 2…
in order until `max_items` rows, MAX_PAGES pages, the source's byte cap (for all pages
together) or its deadline (for the whole poll) is reached, and hands on one merged answer.
A hostile pagination (strings, negative or huge counts) is bounded by the same limits.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

from watchdesk.feeds.fetch import FetchRequest, FetchResult, fetch_one
from watchdesk.feeds.jsonfeed import detect_preset, load_json, merge_strapi_pages, strapi_page_urls, strapi_paging
from watchdesk.feeds.xmlprep import NotAFeed


def _is_strapi(data: Any, preset: str, has_mapping: bool) -> bool:
    return preset == "strapi" or (not preset and not has_mapping and detect_preset(data) == "strapi")


async def fetch_pages(client: Any, req: FetchRequest, first: FetchResult, *, kind: str, preset: str,
                      has_mapping: bool, max_items: int) -> FetchResult:
    """`first` with the rows of the listing's further pages merged in (notes say what was left unread)."""
    if kind != "json" or first.status != "ok":
        return first
    try:
        data = load_json(first.body, first.content_type)
    except NotAFeed:
        return first  # the parser says why, as for any source
    if not isinstance(data, dict) or not _is_strapi(data, preset, has_mapping) or not isinstance(data.get("data"), list):
        return first
    paging = strapi_paging(data)
    if paging is None or paging.problem:
        return first
    urls = strapi_page_urls(first.final_url or req.url, paging, len(data["data"]), max_items)
    if not urls:
        return first
    started = time.monotonic() - first.elapsed
    budget = req.max_bytes - len(first.body)
    pages: list[Any] = []
    notes = list(first.notes)
    stopped = False
    for number, url in enumerate(urls, 2):
        left = req.deadline - (time.monotonic() - started)
        if left < 1 or budget < 1024:
            notes.append(f"was read up to page {number - 1} of {paging.pages}: the poll's "
                         + ("deadline" if left < 1 else "byte cap (max_bytes, all pages together)") + " was reached")
            stopped = True
            break
        got = await fetch_one(client, dataclasses.replace(req, url=url, deadline=left, max_bytes=budget, etag="", last_modified=""))
        try:
            page = load_json(got.body, got.content_type) if got.status == "ok" else None
        except NotAFeed as exc:
            got = dataclasses.replace(got, status="error", error=str(exc))
            page = None
        if page is None:
            notes.append(f"page {number} {got.error or 'could not be read'}; the pages before it were read")
            stopped = True
            break
        budget -= len(got.body)
        pages.append(page)
        rows = page.get("data") if isinstance(page, dict) else None
        if not isinstance(rows, list) or not rows:
            stopped = True  # the listing ended earlier than its pagination said
            break
    if not stopped and len(pages) + 1 < paging.pages:
        notes.append(f"lists {paging.pages} pages; the first {len(pages) + 1} were read (max_items = {max_items})")
    merged = merge_strapi_pages(data, pages, max_items)
    body = json.dumps(merged, ensure_ascii=False).encode("utf-8")
    return dataclasses.replace(first, body=body, content_type="application/json; charset=utf-8", notes=notes,
                               elapsed=time.monotonic() - started)
