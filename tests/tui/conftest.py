"""Fixtures for the desk's tests: the demo desk seeded at 02:00 on the first day of Tết 2026,
an app factory with the engine and the change watcher off (tests drive time and reloads),
cursor blink off, and a list of every message posted in the app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from textual.message import Message
from textual.pilot import Pilot

from watchdesk.clock import FakeClock
from watchdesk.demo.seed import seed_desk
from watchdesk.services.officers import sign_in
from watchdesk.services.runtime import Runtime
from watchdesk.tui.app import DeskApp, make_app


@pytest.fixture
def desk_rt(rt: Runtime, clock: FakeClock) -> Runtime:
    seed_desk(rt, clock)
    return rt


@pytest.fixture
def ids(desk_rt: Runtime) -> dict[str, int]:
    """Alert ids of the seeded warnings, by key."""
    from watchdesk.services.alerts import list_alerts

    by_title = {a.native_id: a.id for a in list_alerts(desk_rt)}
    return by_title


@pytest.fixture
def make_desk(desk_rt: Runtime) -> Callable[..., DeskApp]:
    def _make(operator: str | None = "hung", **options: Any) -> DeskApp:
        actor = sign_in(desk_rt, operator, None) if operator else None
        options = {"run_engine": False, "watch": False, "ask_sign_in": False, "blink": False, **options}
        return make_app(desk_rt, operator=actor, **options)

    return _make


@pytest.fixture
def messages() -> list[Message]:
    return []


async def settle(pilot: Pilot, app: DeskApp) -> None:
    """Let workers finish and their messages be handled (no fixed sleep)."""
    for _round in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll `condition` with short pauses up to a deadline (for things that take real time)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


def of_type(messages: list[Message], kind: type) -> list[Any]:
    return [m for m in messages if isinstance(m, kind)]
