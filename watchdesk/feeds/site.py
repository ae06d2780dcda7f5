"""One check of one of our own websites: is it up, where did it land, what does it show.

The page is fetched by the guarded fetcher (size cap, deadline, redirect rules) with one
difference: a redirect to another host is reported, not followed, since for our own portal
that is the finding. The check keeps the HTTP status, the final host, when the verified
certificate expires, the page's title and its visible text (scripts, styles and the head
left out), all cleaned like any untrusted text. Comparing with the baseline is the
service's work (watchdesk/services/sites.py).
"""

from __future__ import annotations

import hashlib
import os
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

import httpx
from selectolax.lexbor import LexborHTMLParser

from watchdesk.core.text import clean_line, clean_text
from watchdesk.feeds.fetch import FetchRequest, fetch_one, make_client
from watchdesk.feeds.guard import host_port
from watchdesk.feeds.htmltext import html_to_text
from watchdesk.feeds.xmlprep import decode_body

MAX_TEXT = 200_000
"""Characters of visible text kept per check: a huge page is compared on its first part."""
MAX_TITLE = 300

Outcome = Literal["up", "down", "untrusted", "off-host"]


@dataclass(frozen=True)
class SiteCheck:
    key: str
    url: str
    outcome: Outcome
    """up (a page was read), down (no usable answer), untrusted (its certificate failed), off-host (redirected away)."""
    http_status: int | None = None
    final_url: str = ""
    final_host: str = ""
    cert_not_after: datetime | None = None
    title: str = ""
    text: str = ""
    text_hash: str = ""
    body_hash: str = ""
    error: str = ""
    """The officer's sentence for down and untrusted ("refused the connection …")."""
    elapsed: float = 0.0


def read_page(body: bytes, content_type: str = "") -> tuple[str, str]:
    """(title, visible text) of an HTML page, both cleaned; the text one line per block."""
    html, _codec, _warnings = decode_body(body, content_type)
    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = clean_line(title_node.text(deep=True) if title_node is not None else "", max_length=MAX_TITLE)
    for node in tree.css("head, script, style, template, noscript"):
        node.decompose()
    root = tree.body or tree.root
    # Cut before cleaning: cleaning costs per character, and only MAX_TEXT of it is kept.
    text = clean_text((html_to_text(root.html or "") if root is not None else "")[: 2 * MAX_TEXT])
    return title, clean_text("\n".join(line for line in text.split("\n") if line), max_length=MAX_TEXT)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_contexts: dict[str, ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


class CaFileError(ValueError):
    """The configured ca_file cannot be used; the message is the officer's sentence."""


def tls_context(ca_file: str) -> ssl.SSLContext | None:
    """The shared verifying context (None) or one that also trusts `ca_file`, built once per file."""
    if not ca_file:
        return None
    path = os.path.expanduser(ca_file)
    with _contexts_lock:
        if path not in _contexts:
            import certifi

            context = ssl.create_default_context(cafile=certifi.where())
            try:
                context.load_verify_locations(cafile=path)
            except (OSError, ssl.SSLError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a PEM certificate"
                raise CaFileError(f"cannot read its ca_file '{clean_line(ca_file, 200)}' ({reason}); fix the path in [[sources]]") from None
            _contexts[path] = context
        return _contexts[path]


def site_client(ca_file: str) -> httpx.AsyncClient:
    return make_client(tls_context(ca_file))


def request_for(key: str, url: str, *, timeout: float, deadline: float, max_bytes: int) -> FetchRequest:
    """Never conditional: an unchanged page is still checked (its certificate, its host)."""
    return FetchRequest(key=key, url=url, timeout=timeout, deadline=deadline, max_bytes=max_bytes, stop_off_host=True)


async def check_site(client: httpx.AsyncClient, req: FetchRequest) -> SiteCheck:
    """Fetch and read the page; never raises (a failure is an outcome with its sentence)."""
    fetched = await fetch_one(client, req)
    base = dict(key=req.key, url=req.url, http_status=fetched.http_status, elapsed=fetched.elapsed)
    if fetched.status == "redirected":
        return SiteCheck(**base, outcome="off-host", final_url=clean_line(fetched.final_url, 2000),
                         final_host=clean_line(host_port(fetched.final_url)[0], 300))
    if fetched.status != "ok":  # an error ("not-modified" cannot happen: the request is never conditional)
        return SiteCheck(**base, outcome="untrusted" if fetched.tls_error else "down",
                         error=clean_line(fetched.error or "did not answer", 500))
    title, text = read_page(fetched.body, fetched.content_type)
    not_after = datetime.fromtimestamp(fetched.cert_not_after, timezone.utc) if fetched.cert_not_after else None
    return SiteCheck(
        **base, outcome="up", final_url=clean_line(fetched.final_url, 2000), final_host=host_port(fetched.final_url)[0],
        cert_not_after=not_after, title=title, text=text, text_hash=text_hash(text),
        body_hash=hashlib.sha256(fetched.body).hexdigest(),
    )


async def check_one(ca_file: str, req: FetchRequest) -> SiteCheck:
    """`check_site` on a client of its own (the site's CA); a bad ca_file is the site's failure."""
    try:
        client = site_client(ca_file)
    except CaFileError as exc:
        return SiteCheck(key=req.key, url=req.url, outcome="down", error=str(exc))
    async with client:
        return await check_site(client, req)
