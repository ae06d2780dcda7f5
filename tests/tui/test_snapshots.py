"""Snapshots of every main screen at 80×24 and 120×40: the demo desk at 02:00 on the first
day of Tết 2026 (frozen FakeClock, seeded data, engine and watcher off, no cursor blink)."""

from __future__ import annotations

import random

import pytest

from tests.tui.conftest import settle
from watchdesk.config import parse_config

# A screen draws the same from either backend, and a snapshot's name carries no backend: these are
# SQLite's. The desk's reads on PostgreSQL are the other tui tests' (they run on both).
pytestmark = pytest.mark.sqlite_only

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
# A source that fails the same way on every machine, and one never polled.
SOURCES = [
    {"key": "khonggianmang", "name": "Cảnh báo an toàn thông tin", "kind": "html",
     "url": "file:///nonexistent/watchdesk/canhbaoattt.html", "mapping": {"item": "article"}},
    {"key": "cisa-kev", "name": "CISA KEV", "kind": "json", "preset": "cisa-kev",
     "url": "file:///nonexistent/watchdesk/kev.json"},
    {"key": "irlab", "name": "IRLab (nhập tay)", "kind": "manual"},
]


@pytest.fixture
def config():
    return parse_config({"desk": {"name": "Trực ATTT — Sở TT&TT"}, "sources": SOURCES})


def _before(*keys: str):
    async def run_before(pilot) -> None:
        app = pilot.app
        await settle(pilot, app)
        for key in keys:  # one at a time: a key may open a form whose worker must finish first
            await pilot.press(key)
            await settle(pilot, app)
        await settle(pilot, app)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_alerts_board(snap_compare, make_desk, size):
    assert snap_compare(make_desk("hung"), terminal_size=size, run_before=_before())


@pytest.mark.parametrize("size", SIZES)
def test_alert_detail(snap_compare, make_desk, size):
    # the board's first row is the exhausted Tomcat alert, the second the FortiOS alert
    # escalating live; down and enter open it
    assert snap_compare(make_desk("hung"), terminal_size=size, run_before=_before("down", "enter"))


@pytest.mark.parametrize("size", SIZES)
def test_roster(snap_compare, make_desk, size):
    assert snap_compare(make_desk("lan"), terminal_size=size, run_before=_before("2"))


@pytest.mark.parametrize("size", SIZES)
def test_sources(snap_compare, make_desk, size, monkeypatch):
    # poll all: both fetches fail (no such file) and the screen shows why; the retry's
    # jitter is pinned so the next-poll times are the same on every run
    monkeypatch.setattr(random, "uniform", lambda low, high: (low + high) / 2)
    assert snap_compare(make_desk("hung"), terminal_size=size, run_before=_before("3", "P"))


@pytest.mark.parametrize("size", SIZES)
def test_log(snap_compare, make_desk, size):
    assert snap_compare(make_desk("minh"), terminal_size=size, run_before=_before("4", "v"))


@pytest.mark.parametrize("size", SIZES)
def test_handover(snap_compare, make_desk, size):
    # the draft of the shift running at 02:00: open alerts carried over, breaches, sources
    assert snap_compare(make_desk("hung"), terminal_size=size, run_before=_before("5"))


@pytest.mark.parametrize("size", SIZES)
def test_reports(snap_compare, make_desk, size):
    # the current watch period: proof line, the three charts (hours named by local time), tables
    assert snap_compare(make_desk("minh"), terminal_size=size, run_before=_before("6"))


def test_sign_in(snap_compare, make_desk):
    assert snap_compare(make_desk(None, ask_sign_in=True), terminal_size=(80, 24), run_before=_before())


def test_alerts_board_light(snap_compare, make_desk):
    app = make_desk("hung")

    async def run_before(pilot) -> None:
        await settle(pilot, app)
        app.theme = "watchdesk-light"
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_help_high_contrast(snap_compare, make_desk, desk_rt):
    app = make_desk("hung")

    async def run_before(pilot) -> None:
        await settle(pilot, app)
        app.theme = "watchdesk-high-contrast"
        await pilot.press("question_mark")
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


# Every form and dialog, at both sizes: (operator, keys that open it). At 80×24 each field takes
# one line and the buttons stay in sight; at 120×40 the fields have their frames.
DIALOGS = [
    ("hung", ("r",), "resolve"),
    ("hung", ("n",), "note"),
    ("lan", ("e",), "escalate"),
    ("hung", ("s",), "snooze"),
    ("lan", ("g",), "assign"),
    ("hung", ("f",), "filter"),
    ("minh", ("2", "g"), "roster_generate"),
    ("lan", ("2", "o"), "roster_override"),
    ("lan", ("2", "w"), "roster_swap"),
    ("thu", ("5", "s"), "handover_sign_out"),
    ("thu", ("5", "s", "enter"), "handover_early_confirm"),
    ("mai", ("5", "a"), "handover_accept"),
    ("hung", ("enter", "c"), "call_outcome"),
    ("hung", ("question_mark",), "help"),
]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("operator", "keys"), [pytest.param(op, keys, id=name) for op, keys, name in DIALOGS])
def test_dialog(snap_compare, make_desk, size, operator, keys):
    assert snap_compare(make_desk(operator), terminal_size=size, run_before=_before(*keys))


@pytest.mark.parametrize("size", SIZES)
def test_dialog_refused_snooze(snap_compare, make_desk, size):
    # asked for 5 h (more than alerts.snooze_max): the form stays, with what was typed and why
    keys = ("s", *"5h", "enter", *"Chờ nhà cung cấp trả lời", "enter")
    assert snap_compare(make_desk("hung"), terminal_size=size, run_before=_before(*keys))
