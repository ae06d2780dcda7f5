"""The desk's sign-in and PINs: it always asks the PIN of an officer who has one (an OS-account
binding is for the CLI only), a wrong PIN counts towards the shared back-off and is audited, and
only the demo desk says its officers have none."""

from __future__ import annotations

from textual.widgets import Input

from tests.conftest import TEST_PIN
from tests.tui.conftest import settle
from tests.tui.screen_text import screen_text
from watchdesk.cli.common import os_account
from watchdesk.core.records import Actor
from watchdesk.services.officers import set_os_user
from watchdesk.services.runtime import Runtime
from watchdesk.store import audit
from watchdesk.tui.app import make_app
from watchdesk.tui.screens.signin import SignInScreen

DEMO_NOTE = "Demo desk: its officers have no PIN; a real desk asks for one."


async def test_the_desk_asks_the_pin_even_of_an_officer_bound_to_this_account(rt: Runtime, staff: dict[str, Actor]) -> None:
    set_os_user(rt, staff["minh"], "lan", os_account())
    app = make_app(rt, operator=None, run_engine=False, watch=False, ask_sign_in=True, blink=False)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, SignInScreen)
        assert DEMO_NOTE not in screen_text(app)
        app.screen.query_one("#officers").highlighted = [o.handle for o in app.screen.officers].index("lan")
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is app.screen.query_one("#pin", Input)
        assert app.operator is None
        await pilot.press(*"000000", "enter")
        await settle(pilot, app)
        assert app.operator is None and "wrong PIN for 'lan'" in screen_text(app)
        await pilot.press(*TEST_PIN, "enter")
        await settle(pilot, app)
        assert app.operator is not None and app.operator.handle == "lan" and app.operator.proof == "pin"
    failed = [e for e in audit.tail(rt.db, 20) if e.kind == "officer.pin_failed"]
    assert [e.payload["where"] for e in failed] == ["desk"]


async def test_the_demo_desk_says_it_has_no_pins(make_desk) -> None:
    app = make_desk(None, ask_sign_in=True)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, SignInScreen)
        assert DEMO_NOTE in screen_text(app)
