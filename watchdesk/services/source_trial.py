"""`watchdesk sources test KEY`: fetch a source once, store nothing, say what its adapter found.

A unit fixes a source from the live page in minutes: the first items as they would become
alerts (title, date, link, severity, CVEs), or exactly why there are none (the fetch's or the
adapter's sentence), and, for an HTML page, the feeds it advertises (a feed is steadier than
CSS selectors) and whether it is a script shell built in the browser. Nothing is written:
no source row, no health, no event, no alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from watchdesk.config import SourceConfig
from watchdesk.core.enums import SourceKind
from watchdesk.core.text import clean_line
from watchdesk.feeds.fetch import FetchRequest, FetchResult, make_client, run_async
from watchdesk.feeds.htmllisting import FeedLink, feed_links, script_shell
from watchdesk.feeds.rss import looks_like_html
from watchdesk.feeds.xmlprep import NotAFeed, decode_body
from watchdesk.i18n import _, ngettext
from watchdesk.services.errors import NotFound, Refused
from watchdesk.services.runtime import Runtime
from watchdesk.services.sources import fetch_source, parse_items

SHOWN = 10
"""Items shown in full; the rest are counted."""


@dataclass(frozen=True)
class TrialItem:
    title: str
    published_at: datetime | None
    link: str
    severity: str
    cves: tuple[str, ...]


@dataclass(frozen=True)
class SourceTrial:
    """What one fetch of a source gave, ready to show; `ok` when items were found."""

    key: str
    kind: str
    url: str
    to_verify: bool
    fetched: str
    """ok, not-modified or error (the fetcher's status)."""
    http_status: int | None = None
    final_url: str = ""
    content_type: str = ""
    size: int = 0
    elapsed: float = 0.0
    found: int = 0
    items: tuple[TrialItem, ...] = ()
    error: str = ""
    """Why no item was found: the fetcher's or the adapter's sentence ('' when found)."""
    warnings: tuple[str, ...] = ()
    feeds: tuple[FeedLink, ...] = ()
    """Feeds an HTML answer advertises (<link rel="alternate">), with absolute URLs."""
    script_shell: int = 0
    """Scripts of an HTML answer that is a shell built in the browser (0 = not one)."""

    @property
    def ok(self) -> bool:
        return not self.error and self.found > 0


def _source(rt: Runtime, key: str) -> SourceConfig:
    src = rt.config.source(key)
    if src is None:
        known = ", ".join(s.key for s in rt.config.sources) or _("none configured")
        raise NotFound(_("no source '{key}' in the config ({known}); see 'watchdesk sources'.").format(key=key, known=known))
    if src.kind == SourceKind.MANUAL or not src.url:
        raise Refused(_("source '{key}' is manual: nothing to fetch; use 'watchdesk alert add' or 'watchdesk import'.").format(key=key))
    return src


def _fetch(src: SourceConfig) -> FetchResult:
    # No ETag or Last-Modified: a test always wants the whole answer.
    req = FetchRequest(key=src.key, url=src.url, timeout=src.timeout.total_seconds(),
                       deadline=src.deadline.total_seconds(), max_bytes=src.max_bytes)

    async def go() -> FetchResult:
        async with make_client() as client:
            return await fetch_source(client, src, req)

    return run_async(go)


def try_source(rt: Runtime, key: str) -> SourceTrial:
    """Fetch `key` once (disabled sources too: testing comes before enabling) and read it; stores nothing."""
    src = _source(rt, key)
    fetched = _fetch(src)
    base = dict(key=src.key, kind=src.kind.value, url=src.url, to_verify=src.to_verify, fetched=fetched.status,
                http_status=fetched.http_status, final_url=clean_line(fetched.final_url, max_length=2000),
                content_type=clean_line(fetched.content_type, max_length=200), size=len(fetched.body),
                elapsed=fetched.elapsed)
    if fetched.status == "error":
        return SourceTrial(**base, error=clean_line(fetched.error, max_length=500))
    feeds: list[FeedLink] = []
    shell = 0
    if looks_like_html(fetched.body, fetched.content_type):
        text = decode_body(fetched.body, fetched.content_type)[0]
        feeds = feed_links(text, fetched.final_url or src.url)
        shell = script_shell(text)
    try:
        items, warnings = parse_items(rt, src, fetched.body, fetched.content_type, fetched.final_url or src.url)
    except NotAFeed as exc:
        return SourceTrial(**base, error=clean_line(str(exc), max_length=500), feeds=tuple(feeds), script_shell=shell,
                          warnings=tuple(clean_line(n, max_length=500) for n in fetched.notes))
    shown = tuple(
        TrialItem(i.title, i.published_at, i.link, i.severity.value, i.cves + i.mentions) for i in items[:SHOWN]
    )
    error = "" if items else "was read, but holds no items"
    return SourceTrial(**base, found=len(items), items=shown, error=error, feeds=tuple(feeds), script_shell=shell,
                      warnings=tuple(dict.fromkeys(clean_line(w, max_length=500) for w in (*fetched.notes, *warnings))))


def trial_lines(trial: SourceTrial, zone: tzinfo) -> list[str]:
    """The trial as lines a person reads (the CLI prints them, the desk shows them); plain text."""
    lines = [f"{trial.key} ({trial.kind}) {trial.url}"]
    if trial.to_verify:
        lines.append("  " + _("to verify: this shipped source is not confirmed; when the items below look right, "
                              "set to_verify = false for it in the config."))
    if trial.fetched != "error" and trial.http_status is None:  # file:// (a shared folder)
        lines.append("  " + _("read {size} bytes from the file in {seconds:.1f} s").format(size=trial.size, seconds=trial.elapsed))
    elif trial.fetched != "error":
        where = f" ({trial.final_url})" if trial.final_url and trial.final_url != trial.url else ""
        lines.append("  " + _("answer: HTTP {status}, {type}, {size} bytes in {seconds:.1f} s{where}").format(
            status=trial.http_status, type=trial.content_type or "-", size=trial.size, seconds=trial.elapsed, where=where))
    if trial.found:
        lines.append("  " + ngettext("found {n} item; as it would become an alert:",
                                     "found {n} items; the first {shown} as they would become alerts:", trial.found)
                     .format(n=trial.found, shown=len(trial.items)))
        for n, item in enumerate(trial.items, 1):
            when = item.published_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if item.published_at else _("(no date)")
            lines.append(f"  {n:>2}. {when}  {item.severity:<8}  {item.title}")
            lines.append(f"      {item.link or _('(no link)')}" + (f"  {', '.join(item.cves)}" if item.cves else ""))
    if trial.error:
        lines.append("  " + _("NO ITEMS: the source {why}.").format(why=trial.error))
    for feed in trial.feeds:
        lines.append("  " + _("the page advertises a feed ({kind}) at {url}: a feed is steadier than CSS selectors; "
                              "use it as this source's url (kind \"{adapter}\").").format(
            kind=feed.kind, url=feed.url, adapter="json" if feed.kind == "JSON Feed" else "rss"))
    if trial.script_shell and not trial.found:
        lines.append("  " + _("the page is a script shell ({n} scripts, almost no text): its warnings are fetched by the "
                              "browser; find the API it calls (often /api/…) and use kind \"json\".").format(n=trial.script_shell))
    for warning in trial.warnings:
        lines.append("  " + _("note: the source {warning}").format(warning=warning))
    lines.append("  " + _("nothing was stored."))
    return lines
