"""Pilot tests of every binding and flow on the board and the detail screen, asserting on
the database (through the services) and on the messages the desk posts."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input, Select

from tests.tui.conftest import of_type, settle, wait_until
from tests.tui.screen_text import screen_text
from watchdesk.core.enums import AlertState, Severity
from watchdesk.services.alerts import get_alert
from watchdesk.store.audit import events_for
from watchdesk.tui.messages import ActionDone, ActionRefused, SignedIn
from watchdesk.tui.screens.alerts import AlertsScreen
from watchdesk.tui.screens.detail import AlertDetailScreen
from watchdesk.tui.screens.forms import FilterForm, PromptForm
from watchdesk.tui.screens.signin import SignInScreen
from watchdesk.tui.widgets.row_table import RowTable


def board(app) -> RowTable:
    return app.screen.query_one("#board", RowTable)


def board_ids(app) -> list[int]:
    return [a.id for a in board(app).rows]


async def select_alert(pilot, app, alert_id: int) -> None:
    table = board(app)
    table.move_cursor(table.index_of(alert_id))
    await pilot.pause()


async def test_the_clock_counts_on_the_board_rendering_only_rows_that_changed(make_desk, ids, desk_rt, clock):
    """A tick re-renders only the rows whose age or countdown text moved, and a frozen clock none."""
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        table, screen = board(app), app.screen
        rendered = table.rendered
        screen.tick()
        await pilot.pause()
        assert table.rendered == rendered  # the clock did not move: nothing to render
        before = table.cell(ids["fortios"], "age").plain
        clock.set(clock.now() + timedelta(minutes=2))
        screen.tick()
        await pilot.pause()
        after = table.cell(ids["fortios"], "age").plain
        assert after != before and after in screen_text(app)
        assert 0 < table.rendered - rendered <= table.row_count  # each row once, whose age moved
        rendered = table.rendered
        screen.tick()
        await pilot.pause()
        assert table.rendered == rendered


async def test_board_order_by_urgency(make_desk, ids, desk_rt):
    """Unacknowledged first, the exhausted one (HIGH, its escalation ran out) above the new
    criticals; then by severity and deadline; a joined alert right after its parent; then
    acknowledged, then resolved (the latest first)."""
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        shown = board_ids(app)
        assert shown == [ids[k] for k in ("tomcat", "fortios", "kev-fortios", "exchange", "phishing-dvc", "nvd-openssl",
                                          "apt-tet", "kev-ivanti", "botnet-2026-01")]
        states = [get_alert(desk_rt, i).state for i in shown]
        assert states == sorted(states, key=[AlertState.NEW, AlertState.ACKNOWLEDGED, AlertState.RESOLVED].index)
        assert get_alert(desk_rt, ids["tomcat"]).exhausted and get_alert(desk_rt, ids["kev-fortios"]).joined_to == ids["fortios"]


async def test_acknowledge_with_a(make_desk, ids, desk_rt, messages):
    app = make_desk("hung")
    async with app.run_test(message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["fortios"])
        await pilot.press("a")
        await settle(pilot, app)
        alert = get_alert(desk_rt, ids["fortios"])
        assert alert.state == AlertState.ACKNOWLEDGED and alert.acked_by == "hung"
        done = of_type(messages, ActionDone)
        assert [(d.action, d.alert_id) for d in done] == [("acknowledge", ids["fortios"])]
        assert "Acknowledged #%d." % ids["fortios"] in screen_text(app)
        # a second press loses: the alert is no longer new, and the desk says so
        await pilot.press("a")
        await settle(pilot, app)
        refused = of_type(messages, ActionRefused)
        assert refused and "hung" in refused[-1].sentence


async def test_resolve_asks_for_a_note(make_desk, ids, desk_rt, messages):
    app = make_desk("hung")
    async with app.run_test(message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["apt-tet"])
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, PromptForm)
        await pilot.press("enter")  # empty note: the form stays and says what is missing
        await pilot.pause()
        assert isinstance(app.screen, PromptForm)
        assert "Needed: Resolution note" in screen_text(app)
        await pilot.press(*"Đã chặn tên miền C2")
        await pilot.press("enter")
        await settle(pilot, app)
        alert = get_alert(desk_rt, ids["apt-tet"])
        assert alert.state == AlertState.RESOLVED
        assert alert.resolution == "Đã chặn tên miền C2" and alert.resolved_by == "hung"
        assert isinstance(app.screen, AlertsScreen)


async def test_escape_cancels_a_form(make_desk, ids, desk_rt):
    app = make_desk("hung")
    async with app.run_test() as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["apt-tet"])
        await pilot.press("r", "escape")
        await settle(pilot, app)
        assert isinstance(app.screen, AlertsScreen)
        assert get_alert(desk_rt, ids["apt-tet"]).state == AlertState.ACKNOWLEDGED


async def test_note_with_n(make_desk, ids, desk_rt, messages):
    app = make_desk("thu")
    async with app.run_test(message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["tomcat"])
        await pilot.press("n", *"Đang gọi quản trị máy chủ", "enter")
        await settle(pilot, app)
        notes = [e for e in events_for(desk_rt.db, "alert", ids["tomcat"]) if e.kind == "alert.noted"]
        assert notes and notes[-1].actor == "thu"
        assert "Đang gọi quản trị máy chủ" in str(notes[-1].payload)


async def test_escalate_refused_for_an_officer_says_who_may(make_desk, ids, desk_rt, messages):
    app = make_desk("hung")
    before = get_alert(desk_rt, ids["exchange"])
    async with app.run_test(message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["exchange"])
        await pilot.press("e")
        await settle(pilot, app)
        assert isinstance(app.screen, AlertsScreen)  # no form: refused at once
        refused = of_type(messages, ActionRefused)
        assert refused and "only leads and supervisors may" in refused[-1].sentence
        assert "only leads and supervisors may" in screen_text(app)
    after = get_alert(desk_rt, ids["exchange"])
    assert (after.level, after.round, after.step) == (before.level, before.round, before.step)


async def test_escalate_as_a_lead(make_desk, ids, desk_rt, messages):
    app = make_desk("lan")
    before = get_alert(desk_rt, ids["fortios"])
    async with app.run_test(message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["fortios"])
        await pilot.press("e", *"FortiGate biên đang bị dò quét", "enter")
        await settle(pilot, app)
    after = get_alert(desk_rt, ids["fortios"])
    assert after.level > before.level
    assert [m.action for m in of_type(messages, ActionDone)] == ["escalate"]
    kinds = [e.kind for e in events_for(desk_rt.db, "alert", ids["fortios"])]
    assert any("escalat" in k for k in kinds)


async def test_assign_as_a_lead(make_desk, ids, desk_rt, messages):
    app = make_desk("lan")
    async with app.run_test(message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["exchange"])
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, PromptForm)
        assert "(blank: thu)" in screen_text(app)  # the officer on duty at level 1 is the shown default
        await pilot.press(*"Hung", "enter")
        await settle(pilot, app)
        assert board(app).cell(ids["exchange"], "who").plain == "hung"
    assert get_alert(desk_rt, ids["exchange"]).assignee == "hung"
    assert [m.action for m in of_type(messages, ActionDone)] == ["assign"]
    (event,) = [e for e in events_for(desk_rt.db, "alert", ids["exchange"]) if e.kind == "alert.assigned"]
    assert event.actor == "lan"


async def test_assign_refused_for_an_officer_and_for_nobody(make_desk, ids, desk_rt, messages):
    app = make_desk("hung")
    async with app.run_test(message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["exchange"])
        await pilot.press("g")
        await settle(pilot, app)
        assert isinstance(app.screen, AlertsScreen)  # no form: refused at once
        assert "only leads and supervisors may" in of_type(messages, ActionRefused)[-1].sentence
    lead = make_desk("lan")
    async with lead.run_test(message_hook=messages.append) as pilot:
        await settle(pilot, lead)
        await select_alert(pilot, lead, ids["exchange"])
        await pilot.press("g", *"khong-ai", "enter")
        await settle(pilot, lead)
        # refused in the form: it stays open with what was typed and says why
        assert isinstance(lead.screen, PromptForm)
        assert lead.screen.query_one("#field-handle", Input).value == "khong-ai"
        assert "khong-ai" in str(lead.screen.query_one("#form-error").render())
    assert get_alert(desk_rt, ids["exchange"]).assignee == ""


async def test_snooze(make_desk, ids, desk_rt, clock):
    app = make_desk("hung")
    async with app.run_test() as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["exchange"])
        await pilot.press("s")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PromptForm)
        form.query_one("#field-duration", Input).value = "45m"
        form.query_one("#field-reason", Input).value = "Chờ nhà cung cấp trả lời"
        await pilot.click("#submit")
        await settle(pilot, app)
    alert = get_alert(desk_rt, ids["exchange"])
    assert alert.snoozed_until == clock.now() + timedelta(minutes=45)


async def test_snooze_with_a_bad_duration_says_how(make_desk, ids, desk_rt, messages):
    app = make_desk("hung")
    async with app.run_test(message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["exchange"])
        await pilot.press("s")
        await pilot.pause()
        app.screen.query_one("#field-duration", Input).value = "a while"
        app.screen.query_one("#field-reason", Input).value = "x"
        await pilot.click("#submit")
        await settle(pilot, app)
        assert isinstance(app.screen, PromptForm)  # the form stays with the reason typed
        assert app.screen.query_one("#field-reason", Input).value == "x"
        assert "30m" in str(app.screen.query_one("#form-error").render())
    assert get_alert(desk_rt, ids["exchange"]).snoozed_until is None


async def test_search_folds_vietnamese(make_desk, ids):
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"nghiem trong")
        await settle(pilot, app)
        shown = set(board_ids(app))
        assert shown == {ids["exchange"], ids["fortios"]}  # both say "nghiêm trọng"
        await pilot.press("enter")  # back to the board, search kept
        assert app.focused is board(app)
        await pilot.press("escape")  # clears the search
        await settle(pilot, app)
        assert set(board_ids(app)) == set(ids.values())
        await pilot.press("slash", *"khong co dau")
        await settle(pilot, app)
        assert board_ids(app) == []
        assert "among the open alerts and the latest 200 resolved; press h" in screen_text(app)


async def test_filter_by_severity_and_state(make_desk, ids, desk_rt):
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FilterForm)
        app.screen.query_one("#filter-severity", Select).value = "critical"
        app.screen.query_one("#filter-state", Select).value = "open"
        await pilot.click("#submit")
        await settle(pilot, app)
        shown = board_ids(app)
        assert shown and all(get_alert(desk_rt, i).severity == Severity.CRITICAL for i in shown)
        assert all(get_alert(desk_rt, i).state != AlertState.RESOLVED for i in shown)
        assert ids["kev-ivanti"] not in shown  # critical but resolved
        assert "filter:" in screen_text(app)
        await pilot.press("f")
        await pilot.pause()
        await pilot.click("#clear")
        await settle(pilot, app)
        assert set(board_ids(app)) == set(ids.values())


async def test_enter_opens_the_detail_and_escape_returns(make_desk, ids):
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["apt-tet"])
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, AlertDetailScreen)
        text = screen_text(app)
        assert "Chiến dịch tấn công APT" in text
        assert "Timeline" in text and "alert.acknowledged" not in text  # the event in words, not its kind
        assert "hung  acknowledged" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AlertsScreen)


async def test_acknowledge_from_the_detail(make_desk, ids, desk_rt):
    app = make_desk("mai")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.open_alert(ids["exchange"])
        await settle(pilot, app)
        await pilot.press("a")
        await settle(pilot, app)
        assert get_alert(desk_rt, ids["exchange"]).acked_by == "mai"
        assert "ACK" in screen_text(app)


async def test_the_detail_screen_resolves_notes_escalates_and_snoozes(make_desk, ids, desk_rt, clock, messages):
    """r, n, e and s on the detail act on the alert shown, as on the board; backspace goes back."""
    app = make_desk("lan")  # a lead: may escalate
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["fortios"])
        await pilot.press("enter")  # by key: the detail then runs in the app's context, where messages are hooked
        await settle(pilot, app)
        before = get_alert(desk_rt, ids["fortios"])
        await pilot.press("n", *"Đã báo quản trị tường lửa", "enter")
        await settle(pilot, app)
        await pilot.press("e", *"Cần trưởng ca xem", "enter")
        await settle(pilot, app)
        await pilot.press("s")
        assert await wait_until(pilot, lambda: bool(app.screen.query("#field-duration")))
        app.screen.query_one("#field-duration", Input).value = "20m"
        app.screen.query_one("#field-reason", Input).value = "Chờ Fortinet"
        await pilot.click("#submit")
        await settle(pilot, app)
        # Under load the detail may repaint a frame after the workers end: wait for it, not a fixed time.
        assert await wait_until(pilot, lambda: isinstance(app.screen, AlertDetailScreen) and "zz" in screen_text(app))
        await pilot.press("r", *"Đã vá lên 7.4.3", "enter")
        await settle(pilot, app)
        assert "DONE" in screen_text(app)
        await pilot.press("backspace")
        await pilot.pause()
        assert isinstance(app.screen, AlertsScreen)
    after = get_alert(desk_rt, ids["fortios"])
    assert after.level > before.level and after.state == AlertState.RESOLVED and after.resolution == "Đã vá lên 7.4.3"
    assert [m.action for m in of_type(messages, ActionDone)] == ["note", "escalate", "snooze", "resolve"]
    kinds = [e.kind for e in events_for(desk_rt.db, "alert", ids["fortios"])]
    assert {"alert.noted", "alert.snoozed", "alert.resolved"} <= set(kinds)


async def test_filter_by_source_then_clear(make_desk, ids, desk_rt):
    app = make_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f")
        await pilot.pause()
        app.screen.query_one("#filter-source", Select).value = "cisa-kev"
        await pilot.click("#submit")
        await settle(pilot, app)
        shown = board_ids(app)
        assert shown and {get_alert(desk_rt, i).source for i in shown} == {"cisa-kev"}
        assert "source=cisa-kev" in screen_text(app)
        await pilot.press("f")
        await pilot.pause()
        await pilot.click("#clear")
        await settle(pilot, app)
        assert set(board_ids(app)) == set(ids.values())


async def test_an_action_before_sign_in_asks_who_you_are(make_desk, ids, desk_rt, messages):
    app = make_desk(None)
    async with app.run_test(message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await select_alert(pilot, app, ids["fortios"])
        await pilot.press("a")
        await settle(pilot, app)
        assert isinstance(app.screen, SignInScreen)
        options = app.screen.query_one("#officers")
        options.highlighted = [o.handle for o in app.screen.officers].index("thu")
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.operator is not None and app.operator.handle == "thu"
        assert of_type(messages, SignedIn)[-1].actor.handle == "thu"
    # the acknowledgment went ahead as the officer who signed in
    assert get_alert(desk_rt, ids["fortios"]).acked_by == "thu"


async def test_detail_records_a_call_outcome_and_opens_the_link(make_desk, ids, desk_rt, monkeypatch):
    from watchdesk.services.calls import list_calls

    assert [c for c in list_calls(desk_rt, ids["tomcat"]) if c.open], "the exhausted alert has calls to make"
    app = make_desk("thu")
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.open_alert(ids["tomcat"])
        await settle(pilot, app)
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PromptForm)
        form.query_one("#field-outcome", Input).value = "reported"
        form.query_one("#field-reference", Input).value = "VNCERT-2026-0217"
        await pilot.click("#submit")
        await settle(pilot, app)
        await pilot.press("o")
        await pilot.pause()
    done = [c for c in list_calls(desk_rt, ids["tomcat"]) if c.outcome == "reported"]
    assert done and done[0].reference == "VNCERT-2026-0217" and done[0].done_by == "thu"
    assert opened == ["https://khonggianmang.vn/canhbaoattt/tomcat-2025-24813"]


async def test_enter_on_the_sign_in_list_signs_in_the_highlighted_officer(make_desk, desk_rt):
    """Found by hand in tmux: the list opened with nothing highlighted, so Enter did nothing."""
    app = make_desk(None)
    async with app.run_test() as pilot:
        await settle(pilot, app)
        app.ask_sign_in(lambda _actor: None)
        await settle(pilot, app)
        assert isinstance(app.screen, SignInScreen)
        first = app.screen.officers[0].handle
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.operator is not None and app.operator.handle == first
