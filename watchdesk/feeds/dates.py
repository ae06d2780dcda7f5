"""Dates as feeds write them, read in the desk's zone when they carry none.

RFC 822 ('Wed, 17 Apr 2024 08:30:00 +0700'), RFC 3339 ('2024-04-17T08:30:00Z'),
'17/04/2024' and '17/04/2024 14:30' (day first, as in Vietnam), and the written form
'ngày 17 tháng 4 năm 2024' (with or without diacritics).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from watchdesk.core.text import fold

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?", re.I)
_DMY = re.compile(
    r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)"
    r"(?:[ ,T-]*(?:luc\s*)?(\d{1,2})\s*[:hg]\s*(\d{2})(?:\s*:\s*(\d{2}))?)?"
)
_TIME_FIRST = re.compile(r"(?<!\d)(\d{1,2})\s*[:hg]\s*(\d{2})(?::(\d{2}))?\s*(?:ngay\s*)?[, ]*(?=\d{1,2}\s*[/.-])")
_WRITTEN = re.compile(r"ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*(?:nam\s*|[,/ ]\s*)(\d{4})")
_RFC822 = re.compile(r"^\s*(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}")
_CLOCK = re.compile(r"(\d{1,2})\s*[:hg]\s*(\d{2})")


def _aware(value: datetime, zone: ZoneInfo | timezone) -> datetime:
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def _build(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, zone: ZoneInfo | timezone = timezone.utc) -> datetime | None:
    try:
        return datetime(y, m, d, hh, mm, ss, tzinfo=zone)
    except ValueError:
        return None


def parse_date(value: str, zone: ZoneInfo | timezone) -> datetime | None:
    """An aware UTC datetime, or None when the text holds no date we can read."""
    text = (value or "").strip()
    if not text or len(text) > 200:
        return None
    found = _parse(text, zone)
    return found.astimezone(timezone.utc) if found else None


def _parse(text: str, zone: ZoneInfo | timezone) -> datetime | None:
    iso = _ISO.match(text)
    if iso:
        raw = iso.group(0).replace("z", "Z")
        try:
            return _aware(datetime.fromisoformat(raw.replace("Z", "+00:00")), zone)
        except ValueError:
            pass
    if _RFC822.match(text):
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None:
            # RFC 822 '-0000' means "zone unknown": read it in the desk's zone.
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=zone)
            return parsed
    folded = fold(text)
    written = _WRITTEN.search(folded)
    if written:
        d, m, y = (int(g) for g in written.groups())
        clock = _CLOCK.search(folded[: written.start()] + " " + folded[written.end():])
        hh, mm = (int(clock.group(1)), int(clock.group(2))) if clock else (0, 0)
        if hh > 23 or mm > 59:
            hh, mm = 0, 0
        return _build(y, m, d, hh, mm, 0, zone)
    dmy = _DMY.search(folded)
    if dmy:
        d, m, y = int(dmy.group(1)), int(dmy.group(2)), int(dmy.group(3))
        hh, mm, ss = (int(dmy.group(4) or 0), int(dmy.group(5) or 0), int(dmy.group(6) or 0))
        if not dmy.group(4):
            before = _TIME_FIRST.search(folded[: dmy.start() + 3])
            if before:
                hh, mm, ss = int(before.group(1)), int(before.group(2)), int(before.group(3) or 0)
        if hh > 23 or mm > 59 or ss > 59:
            hh = mm = ss = 0
        return _build(y, m, d, hh, mm, ss, zone)
    iso = _ISO.search(text)  # an ISO date later in the text, as the last resort
    if iso:
        try:
            return _aware(datetime.fromisoformat(iso.group(0).replace("Z", "+00:00").replace("z", "+00:00")), zone)
        except ValueError:
            return None
    return None
