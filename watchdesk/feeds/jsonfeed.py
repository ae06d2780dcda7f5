"""JSON sources: field mappings, and the presets cisa-kev, nvd (CVE API 2.0), strapi (v3/v4/v5)
and jsonfeed (JSON Feed 1.0/1.1, also recognised by its `version` URL).

A mapping names dotted paths (`data.items`, `attributes.title`, `metrics.0.score`):
`items` is where the list is ('' = the top level), then `id`, `title`, `summary`, `link`,
`date`, `severity`, `cvss`, `cves`, `vendor`, `product`. `link_template` builds a link
from the id ('https://example.vn/canh-bao/{id}').
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from watchdesk.feeds.htmltext import html_to_text
from watchdesk.feeds.items import ParseOutcome, RawItem
from watchdesk.feeds.normalize import parse_number
from watchdesk.core.enums import Severity
from watchdesk.core.text import clean_line
from watchdesk.feeds.xmlprep import NotAFeed, decode_body

MAX_ITEMS = 50_000
MAX_PAGES = 200
"""Most pages of a Strapi listing read in one poll, whatever its pagination claims."""
JSONFEED_VERSION = "https://jsonfeed.org/version/1"

STRAPI_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "name", "tieu_de", "tieuDe", "heading"),
    "summary": ("summary", "description", "excerpt", "mo_ta", "moTa", "tom_tat", "content", "body", "noi_dung"),
    "link": ("url", "link", "href"),
    "slug": ("slug",),
    "date": ("publishedAt", "published_at", "publishDate", "date", "ngay_ban_hanh", "createdAt", "created_at"),
    "severity": ("severity", "level", "muc_do", "mucDo", "risk"),
    "doc": ("so_hieu", "soHieu", "documentNumber", "number"),
}


def get_path(obj: Any, path: str) -> Any:
    """obj['a']['b'][0] for 'a.b.0'; None when any step is missing."""
    if not path:
        return obj
    for part in path.split("."):
        if isinstance(obj, Mapping):
            obj = obj.get(part)
        elif isinstance(obj, list) and part.lstrip("-").isdigit():
            index = int(part)
            obj = obj[index] if -len(obj) <= index < len(obj) else None
        else:
            return None
        if obj is None:
            return None
    return obj


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(_text(v) for v in value)
    if isinstance(value, Mapping):
        # Strapi rich text blocks: [{type: paragraph, children: [{text}]}]
        if "text" in value:
            return _text(value["text"])
        if "children" in value:
            return _text(value["children"])
        return ""
    return str(value)


def load_json(body: bytes, content_type: str = "") -> Any:
    text, _, _ = decode_body(body, content_type)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        head = text.lstrip()[:1]
        if head == "<":
            raise NotAFeed("returned HTML or XML, not JSON") from None
        raise NotAFeed(f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise NotAFeed("is JSON nested too deeply to read") from None


def _check_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise NotAFeed(f"has no list of items at '{where or '(top level)'}'; check the source's mapping")
    return value[:MAX_ITEMS]


def parse_kev(data: Any) -> ParseOutcome:
    """CISA Known Exploited Vulnerabilities catalogue."""
    if not isinstance(data, Mapping) or "vulnerabilities" not in data:
        raise NotAFeed("is not the CISA KEV catalogue (no 'vulnerabilities' list)")
    items = []
    for v in _check_list(data.get("vulnerabilities"), "vulnerabilities"):
        if not isinstance(v, Mapping):
            continue
        cve = _text(v.get("cveID"))
        vendor, product = _text(v.get("vendorProject")), _text(v.get("product"))
        ransomware = _text(v.get("knownRansomwareCampaignUse"))
        lines = [
            _text(v.get("shortDescription")),
            f"Vendor/product: {vendor} {product}".strip(),
            f"Required action: {_text(v.get('requiredAction'))}" if v.get("requiredAction") else "",
            f"Due date: {_text(v.get('dueDate'))}" if v.get("dueDate") else "",
            f"Known ransomware campaign use: {ransomware}" if ransomware else "",
            f"Notes: {_text(v.get('notes'))}" if v.get("notes") else "",
        ]
        items.append(
            RawItem(
                native_id=cve,
                link=f"https://nvd.nist.gov/vuln/detail/{cve}" if cve.upper().startswith("CVE-") else "",
                title=f"{cve}: {_text(v.get('vulnerabilityName'))}".strip(": "),
                summary="\n".join(line for line in lines if line),
                published=_text(v.get("dateAdded")),
                cves=(cve,),
                vendor=vendor,
                product=product,
                naive_zone="America/New_York",
                # Known exploited is at least high; with ransomware use, critical.
                severity_default=Severity.CRITICAL if ransomware.lower() == "known" else Severity.HIGH,
            )
        )
    return ParseOutcome(items=items)


def _nvd_metric(metrics: Any) -> tuple[float | None, str]:
    if not isinstance(metrics, Mapping):
        return None, ""
    for key in ("cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"):
        for metric in metrics.get(key) or []:
            data = metric.get("cvssData") or {} if isinstance(metric, Mapping) else {}
            score = parse_number(str(data.get("baseScore", "")))
            label = _text(data.get("baseSeverity") or metric.get("baseSeverity"))
            if score is not None:
                return score, label
    return None, ""


def parse_nvd(data: Any) -> ParseOutcome:
    """NVD CVE API 2.0: vulnerabilities[].cve."""
    if not isinstance(data, Mapping) or "vulnerabilities" not in data:
        raise NotAFeed("is not an NVD CVE API 2.0 answer (no 'vulnerabilities' list)")
    items = []
    for v in _check_list(data.get("vulnerabilities"), "vulnerabilities"):
        cve = v.get("cve") if isinstance(v, Mapping) else None
        if not isinstance(cve, Mapping):
            continue
        cve_id = _text(cve.get("id"))
        descriptions = cve.get("descriptions") or []
        text = next((_text(d.get("value")) for d in descriptions if isinstance(d, Mapping) and d.get("lang") == "en"), "")
        text = text or next((_text(d.get("value")) for d in descriptions if isinstance(d, Mapping)), "")
        score, label = _nvd_metric(cve.get("metrics"))
        first = text.split(". ")[0][:160]
        items.append(
            RawItem(
                native_id=cve_id,
                link=f"https://nvd.nist.gov/vuln/detail/{cve_id}",
                title=f"{cve_id}: {first}" if first else cve_id,
                summary=text + (f"\nCVSS {score} {label}".rstrip() if score is not None else ""),
                published=_text(cve.get("published")),
                severity=label or (str(score) if score is not None else ""),
                cvss=score,
                cves=(cve_id,),
                title_is_prose=True,  # the title's tail is the description's first sentence
                naive_zone="UTC",  # NVD times are UTC without a zone
            )
        )
    return ParseOutcome(items=items)


def _first(obj: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    return next((obj[n] for n in names if obj.get(n) not in (None, "", [])), None)


def parse_strapi(data: Any, mapping: Mapping[str, str], base_url: str) -> ParseOutcome:
    """Strapi listings: v3 a plain array; v4 data[].attributes + meta.pagination; v5 flat with documentId."""
    warnings: list[str] = []
    if isinstance(data, list):
        rows, version = data, 3
    elif isinstance(data, Mapping) and isinstance(data.get("data"), list):
        rows = data["data"]
        version = 4 if any(isinstance(r, Mapping) and isinstance(r.get("attributes"), Mapping) for r in rows) else 5
        paging = strapi_paging(data)
        if paging is not None and paging.problem:
            warnings.append(paging.problem)
        elif paging is not None and paging.pages > 1:
            total = f"{paging.total} items" if paging.total is not None else "its items"
            warnings.append(f"lists {total} over {paging.pages} pages; only the first page is read")
    else:
        raise NotAFeed("is not a Strapi listing (neither a list nor an object with a 'data' list)")
    items = []
    for row in _check_list(rows, "data"):
        if not isinstance(row, Mapping):
            continue
        fields = row.get("attributes") if version == 4 and isinstance(row.get("attributes"), Mapping) else row
        native = _text(row.get("documentId") or row.get("id") or fields.get("slug"))

        def pick(key: str, fields: Mapping[str, Any] = fields) -> str:
            path = mapping.get(key)
            return _text(get_path(fields, path) if path else _first(fields, STRAPI_FIELDS.get(key, ())))

        link = pick("link")
        slug = pick("slug")
        template = mapping.get("link_template", "")
        if not link and template:
            link = template.format(id=native, slug=slug or native)
        summary = html_to_text(pick("summary"))
        doc = pick("doc")
        items.append(
            RawItem(
                native_id=native,
                link=link,
                title=html_to_text(pick("title")),
                summary=f"{doc}\n{summary}".strip() if doc else summary,
                published=pick("date"),
                severity=pick("severity"),
            )
        )
    return ParseOutcome(items=items, warnings=warnings)


@dataclass(frozen=True)
class Paging:
    """A Strapi answer's meta.pagination, as numbers the desk can trust."""

    pages: int
    """Pages the server says there are (1 when it cannot be read)."""
    size: int
    total: int | None
    offset: bool
    """Offset style (pagination[start]/[limit]) rather than page style (pagination[page])."""
    problem: str = ""
    """Why the pagination was not followed ('' = it is fine)."""


def _count(value: Any) -> int | None:
    """A non-negative whole number as JSON wrote it; None for strings, floats with a fraction, bools, huge."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        return None
    number = int(value)
    return number if 0 <= number <= 10**12 else None


def strapi_paging(data: Any) -> Paging | None:
    """meta.pagination of a Strapi v4/v5 answer; None when there is none (v3 lists, one page)."""
    pagination = get_path(data, "meta.pagination") if isinstance(data, Mapping) else None
    if not isinstance(pagination, Mapping):
        return None
    total = _count(pagination.get("total"))
    if "limit" in pagination and "pageCount" not in pagination:
        size = _count(pagination.get("limit"))
        if not size or total is None:
            return Paging(1, 0, total, True, "gives a pagination watchdesk cannot read (limit/total); only the first page is read")
        return Paging(math.ceil(total / size), size, total, True)
    pages, size = _count(pagination.get("pageCount")), _count(pagination.get("pageSize"))
    if pages is None or (size is None and "pageSize" in pagination):
        return Paging(1, 0, total, False, "gives a pagination watchdesk cannot read (pageCount/pageSize); only the first page is read")
    return Paging(max(pages, 1), size or 0, total, False)


def strapi_page_urls(url: str, paging: Paging, first_rows: int, max_items: int) -> list[str]:
    """Addresses of pages 2… of a Strapi listing, as many as max_items (and MAX_PAGES) allow."""
    size = paging.size or first_rows
    if paging.problem or paging.pages <= 1 or size <= 0:
        return []
    wanted = min(paging.pages, math.ceil(max_items / size), MAX_PAGES)
    if paging.total is not None:
        wanted = min(wanted, math.ceil(paging.total / size))
    parts = urlsplit(url)
    drop = ("pagination[start]",) if paging.offset else ("pagination[page]",)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in drop]
    if not paging.offset and paging.size and not any(k == "pagination[pageSize]" for k, _ in query):
        query.append(("pagination[pageSize]", str(paging.size)))
    if paging.offset and not any(k == "pagination[limit]" for k, _ in query):
        query.append(("pagination[limit]", str(size)))
    urls = []
    for page in range(2, wanted + 1):
        extra = ("pagination[start]", str((page - 1) * size)) if paging.offset else ("pagination[page]", str(page))
        urls.append(urlunsplit(parts._replace(query=urlencode([*query, extra]))))
    return urls


def merge_strapi_pages(first: Mapping[str, Any], pages: list[Any], max_items: int) -> dict[str, Any]:
    """One answer holding the rows of every page read (at most max_items), its pagination settled."""
    rows = list(first.get("data") or [])
    for page in pages:
        if isinstance(page, Mapping) and isinstance(page.get("data"), list):
            rows.extend(page["data"])
    meta = dict(first.get("meta") or {}) if isinstance(first.get("meta"), Mapping) else {}
    meta["pagination"] = {"page": 1, "pageCount": 1, "pageSize": min(len(rows), max_items), "pagesRead": len(pages) + 1}
    return {**first, "data": rows[:max_items], "meta": meta}


def _date_text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse_jsonfeed(data: Any, base_url: str = "") -> ParseOutcome:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1): items[] with id, url, title, content, dates."""
    if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
        raise NotAFeed("is not a JSON Feed (no 'items' list)")
    items = []
    for entry in _check_list(data["items"], "items"):
        if not isinstance(entry, Mapping):
            continue
        link = _text(entry.get("url") or entry.get("external_url"))
        if link and base_url.startswith(("http://", "https://")) and not link.startswith(("http://", "https://")):
            link = urljoin(base_url, link)
        text = _text(entry.get("content_text")) or html_to_text(_text(entry.get("content_html")))
        summary = _text(entry.get("summary"))
        attachments = tuple(
            {"title": _text(a.get("title")) or _text(a.get("url")).rsplit("/", 1)[-1], "url": _text(a.get("url"))}
            for a in entry.get("attachments") or [] if isinstance(entry.get("attachments"), list)
            if isinstance(a, Mapping) and _text(a.get("url")).startswith(("http://", "https://"))
            and (_text(a.get("mime_type")) == "application/pdf" or _text(a.get("url")).lower().split("?")[0].endswith(".pdf"))
        )
        items.append(
            RawItem(
                native_id=_text(entry.get("id")) or link,
                link=link,
                title=html_to_text(_text(entry.get("title"))) or summary[:160],
                summary="\n".join(t for t in (summary, text) if t) if summary != text else text,
                published=_date_text(entry.get("date_published")) or _date_text(entry.get("date_modified")),
                attachments=attachments,
            )
        )
    return ParseOutcome(items=items)


def parse_mapped(data: Any, mapping: Mapping[str, str]) -> ParseOutcome:
    """Any JSON list with dotted-path field mappings."""
    rows = _check_list(get_path(data, mapping.get("items", "")), mapping.get("items", ""))
    items = []
    for row in rows:
        native = _text(get_path(row, mapping.get("id", "id")))
        link = _text(get_path(row, mapping["link"])) if "link" in mapping else ""
        if not link and mapping.get("link_template"):
            link = mapping["link_template"].format(id=native)
        cvss_path = mapping.get("cvss")
        cves = get_path(row, mapping["cves"]) if "cves" in mapping else None
        items.append(
            RawItem(
                native_id=native,
                link=link,
                title=html_to_text(_text(get_path(row, mapping.get("title", "title")))),
                summary=html_to_text(_text(get_path(row, mapping.get("summary", "summary")))),
                published=_text(get_path(row, mapping.get("date", "date"))),
                severity=_text(get_path(row, mapping["severity"])) if "severity" in mapping else "",
                cvss=parse_number(_text(get_path(row, cvss_path))) if cvss_path else None,
                cves=tuple(_text(c) for c in cves) if isinstance(cves, list) else ((_text(cves),) if cves else ()),
                vendor=_text(get_path(row, mapping["vendor"])) if "vendor" in mapping else "",
                product=_text(get_path(row, mapping["product"])) if "product" in mapping else "",
            )
        )
    return ParseOutcome(items=items)


def detect_preset(data: Any) -> str:
    """For `watchdesk import`: which preset a JSON file looks like ('' = unknown)."""
    if isinstance(data, Mapping):
        if isinstance(data.get("version"), str) and data["version"].startswith(JSONFEED_VERSION) and isinstance(data.get("items"), list):
            return "jsonfeed"
        vulns = data.get("vulnerabilities")
        if isinstance(vulns, list):
            first = vulns[0] if vulns else {}
            if isinstance(first, Mapping) and "cve" in first:
                return "nvd"
            return "cisa-kev"
        if isinstance(data.get("data"), list):
            return "strapi"
    if isinstance(data, list):
        return "strapi"
    return ""


def parse_json(body: bytes, content_type: str, preset: str, mapping: Mapping[str, str], base_url: str = "") -> ParseOutcome:
    data = load_json(body, content_type)
    if preset == "cisa-kev":
        return parse_kev(data)
    if preset == "nvd":
        return parse_nvd(data)
    if preset == "strapi":
        return parse_strapi(data, mapping, base_url)
    if preset == "jsonfeed":
        return parse_jsonfeed(data, base_url)
    if not mapping:
        guessed = detect_preset(data)
        if guessed:
            return parse_json(body, content_type, guessed, mapping, base_url)
        raise NotAFeed("is JSON of a shape watchdesk does not know; set a preset or a mapping for this source")
    return parse_mapped(data, mapping)
