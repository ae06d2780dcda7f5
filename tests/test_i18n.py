"""The catalogs: every UI string has Vietnamese, the .mo files are current, the language follows config or locale."""

from __future__ import annotations

import pytest

from watchdesk import i18n
from watchdesk.i18n_tools import problems


@pytest.fixture(autouse=True)
def _english_after() -> None:
    yield
    i18n.set_language("en")


def test_every_string_is_translated_and_compiled() -> None:
    assert problems() == []


def test_vietnamese_and_english() -> None:
    i18n.set_language("vi")
    assert i18n._("Acknowledge") == "Xác nhận"
    assert i18n._("Roster") == "Lịch trực"
    assert i18n._("Acknowledged #{id}.").format(id=8) == "Đã xác nhận #8."
    i18n.set_language("en")
    assert i18n._("Roster") == "Roster"


@pytest.mark.parametrize("env,expected", [("vi_VN.UTF-8", "vi"), ("en_US.UTF-8", "en"), ("C", "en"), ("fr_FR.UTF-8", "en")])
def test_language_follows_the_locale(monkeypatch: pytest.MonkeyPatch, env: str, expected: str) -> None:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", env)
    assert i18n.set_language("") == expected
