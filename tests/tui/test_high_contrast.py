"""The high-contrast theme's alarm colours: the NEW ALERT banner in black on red, not light
pink on salmon, whether the theme comes from the config or from ctrl+t."""

from __future__ import annotations

from dataclasses import replace

from rich.color import Color

from tests.tui.conftest import settle
from watchdesk.config import parse_config
from watchdesk.services.alerts import list_alerts
from watchdesk.tui.app import make_app
from watchdesk.tui.messages import NewAlerts
from watchdesk.tui.widgets.banner import NewAlertBanner


def _contrast(one: Color, other: Color) -> float:
    def luminance(color: Color) -> float:
        channels = [c / 255 for c in color.get_truecolor()]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


async def _banner_colours(app, desk_rt) -> tuple[Color, Color]:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        if app.theme != "watchdesk-high-contrast":
            await pilot.press("ctrl+t", "ctrl+t")  # dark -> light -> high contrast
        app.post_message(NewAlerts([list_alerts(desk_rt)[0]], []))
        await settle(pilot, app)
        assert app.theme == "watchdesk-high-contrast"
        style = app.screen.query_one(NewAlertBanner).rich_style
        return style.color, style.bgcolor


async def test_the_banner_reads_in_high_contrast_from_ctrl_t(make_desk, desk_rt):
    text, background = await _banner_colours(make_desk("hung"), desk_rt)
    assert _contrast(text, background) >= 4.5, (text, background)


async def test_the_banner_reads_in_high_contrast_from_the_config(desk_rt):
    config = parse_config({"desk": {"theme": "high-contrast"}})
    app = make_app(replace(desk_rt, config=config), run_engine=False, watch=False, ask_sign_in=False, blink=False)
    text, background = await _banner_colours(app, desk_rt)
    assert _contrast(text, background) >= 4.5, (text, background)
