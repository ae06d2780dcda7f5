"""A listing page read with CSS selectors (selectolax/lexbor).

Mapping keys: `item` (each warning on the page), and within it `title`, `link`, `date`,
`summary`, `severity` (all optional; `link` defaults to the title's or the item's first
<a href>). Links to PDF files inside an item are kept as attachments: the authority often
publishes the letter itself as a PDF next to the web page.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from watchdesk.feeds.items import ParseOutcome, RawItem
from watchdesk.feeds.xmlprep import NotAFeed, decode_body

DEFAULT_SELECTORS = {
    "item": "article, .news-item, .post-item, li.item",
    "title": "h1, h2, h3, h4, .title, a",
    "link": "",
    "date": "time, .date, .time, .post-date",
    "summary": ".summary, .desc, .description, .sapo, p",
    "severity": "",
}


def _text(node: LexborNode | None) -> str:
    return node.text(deep=True, separator=" ", strip=True) if node is not None else ""


def _first(node: LexborNode, selector: str) -> LexborNode | None:
    if not selector:
        return None
    try:
        return node.css_first(selector)
    except Exception as exc:  # selectolax raises ValueError/SelectolaxError on a bad selector
        raise NotAFeed(f"cannot be read with the CSS selector '{selector}' ({exc}); fix the source's mapping") from None


def _href(node: LexborNode | None) -> str:
    if node is None:
        return ""
    if node.tag == "a" and node.attributes.get("href"):
        return node.attributes.get("href") or ""
    inner = node.css_first("a[href]")
    return (inner.attributes.get("href") or "") if inner is not None else ""


def parse_listing(body: bytes, content_type: str, mapping: Mapping[str, str], base_url: str) -> ParseOutcome:
    text, _, warnings = decode_body(body, content_type)
    selectors = {**DEFAULT_SELECTORS, **{k: v for k, v in mapping.items() if k in DEFAULT_SELECTORS}}
    tree = LexborHTMLParser(text)
    try:
        nodes = tree.css(selectors["item"])
    except Exception as exc:
        raise NotAFeed(f"cannot be read with the CSS selector '{selectors['item']}' ({exc}); fix the source's mapping") from None
    if not nodes:
        raise NotAFeed(f"has no items matching the CSS selector '{selectors['item']}'; the page layout may have changed")
    items = []
    for node in nodes:
        title_node = _first(node, selectors["title"])
        link_node = _first(node, selectors["link"]) if selectors["link"] else title_node
        href = _href(link_node) or _href(node)
        date_node = _first(node, selectors["date"])
        date = ""
        if date_node is not None:
            date = date_node.attributes.get("datetime") or _text(date_node)
        attachments: dict[str, dict[str, str]] = {}
        for a in node.css("a[href]"):
            raw = a.attributes.get("href") or ""
            if raw.lower().split("?")[0].split("#")[0].endswith(".pdf"):
                url = urljoin(base_url, raw)
                attachments.setdefault(url, {"title": _text(a) or url.rsplit("/", 1)[-1], "url": url})
        link = urljoin(base_url, href) if href else ""
        items.append(
            RawItem(
                native_id=link,
                link=link,
                title=_text(title_node),
                summary=_text(_first(node, selectors["summary"])),
                published=date,
                severity=_text(_first(node, selectors["severity"])),
                attachments=tuple(attachments.values()),
            )
        )
    return ParseOutcome(items=[i for i in items if i.title or i.link], warnings=warnings)
