"""A listing page read with CSS selectors (selectolax/lexbor).

Mapping keys: `item` (each warning on the page), and within it `title`, `link`, `date`,
`summary`, `severity` (all optional; `link` defaults to the title's or the item's first
<a href>). Links to PDF files inside an item are kept as attachments: the authority often
publishes the letter itself as a PDF next to the web page.

A match is a warning only when it looks like one: a title of sensible length, a link to a
page of the same site (not the site's root, the listing itself, '#' or javascript:), and
not inside the page's navigation (nav, header, footer, menus). A listing where no kept item
has a readable date is refused: a selector that drifted onto menu links must fail loudly,
not turn a menu into a flood of "warnings".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timezone
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from watchdesk.core.text import clean_line
from watchdesk.feeds.dates import parse_date
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
TITLE_MIN, TITLE_MAX = 12, 400
"""A warning's title: longer than a menu word ('Giới thiệu'), shorter than a page of text."""
_NAV_TAGS = {"nav", "header", "footer", "menu", "aside"}
_NAV_ROLES = {"navigation", "menubar", "menu"}
_NAV_CLASSES = {"menu", "navbar", "nav", "breadcrumb", "breadcrumbs", "pagination", "sidebar"}
FEED_TYPES = {
    "application/rss+xml": "RSS", "application/atom+xml": "Atom", "application/rdf+xml": "RDF",
    "application/feed+json": "JSON Feed", "application/json": "JSON Feed",
}
_APP_ROOT = re.compile(r"<div[^>]+id=[\"'](?:root|app|__next|__nuxt)[\"'][^>]*>\s*</div>", re.IGNORECASE)


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


@dataclass(frozen=True)
class FeedLink:
    """A feed the page advertises with <link rel="alternate">: its kind and absolute URL."""

    kind: str
    url: str
    title: str = ""


def feed_links(text: str, base_url: str) -> list[FeedLink]:
    """The RSS/Atom/JSON Feed alternates an HTML page advertises (absolute http(s) URLs, cleaned)."""
    tree = LexborHTMLParser(text)
    found: dict[str, FeedLink] = {}
    for node in tree.css("link[rel][href]"):
        rels = (node.attributes.get("rel") or "").lower().split()
        media = (node.attributes.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rels or media not in FEED_TYPES:
            continue
        url = clean_line(urljoin(base_url, (node.attributes.get("href") or "").strip()), max_length=2000)
        if urlsplit(url).scheme in ("http", "https") and " " not in url:
            found.setdefault(url, FeedLink(FEED_TYPES[media], url, clean_line(node.attributes.get("title") or "", max_length=200)))
    return list(found.values())


def script_shell(text: str) -> int:
    """How many scripts build a page that carries almost no text of its own (0 = not a shell)."""
    tree = LexborHTMLParser(text)
    scripts = len(tree.css("script"))
    if not scripts:
        return 0
    for node in tree.css("script, style, noscript, template"):
        node.decompose()
    words = len(_text(tree.body).split()) if tree.body is not None else 0
    return scripts if words < 40 or (_APP_ROOT.search(text) and words < 150) else 0


def _in_navigation(node: LexborNode) -> bool:
    current: LexborNode | None = node
    while current is not None and current.tag not in ("html", "body", "-undef"):
        attrs = current.attributes
        if (current.tag in _NAV_TAGS or (attrs.get("role") or "").lower() in _NAV_ROLES
                or _NAV_CLASSES & set((attrs.get("class") or "").lower().split())):
            return True
        current = current.parent
    return False


def _same_site(host: str, base_host: str) -> bool:
    host, base_host = host.lower().removeprefix("www."), base_host.lower().removeprefix("www.")
    return host == base_host or host.endswith("." + base_host) or base_host.endswith("." + host)


def _link_refusal(href: str, link: str, base_url: str) -> str:
    """Why a link is no warning's page ('' = it is one)."""
    raw = href.strip().lower()
    if not raw or raw.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return "no-link"
    parts, base = urlsplit(link), urlsplit(base_url)
    if base.scheme == "file":  # a saved copy: its links point at the publisher's site
        return "" if parts.scheme in ("http", "https", "file") else "off-site"
    if parts.scheme not in ("http", "https") or not _same_site(parts.hostname or "", base.hostname or ""):
        return "off-site"
    if parts.path.rstrip("/") in ("", base.path.rstrip("/")) and not parts.query:
        return "no-link"  # the site's root or the listing itself: a menu entry
    return ""


_REASONS = {
    "navigation": "{n} inside the page's navigation",
    "title": "{n} without a title of %d to %d characters" % (TITLE_MIN, TITLE_MAX),
    "no-link": "{n} without a link to a page of its own",
    "off-site": "{n} linking to another site",
}


def parse_listing(body: bytes, content_type: str, mapping: Mapping[str, str], base_url: str) -> ParseOutcome:
    text, _, warnings = decode_body(body, content_type)
    selectors = {**DEFAULT_SELECTORS, **{k: v for k, v in mapping.items() if k in DEFAULT_SELECTORS}}
    tree = LexborHTMLParser(text)
    try:
        nodes = tree.css(selectors["item"])
    except Exception as exc:
        raise NotAFeed(f"cannot be read with the CSS selector '{selectors['item']}' ({exc}); fix the source's mapping") from None
    if not nodes:
        scripts = script_shell(text)
        if scripts:
            raise NotAFeed(f"is a script shell ({scripts} scripts and almost no text): the page is built in the browser, "
                           "so its warnings are not in the HTML; find the API the page calls and use kind = \"json\"")
        raise NotAFeed(f"has no items matching the CSS selector '{selectors['item']}'; the page layout may have changed")
    refused: dict[str, int] = {}
    items = []
    for node in nodes:
        title_node = _first(node, selectors["title"])
        link_node = _first(node, selectors["link"]) if selectors["link"] else title_node
        href = _href(link_node) or _href(node)
        link = urljoin(base_url, href) if href else ""
        title = _text(title_node)
        reason = ("navigation" if _in_navigation(node)
                  else "title" if not TITLE_MIN <= len(title) <= TITLE_MAX
                  else _link_refusal(href, link, base_url))
        if reason:
            refused[reason] = refused.get(reason, 0) + 1
            continue
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
        items.append(
            RawItem(
                native_id=link,
                link=link,
                title=title,
                summary=_text(_first(node, selectors["summary"])),
                published=date,
                severity=_text(_first(node, selectors["severity"])),
                attachments=tuple(attachments.values()),
            )
        )
    why = ", ".join(_REASONS[r].format(n=n) for r, n in refused.items())
    if not items:
        raise NotAFeed(f"has {len(nodes)} matches of the CSS selector '{selectors['item']}' but none looks like a warning "
                       f"({why}); fix the source's item and title selectors")
    # Any zone will do: only whether the text holds a date matters here.
    dated = sum(1 for i in items if parse_date(i.published, timezone.utc) is not None)
    if not dated:
        raise NotAFeed(f"lists {len(items)} items but none has a date (date selector '{selectors['date']}'); "
                       "a listing without dates cannot be told from a menu: fix the date selector")
    if refused:
        warnings.append(f"has matches that are not warnings and were left out: {why}")
    if dated < len(items):
        warnings.append(f"has {len(items) - dated} of {len(items)} items without a readable date")
    return ParseOutcome(items=items, warnings=warnings)
