"""The desk's opening, the CLI's way: the shell paints before the runtime is open, the rows come
after; a database that cannot be opened is one sentence on the board; the engine's runner row
goes when the desk exits."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import timedelta

from textual.message import Message
from textual.widgets import Static

from tests.tui.conftest import of_type, settle, wait_until
from tests.tui.screen_text import screen_text
from watchdesk.config_file import ShellSettings
from watchdesk.services.runtime import Runtime
from watchdesk.store.db import DatabaseError
from watchdesk.tui.app import DeskOpener, make_app
from watchdesk.tui.messages import RuntimeFailed, RuntimeOpened
from watchdesk.tui.screens.opening import OpeningScreen
from watchdesk.tui.widgets.row_table import RowTable


def _opener(rt: Runtime, open_: Callable[[], Runtime]) -> DeskOpener:
    return DeskOpener(ShellSettings.from_config(rt.config, "/srv/watchdesk/desk.db"), rt.clock, open_)


def _gated(rt: Runtime) -> tuple[DeskOpener, threading.Event, list[str]]:
    """An opener that blocks until the test releases it (no sleeps: the test owns the moment)."""
    release = threading.Event()
    calls: list[str] = []

    def open_() -> Runtime:
        calls.append(threading.current_thread().name)
        assert release.wait(10), "the test never released the opener"
        return rt

    return _opener(rt, open_), release, calls


async def test_a_slow_opening_says_why_it_may_wait(desk_rt: Runtime, clock) -> None:
    """A database another process holds locked keeps the desk waiting up to busy_timeout: after
    5 s the board says what may be going on and how to leave, and the rows follow once open."""
    opener, release, _calls = _gated(desk_rt)
    app = make_app(opener, run_engine=False, watch=False, ask_sign_in=False, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        clock.set(clock.now() + timedelta(seconds=4))
        app.screen.tick()
        await pilot.pause()
        assert "Still opening" not in screen_text(app)
        clock.set(clock.now() + timedelta(seconds=3))
        app.screen.tick()
        await pilot.pause()
        assert "Still opening after 7s: another watchdesk process may be writing to it" in screen_text(app)
        release.set()
        await settle(pilot, app)
        assert app.is_open and app.screen.query_one("#board", RowTable).row_count > 0


async def test_shell_first_then_the_rows(desk_rt: Runtime) -> None:
    opener, release, calls = _gated(desk_rt)
    messages: list[Message] = []
    app = make_app(opener, run_engine=False, watch=False, ask_sign_in=False, blink=False)
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await pilot.pause()
        # The shell: header (desk name, the clock's time), screen names, board says it is opening.
        assert isinstance(app.screen, OpeningScreen)
        assert not app.is_open and app.rt is None
        text = screen_text(app)
        assert "Opening the database…  /srv/watchdesk/desk.db" in text
        assert "02:00:00 17/02/2026" in text  # the injected clock, in the desk's zone
        assert "not signed in (ctrl+o)" in text
        assert not app.screen.query("#board")
        # Keys that need the database wait for it quietly.
        await pilot.press("4", "ctrl+o", "2")
        await pilot.pause()
        assert isinstance(app.screen, OpeningScreen)
        assert calls and calls[0] != threading.main_thread().name  # opened in a thread worker
        release.set()
        await settle(pilot, app)
        assert app.is_open and app.rt is desk_rt
        assert app.current_mode == "alerts"
        board = app.screen_stack[0].query_one("#board", RowTable)
        assert board.row_count > 0
        # ctrl+o pressed while opening: the sign-in is asked now that the officers can be read.
        assert type(app.screen).__name__ == "SignInScreen"
    assert len(of_type(messages, RuntimeOpened)) == 1
    assert not of_type(messages, RuntimeFailed)


async def test_sign_in_asked_once_open(desk_rt: Runtime) -> None:
    opener, release, _calls = _gated(desk_rt)
    app = make_app(opener, run_engine=False, watch=False, blink=False)  # ask_sign_in defaults to True
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, OpeningScreen)
        release.set()
        await settle(pilot, app)
        assert type(app.screen).__name__ == "SignInScreen"
        assert "hung" in screen_text(app)


async def test_a_database_error_is_one_sentence(desk_rt: Runtime) -> None:
    sentence = "/srv/watchdesk/desk.db: the database is locked by another program; try again, or raise [database] busy_timeout."

    def open_() -> Runtime:
        raise DatabaseError(sentence)

    messages: list[Message] = []
    app = make_app(_opener(desk_rt, open_), run_engine=False, watch=False, blink=False)
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        assert [m.sentence for m in of_type(messages, RuntimeFailed)] == [sentence]
        assert app.open_failure == sentence
        assert isinstance(app.screen, OpeningScreen)
        board = app.screen.query_one("#opening", Static)
        assert board.has_class("-error")
        text = " ".join(screen_text(app).split())
        assert sentence in text and "ctrl+q quits" in text
        assert "Traceback" not in text
        # Nothing crashes on the keys an officer would try.
        await pilot.press("1", "4", "ctrl+o", "question_mark")
        await settle(pilot, app)
        assert app.is_running and not app.is_open
    assert app.return_code in (0, None)


async def test_an_unexpected_error_is_one_sentence_too(desk_rt: Runtime) -> None:
    def open_() -> Runtime:
        raise sqlite3.OperationalError("disk I/O error\n  at line 3")

    app = make_app(_opener(desk_rt, open_), run_engine=False, watch=False, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert app.open_failure == (
            "The database could not be opened (OperationalError: disk I/O error at line 3); check the path, "
            "its permissions and the [database] section of the config."
        )
        assert "\n" not in app.open_failure


async def test_runtime_given_opens_at_once(make_desk) -> None:
    """The demo and the tests pass an open Runtime: no shell, the board is the first screen."""
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.is_open
        await settle(pilot, app)
        assert app.current_mode == "alerts"
        assert app.screen.query_one("#board", RowTable).row_count > 0


def _runners(rt: Runtime) -> list[tuple[str, str]]:
    from sqlalchemy import text

    with rt.db.read() as session:
        return [tuple(r) for r in session.connection().execute(text("SELECT id, kind FROM runner")).all()]


async def test_the_desk_engine_leaves_no_runner_row(desk_rt: Runtime) -> None:
    opener, release, _calls = _gated(desk_rt)
    release.set()
    app = make_app(opener, run_engine=True, watch=False, ask_sign_in=False, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert app.is_open
        assert [kind for _id, kind in _runners(desk_rt)] == ["desk"]  # the engine ran a tick here
        engine = app._engine
    assert _runners(desk_rt) == []
    assert engine.tick().busy is False  # a tick after close does nothing, and writes no heartbeat
    assert _runners(desk_rt) == []


async def test_a_desk_whose_engine_stands_by_says_whose_engine_works(desk_rt: Runtime) -> None:
    """Several desks on one database, no `serve`: the first desk's engine holds every job, and the
    next desk says it is standing by and whose engine does the work (it said nothing)."""
    from watchdesk.store import runners

    with desk_rt.db.write() as session:  # another desk's engine, alive, holding the jobs
        runners.heartbeat(session, "other-host:7:desk", "desk", desk_rt.now(), desk_rt.now())
        runners.take_leases(session, "other-host:7:desk", desk_rt.now())
    opener, release, _calls = _gated(desk_rt)
    release.set()
    app = make_app(opener, run_engine=True, watch=False, ask_sign_in=False, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert await wait_until(pilot, lambda: app.engine_note != "", timeout=5)
        assert app.engine_note == "standing by: the engine of other-host:7:desk does the work"
