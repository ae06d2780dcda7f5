"""One entry point from (source settings, body) to items, whatever the adapter."""

from __future__ import annotations

from collections.abc import Mapping

from watchdesk.feeds.htmllisting import parse_listing
from watchdesk.feeds.items import ParseOutcome
from watchdesk.feeds.jsonfeed import parse_json
from watchdesk.feeds.rss import parse_feed
from watchdesk.feeds.xmlprep import NotAFeed


def parse_body(
    kind: str,
    body: bytes,
    *,
    content_type: str = "",
    preset: str = "",
    mapping: Mapping[str, str] | None = None,
    base_url: str = "",
) -> ParseOutcome:
    """Raises NotAFeed (one sentence for the officer, starting with a verb) when nothing can be read."""
    mapping = mapping or {}
    if not body.strip():
        raise NotAFeed("returned an empty body")
    if kind == "rss":
        return parse_feed(body, content_type, base_url)
    if kind == "json":
        return parse_json(body, content_type, preset, mapping, base_url)
    if kind == "html":
        return parse_listing(body, content_type, mapping, base_url)
    raise NotAFeed(f"has the kind '{kind}', which cannot be fetched")
