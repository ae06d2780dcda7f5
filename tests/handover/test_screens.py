"""Pilot tests of the Handover (5) and Reports (6) screens on the demo desk (02:00, first night of Tết 2026)."""

from __future__ import annotations

from textual.widgets import DataTable, Input
from textual_plotext import PlotextPlot

from watchdesk.services.handover import get_handover
from watchdesk.tui.screens.forms import ChoiceForm, PromptForm
from watchdesk.tui.screens.handover import HandoverScreen
from watchdesk.tui.screens.reports import ReportsScreen

from tests.tui.conftest import settle
from tests.tui.screen_text import screen_text


async def test_handover_screen_shows_the_draft_and_signs_out(make_desk, desk_rt, messages, tmp_path):
    app = make_desk("thu")  # on level-1 duty at 02:00 in the demo
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        assert isinstance(app.screen, HandoverScreen)
        draft = get_handover(desk_rt)
        text = screen_text(app)
        assert f"Handover of shift #{draft.shift_id}" in text and "draft" in text
        table = app.screen.query_one("#handover-open", DataTable)
        assert table.row_count == len(draft.summary["open"]) > 0
        # 02:00 is hours before thu's shift ends: signing out asks first, and enter alone does not sign.
        for answer in (("enter",), ("down", "enter")):
            await pilot.press("s")
            await settle(pilot, app)
            assert isinstance(app.screen, PromptForm)
            app.screen.query_one("#field-notes", Input).value = "Theo dõi tiếp cảnh báo APT [b]dịp Tết[/b]."
            await pilot.click("#submit")
            await settle(pilot, app)
            assert isinstance(app.screen, ChoiceForm)
            assert "before it ends" in screen_text(app) and "handover.early_window (30m)" in screen_text(app)
            await pilot.press(*answer)
            await settle(pilot, app)
            if answer == ("enter",):
                assert get_handover(desk_rt, draft.shift_id).status == "draft"
        signed = get_handover(desk_rt, draft.shift_id)
        assert signed.status == "signed" and signed.notes == "Theo dõi tiếp cảnh báo APT [b]dịp Tết[/b]."
        assert signed.signed_out_early
        text = screen_text(app)
        assert "signed" in text and "[b]dịp Tết[/b]" in text  # the notes show as typed, markup inert
        assert "signed out early" in text
        await pilot.press("e")
        await settle(pilot, app)
        assert (tmp_path / f"handover-shift-{draft.shift_id}.html").read_text(encoding="utf-8").startswith("<!-- Audit log verified")


async def test_handover_screen_refuses_a_stranger_accepting(make_desk, desk_rt):
    app = make_desk("hung")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        await pilot.press("a")
        await settle(pilot, app)
        app.screen.query_one("#field-remarks", Input).value = "Đã nhận đủ"
        await pilot.click("#submit")
        await settle(pilot, app)
        text = " ".join(screen_text(app).split())
        assert "may accept it" in text or "not signed out yet" in text  # hung is neither the incoming officer nor a lead
        # refused in the form: it stays open with what was typed
        assert isinstance(app.screen, PromptForm) and app.screen.query_one("#field-remarks", Input).value == "Đã nhận đủ"
        assert get_handover(desk_rt).status == "draft"


async def test_reports_screen_tables_and_charts(make_desk, desk_rt, tmp_path):
    app = make_desk("hung")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("6")
        await settle(pilot, app)
        assert isinstance(app.screen, ReportsScreen)
        text = screen_text(app)
        assert "Audit log verified" in text and "Acknowledgment report" in text
        report = app.screen.report
        assert report is not None and report.overall.count > 0
        severity = app.screen.query_one("#report-severity", DataTable)
        assert severity.row_count == len(report.by_severity)
        assert len(app.screen.query(PlotextPlot)) == 3
        await pilot.press("w")
        await settle(pilot, app)
        assert "last 24 hours" in screen_text(app)
        await pilot.press("e")
        await settle(pilot, app)
        assert (tmp_path / "ack-report.csv").exists()


async def test_reports_screen_is_made_again_on_request_not_on_every_change(make_desk, desk_rt):
    """A report verifies the whole audit log: a change elsewhere says 'press u', u makes it again."""
    from watchdesk.tui.messages import DataChanged
    from watchdesk.tui.screens.reports import ReportLoaded

    messages: list = []
    app = make_desk("hung")
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await pilot.press("6")
        await settle(pilot, app)
        made = sum(isinstance(m, ReportLoaded) for m in messages)
        assert made == 1  # once, though Textual resumes a screen twice on its first visit
        app.screen.post_message(DataChanged(1))
        await settle(pilot, app)
        assert sum(isinstance(m, ReportLoaded) for m in messages) == made
        assert "press u to make it again" in screen_text(app)
        await pilot.press("u")
        await settle(pilot, app)
        assert sum(isinstance(m, ReportLoaded) for m in messages) == made + 1
        assert "press u" not in screen_text(app)
        # Help over the report and back: nothing changed, so the report is not made again.
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot, app)
        assert sum(isinstance(m, ReportLoaded) for m in messages) == made + 1
        # u three times before the first report lands: that one, then one more, not three threads.
        for _press in range(3):
            app.screen.action_update()
        await settle(pilot, app)
        assert sum(isinstance(m, ReportLoaded) for m in messages) == made + 3
        # w after a change note: the window's note stays once the report lands.
        app.screen.post_message(DataChanged(2))
        await settle(pilot, app)
        await pilot.press("w")
        await settle(pilot, app)
        assert "Report over: the last 24 hours" in screen_text(app)


async def test_a_lead_accepting_early_on_the_desk_is_asked_and_the_record_names_both(make_desk, desk_rt):
    from watchdesk.services.handover import sign_out
    from watchdesk.services.officers import sign_in

    draft = get_handover(desk_rt)  # thu's night shift, under way at 02:00
    sign_out(desk_rt, sign_in(desk_rt, draft.outgoing, None), "", draft.shift_id, early=True)
    app = make_desk("lan")  # the shift lead, accepting on the incoming officer's behalf, hours early
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        await pilot.press("a")
        await settle(pilot, app)
        await pilot.click("#submit")
        await settle(pilot, app)
        assert isinstance(app.screen, ChoiceForm) and "now is 5h30m before the incoming" in screen_text(app)
        await pilot.press("down", "enter")
        await settle(pilot, app)
        done = get_handover(desk_rt, draft.shift_id)
        assert (done.status, done.incoming, done.accepted_by, done.accepted_early) == ("accepted", draft.incoming, "lan", True)
        assert f"accepted by lan on behalf of {draft.incoming}" in screen_text(app)
