"""gettext for every UI string: Vietnamese and English catalogs ship in watchdesk/locale.

The language follows the config's `desk.language`, else the system locale (LANGUAGE,
LC_ALL, LC_MESSAGES, LANG), else English. Use `_("…")` for strings and `ngettext` for
plurals; mark strings at module level with `N_` and translate them where shown.
"""

from __future__ import annotations

import gettext as _gettext
import locale
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DOMAIN = "watchdesk"
LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED = ("vi", "en")

_translation: _gettext.NullTranslations = _gettext.NullTranslations()
_language = "en"
_here = threading.local()


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


def _active() -> _gettext.NullTranslations:
    return getattr(_here, "translation", None) or _translation


def _(message: str) -> str:
    return _active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active().ngettext(singular, plural, n)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Translate in `language` on this thread only, for the time of a `with` (the handover
    record's two halves); other threads keep the desk's language."""
    before = getattr(_here, "translation", None)
    _catalog(language)
    _here.translation = _catalogs[language]
    try:
        yield
    finally:
        _here.translation = before


def N_(message: str) -> str:
    """Mark for extraction only; translate later with _()."""
    return message


_catalogs: dict[str, _gettext.NullTranslations] = {}


def _catalog(language: str) -> _gettext.NullTranslations:
    if language not in _catalogs:
        _catalogs[language] = _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)
    return _catalogs[language]


def gettext_in(language: str, message: str) -> str:
    """`message` in `language` whatever the desk's language (the bilingual handover record)."""
    return _catalog(language).gettext(message)


def both(message: str) -> str:
    """'Vietnamese / English' for the printed handover record, which stays bilingual; the English
    alone where both are the same (codes, names)."""
    vietnamese = gettext_in("vi", message)
    return message if vietnamese == message else f"{vietnamese} / {message}"
