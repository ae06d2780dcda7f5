"""Our own websites (S7): each check against the baseline, and the alerts it calls for.

A source of kind `site` is polled like any source (services/sources.py hands its fetch to
`poll_site`). Each check is stored in one write transaction: the latest check on the site's
`site_watch` row, the source's health columns, and the alerts. The first good check is the
baseline, unless an officer takes one (`watchdesk site baseline KEY`).

Conditions, each one alert per occurrence: down for `down_after` checks in a row (cleared by
the system when the site answers again); an untrusted certificate; a redirect to another
host; defacement words not in the baseline; the title changed; the visible text changed more
than `change_share` of the baseline; a certificate expiring within 14 days. An occurrence
begins with the first check that shows it (the alert's dedup key holds that time and a hash
of what was found, so something else found is a new alert) and ends with the first check
that could see it and does not; a recurrence later is a new alert. The generic failing and
stale alerts of sources are not raised for a site: these replace them.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from watchdesk.config import SourceConfig, format_duration
from watchdesk.core.enums import Category, Severity, SourceKind
from watchdesk.core.permissions import Action, require
from watchdesk.core.records import Actor
from watchdesk.core.text import clean_line, fold
from watchdesk.feeds.fetch import run_async
from watchdesk.feeds.site import SiteCheck, check_one, request_for
from watchdesk.i18n import _
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.clearing import clear_by_system
from watchdesk.services.errors import NotFound, Refused
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import SYSTEM, append_event
from watchdesk.store.db import Session
from watchdesk.store.models import SiteWatch
from watchdesk.store.queries.sites import site_watch
from watchdesk.store.queries.sources import source_row_or_none
from watchdesk.store.types import to_db_text

CERT_WARN = timedelta(days=14)
EXCERPT = 160
MAX_LINES = 5_000
"""Lines compared per page: the comparison stays well under a second on a huge page."""
EVIDENCE_LINES = 5

# What a check of each outcome can see: a condition it cannot see neither begins nor ends.
_SEES = {
    "up": ("untrusted", "off-host", "deface", "title", "text", "cert"),
    "off-host": ("untrusted", "off-host"),
    "untrusted": ("untrusted",),
    "down": (),
}
_CONTENT = ("deface", "title", "text")


@dataclass(frozen=True)
class Finding:
    condition: str
    fingerprint: str
    title: str
    summary: str
    severity: Severity


@dataclass(frozen=True)
class SiteOutcome:
    key: str
    outcome: str
    error: str = ""
    raised: tuple[int, ...] = ()
    cleared: tuple[int, ...] = ()
    baselined: bool = False


@dataclass(frozen=True)
class OpenCondition:
    condition: str
    since: str
    alert_id: int | None


@dataclass(frozen=True)
class SiteView:
    key: str
    name: str
    url: str
    baseline_at: datetime | None
    baseline_by: str
    baseline_host: str
    baseline_title: str
    baseline_text_hash: str
    checked_at: datetime | None
    outcome: str
    http_status: int | None
    final_host: str
    cert_not_after: datetime | None
    cert_days_left: int | None
    title: str
    text_hash: str
    changed_share: float | None
    error: str
    down_count: int
    down_since: datetime | None
    down_alert_id: int | None
    conditions: tuple[OpenCondition, ...]


# -- comparing ---------------------------------------------------------------------------------------
def changed_share(before: str, after: str) -> float:
    """Share of the baseline's visible text changed (0 = same, 1 = all of it), line by line."""
    if before == after:
        return 0.0
    a, b = before.splitlines()[:MAX_LINES], after.splitlines()[:MAX_LINES]
    total = sum(len(line) for line in a)
    removed = added = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if tag != "equal":
            removed += sum(len(line) for line in a[i1:i2])
            added += sum(len(line) for line in b[j1:j2])
    return min(1.0, max(removed, added) / total) if total else 1.0


def _word_pattern(word: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(fold(word)) + r"(?!\w)")


def deface_words(words: tuple[str, ...], title: str, text: str, baseline: str) -> list[tuple[str, str]]:
    """(word, excerpt of the line showing it) for each word on the page and not in the baseline."""
    page_lines = [*text.splitlines(), title]
    folded_lines = [fold(line) for line in page_lines]
    folded_baseline = fold(baseline)
    found = []
    for word in words:
        pattern = _word_pattern(word)
        if pattern.search(folded_baseline):
            continue
        for line, folded in zip(page_lines, folded_lines):
            match = pattern.search(folded)
            if match:
                # Folding keeps one character per letter of Vietnamese text: the match's place in
                # the folded line is (near enough) its place in the line itself.
                start = max(0, match.start() - 60)
                found.append((word, _excerpt(("…" if start else "") + line[start:start + EXCERPT])))
                break
    # 'hacked' says nothing more when 'hacked by' was found.
    return [(w, line) for w, line in found if not any(fold(w) in fold(o) and w != o for o, _l in found)]


def _excerpt(line: str) -> str:
    return clean_line(line, max_length=EXCERPT)


def _diff_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """Up to EVIDENCE_LINES lines removed from the baseline and added to the page."""
    old, new = set(before.splitlines()), set(after.splitlines())
    removed = [_excerpt(x) for x in before.splitlines() if x not in new][:EVIDENCE_LINES]
    added = [_excerpt(x) for x in after.splitlines() if x not in old][:EVIDENCE_LINES]
    return removed, added


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"  - {line}" for line in lines) or "  -"


def findings(src: SourceConfig, row: SiteWatch, check: SiteCheck, now: datetime) -> list[Finding]:
    """The conditions this check shows, each with its evidence."""
    name = src.name or src.key
    out: list[Finding] = []
    if check.outcome == "untrusted":
        out.append(Finding("untrusted", check.error, _("Website '{name}' presents an untrusted certificate").format(name=name),
                           _("The website {name} ({url}) {error}. Visitors see a warning or cannot open it; "
                             "check the certificate installed on the server (or ca_file for a private CA).").format(
                               name=name, url=src.url, error=check.error), Severity.HIGH))
    if check.outcome == "off-host":
        out.append(Finding("off-host", check.final_host,
                           _("Website '{name}' redirects to another host: {host}").format(name=name, host=check.final_host),
                           _("The website {name} ({url}) answered {status} with a redirect to {target} (host {host}), "
                             "not to its own host. A redirect away from our portal can mean a defacement or a "
                             "hijacked server; check it by hand.").format(
                               name=name, url=src.url, status=check.http_status or "?", target=check.final_url,
                               host=check.final_host), Severity.HIGH))
    if check.outcome != "up":
        return out
    if check.cert_not_after is not None and check.cert_not_after - now < CERT_WARN:
        left = check.cert_not_after - now
        out.append(Finding("cert", to_db_text(check.cert_not_after),
                           _("Website '{name}': its certificate expires in {left}").format(name=name, left=format_duration(left)),
                           _("The certificate of {name} ({url}) is valid until {until} UTC ({days} days left). "
                             "Renew it before then, or visitors will see a warning.").format(
                               name=name, url=src.url, until=to_db_text(check.cert_not_after)[:16],
                               days=left.days), Severity.MEDIUM))
    if row.baseline_at is None:
        return out
    hashes = _("Baseline of {at} UTC: text hash {before}; this check: text hash {after}.").format(
        at=to_db_text(row.baseline_at)[:16], before=row.baseline_text_hash[:16], after=check.text_hash[:16])
    words = deface_words(src.deface_words, check.title, check.text, row.baseline_title + "\n" + row.baseline_text)
    if words:
        listed = ", ".join(f"'{w}'" for w, _line in words)
        out.append(Finding("deface", "\n".join(sorted(w for w, _line in words)),
                           _("Website '{name}' may be defaced: it shows {words}").format(name=name, words=listed),
                           _("The website {name} ({url}) now shows words of a defacement that its baseline does not: {words}.\n"
                             "Where:\n{lines}\nPage title: {title}\n{hashes}\n"
                             "Open the site, and follow the defacement runbook if it is.").format(
                               name=name, url=check.final_url or src.url, words=listed,
                               lines=_bullets([f"{w}: {line}" for w, line in words]), title=check.title, hashes=hashes),
                           Severity.CRITICAL))
    if check.title != row.baseline_title:
        out.append(Finding("title", check.title, _("Website '{name}': its title changed").format(name=name),
                           _("The title of {name} ({url}) changed.\nBaseline: {before}\nNow: {after}\n{hashes}\n"
                             "If the change is expected, take a new baseline: watchdesk site baseline {key}.").format(
                               name=name, url=src.url, before=row.baseline_title or "-", after=check.title or "-",
                               hashes=hashes, key=src.key), Severity.HIGH))
    share = changed_share(row.baseline_text, check.text)
    if share > src.change_share:
        removed, added = _diff_lines(row.baseline_text, check.text)
        out.append(Finding("text", "text",
                           _("Website '{name}': {share:.0%} of its text changed").format(name=name, share=share),
                           _("The visible text of {name} ({url}) differs from its baseline by {share:.0%} "
                             "(alert above {limit:.0%}).\nGone:\n{removed}\nNew:\n{added}\n{hashes}\n"
                             "If the change is expected, take a new baseline: watchdesk site baseline {key}.").format(
                               name=name, url=src.url, share=share, limit=src.change_share, removed=_bullets(removed),
                               added=_bullets(added), hashes=hashes, key=src.key), Severity.HIGH))
    return out


# -- recording a check ---------------------------------------------------------------------------------
def _row(session: Session, key: str) -> SiteWatch:
    row = site_watch(session, key)
    if row is None:
        row = SiteWatch(source_key=key)
        session.add(row)
    return row


def _set_baseline(row: SiteWatch, check: SiteCheck, now: datetime, by: str) -> None:
    row.baseline_at, row.baseline_by = now, by
    row.baseline_url, row.baseline_host = check.final_url, check.final_host
    row.baseline_title, row.baseline_text, row.baseline_text_hash = check.title, check.text, check.text_hash


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def record_check(rt: Runtime, src: SourceConfig, check: SiteCheck) -> SiteOutcome:
    """Store one check, raise what it calls for, clear the downtime alert when the site is back."""
    now = rt.now()
    raised: list[int] = []
    cleared: list[int] = []
    with rt.db.write() as session:
        row = _row(session, src.key)
        baselined = check.outcome == "up" and row.baseline_at is None
        if baselined:
            _set_baseline(row, check, now, SYSTEM)
            append_event(session, now, SYSTEM, "site.baselined", "source", src.key,
                         {"host": check.final_host, "title": check.title, "text_hash": check.text_hash, "first_check": True})
        _downtime(session, src, row, check, now, raised, cleared)
        _conditions(session, src, row, check, now, raised)
        row.checked_at, row.outcome, row.http_status, row.error = now, check.outcome, check.http_status, check.error
        if check.final_url:  # a page read or a redirect away; a failed check leaves the last one
            row.final_url, row.final_host = check.final_url, check.final_host
        if check.outcome == "up":
            row.cert_not_after, row.title, row.text, row.text_hash = check.cert_not_after, check.title, check.text, check.text_hash
            row.changed_share = round(changed_share(row.baseline_text, check.text), 4)
        session.add(row)
        _source_health(session, src, check, now)
    return SiteOutcome(src.key, check.outcome, check.error, tuple(raised), tuple(cleared), baselined)


def _downtime(session: Session, src: SourceConfig, row: SiteWatch, check: SiteCheck, now: datetime,
              raised: list[int], cleared: list[int]) -> None:
    name = src.name or src.key
    if check.outcome != "down":
        if row.down_count:
            append_event(session, now, SYSTEM, "site.up", "source", src.key,
                         {"after_checks": row.down_count, "down_since": to_db_text(row.down_since), "alert": row.down_alert_id})
            reason = _("website '{name}' answered again at {at} UTC").format(name=name, at=to_db_text(now)[:16])
            if clear_by_system(session, now, row.down_alert_id, reason, source=src.key, was="down"):
                cleared.append(row.down_alert_id)  # type: ignore[arg-type]
        row.down_count, row.down_since, row.down_alert_id = 0, None, None
        return
    if not row.down_count:
        append_event(session, now, SYSTEM, "site.down", "source", src.key, {"error": check.error, "status": check.http_status})
    row.down_count += 1
    row.down_since = row.down_since or now
    if row.down_count < src.down_after or row.down_alert_id is not None:
        return
    since = to_db_text(row.down_since)
    alert, created = raise_alert(
        session, now, source_key=src.key, dedup_key=f"site:{src.key}:down:{since}",
        title=_("Website '{name}' is down: {error}").format(name=name, error=check.error),
        summary=_("The website {name} ({url}) {error}.\nIt failed {count} checks in a row since {since} UTC ({ago} ago). "
                  "Check the server and tell the people who depend on it.").format(
                      name=name, url=src.url, error=check.error, count=row.down_count, since=since[:16],
                      ago=format_duration(now - row.down_since)),
        severity=Severity.HIGH, category=Category.WEBSITE, link=src.url,
    )
    row.down_alert_id = alert.id
    if created:
        raised.append(alert.id)  # type: ignore[arg-type]


def _conditions(session: Session, src: SourceConfig, row: SiteWatch, check: SiteCheck, now: datetime, raised: list[int]) -> None:
    conds: dict[str, dict] = json.loads(row.conditions or "{}")
    found = findings(src, row, check, now)
    shown = {f.condition for f in found}
    ended = [c for c in _SEES[check.outcome] if c in conds and c not in shown]
    for cond in ended:
        del conds[cond]
    if ended:
        append_event(session, now, SYSTEM, "site.condition_ended", "source", src.key, {"conditions": ended})
    for f in found:
        fp = _fingerprint(f.fingerprint)
        if conds.get(f.condition, {}).get("fp") == fp:
            continue  # the same occurrence: raised already
        since = to_db_text(now)
        alert, created = raise_alert(
            session, now, source_key=src.key, dedup_key=f"site:{src.key}:{f.condition}:{since}:{fp}",
            title=f.title, summary=f.summary, severity=f.severity, category=Category.WEBSITE,
            link=src.url,
        )
        conds[f.condition] = {"since": since, "fp": fp, "alert": alert.id}
        if created:
            raised.append(alert.id)  # type: ignore[arg-type]
    row.conditions = json.dumps(conds, sort_keys=True)


def _source_health(session: Session, src: SourceConfig, check: SiteCheck, now: datetime) -> None:
    """The source row's columns that `watchdesk sources` shows; its health alerts are ours (above)."""
    source = source_row_or_none(session, src.key)
    if source is None:
        return
    source.last_polled_at, source.next_poll_at = now, now + src.interval
    if check.outcome == "down":
        source.failures += 1
        source.failing_since = source.failing_since or now
        source.last_error, source.last_error_at = check.error, now
    else:
        source.failures, source.failing_since, source.last_ok_at = 0, None, now
        source.warning = check.error if check.outcome == "untrusted" else (
            f"redirects to {check.final_host}" if check.outcome == "off-host" else "")
        source.body_hash = check.body_hash
    session.add(source)


async def poll_site(rt: Runtime, src: SourceConfig) -> SiteOutcome:
    """Check one site and store the check (storing in a thread, like the poller's other sources)."""
    check = await check_one(src.ca_file, _request(src))
    return await asyncio.to_thread(record_check, rt, src, check)


def _request(src: SourceConfig):  # noqa: ANN202 - FetchRequest
    return request_for(src.key, src.url, timeout=src.timeout.total_seconds(), deadline=src.deadline.total_seconds(),
                       max_bytes=src.max_bytes)


# -- the officer's commands --------------------------------------------------------------------------
def _site_source(rt: Runtime, key: str) -> SourceConfig:
    src = rt.config.source(key)
    if src is None or src.kind != SourceKind.SITE:
        sites = ", ".join(s.key for s in rt.config.sources if s.kind == SourceKind.SITE) or _("none configured")
        where = rt.config.source_path or "the config"
        raise NotFound(_("no website source '{key}' in {where} (sites: {sites}); add a [[sources]] entry with kind = \"site\".").format(
            key=clean_line(key, 80), where=where, sites=sites))
    return src


def take_baseline(rt: Runtime, actor: Actor, key: str) -> SiteView:
    """Check the site now and make this page its baseline (after an expected change)."""
    src = _site_source(rt, key)
    require(actor.handle, actor.role, Action.ANNOTATE)
    check = run_async(lambda: check_one(src.ca_file, _request(src)))
    if check.outcome != "up":
        why = check.error or _("redirects to {host}").format(host=check.final_host)
        raise Refused(_("website '{key}' {why}; a baseline needs a page that answers, try again when it does.").format(key=key, why=why))
    now = rt.now()
    with rt.db.write() as session:
        row = _row(session, src.key)
        before = row.baseline_text_hash
        _set_baseline(row, check, now, actor.handle)
        conds = json.loads(row.conditions or "{}")
        row.conditions = json.dumps({c: v for c, v in conds.items() if c not in _CONTENT}, sort_keys=True)
        session.add(row)
        append_event(session, now, actor.handle, "site.baselined", "source", src.key,
                     {"host": check.final_host, "title": check.title, "text_hash": check.text_hash, "replaces": before})
    return site_view(rt, key)


def site_view(rt: Runtime, key: str) -> SiteView:
    src = _site_source(rt, key)
    now = rt.now()
    with rt.db.read() as session:
        row = site_watch(session, key) or SiteWatch(source_key=key)
        return _view(src, row, now)


def _view(src: SourceConfig, row: SiteWatch, now: datetime) -> SiteView:
    key = src.key
    conds = json.loads(row.conditions or "{}")
    left = (row.cert_not_after - now).days if row.cert_not_after is not None else None
    return SiteView(
        key=key, name=src.name or key, url=src.url, baseline_at=row.baseline_at, baseline_by=row.baseline_by,
        baseline_host=row.baseline_host, baseline_title=row.baseline_title, baseline_text_hash=row.baseline_text_hash,
        checked_at=row.checked_at, outcome=row.outcome, http_status=row.http_status, final_host=row.final_host,
        cert_not_after=row.cert_not_after, cert_days_left=left, title=row.title, text_hash=row.text_hash,
        changed_share=row.changed_share, error=row.error, down_count=row.down_count, down_since=row.down_since,
        down_alert_id=row.down_alert_id,
        conditions=tuple(OpenCondition(c, v["since"], v.get("alert")) for c, v in sorted(conds.items())),
    )
