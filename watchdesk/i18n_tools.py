"""Maintain the message catalogs (for developers; needs Babel from the `test` extra).

    python -m watchdesk.i18n_tools update    # extract _() strings, merge into vi/watchdesk.po
    python -m watchdesk.i18n_tools compile   # write the .mo files the desk loads
    python -m watchdesk.i18n_tools check     # exit 1 if a string lacks Vietnamese or a .mo is stale

English is the source language (the msgids); the Vietnamese catalog translates them.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from watchdesk.i18n import DOMAIN, LOCALE_DIR

PACKAGE = Path(__file__).parent
LANGUAGES = ("vi", "en")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "both": None, "gettext_in": (2,)}


def _po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract():  # noqa: ANN201 - babel Catalog
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="watchdesk", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, strip_comment_tags=True
    ):
        if "i18n_tools" in filename:
            continue
        catalog.add(message, None, [(f"watchdesk/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def _read(lang: str):  # noqa: ANN202
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    path = _po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project="watchdesk", charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def update() -> None:
    from babel.messages.pofile import write_po

    template = extract()
    for lang in LANGUAGES:
        catalog = _read(lang)
        catalog.update(template, no_fuzzy_matching=True)
        path = _po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, ignore_obsolete=True, sort_output=True)
        print(f"{path}: {len(catalog)} messages, {sum(1 for m in catalog if m.id and not m.string)} untranslated")


def compiled(lang: str) -> bytes:
    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, _read(lang), use_fuzzy=False)
    return buf.getvalue()


def compile_all() -> None:
    for lang in LANGUAGES:
        mo = _po_path(lang).with_suffix(".mo")
        mo.write_bytes(compiled(lang))
        print(f"{mo}: written")


def problems() -> list[str]:
    out: list[str] = []
    template = extract()
    vi = _read("vi")
    for message in template:
        if not message.id:
            continue
        found = vi.get(message.id, context=message.context)
        if found is None or not found.string or (isinstance(found.string, tuple) and not all(found.string)):
            where = message.locations[0] if message.locations else ("?", 0)
            out.append(f"{where[0]}:{where[1]}: no Vietnamese translation for {message.id!r}")
        elif found.fuzzy or isinstance(found.id, tuple) != isinstance(message.id, tuple):
            # A fuzzy entry is left out of the .mo; a singular/plural mismatch is never looked up.
            where = message.locations[0] if message.locations else ("?", 0)
            out.append(f"{where[0]}:{where[1]}: the Vietnamese translation of {message.id!r} is fuzzy or of the wrong plural kind")
    for lang in LANGUAGES:
        mo = _po_path(lang).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(lang):
            out.append(f"{mo}: stale; run 'python -m watchdesk.i18n_tools compile'")
    return out


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
