"""RawItem -> FeedItem: clean text once, read severity, CVSS, CVE ids, letter numbers, dates, category.

Vietnamese sources write severity as words, with or without diacritics. Free text is only
trusted through phrases ('mức độ: cao', 'nghiêm trọng', 'CVSS 9,8'), because the bare
syllable 'cao' also ends 'báo cáo' (report) once the accents are gone.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from watchdesk.core.enums import Category, Severity
from watchdesk.core.text import clean_line, clean_text, fold
from watchdesk.feeds.dates import parse_date
from watchdesk.feeds.items import FeedItem, RawItem

TITLE_MAX = 300
SUMMARY_MAX = 20_000

# -- severity words ---------------------------------------------------------------------
# Folded (accent-free, lower-case) labels as a source's own severity field may hold them.
_LABELS: dict[str, Severity] = {
    "nghiem trong": Severity.CRITICAL, "rat nghiem trong": Severity.CRITICAL, "dac biet nghiem trong": Severity.CRITICAL,
    "rat cao": Severity.CRITICAL, "khan cap": Severity.CRITICAL, "critical": Severity.CRITICAL, "urgent": Severity.CRITICAL,
    "cao": Severity.HIGH, "high": Severity.HIGH, "important": Severity.HIGH, "nguy hiem": Severity.HIGH,
    "trung binh": Severity.MEDIUM, "medium": Severity.MEDIUM, "moderate": Severity.MEDIUM, "vua": Severity.MEDIUM,
    "thap": Severity.LOW, "low": Severity.LOW, "info": Severity.LOW, "informational": Severity.LOW, "none": Severity.LOW,
}
_LEVEL_WORDS = r"(dac biet nghiem trong|rat nghiem trong|nghiem trong|rat cao|cao|trung binh|thap)"
# 'mức độ (nguy hiểm|ảnh hưởng|rủi ro|nghiêm trọng): cao', 'nguy cơ cao', 'mức cảnh báo: thấp'
_VI_PHRASE = re.compile(
    r"(?:muc do|muc canh bao|cap do|nguy co|rui ro)(?:\s+(?:nguy hiem|anh huong|rui ro|nghiem trong|canh bao|tac dong))?"
    r"\s*(?:la\s+)?[:\-–]?\s*" + _LEVEL_WORDS + r"\b"
)
_VI_CRITICAL = re.compile(r"\b(?:dac biet |rat )?nghiem trong\b")
_EN_PHRASE = re.compile(
    r"\b(?:severity|severity level|risk|priority)\s*(?:rating|level)?\s*[:\-–=]?\s*(critical|high|important|medium|moderate|low)\b"
    r"|\b(critical|high|medium|moderate|low)[- ](?:severity|risk)\b"
    r"|\b(critical)\s+(?:vulnerabilit(?:y|ies)|flaw|bug|security (?:update|advisory))"
)
_CVSS = re.compile(
    r"cvss\s*(?:v?\s*[234][.,][01]\s*)?(?:\s*(?:base\s*)?(?:score|diem))?\s*(?:la\s*)?[:=\-–]?\s*\(?\s*(10(?:[.,]0)?|\d[.,]\d)(?![\d.,]\d)",
)


def cvss_severity(score: float) -> Severity:
    """CVSS v3 bands (0.1–3.9 low, 4–6.9 medium, 7–8.9 high, 9–10 critical)."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW


def parse_number(text: str) -> float | None:
    """'9,8' and '9.8' alike (Vietnamese writes a decimal comma)."""
    try:
        return float(text.strip().replace(",", "."))
    except (ValueError, AttributeError):
        return None


def find_cvss(*texts: str) -> float | None:
    """The highest CVSS score the texts state ('CVSS 9,8', 'điểm CVSS v3.1: 9.8'), read as one text."""
    # Folding each part (cached) and joining them with what a line break folds to is the same
    # as folding the joined text, without folding a fresh copy of the summary.
    folded = _FOLD_TABLE[ord("\n")].join(_fold_aligned(t) for t in texts)
    if "cvss" not in folded:
        return None
    scores = [parse_number(m.group(1)) for m in _CVSS.finditer(folded)]
    valid = [s for s in scores if s is not None and 0.0 <= s <= 10.0]
    return max(valid) if valid else None


def severity_from_label(label: str) -> Severity | None:
    """A source's own severity field: 'Nghiêm trọng', 'nghiem trong', 'HIGH', 'Cao', '9,8'."""
    folded = fold(label).strip(" .:;()[]")
    if not folded:
        return None
    if folded in _LABELS:
        return _LABELS[folded]
    number = parse_number(folded)
    if number is not None and 0 <= number <= 10:
        return cvss_severity(number)
    for words, sev in _LABELS_LONGEST_FIRST:
        if words.search(folded):
            return sev
    return None


_LABELS_LONGEST_FIRST = tuple(
    (re.compile(rf"\b{re.escape(words)}\b"), sev)
    for words, sev in sorted(_LABELS.items(), key=lambda kv: -len(kv[0])) if len(words) > 3
)


class _FoldTable(dict):
    """str.translate table folding one character to one character, filled on first use."""

    def __missing__(self, code: int) -> str:
        folded = fold(chr(code))
        value = folded if len(folded) == 1 else (" " if not folded else chr(code).lower()[:1] or " ")
        self[code] = value
        return value


_FOLD_TABLE = _FoldTable()


@functools.lru_cache(maxsize=64)  # the same title/summary is folded by several readers in a row
def _fold_aligned(text: str) -> str:
    """`fold` one character at a time, so match positions point into the original text."""
    return text.translate(_FOLD_TABLE)


def severity_from_words(text: str, stated_only: bool = False) -> tuple[Severity, str] | None:
    """Severity stated in free text, with the words (as written) that said it.

    `stated_only`: only an explicit statement ('Mức độ: Cao', 'Severity: High'), not a
    loose 'nghiêm trọng' in a sentence.
    """
    folded = _fold_aligned(text)
    patterns = _STATED if stated_only else _ANY_WAY
    for needles, pattern in patterns:
        # A regex that opens with an alternation is tried at every position; the words it
        # cannot match without are found far faster by `in`, so most texts skip the regex.
        if not any(n in folded for n in needles):
            continue
        found = pattern.search(folded)
        if found:
            word = next((g for g in found.groups() if g), "nghiem trong")
            return _LABELS[re.sub(r"\s+", " ", word)], text[found.start():found.end()]
    return None


# (words every match of the pattern contains, pattern)
_VI_NEEDLES = (("muc do", "muc canh bao", "cap do", "nguy co", "rui ro"), _VI_PHRASE)
_EN_NEEDLES = (("severity", "risk", "priority", "critical"), _EN_PHRASE)
_STATED = (_VI_NEEDLES, _EN_NEEDLES)
_ANY_WAY = (_VI_NEEDLES, (("nghiem trong",), _VI_CRITICAL), _EN_NEEDLES)


# -- identifiers --------------------------------------------------------------------------
_CVE = re.compile(r"\bCVE\s*[-‐‑–—_]?\s*(\d{4})\s*[-‐‑–—_]\s*(\d{4,7})\b", re.IGNORECASE)
_DOC_NUMBER = re.compile(
    r"(?<![\w/])(\d{1,6})\s*/\s*((?:[A-ZĐ]{2,}[0-9]*)(?:\s*-\s*[A-ZĐ0-9]{2,}){0,4})(?![\w/])"
)


def find_cves(*texts: str) -> tuple[str, ...]:
    """CVE ids in order of first appearance, normalized ('CVE - 2022-40684' -> 'CVE-2022-40684')."""
    seen: dict[str, None] = {}
    for text in texts:
        for m in _CVE.finditer(text or ""):
            seen.setdefault(f"CVE-{m.group(1)}-{m.group(2)}", None)
    return tuple(seen)


def split_cves(structured: Iterable[str], title: str, summary: str, title_is_prose: bool = False) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(subject, mentions): the subject is the structured ids and the title's CVE ids; a CVE
    found only in the prose is a mention (KEV notes and NVD's 'unique from CVE-…' name others)."""
    subject = find_cves(*structured) if title_is_prose else find_cves(*structured, title)
    named = set(subject)
    mentions = tuple(c for c in find_cves(title, summary) if c not in named)
    return subject, mentions


def find_doc_number(*texts: str) -> str:
    """The first official letter number, e.g. '1547/CATTT-NCSC' or '5644/BTTTT-CATTT'."""
    for text in texts:
        if not text or "/" not in text:  # every letter number has one; most texts have none
            continue
        for m in _DOC_NUMBER.finditer(text):
            agency = re.sub(r"\s+", "", m.group(2))
            if agency.startswith("CVE"):
                continue
            return f"{m.group(1)}/{agency}"
    return ""


# -- category -----------------------------------------------------------------------------
_CATEGORY_RULES: tuple[tuple[Category, re.Pattern[str]], ...] = (
    (Category.SUMMARY, re.compile(
        r"\b(?:tong hop|ban tin|diem tin|bao cao (?:tuan|thang|dinh ky)|tinh hinh .{0,40}(?:tuan|thang)"
        r"|(?:hang|trong) tuan|tuan qua|thang qua|weekly|monthly (?:summary|report|bulletin)|summary|recap|digest)\b")),
    (Category.BOTNET, re.compile(r"\b(?:botnet|mang may tinh ma hoa|dia chi ip .{0,30}(?:doc hai|ma doc)|c2 server|c&c)\b")),
    (Category.PHISHING, re.compile(
        r"\b(?:lua dao|gia mao|phishing|scam|smishing|tin nhan rac|trang web gia|website gia|chiem doat tai khoan)\b")),
    (Category.APT, re.compile(
        r"\b(?:apt\s*\d*|tan cong co chu dich|chien dich tan cong|nhom tin tac|advanced persistent|threat actor|espionage|gian diep)\b")),
    (Category.VULNERABILITY, re.compile(
        r"\b(?:lo hong|ban va|vulnerabilit(?:y|ies)|cve-\d{4}|patch|security update|exploit|khai thac|zero-?day|cap nhat bao mat)\b")),
)


def categorize(title: str, summary: str) -> Category:
    """The first rule that matches the title decides; else the first that matches the summary."""
    for text in (title, summary[:4000]):
        folded = _fold_aligned(text)
        for category, pattern in _CATEGORY_RULES:
            if pattern.search(folded):
                return category
    return Category.OTHER


# -- watch list -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Watch:
    """The unit's own vendors and products, folded once."""

    terms: tuple[str, ...] = ()

    @classmethod
    def of(cls, vendors: Iterable[str] = (), products: Iterable[str] = ()) -> "Watch":
        terms = tuple(sorted({fold(t) for t in (*vendors, *products) if fold(t)}))
        return cls(terms)

    def hits(self, *texts: str) -> tuple[str, ...]:
        if not self.terms:
            return ()
        hay = " ".join(_fold_aligned(t) for t in texts if t)
        return tuple(t for t in self.terms if re.search(rf"(?<![\w]){re.escape(t)}(?![\w])", hay))


# -- the whole item ----------------------------------------------------------------------------
_URL_SCHEME = re.compile(r"^(?:https?|ftp)://", re.IGNORECASE)


def _clean_url(value: str) -> str:
    url = clean_line(value, max_length=2000)
    return url if _URL_SCHEME.match(url) else ""


def normalize(
    raw: RawItem,
    *,
    default_severity: Severity,
    zone: ZoneInfo,
    watch: Watch = Watch(),
) -> FeedItem:
    """One cleaned, interpreted warning. Never raises on odd input: unknown parts stay empty."""
    title = clean_line(raw.title, max_length=TITLE_MAX)
    summary = clean_text(raw.summary, max_length=SUMMARY_MAX)
    link = _clean_url(raw.link)
    if not title:
        title = clean_line(summary.split("\n", 1)[0], max_length=120) or clean_line(raw.native_id, max_length=120) or "(no title)"
    cves, mentions = split_cves(raw.cves, title, summary, raw.title_is_prose)

    category = categorize(title, summary)
    # A weekly or monthly summary mentions severe things in passing; only its own label counts.
    prose = "" if category == Category.SUMMARY else summary
    severity: Severity | None = None
    severity_raw = ""
    if raw.severity:
        severity = severity_from_label(raw.severity)
        severity_raw = clean_line(raw.severity, max_length=60)
    if severity is None:  # the letter's own 'Mức độ: …' beats a CVSS score quoted in it
        said = severity_from_words(title, stated_only=True) or severity_from_words(prose[:4000], stated_only=True)
        if said:
            severity, severity_raw = said[0], clean_line(said[1], max_length=60)
    cvss = raw.cvss if raw.cvss is not None else find_cvss(title, prose)
    if severity is None and cvss is not None:
        severity, severity_raw = cvss_severity(cvss), f"CVSS {cvss:.1f}".replace(".", ",")
    if severity is None:
        said = severity_from_words(title) or severity_from_words(prose[:4000])
        if said:
            severity, severity_raw = said[0], clean_line(said[1], max_length=60)
    if severity is None:
        severity = raw.severity_default or (Severity.LOW if category == Category.SUMMARY else default_severity)

    hits = watch.hits(title, summary, raw.vendor, raw.product)
    if hits:
        severity = severity.raised()

    published = raw.published_struct
    if raw.published:
        naive_zone = ZoneInfo(raw.naive_zone) if raw.naive_zone else zone
        published = parse_date(clean_line(raw.published, max_length=200), naive_zone) or published

    attachments = tuple(
        {"title": clean_line(a.get("title", ""), max_length=200), "url": u}
        for a in raw.attachments
        if (u := _clean_url(a.get("url", "")))
    )
    native_id = clean_line(raw.native_id, max_length=500)
    doc_number = find_doc_number(title, summary)
    digest = hashlib.sha256(json.dumps(
        [title, summary, link, severity.value, severity_raw, category.value, list(cves), list(mentions), doc_number,
         published.isoformat() if published else "", bool(hits), list(attachments)],
        ensure_ascii=False, sort_keys=True,
    ).encode()).hexdigest()[:32]
    return FeedItem(
        native_id=native_id,
        title=title,
        summary=summary,
        link=link,
        severity=severity,
        severity_raw=severity_raw,
        category=category,
        cves=cves,
        doc_number=doc_number,
        published_at=published,
        affects_us=bool(hits),
        attachments=attachments,
        content_hash=digest,
        mentions=mentions,
    )
