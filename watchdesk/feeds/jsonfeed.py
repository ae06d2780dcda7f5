"""JSON sources: field mappings, and the presets cisa-kev, nvd (CVE API 2.0) and strapi (v3/v4/v5).

A mapping names dotted paths (`data.items`, `attributes.title`, `metrics.0.score`):
`items` is where the list is ('' = the top level), then `id`, `title`, `summary`, `link`,
`date`, `severity`, `cvss`, `cves`, `vendor`, `product`. `link_template` builds a link
from the id ('https://example.vn/canh-bao/{id}').
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from watchdesk.feeds.htmltext import html_to_text
from watchdesk.feeds.items import ParseOutcome, RawItem
from watchdesk.feeds.normalize import parse_number
from watchdesk.core.enums import Severity
from watchdesk.core.text import clean_line
from watchdesk.feeds.xmlprep import NotAFeed, decode_body

MAX_ITEMS = 50_000

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
        pagination = get_path(data, "meta.pagination")
        if isinstance(pagination, Mapping) and (pagination.get("pageCount") or 1) > 1:
            total, pages = (clean_line(pagination.get(k, "?"), max_length=20) for k in ("total", "pageCount"))
            warnings.append(f"lists {total} items over {pages} pages; only the first page is read")
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
    if not mapping:
        guessed = detect_preset(data)
        if guessed:
            return parse_json(body, content_type, guessed, mapping, base_url)
        raise NotAFeed("is JSON of a shape watchdesk does not know; set a preset or a mapping for this source")
    return parse_mapped(data, mapping)
