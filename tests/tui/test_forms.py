"""Forms behave one way, at 80×24 too: every field and button is reached by Tab and shown when
reached; a blank field takes the default its label shows or the form says it is needed; a
refused value keeps the form open with what was typed and the reason. The board's search
reaches the whole history from the desk."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from textual.widget import Widget
from textual.widgets import Button, Input

from tests.tui.conftest import settle
from tests.tui.screen_text import screen_text
from tests.tui.test_flows import board, board_ids, select_alert
from watchdesk.services.alerts import get_alert
from watchdesk.services.roster import roster_now
from watchdesk.tui.screens import alerts as alerts_screen
from watchdesk.tui.screens.alerts import AlertsScreen
from watchdesk.tui.screens.forms import FormScreen, PromptForm
from watchdesk.tui.screens.roster import RosterScreen


def _shown(app, widget: Widget) -> bool:
    """The widget is what the officer sees at the middle of its own region (on screen, not under anything)."""
    region = widget.region
    if not region.area:
        return False
    x, y = region.x + region.width // 2, region.y + region.height // 2
    if not (0 <= x < app.size.width and 0 <= y < app.size.height):
        return False
    under, _ = app.screen.get_widget_at(x, y)
    return under is widget or widget in under.ancestors_with_self


# (operator, keys that open the form): every form and dialog an officer fills in on the desk
FORMS = [
    pytest.param("lan", ("2", "o"), id="roster-override"),
    pytest.param("minh", ("2", "g"), id="roster-generate"),
    pytest.param("lan", ("2", "w"), id="roster-swap"),
    pytest.param("hung", ("s",), id="snooze"),
    pytest.param("hung", ("r",), id="resolve"),
    pytest.param("hung", ("n",), id="note"),
    pytest.param("lan", ("e",), id="escalate"),
    pytest.param("lan", ("g",), id="assign"),
    pytest.param("hung", ("f",), id="filter"),
    pytest.param("hung", ("5", "s"), id="handover-sign-out"),
]


@pytest.mark.parametrize(("operator", "keys"), FORMS)
async def test_tab_reaches_every_field_and_button_at_80x24_and_shows_it(make_desk, operator, keys):
    app = make_desk(operator)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press(*keys)
        await settle(pilot, app)
        form = app.screen
        assert isinstance(form, FormScreen)
        wanted = [w for w in form.query("Input, Button, Select") if w.focusable]
        assert len(wanted) >= 3
        reached: list[Widget] = []
        for _ in range(len(wanted) + 1):
            focused = app.focused
            assert focused is not None
            assert _shown(app, focused), f"{focused!r} has focus but is off screen"
            if focused not in reached:
                reached.append(focused)
            await pilot.press("tab")
            await pilot.pause()
        assert set(reached) == set(wanted)
        # the buttons stay in sight while the first field is being filled in
        await pilot.press("shift+tab")
        for w in form.query(Button):
            assert _shown(app, w)


async def test_a_blank_snooze_takes_the_default_its_label_shows(make_desk, ids, desk_rt, clock):
    app = make_desk("hung")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["exchange"])
        await pilot.press("s")
        await settle(pilot, app)
        assert "For how long (blank: 30m)" in screen_text(app)
        assert app.screen.query_one("#field-duration", Input).value == ""  # nothing typed for the officer
        await pilot.press("enter", *"Chờ nhà cung cấp", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, AlertsScreen)
    assert get_alert(desk_rt, ids["exchange"]).snoozed_until == clock.now() + timedelta(minutes=30)


async def test_a_blank_assign_takes_the_officer_on_duty_it_names(make_desk, ids, desk_rt):
    app = make_desk("lan")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["exchange"])
        await pilot.press("g")
        await settle(pilot, app)
        assert "Officer's handle (blank: thu)" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, AlertsScreen)
    assert get_alert(desk_rt, ids["exchange"]).assignee == "thu"


async def test_a_blank_needed_field_says_so_and_goes_to_it(make_desk, desk_rt):
    app = make_desk("lan")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "o")
        await settle(pilot, app)
        form = app.screen
        assert "Reason (needed)" in screen_text(app) and "Level (blank: 1)" in screen_text(app)
        for name, value in (("handle", "mai"), ("start", "2026-02-17 03:00"), ("end", "2026-02-17 05:00")):
            form.query_one(f"#field-{name}", Input).value = value
        form.query_one("#field-level", Input).value = ""  # blank: the level shown (1)
        await pilot.click("#submit")
        await settle(pilot, app)
        assert app.screen is form
        assert "Needed: Reason." in screen_text(app)
        assert app.focused is form.query_one("#field-reason", Input)
        await pilot.press(*"Hùng ốm", "enter", "enter")  # reason, then approved-by (optional): submits
        await settle(pilot, app)
        assert isinstance(app.screen, RosterScreen)
    at = datetime.fromisoformat("2026-02-17T04:00:00+07:00")
    assert [g.officer for g in roster_now(desk_rt, at)[1]] == ["mai"]


async def test_a_refused_snooze_keeps_the_form_and_what_was_typed(make_desk, ids, desk_rt):
    app = make_desk("hung")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["exchange"])
        await pilot.press("s")
        await settle(pilot, app)
        form = app.screen
        await pilot.press(*"5h", "enter", *"Chờ nhà cung cấp trả lời", "enter")
        await settle(pilot, app)
        assert app.screen is form  # the service refused: the form stays
        assert form.query_one("#field-duration", Input).value == "5h"
        assert form.query_one("#field-reason", Input).value == "Chờ nhà cung cấp trả lời"
        assert "at most" in screen_text(app)  # the service's sentence, on the form
        form.query_one("#field-duration", Input).value = "1h"
        await pilot.click("#submit")
        await settle(pilot, app)
        assert isinstance(app.screen, AlertsScreen)
    assert get_alert(desk_rt, ids["exchange"]).snoozed_until is not None


async def test_a_refused_override_keeps_the_form(make_desk, desk_rt):
    app = make_desk("lan")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "o")
        await settle(pilot, app)
        form = app.screen
        for name, value in (("handle", "mai"), ("start", "17/02 03:00"), ("end", "2026-02-17 05:00"), ("reason", "Hùng ốm")):
            form.query_one(f"#field-{name}", Input).value = value
        await pilot.click("#submit")
        await settle(pilot, app)
        assert app.screen is form
        assert form.query_one("#field-reason", Input).value == "Hùng ốm"
        assert "17/02 03:00" in screen_text(app)  # the sentence names the value refused
        form.query_one("#field-level", Input).value = "7"
        form.query_one("#field-start", Input).value = "2026-02-17 03:00"
        await pilot.click("#submit")
        await settle(pilot, app)
        assert app.screen is form and "The level must be 1, 2 or 3." in screen_text(app)


async def test_the_board_searches_the_whole_history_on_request(make_desk, ids, monkeypatch):
    # The board loads the latest resolved alert only: the older one (the January botnet list) is
    # found only by searching the whole history.
    monkeypatch.setattr(alerts_screen, "RESOLVED_SHOWN", 1)
    app = make_desk("hung")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert ids["botnet-2026-01"] not in board_ids(app)
        await pilot.press("slash", *"botnet", "enter")
        await settle(pilot, app)
        assert board_ids(app) == []
        text = " ".join(screen_text(app).split())
        assert "press h to search the whole history" in text and "watchdesk alert list" not in text
        await pilot.press("h")
        await settle(pilot, app)
        assert board_ids(app) == [ids["botnet-2026-01"]]
        assert "1 alert in the whole history matches 'botnet'." in screen_text(app)
        await pilot.press("escape")  # clears the search and goes back to the board's own rows
        await settle(pilot, app)
        assert ids["botnet-2026-01"] not in board_ids(app) and board(app).row_count > 1


async def test_the_palette_searches_the_whole_history(make_desk, ids, monkeypatch):
    monkeypatch.setattr(alerts_screen, "RESOLVED_SHOWN", 1)
    app = make_desk("hung")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"search all history")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.focused, Input) and app.focused.id == "search"
        await pilot.press(*"botnet")
        await settle(pilot, app)
        assert board_ids(app) == [ids["botnet-2026-01"]]
        assert isinstance(app.screen, AlertsScreen) and not isinstance(app.screen, PromptForm)
