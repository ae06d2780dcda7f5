"""Small modal forms: a note, a resolution, a snooze, an escalation reason, a filter, a choice.

Every form behaves one way:
- its title sits on top and its error line and buttons at the bottom, always in sight; the
  fields between scroll, so Tab reaches every field and button at 80×24;
- a blank field takes the default its label shows, or the form says it is needed (a
  placeholder is only an example, never a value);
- a form given an `act` runs it in a worker when submitted and closes only when it succeeds:
  a refused value keeps the form open with what was typed and the reason on its error line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from watchdesk.core.permissions import PermissionDenied
from watchdesk.core.roster import RosterError
from watchdesk.i18n import _
from watchdesk.services.errors import ServiceError
from watchdesk.store.db import DatabaseError
from watchdesk.tui.widgets.inputs import DeskInput

SHORT = 32  # below this many lines, inputs and buttons take one line each (a 7-field form fits 80×24)


class Refusal(ValueError):
    """A value the form's action refuses; the message is the sentence the form shows."""


# What an `act` may raise for the form to show and stay open (anything else is a bug and surfaces).
REFUSALS = (Refusal, ServiceError, PermissionDenied, DatabaseError, RosterError)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    placeholder: str = ""
    required: bool = True
    value: str = ""
    password: bool = False
    default: str = ""
    """What a blank field means; the label shows it (a field with a default is never 'needed')."""

    def shown_label(self) -> str:
        if self.default:
            return _("{label} (blank: {default})").format(label=self.label, default=self.default)
        if self.required:
            return _("{label} (needed)").format(label=self.label)
        return _("{label} (optional)").format(label=self.label)


class FormRefused(Message):
    """The form's action refused the values: `sentence` says why."""

    def __init__(self, sentence: str) -> None:
        super().__init__()
        self.sentence = sentence


class FormAccepted(Message):
    def __init__(self, values: dict[str, str]) -> None:
        super().__init__()
        self.values = values


class FormScreen(ModalScreen[Any]):
    """A dialog: head (title), body (scrolls), foot (error line, buttons). Subclasses compose the parts."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="form.cancel")]

    def __init__(self) -> None:
        super().__init__(classes="form")

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box"):
            with Vertical(classes="form-head"):
                yield from self.compose_head()
            with Vertical(classes="form-foot"):
                yield from self.compose_foot()
            # Not a tab stop itself: Tab goes from field to field, the body scrolling to each.
            with VerticalScroll(classes="form-body", can_focus=False):
                yield from self.compose_body()

    def compose_head(self) -> ComposeResult:
        yield from ()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def compose_foot(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self._fit(self.app.size.height)

    def on_resize(self, event: Any) -> None:
        self._fit(event.size.height)

    def _fit(self, height: int) -> None:
        short = height < SHORT
        for widget in self.query("Input, Button, Select"):
            widget.compact = short  # type: ignore[attr-defined]
        self.set_class(short, "-short")

    def action_cancel(self) -> None:
        self.dismiss(None)


class PromptForm(FormScreen):
    """Asks for a few lines of text; enter moves on / submits, escape cancels.

    `act(values)` (run in a thread worker, touching no widget) does the work; it raises one of
    REFUSALS to keep the form open with its sentence. Without `act` the form closes with the values.
    """

    def __init__(self, title: str, fields: list[Field], submit: str = "",
                 act: Callable[[dict[str, str]], object] | None = None) -> None:
        super().__init__()
        self.form_title = title
        self.fields = fields
        self.submit_label = submit or _("OK")
        self.act = act
        self.busy = False

    def compose_head(self) -> ComposeResult:
        yield Label(Content(self.form_title), classes="form-title")

    def compose_body(self) -> ComposeResult:
        for f in self.fields:
            yield Label(Content(f.shown_label()), classes="form-label")
            yield DeskInput(value=f.value, placeholder=f.placeholder, id=f"field-{f.name}", password=f.password)

    def compose_foot(self) -> ComposeResult:
        yield Label("", id="form-error", classes="form-error")
        with Horizontal(classes="form-buttons"):
            yield Button(self.submit_label, variant="primary", id="submit")
            yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(Input).focus()

    def values(self) -> dict[str, str]:
        """What was typed, a blank field with a default taking it."""
        typed = {f.name: self.query_one(f"#field-{f.name}", Input).value.strip() for f in self.fields}
        return {f.name: typed[f.name] or f.default for f in self.fields}

    def show_error(self, sentence: str) -> None:
        self.query_one("#form-error", Label).update(Content(sentence))

    @on(Input.Submitted)
    def _next_or_submit(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self._submit()

    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        if self.busy:
            return
        values = self.values()
        missing = [f for f in self.fields if f.required and not values[f.name]]
        if missing:
            self.show_error(_("Needed: {what}.").format(what=", ".join(f.label for f in missing)))
            self.query_one(f"#field-{missing[0].name}", Input).focus()
            return
        if self.act is None:
            self.dismiss(values)
            return
        self.busy = True
        self.show_error("")
        self._run(values)

    @work(thread=True, exit_on_error=False, group="form-act")
    def _run(self, values: dict[str, str]) -> None:
        assert self.act is not None
        try:
            self.act(values)
        except REFUSALS as exc:
            self.post_message(FormRefused(str(exc)))
            return
        self.post_message(FormAccepted(values))

    def on_form_refused(self, message: FormRefused) -> None:
        self.busy = False
        self.app.bell()
        self.show_error(message.sentence)

    def on_form_accepted(self, message: FormAccepted) -> None:
        self.dismiss(message.values)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)


ALL = "*"


class FilterForm(FormScreen):
    """Filter the board by state, severity and source."""

    def __init__(self, state: str, severity: str, source: str, sources: list[str]) -> None:
        super().__init__()
        self.initial = (state or ALL, severity or ALL, source or ALL)
        self.sources = sources

    def compose_head(self) -> ComposeResult:
        yield Label(_("Filter the board"), classes="form-title")

    def compose_body(self) -> ComposeResult:
        states = [(_("all states"), ALL), (_("open (new + acknowledged)"), "open"), (_("new"), "new"),
                  (_("acknowledged"), "acknowledged"), (_("resolved"), "resolved")]
        severities = [(_("all severities"), ALL)] + [(_(s), s) for s in ("critical", "high", "medium", "low")]
        sources = [(_("all sources"), ALL)] + [(Content(s), s) for s in self.sources]
        yield Select(states, value=self.initial[0], allow_blank=False, id="filter-state")
        yield Select(severities, value=self.initial[1], allow_blank=False, id="filter-severity")
        yield Select(sources, value=self.initial[2] if self.initial[2] in self.sources else ALL, allow_blank=False, id="filter-source")

    def compose_foot(self) -> ComposeResult:
        with Horizontal(classes="form-buttons"):
            yield Button(_("Apply"), variant="primary", id="submit")
            yield Button(_("Clear"), id="clear")
            yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#filter-state", Select).focus()

    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        pick = {name: str(self.query_one(f"#filter-{name}", Select).value) for name in ("state", "severity", "source")}
        self.dismiss({k: ("" if v == ALL else v) for k, v in pick.items()})

    @on(Button.Pressed, "#clear")
    def _clear(self) -> None:
        self.dismiss({"state": "", "severity": "", "source": ""})

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)


class ChoiceForm(FormScreen):
    """Pick one of a few labelled choices: enter or a click picks, escape cancels."""

    def __init__(self, title: str, choices: list[tuple[str, Content]], hint: str = "") -> None:
        super().__init__()
        self.form_title = title
        self.choices = choices
        self.hint = hint or _("enter: choose · escape: cancel")

    def compose_head(self) -> ComposeResult:
        yield Label(Content(self.form_title), classes="form-title")

    def compose_body(self) -> ComposeResult:
        yield OptionList(*[Option(label, id=key) for key, label in self.choices], id="choices")

    def compose_foot(self) -> ComposeResult:
        yield Label(Content(self.hint), classes="form-hint")

    def on_mount(self) -> None:
        super().on_mount()
        options = self.query_one("#choices", OptionList)
        options.highlighted = 0 if self.choices else None
        options.focus()

    @on(OptionList.OptionSelected, "#choices")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
