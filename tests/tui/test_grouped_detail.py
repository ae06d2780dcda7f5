"""A grouped alert's screen: it says whose escalation covers it, shows that alert's steps ahead,
and `x` splits it off (the help lists the key)."""

from __future__ import annotations

from tests.tui.conftest import settle
from tests.tui.screen_text import screen_text
from watchdesk.services.alerts import get_alert
from watchdesk.tui.screens.help import help_text


async def test_a_grouped_alert_shows_its_cover_and_x_splits_it_off(make_desk, ids, desk_rt):
    child, parent = ids["kev-fortios"], ids["fortios"]
    assert get_alert(desk_rt, child).joined_to == parent
    app = make_desk("hung")
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot, app)
        app.open_alert(child)
        await settle(pilot, app)
        text = " ".join(screen_text(app).split())
        assert f"grouped under: #{parent} (x: split off)" in text
        assert f"Covered by #{parent}: its steps page for this alert too." in text
        assert "(no further steps)" not in text
        await pilot.press("x")
        await settle(pilot, app)
        record = get_alert(desk_rt, child)
        assert record.joined_to is None and record.next_escalation_at == desk_rt.now()
        assert f"#{child} split off #{parent}; it pages on its own from level 1." in " ".join(screen_text(app).split())
        await pilot.press("x")
        await settle(pilot, app)
        assert "This alert is not grouped under another; there is nothing to split." in screen_text(app)


def test_the_help_lists_the_split_key() -> None:
    assert "Split off" in help_text([]).plain
