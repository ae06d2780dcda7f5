"""RSS 0.9x/1.0/2.0, Atom and RDF through feedparser, given prepared bytes in io.BytesIO.

A bare str or bytes would be taken by feedparser as a URL or a file path to open; a
BytesIO never is. HTML sanitizing and relative-URI resolution are off: summaries are cut
down to plain text here anyway, which is both safer and much faster.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin

import feedparser

from watchdesk.feeds.htmltext import html_to_text
from watchdesk.feeds.items import ParseOutcome, RawItem
from watchdesk.feeds.htmllisting import feed_links
from watchdesk.feeds.xmlprep import NotAFeed, content_type_parts, decode_body, prepare_xml


def looks_like_html(body: bytes, content_type: str) -> bool:
    media, _ = content_type_parts(content_type)
    head = body[:1024].lstrip().lower()
    return media == "text/html" or head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def _struct_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime(*value[:6], tzinfo=timezone.utc)
            except (TypeError, ValueError):
                continue
    return None


def _attachments(entry: Any) -> tuple[dict[str, str], ...]:
    # feedparser's `enclosures` are the links with rel="enclosure" rebuilt on every access:
    # reading the links covers them.
    found: dict[str, dict[str, str]] = {}
    for link in entry.get("links") or ():
        href = str(link.get("href") or "")
        kind = str(link.get("type") or "")
        if href and (kind == "application/pdf" or href.lower().split("?")[0].endswith(".pdf")):
            found.setdefault(href, {"title": str(link.get("title") or href.rsplit("/", 1)[-1]), "url": href})
    return tuple(found.values())


def _absolute(link: str, base_url: str) -> str:
    # Resolved here, only when relative: feedparser's own resolution costs a urljoin per field.
    if not link or link.startswith(("http://", "https://")) or not base_url.startswith(("http://", "https://")):
        return link
    return urljoin(base_url, link)


def parse_feed(body: bytes, content_type: str = "", base_url: str = "") -> ParseOutcome:
    """Items of an RSS/Atom/RDF body; NotAFeed when it is none of those."""
    data, warnings = prepare_xml(body, content_type)
    headers = {"content-type": "application/xml; charset=utf-8"}
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    entries = parsed.get("entries") or []
    if not entries and not parsed.get("version"):
        if looks_like_html(body, content_type):
            text, _, _ = decode_body(body, content_type)
            advertised = feed_links(text, base_url)
            if advertised:
                raise NotAFeed(f"returned an HTML page that advertises a feed ({advertised[0].kind}) at {advertised[0].url}; "
                               "use that address as the source's url")
            raise NotAFeed("returned HTML, not a feed (a web page, a login page or an error page)")
        start = body[:40].decode("utf-8", "replace").strip()
        shown = "".join(ch if ch.isprintable() else "?" for ch in start)[:40]
        raise NotAFeed(f"returned something that is not a feed (it starts with '{shown}')")
    if parsed.get("bozo") and entries:
        reason = str(parsed.get("bozo_exception") or "").split("\n")[0][:120]
        if "not an XML media type" not in reason and "document declared as" not in reason:
            warnings.append(f"is not well-formed XML ({reason}); {len(entries)} items were still read")
    items = []
    for entry in entries:
        content = entry.get("content") or []
        body_html = (content[0].get("value") if content else "") or entry.get("summary") or entry.get("description") or ""
        items.append(
            RawItem(
                native_id=str(entry.get("id") or ""),
                link=_absolute(str(entry.get("link") or ""), base_url),
                title=html_to_text(str(entry.get("title") or "")),
                summary=html_to_text(str(body_html)),
                published=str(entry.get("published") or entry.get("updated") or entry.get("created") or ""),
                published_struct=_struct_time(entry),
                severity=str(entry.get("severity") or entry.get("cap_severity") or ""),
                attachments=_attachments(entry),
            )
        )
    return ParseOutcome(items=items, warnings=warnings)
