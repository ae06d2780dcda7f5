"""Key names the desk's keymap (`[desk] keys`) accepts, as Textual names keys, without Textual.

The config layer may not import Textual, so the names are stated here and a test compares them
with `textual.keys` (tests/core/test_config.py). A key is `[modifier+]…name`: a single
character, or a named key (`enter`, `f2`, `question_mark`, …). A key Textual never sends would
leave its action with no key at all (the board without its ack key), so it is refused.
"""

from __future__ import annotations

import string
import unicodedata

MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
NAMED_KEYS = frozenset(
    ["escape", "enter", "return", "tab", "backspace", "delete", "insert", "home", "end", "pageup", "pagedown",
     "up", "down", "left", "right", "space", "newline"]
    + [f"f{n}" for n in range(1, 25)]
)
# Textual's names for printable ASCII that is not a letter or digit ('?' -> 'question_mark'),
# made the way textual.keys._character_to_key makes them.
_REPLACEMENTS = {"solidus": "slash", "reverse_solidus": "backslash", "commercial_at": "at",
                 "hyphen_minus": "minus", "plus_sign": "plus", "low_line": "underscore"}
CHARACTER_NAMES = frozenset(
    _REPLACEMENTS.get(name, name)
    for name in (unicodedata.name(c).lower().replace("-", "_").replace(" ", "_") for c in string.punctuation)
)
EXAMPLES = "'k', 'K', 'ctrl+k', 'f2', 'enter', 'escape', 'space', 'question_mark'"


def key_problem(keys: str) -> str | None:
    """Why `keys` (one key or several, comma-separated) is not a key Textual sends, or None."""
    if not isinstance(keys, str) or not keys.strip():
        return "must name a key"
    for key in (k.strip() for k in keys.split(",")):
        if not _is_key(key):
            # repr: the sentence reaches a terminal, so control characters show as \x1b, never act.
            return (f"names {key[:40]!r}, which is not a key name; use names like {EXAMPLES}, "
                    f"with {'+, '.join(MODIFIERS[:3])}+ in front for modifiers (several keys: comma-separated)")
    return None


def _is_key(key: str) -> bool:
    if len(key) == 1:
        return key.isprintable() and not key.isspace() and key != ","
    *mods, name = key.split("+")
    if len(set(mods)) != len(mods) or not all(m in MODIFIERS for m in mods):
        return False
    if len(name) == 1:
        return bool(mods) and name.isascii() and name.isprintable() and name not in " ,"  # ctrl+a, ctrl+@
    return name in NAMED_KEYS or name in CHARACTER_NAMES
