"""Cleaning untrusted text and folding Vietnamese for search."""

from __future__ import annotations

import pytest

from watchdesk.core.text import clean_line, clean_text, fold, matches

DANGEROUS = [
    ("\x1b]52;c;ZXZpbA==\x07", "OSC 52 clipboard write"),
    ("\x1b]0;pwned\x1b\\", "OSC 0 window title"),
    ("\x1b[2J", "clear screen"),
    ("\x9b31m", "8-bit CSI"),
    ("\x00", "NUL"),
    ("\u202e", "right-to-left override"),
    ("\u200b", "zero-width space"),
    ("\x1bP1$r\x1b\\", "DCS"),
    ("\x07", "BEL"),
]


@pytest.mark.parametrize("payload,what", DANGEROUS)
def test_control_sequences_are_removed(payload: str, what: str) -> None:
    cleaned = clean_line(f"Lỗ hổng {payload}FortiOS")
    assert cleaned == "Lỗ hổng FortiOS", what
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in cleaned)


def test_markup_brackets_are_kept_as_text() -> None:
    assert clean_line("[@click=app.quit]Bấm vào đây[/x]") == "[@click=app.quit]Bấm vào đây[/x]"


def test_nfc_normalisation() -> None:
    decomposed = "nghie\u0302\u0303m"  # e + combining circumflex + tilde
    assert clean_line(decomposed) == "nghiễm"


def test_multiline_keeps_paragraphs_and_folds_crlf() -> None:
    text = "Dòng 1\r\nDòng   2\n\n\n\nĐoạn 2\t tab"
    assert clean_text(text) == "Dòng 1\nDòng 2\n\nĐoạn 2 tab"


def test_max_length() -> None:
    assert clean_line("a" * 50, max_length=10) == "a" * 9 + "…"


def test_fold_vietnamese() -> None:
    assert fold("Nghiêm TRỌNG") == "nghiem trong"
    assert fold("Đà Nẵng") == "da nang"
    assert matches("nghiem trong", "Cảnh báo lỗ hổng nghiêm trọng")
    assert matches("da nang fortios", "Đà Nẵng", "FortiOS")
    assert not matches("thap", "mức cao")
