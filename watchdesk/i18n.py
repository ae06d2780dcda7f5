"""gettext for every UI string: Vietnamese and English catalogs ship in watchdesk/locale.

The language follows the config's `desk.language`, else the system locale (LANGUAGE,
LC_ALL, LC_MESSAGES, LANG), else English. Use `_("…")` for strings and `ngettext` for
plurals; mark strings at module level with `N_` and translate them where shown.
"""

from __future__ import annotations

import gettext as _gettext
import locale
import os
from pathlib import Path

DOMAIN = "watchdesk"
LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED = ("vi", "en")

_translation: _gettext.NullTranslations = _gettext.NullTranslations()
_language = "en"


def system_language() -> str:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            code = value.split(":")[0].split(".")[0].split("_")[0].lower()
            if code in SUPPORTED:
                return code
            if code not in ("c", "posix"):
                return "en"
    try:
        code = (locale.getlocale()[0] or "").split("_")[0].lower()
    except ValueError:
        code = ""
    return code if code in SUPPORTED else "en"


def set_language(language: str = "") -> str:
    """Switch the catalog ('' = the system's); returns the language in use."""
    global _translation, _language
    _language = language or system_language()
    _translation = _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[_language], fallback=True)
    return _language


def current_language() -> str:
    return _language


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark for extraction only; translate later with _()."""
    return message
