"""Sign-in: the operator picks their handle (and gives their PIN when they have one).

Every action afterwards is recorded as them; ctrl+o changes the operator at handover. The desk
(in a terminal or a browser) always asks for the PIN of an officer who has one; wrong PINs
count towards the officer's back-off like the CLI's. The demo desk says it has officers
without PINs.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from watchdesk.core.records import Actor, OfficerRecord
from watchdesk.i18n import _
from watchdesk.services.officers import is_demo, list_officers, sign_in
from watchdesk.tui.widgets.inputs import DeskInput
from watchdesk.tui.messages import ActionRefused, OfficersLoaded, SignedIn
from watchdesk.tui.screens.base import PERSON_ERRORS


class SignInScreen(ModalScreen[Actor | None]):
    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="signin.cancel")]

    def __init__(self) -> None:
        super().__init__(classes="form")
        self.officers: list[OfficerRecord] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box", id="signin-box"):
            yield Label(_("Who is at the desk? Choose your handle."), classes="form-title")
            yield Label("", id="signin-demo", classes="form-hint -hidden")
            yield OptionList(id="officers")
            yield DeskInput(placeholder=_("PIN"), password=True, id="pin", classes="-hidden")
            yield Label("", id="signin-error", classes="form-error")
            yield Label(_("enter: sign in · escape: stay as you are"), classes="form-hint")

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="signin-load")
    def _load(self) -> None:
        app: Any = self.app
        self.post_message(OfficersLoaded(list_officers(app.rt, include_inactive=False), demo=is_demo(app.rt)))

    def on_officers_loaded(self, message: OfficersLoaded) -> None:
        self.officers = message.officers
        if message.demo:
            note = self.query_one("#signin-demo", Label)
            note.update(Text(_("Demo desk: its officers have no PIN; a real desk asks for one.")))
            note.remove_class("-hidden")
        options = self.query_one("#officers", OptionList)
        options.clear_options()
        for o in self.officers:
            label = Text(no_wrap=True, overflow="ellipsis")
            label.append(o.handle, style="bold")
            label.append(f"  {o.full_name}  ({_(o.role.value)})")  # names are plain text
            if o.has_pin:
                label.append("  " + _("PIN"), style="dim")
            options.add_option(Option(label, id=o.handle))
        if not self.officers:
            self._error(_("No active officers yet; create the first supervisor with 'watchdesk init --handle HANDLE --name \"FULL NAME\"'."))
        options.focus()
        current = getattr(self.app, "operator", None)
        handles = [o.handle for o in self.officers]
        if current is not None and current.handle in handles:
            options.highlighted = handles.index(current.handle)
        elif handles:
            options.highlighted = 0  # Enter must sign someone in, never do nothing

    def _chosen(self) -> OfficerRecord | None:
        options = self.query_one("#officers", OptionList)
        if options.highlighted is None or not self.officers:
            return None
        return self.officers[options.highlighted]

    @on(OptionList.OptionSelected, "#officers")
    def _picked(self) -> None:
        officer = self._chosen()
        if officer is None:
            return
        pin = self.query_one("#pin", Input)
        if officer.has_pin:
            pin.remove_class("-hidden")
            pin.value = ""
            pin.focus()
        else:
            pin.add_class("-hidden")
            self._try(officer.handle, None)

    @on(Input.Submitted, "#pin")
    def _pin_given(self, event: Input.Submitted) -> None:
        officer = self._chosen()
        if officer is not None:
            self._try(officer.handle, event.value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="signin")
    def _try(self, handle: str, pin: str | None) -> None:
        app: Any = self.app
        try:
            actor = sign_in(app.rt, handle, pin, where="desk")  # never an OS account: the desk always asks the PIN
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused("sign-in", str(exc)))
            return
        self.post_message(SignedIn(actor))

    def on_action_refused(self, message: ActionRefused) -> None:
        self._error(message.sentence)
        pin = self.query_one("#pin", Input)
        if not pin.has_class("-hidden"):
            pin.value = ""
            pin.focus()

    def on_signed_in(self, message: SignedIn) -> None:
        app: Any = self.app
        app.operator = message.actor
        app.notify(_("Signed in as {handle}.").format(handle=message.actor.handle), markup=False)
        self.dismiss(message.actor)

    def _error(self, sentence: str) -> None:
        self.query_one("#signin-error", Label).update(Text(sentence))

    def action_cancel(self) -> None:
        self.dismiss(None)
