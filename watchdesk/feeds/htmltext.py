"""HTML fragments (feed summaries, listing cells) to plain text with paragraph breaks."""

from __future__ import annotations

import html
import re

from selectolax.lexbor import LexborHTMLParser

_BREAKS = re.compile(r"<\s*br\s*/?\s*>|<\s*/\s*(?:p|div|li|tr|h[1-6]|blockquote|pre|table|ul|ol)\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[a-zA-Z/!?][^<>]*>")
_NEEDS_DOM = ("<script", "<style", "<template", "<noscript", "<!--", "<![cdata")
_MARKER = "\u2029"  # paragraph separator: survives the parser, becomes a newline afterwards


def html_to_text(fragment: str) -> str:
    """Tags removed, entities decoded, <br>/<p>/<li> as line breaks; scripts and styles dropped."""
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return fragment
    lowered = fragment.lower()
    if not any(tag in lowered for tag in _NEEDS_DOM):
        # Most feed summaries are a few <p>/<a>/<b> tags: a regex and unescape are ten times
        # cheaper than a DOM; the result is plain text either way (cleaned and shown as text).
        text = _TAG.sub("", _BREAKS.sub(lambda m: m.group(0) + "\n", fragment))
        return html.unescape(text)
    tree = LexborHTMLParser(_BREAKS.sub(lambda m: m.group(0) + _MARKER, fragment))
    for node in tree.css("script, style, template, noscript"):
        node.decompose()
    root = tree.body or tree.root
    text = root.text(deep=True, separator="", strip=False) if root is not None else ""
    return text.replace(_MARKER, "\n")
