"""Pilot tests of the shell: sign-in (with and without PIN), screens by number, help,
the palette, the bell and banner for new alerts, the log's verify, the roster's forms,
the sources' poll now."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import DataTable, Input, OptionList

from tests.tui.conftest import of_type, settle, wait_until
from tests.tui.screen_text import screen_text
from watchdesk.core.enums import AlertState
from watchdesk.feeds.items import RawItem
from watchdesk.feeds.normalize import normalize
from watchdesk.core.enums import Severity
from watchdesk.services.alerts import get_alert
from watchdesk.services.ingest import ingest_items
from watchdesk.services.officers import set_pin, sign_in
from watchdesk.services.roster import roster_now
from watchdesk.tui.messages import ActionDone, ActionRefused, NewAlerts, SignedIn
from watchdesk.tui.screens.alerts import AlertsScreen
from watchdesk.tui.screens.help import HelpScreen
from watchdesk.tui.screens.log import LogScreen
from watchdesk.tui.screens.roster import RosterScreen
from watchdesk.tui.screens.signin import SignInScreen
from watchdesk.tui.screens.sources import SourcesScreen
from watchdesk.tui.widgets.row_table import RowTable


async def test_sign_in_at_start_and_with_a_pin(make_desk, desk_rt, messages):
    set_pin(desk_rt, sign_in(desk_rt, "minh", None), "thu", "246813")
    app = make_desk(None, ask_sign_in=True)
    async with app.run_test(message_hook=messages.append) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, SignInScreen)
        assert "not signed in" in screen_text(app)
        app.screen.query_one("#officers").highlighted = [o.handle for o in app.screen.officers].index("thu")
        await pilot.press("enter")
        await pilot.pause()
        pin = app.screen.query_one("#pin", Input)
        assert app.focused is pin
        await pilot.press(*"1111", "enter")
        await settle(pilot, app)
        assert app.operator is None
        assert "wrong PIN for 'thu'" in screen_text(app)
        await pilot.press(*"246813", "enter")
        await settle(pilot, app)
        assert app.operator is not None and app.operator.handle == "thu"
        assert isinstance(app.screen, AlertsScreen)
        assert "operator: thu" in screen_text(app)
        assert [m.sentence for m in of_type(messages, ActionRefused)] == ["wrong PIN for 'thu'."]
        # ctrl+o changes the operator at handover; escape keeps the current one
        await pilot.press("ctrl+o")
        await settle(pilot, app)
        assert isinstance(app.screen, SignInScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.operator.handle == "thu"
    assert [m.actor.handle for m in of_type(messages, SignedIn)] == ["thu"]


async def test_number_keys_switch_screens_and_help_lists_every_binding(make_desk):
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        for key, kind in (("2", RosterScreen), ("3", SourcesScreen), ("4", LogScreen), ("1", AlertsScreen)):
            await pilot.press(key)
            await settle(pilot, app)
            assert isinstance(app.screen, kind)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.query_one("#help").query_one("Static").render().plain
        for word in ("Ack", "Resolve", "Snooze", "Escalate", "Search", "Filter", "Open link", "Call done",
                     "Prev week", "Generate", "Override", "Swap", "Poll now", "Verify", "Operator", "Command palette",
                     "Page up", "Last row", "Open the row", "Cancel"):
            assert word in text, word
        await pilot.press("escape")
        assert isinstance(app.screen, AlertsScreen)


async def test_a_screen_first_shown_is_not_restyled_from_scratch_until_the_theme_changes(make_desk, monkeypatch):
    """The first visit of a screen does not re-parse the whole stylesheet (0.4-0.7 s on 2 slow cores);
    after a theme change, a screen made before it takes the new colours when it shows again."""
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        refreshes: list[str] = []
        refresh_css = app.refresh_css
        monkeypatch.setattr(app, "refresh_css", lambda *a, **kw: (refreshes.append(app.current_mode), refresh_css(*a, **kw)))
        for key in "2341":
            await pilot.press(key)
            await settle(pilot, app)
        assert refreshes == []
        log_screen = app._screen_stacks["log"][0]
        before = log_screen.styles.background
        app.theme = "watchdesk-light"  # from the alerts screen: only its stack is restyled now
        await settle(pilot, app)
        await pilot.press("4")
        await settle(pilot, app)
        assert refreshes and log_screen.styles.background != before


async def test_palette_acknowledges_by_id(make_desk, ids, desk_rt, messages):
    app = make_desk("mai")
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*f"ack {ids['exchange']}")
        await wait_until(pilot, lambda: f"Acknowledge #{ids['exchange']}" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, app)
    assert get_alert(desk_rt, ids["exchange"]).acked_by == "mai"
    assert [(m.action, m.alert_id) for m in of_type(messages, ActionDone)] == [("acknowledge", ids["exchange"])]


async def test_palette_switches_operator_and_polls_now(make_desk, messages, monkeypatch):
    app = make_desk("hung")
    polled: list[str] = []
    monkeypatch.setattr(app, "poll_now", lambda key="": polled.append(key))
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"poll all")
        await wait_until(pilot, lambda: "Poll all sources now" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, app)
        assert polled == [""]
        await pilot.press("ctrl+p", *"switch operator")
        await wait_until(pilot, lambda: "Switch operator" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, SignInScreen)
        options = app.screen.query_one("#officers", OptionList)
        options.highlighted = [o.handle for o in app.screen.officers].index("lan")
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.operator.handle == "lan" and of_type(messages, SignedIn)[-1].actor.handle == "lan"


async def test_ctrl_t_cycles_the_themes_and_a_click_on_a_screen_name_goes_there(make_desk):
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        seen = [app.theme]
        for _ in range(3):
            await pilot.press("ctrl+t")
            await pilot.pause()
            seen.append(app.theme)
        assert seen == ["watchdesk-dark", "watchdesk-light", "watchdesk-high-contrast", "watchdesk-dark"]
        target = next(item for item in app.screen.query("NavItem") if item.mode == "log")
        await pilot.click(target)
        await settle(pilot, app)
        assert isinstance(app.screen, LogScreen)


async def test_palette_jumps_to_a_screen(make_desk):
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"go to roster")
        await wait_until(pilot, lambda: "Go to Roster" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, RosterScreen)


def _new_warning(rt, key: str, title: str) -> int:
    item = normalize(RawItem(native_id=key, title=title, summary="", severity="cao"), default_severity=Severity.MEDIUM, zone=rt.zone)
    return ingest_items(rt, "khonggianmang", [item]).new[0]


async def test_a_new_alert_rings_and_shows_a_banner_until_looked_at(make_desk, desk_rt, messages, monkeypatch):
    app = make_desk(watch=True)
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await pilot.press("2")  # the banner shows on every screen, not only the board
        assert await wait_until(pilot, lambda: app._last_version is not None)
        new_id = _new_warning(desk_rt, "ransomware-1", "Cảnh báo mã độc tống tiền mới")
        assert await wait_until(pilot, lambda: "NEW ALERT" in screen_text(app))
        assert f"#{new_id}" in screen_text(app) and bells
        assert [a.id for m in of_type(messages, NewAlerts) for a in m.alerts] == [new_id]
        await pilot.press("1", "x")  # dismissed on the board
        await pilot.pause()
        assert "NEW ALERT" not in screen_text(app)
        second = _new_warning(desk_rt, "ransomware-2", "Biến thể mới của mã độc")
        assert await wait_until(pilot, lambda: f"#{second}" in screen_text(app) and "NEW ALERT" in screen_text(app))
        app.open_alert(second)  # looking at it clears it
        await settle(pilot, app)
        await pilot.press("escape")
        await pilot.pause()
        assert "NEW ALERT" not in screen_text(app)


async def test_log_screen_filters_and_verifies(make_desk):
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("4")
        await settle(pilot, app)
        table = app.screen.query_one("#log-table", RowTable)
        assert table.row_count > 20
        await pilot.press("slash", *"lan")
        await settle(pilot, app)
        actors = {table.cell(e.seq, "actor").plain for e in table.rows}
        assert actors == {"lan"}
        app.screen.query_one("#log-kind", Input).value = "alert.*"
        await settle(pilot, app)
        kinds = {table.cell(e.seq, "kind").plain for e in table.rows}
        assert kinds and all(k.startswith("alert.") for k in kinds)
        await pilot.press("escape", "v")
        await settle(pilot, app)
        assert "audit log verified" in screen_text(app)


async def test_roster_grid_shows_who_and_now(make_desk, desk_rt):
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        await settle(pilot, app)
        text = screen_text(app)
        on_duty_l1 = roster_now(desk_rt)[1][0].officer
        assert on_duty_l1 in text and "│" in text and "Tue 17/02" in text
        assert "covered all week" in text
        await pilot.press("right")
        await settle(pilot, app)
        assert "Mon 23/02" in screen_text(app) and "GAP" in screen_text(app)  # after the watch: nobody rostered
        await pilot.press("t", "l")
        await settle(pilot, app)
        assert "level 2" in screen_text(app)
        await pilot.press("right_square_bracket")
        await settle(pilot, app)
        assert "Mon 23/02" in screen_text(app)
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(pilot, app)
        assert "Mon 09/02" in screen_text(app)


async def test_roster_override_as_a_lead_and_refused_for_an_officer(make_desk, desk_rt, messages):
    app = make_desk("hung")
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "o")
        await settle(pilot, app)
        assert "only leads and supervisors may" in of_type(messages, ActionRefused)[-1].sentence
    app = make_desk("lan")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "o")
        await pilot.pause()
        form = app.screen
        for name, value in (("handle", "mai"), ("level", "1"), ("start", "2026-02-17 03:00"), ("end", "2026-02-17 05:00"),
                            ("reason", "Hùng ốm")):
            form.query_one(f"#field-{name}", Input).value = value
        await pilot.click("#submit")
        await settle(pilot, app)
    from datetime import datetime

    at = datetime.fromisoformat("2026-02-17T04:00:00+07:00")
    assert [g.officer for g in roster_now(desk_rt, at)[1]] == ["mai"]


async def test_sources_screen_polls_now(tmp_path: Path, rt, clock, make_desk):
    from watchdesk.config import parse_config
    from watchdesk.services.runtime import open_runtime
    from watchdesk.tui.app import make_app

    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>Cảnh báo lỗ hổng nghiêm trọng trong Cisco IOS XE</title><link>https://example.vn/a</link>"
        "<guid>a-1</guid><description>Mức độ: nghiêm trọng</description></item></channel></rss>",
        encoding="utf-8",
    )
    config = parse_config({"sources": [{"key": "local", "kind": "rss", "url": feed.as_uri()}]})
    rt2 = open_runtime(config, db_path=str(tmp_path / "sources.db"), clock=clock)
    app = make_app(rt2, run_engine=False, watch=False, ask_sign_in=False, blink=False, start="sources")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert "never polled" in screen_text(app)
        await pilot.press("p")
        await settle(pilot, app)
        assert "local: ok, 1 new" in screen_text(app)
        table = app.screen.query_one("#sources-table", DataTable)
        assert table.get_row_at(0)[1].plain == "ok"
        await pilot.press("P")  # every source, due or not: the file is unchanged since the first poll
        await settle(pilot, app)
        assert "local: unchanged since the last poll" in screen_text(app)  # the CLI's words
    from watchdesk.services.alerts import list_alerts

    assert [a.title for a in list_alerts(rt2)] == ["Cảnh báo lỗ hổng nghiêm trọng trong Cisco IOS XE"]
    rt2.db.dispose()


async def test_keys_remapped_in_the_config(desk_rt, ids):
    """[desk] keys = {"alerts.acknowledge" = "k"}: k acknowledges, and the help shows k."""
    from dataclasses import replace as dc_replace

    from watchdesk.config import parse_config
    from watchdesk.tui.app import make_app

    rt = dc_replace(desk_rt, config=parse_config({"desk": {"keys": {"alerts.acknowledge": "k"}}}))
    app = make_app(rt, operator=sign_in(rt, "hung", None), run_engine=False, watch=False, ask_sign_in=False, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one("#board", RowTable)
        table.move_cursor(table.index_of(ids["exchange"]))
        await pilot.press("k")
        await settle(pilot, app)
        assert get_alert(rt, ids["exchange"]).state == AlertState.ACKNOWLEDGED
        await pilot.press("question_mark")
        await pilot.pause()
        help_text = app.screen.query_one("#help").query_one("Static").render().plain
        assert any(line.split()[:2] == ["k", "Ack"] for line in help_text.splitlines())


async def test_a_mistyped_binding_id_in_the_config_is_said_not_silently_ignored(desk_rt):
    """[desk] keys = {"alerts.acknowldge" = "k"}: the desk opens, and says which id it did not know."""
    from dataclasses import replace as dc_replace

    from watchdesk.config import parse_config
    from watchdesk.tui.app import make_app

    keys = {"alerts.acknowldge": "k", "alerts.acknowledge": "a"}
    rt = dc_replace(desk_rt, config=parse_config({"desk": {"keys": keys}}))
    app = make_app(rt, operator=sign_in(rt, "hung", None), run_engine=False, watch=False, ask_sign_in=False, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        said = [str(n.message) for n in app._notifications]
        assert [m for m in said if "'alerts.acknowldge' is not a key of the desk" in m and "press ?" in m]
        assert not [m for m in said if "'alerts.acknowledge'" in m]  # the right id is not named


async def test_the_desk_only_watches_while_serve_runs(make_desk, desk_rt, clock):
    """With `watchdesk serve` heartbeating against the database, the desk runs no engine cycle."""
    from watchdesk.store.models import Runner

    with desk_rt.db.write() as session:
        session.add(Runner(id="otherhost:4242:serve", kind="serve", started_at=clock.now(), heartbeat_at=clock.now()))
    app = make_desk(run_engine=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert await wait_until(pilot, lambda: "watching only" in app.engine_note)
        assert app._engine is None  # never built: serve runs the engine
        assert "watching only" in screen_text(app)


async def test_palette_verifies_the_log(make_desk):
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"verify")
        assert await wait_until(pilot, lambda: "Verify the audit log" in screen_text(app))
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: "audit log verified" in screen_text(app))
        assert isinstance(app.screen, LogScreen)


async def test_roster_generate_and_swap(make_desk, desk_rt):
    from datetime import datetime

    night = datetime.fromisoformat("2026-02-18T02:00:00+07:00")
    day = datetime.fromisoformat("2026-02-18T12:00:00+07:00")
    app = make_desk("minh")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "g")
        await pilot.pause()
        form = app.screen
        for name, value in (("period", "Tết Bính Ngọ 2026"), ("level", "1"), ("pattern", "2x12@07:30"),
                            ("officers", "thu mai"), ("replace", "y")):
            form.query_one(f"#field-{name}", Input).value = value
        await pilot.click("#submit")
        await settle(pilot, app)
        assert isinstance(app.screen, RosterScreen)
    l1 = {g.officer for at in (night, day) for g in roster_now(desk_rt, at)[1]}
    assert l1 <= {"thu", "mai"} and l1
    before_night = roster_now(desk_rt, night)[1][0].officer
    before_day = roster_now(desk_rt, day)[1][0].officer
    assert before_night != before_day
    app = make_desk("lan")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "w")
        await pilot.pause()
        form = app.screen
        for name, value in (("a", before_night), ("at_a", "2026-02-18 02:00"), ("b", before_day), ("at_b", "2026-02-18 12:00"),
                            ("reason", "Đổi ca vì việc gia đình")):
            form.query_one(f"#field-{name}", Input).value = value
        await pilot.click("#submit")
        await settle(pilot, app)
    assert roster_now(desk_rt, night)[1][0].officer == before_day
    assert roster_now(desk_rt, day)[1][0].officer == before_night
