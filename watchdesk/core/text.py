"""Cleaning untrusted text once, at ingest, and folding Vietnamese for search.

Terminal emulators act on ESC/CSI/OSC sequences, C1 controls (U+0080–U+009F, e.g. the
8-bit CSI U+009B) and NUL; bidi overrides make a title read backwards. None of them may
reach a widget, a log line or a report. Brackets are kept: they are text, and the UI
renders them as plain content, never as markup.
"""

from __future__ import annotations

import re
import unicodedata

# ESC-introduced sequences: CSI (ESC [ … final), OSC (ESC ] … BEL or ST), DCS/SOS/PM/APC
# (ESC P/X/^/_ … ST), and two-byte escapes (ESC + one char).
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?          # CSI
  | \x1b[\]PX^_].*?(?:\x07|\x1b\\|$)  # OSC / DCS / SOS / PM / APC up to BEL or ST
  | \x9b[0-?]*[ -/]*[@-~]?            # 8-bit CSI
  | [\x9d\x90\x98\x9e\x9f].*?(?:\x07|\x9c|$)  # 8-bit OSC/DCS/SOS/PM/APC
  | \x1b.?                            # any other escape
    """,
    re.VERBOSE | re.DOTALL,
)
# C0 except TAB and LF, DEL, C1.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidi embeddings/overrides/isolates, zero-width characters, BOM, soft hyphen, word joiner.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad\u180e]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# What a terminal acts on, one character at a time: every C0 control, DEL, C1, bidi controls and marks.
# All have no width, so dropping them from drawn text moves nothing on the screen.
TERMINAL_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The same less LF and TAB, which are layout in printed text.
_PRINT_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# What JSON output writes as \uXXXX (json.dumps escapes C0 itself): DEL, C1, bidi controls and
# marks, zero-width characters and the two line separators JavaScript treats as line ends.
JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def clean_text(value: object, *, multiline: bool = True, max_length: int | None = None) -> str:
    """Untrusted text made safe to store and show.

    NFC-normalised; escape sequences, control characters, bidi overrides and zero-width
    characters removed; CRLF folded to LF. With ``multiline=False`` (titles, names) all
    whitespace runs become one space. Paragraph breaks are kept for summaries.
    """
    if value is None:
        return ""
    text = str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("", text)
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    if multiline:
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    else:
        text = " ".join(text.split())
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text


def clean_line(value: object, max_length: int | None = None) -> str:
    """`clean_text` for one-line values: titles, names, handles."""
    return clean_text(value, multiline=False, max_length=max_length)


def terminal_safe(text: str, *, newlines: bool = False) -> str:
    """Text a terminal can only draw: the one output filter, for the desk and the CLI alike.

    Every C0/C1 control, DEL and bidi control is removed. The desk's line filter calls it on each
    drawn segment: only characters of no width go, so nothing on the screen moves. The CLI prints
    everything through it with ``newlines=True``: LF and TAB stay (layout, not commands; CR goes,
    as it lets a line overwrite what was printed before it) and whole escape sequences go with
    their payload (an OSC 52 clipboard write, an OSC 0 title), line by line, so an unterminated
    sequence never swallows the lines after it.
    """
    unsafe = _PRINT_UNSAFE if newlines else TERMINAL_UNSAFE
    if not unsafe.search(text):
        return text
    if newlines:
        return "\n".join(unsafe.sub("", _ESCAPES.sub("", line)) for line in text.split("\n"))
    return unsafe.sub("", text)


def json_safe(dumped: str) -> str:
    """JSON text (from json.dumps) with DEL, C1, bidi and zero-width characters written as \\uXXXX.

    Still valid JSON with the same value: outside strings JSON has only ASCII punctuation and
    whitespace, so every match is inside a string, where an escape means the same character."""
    return JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


def fold(value: str) -> str:
    """Lower-case, accent-free form for search: 'Nghiêm trọng' -> 'nghiem trong', 'Đ' -> 'd'."""
    text = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(text.casefold().split())


def matches(query: str, *haystacks: str) -> bool:
    """True when every word of the folded query occurs in the folded haystacks."""
    words = fold(query).split()
    if not words:
        return True
    hay = " ".join(fold(h) for h in haystacks if h)
    return all(word in hay for word in words)


def slug(name: str) -> str:
    """'Tết 2026' → 'tet-2026': a name typed without diacritics, spaces or quotes (watch periods)."""
    plain = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
