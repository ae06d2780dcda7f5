"""What every main screen shares: the frame (header, screen names, banner, status, footer)
and the actions on an alert (acknowledge, resolve, note, escalate, snooze) used by the
board and the detail screen.

Actions run in thread workers that call the lifecycle service and post `ActionDone` or
`ActionRefused`; only the handlers on the UI thread touch widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from watchdesk.config import format_duration, parse_duration
from watchdesk.core.permissions import Action, PermissionDenied, require
from watchdesk.i18n import _
from watchdesk.services.errors import ServiceError
from watchdesk.store.db import DatabaseError
from watchdesk.tui.messages import ActionDone, ActionRefused, DataChanged
from watchdesk.tui.screens.forms import Field, PromptForm, Refusal
from watchdesk.tui.widgets.banner import NewAlertBanner
from watchdesk.tui.widgets.header import DeskHeader
from watchdesk.tui.widgets.nav import NavBar
from watchdesk.tui.widgets.status import StatusLine

PERSON_ERRORS = (ServiceError, PermissionDenied, DatabaseError)
SNOOZE_DEFAULT = "30m"


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError:
        raise Refusal(_("Snooze for how long? Write a duration like 30m or 1h30m.")) from None


class DeskScreen(Screen):
    """A main screen: subclasses set MODE and write `compose_body` and `reload`."""

    MODE = ""

    def __init__(self) -> None:
        super().__init__()
        self._shown = False  # between a ScreenResume and the next ScreenSuspend
        # Textual starts every Screen at CSS update count -1, so the first visit of each screen
        # refreshes the whole stylesheet: a cold parse of every source and a restyle of every node
        # (twice, ~0.4-0.7 s on 2 slow cores) before the screen shows. A screen made now is styled
        # with the CSS as it is now, which is what the count means; after a theme change the app's
        # count moves on and switching to this screen refreshes it as before (Textual #5210).
        # Private to Textual: tests/tui/test_shell.py fails if this stops avoiding the refresh.
        try:
            self._css_update_count = getattr(self.app, "_css_update_count", -1)
        except RuntimeError:  # made outside a running app (Textual's NoActiveAppError): as Textual does
            pass

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield NavBar(self.MODE)
        yield NewAlertBanner()
        yield from self.compose_body()
        yield StatusLine(id="status")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    @property
    def desk(self) -> Any:
        """The DeskApp (typed loosely: screens never import the app module)."""
        return self.app

    def reload(self) -> None:
        """Read this screen's data again (in a worker)."""

    def on_screen_resume(self) -> None:
        # Textual resumes a screen twice on the first switch to its mode (App._init_mode and then
        # switch_mode each post ScreenResume): read the data once per time the screen comes back.
        if self._shown:
            return
        self._shown = True
        self.refresh_frame()
        self.reload()

    def on_screen_suspend(self) -> None:
        # Under a modal the screen stays in sight and keeps reloading on DataChanged (the app
        # sends it to every visible screen), so coming back needs no second read.
        self._shown = self.is_current

    def refresh_frame(self) -> None:
        for header in self.query(DeskHeader):
            header.refresh()
        for banner in self.query(NewAlertBanner):
            banner.refresh_from_app()

    def on_data_changed(self, message: DataChanged) -> None:
        self.reload()

    def tick(self) -> None:
        """Called every second by the app (counters); the header refreshes itself here."""
        for header in self.query(DeskHeader):
            header.refresh()

    def show_status(self, sentence: str, error: bool = False) -> None:
        for line in self.query(StatusLine):
            line.show(sentence, error)


class AlertActions:
    """Mixin for screens that act on one alert: `current_alert_id()` says which."""

    app: Any

    def current_alert_id(self) -> int | None:
        """The alert under the cursor; screens using the mixin override this."""
        return None

    # -- the gate: sign in first, and say at once when the role may not -------------------
    def _with_operator(self, action: Action, then: Callable[[Any], None]) -> None:
        operator = self.app.operator
        if operator is None:
            self.app.ask_sign_in(lambda actor: actor and self._with_operator(action, then))
            return
        try:
            require(operator.handle, operator.role, action)
        except PermissionDenied as exc:
            self.post_message(ActionRefused(action.value, str(exc), self.current_alert_id()))  # type: ignore[attr-defined]
            return
        then(operator)

    def _target(self, verb: str) -> int | None:
        alert_id = self.current_alert_id()
        if alert_id is None:
            self.post_message(ActionRefused(verb, _("No alert is selected."), None))  # type: ignore[attr-defined]
        return alert_id

    @work(thread=True, exit_on_error=False, group="alert-action")
    def run_action(self, verb: str, alert_id: int, call: Callable[[], object], done: str) -> None:
        try:
            call()
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused(verb, str(exc), alert_id))  # type: ignore[attr-defined]
            return
        self.post_message(ActionDone(verb, alert_id, done))  # type: ignore[attr-defined]

    # -- the actions ---------------------------------------------------------------------
    def action_acknowledge(self) -> None:
        alert_id = self._target("acknowledge")
        if alert_id is None:
            return

        def go(actor: Any) -> None:
            from watchdesk.services import lifecycle

            self.run_action("acknowledge", alert_id, lambda: lifecycle.acknowledge(self.app.rt, actor, alert_id),
                            _("Acknowledged #{id}.").format(id=alert_id))

        self._with_operator(Action.ACKNOWLEDGE, go)

    def _form(self, verb: str, alert_id: int, form: PromptForm, done: Callable[[dict[str, str]], str]) -> None:
        """Open `form`; it runs its action itself and stays open on a refusal (forms.PromptForm)."""

        def closed(values: dict[str, str] | None) -> None:
            if values is not None:
                self.post_message(ActionDone(verb, alert_id, done(values)))  # type: ignore[attr-defined]

        self.app.push_screen(form, closed)

    def action_resolve(self) -> None:
        alert_id = self._target("resolve")
        if alert_id is None:
            return

        def go(actor: Any) -> None:
            from watchdesk.services import lifecycle

            self._form("resolve", alert_id, PromptForm(
                _("Resolve alert #{id}").format(id=alert_id),
                [Field("note", _("Resolution note (what was done)"), _("e.g. patched FortiOS to 7.2.2"))], _("Resolve"),
                act=lambda v: lifecycle.resolve(self.app.rt, actor, alert_id, v["note"])),
                lambda v: _("Resolved #{id}.").format(id=alert_id))

        self._with_operator(Action.RESOLVE, go)

    def action_note(self) -> None:
        alert_id = self._target("note")
        if alert_id is None:
            return

        def go(actor: Any) -> None:
            from watchdesk.services import lifecycle

            self._form("note", alert_id, PromptForm(
                _("Note on alert #{id}").format(id=alert_id), [Field("text", _("Note"))], _("Add note"),
                act=lambda v: lifecycle.add_note(self.app.rt, actor, alert_id, v["text"])),
                lambda v: _("Note added to #{id}.").format(id=alert_id))

        self._with_operator(Action.ANNOTATE, go)

    def action_escalate(self) -> None:
        alert_id = self._target("escalate")
        if alert_id is None:
            return

        def go(actor: Any) -> None:
            from watchdesk.services import lifecycle

            self._form("escalate", alert_id, PromptForm(
                _("Escalate alert #{id} now").format(id=alert_id), [Field("reason", _("Reason"), required=False)], _("Escalate"),
                act=lambda v: lifecycle.escalate(self.app.rt, actor, alert_id, reason=v["reason"])),
                lambda v: _("Escalated #{id} to the next level.").format(id=alert_id))

        self._with_operator(Action.ESCALATE, go)

    def action_snooze(self) -> None:
        alert_id = self._target("snooze")
        if alert_id is None:
            return
        limit = self.app.rt.config.alerts.snooze_max

        def go(actor: Any) -> None:
            from watchdesk.services import lifecycle

            def act(values: dict[str, str]) -> None:
                lifecycle.snooze(self.app.rt, actor, alert_id, _duration(values["duration"]), values["reason"])

            self._form("snooze", alert_id, PromptForm(
                _("Snooze alert #{id} (at most {max})").format(id=alert_id, max=format_duration(limit)),
                [Field("duration", _("For how long"), _("e.g. 45m or 1h30m"), default=SNOOZE_DEFAULT), Field("reason", _("Reason"))],
                _("Snooze"), act=act),
                lambda v: _("Snoozed #{id} for {d}.").format(id=alert_id, d=format_duration(_duration(v["duration"]))))

        self._with_operator(Action.SNOOZE, go)

    def action_assign(self) -> None:
        alert_id = self._target("assign")
        if alert_id is None:
            return

        def go(actor: Any) -> None:
            from watchdesk.services import lifecycle

            on_duty = self.app.header_state.on_duty.get(1, [])
            # The officer on duty at level 1 is the shown default; with nobody on duty a name is needed.
            field = (Field("handle", _("Officer's handle"), _("on duty now: {names}").format(names=", ".join(on_duty)), default=on_duty[0])
                     if on_duty else Field("handle", _("Officer's handle"), _("nobody is on duty at level 1")))
            self._form("assign", alert_id, PromptForm(
                _("Assign alert #{id} to an officer").format(id=alert_id), [field], _("Assign"),
                act=lambda v: lifecycle.assign(self.app.rt, actor, alert_id, v["handle"].lower())),
                lambda v: _("Assigned #{id} to {handle}.").format(id=alert_id, handle=v["handle"].lower()))

        self._with_operator(Action.REASSIGN, go)

    def on_action_refused(self, message: ActionRefused) -> None:
        self.app.bell()
        self.show_status(message.sentence, error=True)  # type: ignore[attr-defined]
        self.app.notify(message.sentence, severity="error", markup=False)

    def on_action_done(self, message: ActionDone) -> None:
        self.show_status(message.sentence)  # type: ignore[attr-defined]
        self.app.notify(message.sentence, markup=False)
        if message.action in ("acknowledge", "resolve"):
            self.app.forget_unseen(message.alert_id)
        self.reload()  # type: ignore[attr-defined]
