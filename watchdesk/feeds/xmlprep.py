"""Making feed bytes safe and plain UTF-8 before feedparser sees them.

Why not defusedxml: feedparser drives expat (and, for broken XML, its own sgmllib-based
loose parser) itself, so we cannot hand it a defused parser. feedparser 6 already turns
off external general entities and strips `<!ENTITY …>` lines that start a line
(`sanitizer.replace_doctype`), but that regex misses declarations on one line
(`<!DOCTYPE x [<!ENTITY a "…"><!ENTITY b "&a;&a;">]>`) and a quoted '<x' inside the
internal subset confuses its idea of where the prolog ends. So we remove the whole
DOCTYPE ourselves with a small scanner that honours quotes, comments and the internal
subset's brackets: a feed has no business declaring entities, and its items still come in
(undeclared references stay as text). External DTDs are never fetched.

Character sets: a body that is valid UTF-8 is read as UTF-8 whatever the header claims
(Vietnamese cannot be written in Latin-1, and servers that say 'iso-8859-1' for UTF-8
are common); otherwise the BOM, the HTTP charset, the XML declaration, then windows-1258
(Vietnamese) are tried. Each override is reported, the items are kept.
"""

from __future__ import annotations

import codecs
import re

from watchdesk.core.text import clean_line, clean_text

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_XML_ENC = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
)
FEED_TYPES = ("xml", "rss", "atom", "rdf")
_FORBIDDEN_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class NotAFeed(Exception):
    """The body cannot be read as a feed at all; the message is for the officer."""


def content_type_parts(value: str) -> tuple[str, str]:
    """('application/rss+xml', 'utf-8') from a Content-Type header."""
    if not value:
        return "", ""
    media, _, params = value.partition(";")
    charset = ""
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'").lower()
    return media.strip().lower(), charset


def _same_codec(a: str, b: str) -> bool:
    try:
        return codecs.lookup(a).name == codecs.lookup(b).name
    except LookupError:
        return False


def _quoted(value: str) -> str:
    """A header value quoted in a warning: the server chose it, so it is cleaned like feed text."""
    return clean_line(value, max_length=80)


def decode_body(body: bytes, content_type: str = "") -> tuple[str, str, list[str]]:
    """(text, encoding used, warnings) for any text body; never raises on bad bytes."""
    warnings: list[str] = []
    _, http_charset = content_type_parts(content_type)
    for bom, codec in _BOMS:
        if body.startswith(bom):
            try:
                return body[len(bom):].decode(codec), codec, warnings
            except UnicodeDecodeError:
                break
    head = _XML_ENC.match(body[:400])
    xml_charset = head.group(1).decode("ascii").lower() if head else ""
    declared = http_charset or xml_charset
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if declared and not _same_codec(declared, "utf-8") and not body.isascii():
            warnings.append(f"declares the character set '{_quoted(declared)}' but is UTF-8; it was read as UTF-8")
        return text, "utf-8", warnings
    for codec in dict.fromkeys(c for c in (http_charset, xml_charset, "windows-1258") if c):
        try:
            text = body.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        if declared and not _same_codec(codec, declared):
            warnings.append(f"declares the character set '{_quoted(declared)}' but is not; it was read as {_quoted(codec)}")
        elif not declared:
            warnings.append(f"does not say its character set and is not UTF-8; it was read as {_quoted(codec)}")
        return text, codec, warnings
    warnings.append("is not in any character set watchdesk could read; unreadable characters were replaced")
    return body.decode("utf-8", "replace"), "utf-8", warnings


def _skip_quoted(text: str, i: int) -> int:
    end = text.find(text[i], i + 1)
    return len(text) if end < 0 else end + 1


def _doctype_end(text: str, start: int) -> int:
    """Index just past the DOCTYPE starting at `start`; -1 when it never ends."""
    i, depth, n = start + 9, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'":
            i = _skip_quoted(text, i)
            continue
        if text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            if end < 0:
                return -1
            i = end + 3
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        elif ch == ">" and depth == 0:
            return i + 1
        i += 1
    return -1


def strip_doctype(text: str) -> tuple[str, bool]:
    """The text without its DOCTYPE; True when that DOCTYPE declared entities."""
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if text.startswith("<?", i):
            end = text.find("?>", i)
            i = n if end < 0 else end + 2
        elif text.startswith("<!--", i):
            end = text.find("-->", i)
            i = n if end < 0 else end + 3
        elif text[i:i + 9].upper() == "<!DOCTYPE":
            end = _doctype_end(text, i)
            if end < 0:
                raise NotAFeed("has a DOCTYPE declaration that never ends, so it is not a well-formed feed")
            declaration = text[i:end]
            return text[:i] + text[end:], "<!ENTITY" in declaration.upper()
        else:
            break
    return text, False


def prepare_xml(body: bytes, content_type: str = "") -> tuple[bytes, list[str]]:
    """UTF-8 bytes without a DOCTYPE and with a matching XML declaration, plus warnings."""
    warnings: list[str] = []
    media, _ = content_type_parts(content_type)
    if media and not any(t in media for t in FEED_TYPES) and media != "text/html":
        warnings.append(f"is served as '{_quoted(media)}', not as a feed type; it was read as a feed anyway")
    text, _, charset_warnings = decode_body(body, content_type)
    warnings.extend(charset_warnings)
    if _FORBIDDEN_IN_XML.search(text):
        # ESC/OSC/CSI sequences and C0/C1 controls are not allowed in XML 1.0 and would push
        # feedparser onto its lenient parser, which turns C1 bytes into cp1252 punctuation.
        # Cleaning the document once here removes whole sequences, payloads included.
        text = clean_text(text)
        warnings.append("contains terminal control characters (removed)")
    text, had_entities = strip_doctype(text)
    if had_entities:
        warnings.append("declares XML entities (a known attack on feed readers); they were ignored")
    text = _XML_DECL.sub("", text, count=1)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text.lstrip()).encode("utf-8"), warnings
