"""Small modal forms: a note, a resolution, a snooze, an escalation reason, a filter, a choice."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from watchdesk.i18n import _
from watchdesk.tui.widgets.inputs import DeskInput


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    placeholder: str = ""
    required: bool = True
    value: str = ""
    password: bool = False


class PromptForm(ModalScreen[dict[str, str] | None]):
    """Asks for a few lines of text; enter moves on / submits, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="form.cancel")]

    def __init__(self, title: str, fields: list[Field], submit: str = "") -> None:
        super().__init__(classes="form")
        self.form_title = title
        self.fields = fields
        self.submit_label = submit or _("OK")

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box"):
            yield Label(Content(self.form_title), classes="form-title")
            for f in self.fields:
                yield Label(Content(f.label))
                yield DeskInput(value=f.value, placeholder=f.placeholder, id=f"field-{f.name}", password=f.password)
            yield Label("", id="form-error", classes="form-error")
            with Horizontal(classes="form-buttons"):
                yield Button(self.submit_label, variant="primary", id="submit")
                yield Button(_("Cancel"), id="cancel")

    def values(self) -> dict[str, str]:
        return {f.name: self.query_one(f"#field-{f.name}", Input).value.strip() for f in self.fields}

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
        values = self.values()
        missing = [f.label for f in self.fields if f.required and not values[f.name]]
        if missing:
            self.query_one("#form-error", Label).update(Content(_("Please fill in: {what}").format(what=", ".join(missing))))
            return
        self.dismiss(values)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


ALL = "*"


class FilterForm(ModalScreen[dict[str, str] | None]):
    """Filter the board by state, severity and source."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="form.cancel")]

    def __init__(self, state: str, severity: str, source: str, sources: list[str]) -> None:
        super().__init__(classes="form")
        self.initial = (state or ALL, severity or ALL, source or ALL)
        self.sources = sources

    def compose(self) -> ComposeResult:
        states = [(_("all states"), ALL), (_("open (new + acknowledged)"), "open"), (_("new"), "new"),
                  (_("acknowledged"), "acknowledged"), (_("resolved"), "resolved")]
        severities = [(_("all severities"), ALL)] + [(_(s), s) for s in ("critical", "high", "medium", "low")]
        sources = [(_("all sources"), ALL)] + [(Content(s), s) for s in self.sources]
        with Vertical(classes="form-box"):
            yield Label(_("Filter the board"), classes="form-title")
            yield Select(states, value=self.initial[0], allow_blank=False, id="filter-state")
            yield Select(severities, value=self.initial[1], allow_blank=False, id="filter-severity")
            yield Select(sources, value=self.initial[2] if self.initial[2] in self.sources else ALL, allow_blank=False, id="filter-source")
            with Horizontal(classes="form-buttons"):
                yield Button(_("Apply"), variant="primary", id="submit")
                yield Button(_("Clear"), id="clear")
                yield Button(_("Cancel"), id="cancel")

    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        pick = {name: str(self.query_one(f"#filter-{name}", Select).value) for name in ("state", "severity", "source")}
        self.dismiss({k: ("" if v == ALL else v) for k, v in pick.items()})

    @on(Button.Pressed, "#clear")
    def _clear(self) -> None:
        self.dismiss({"state": "", "severity": "", "source": ""})

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceForm(ModalScreen[str | None]):
    """Pick one of a few labelled choices: enter or a click picks, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="form.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, Content]], hint: str = "") -> None:
        super().__init__(classes="form")
        self.form_title = title
        self.choices = choices
        self.hint = hint or _("enter: choose · escape: cancel")

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box"):
            yield Label(Content(self.form_title), classes="form-title")
            yield OptionList(*[Option(label, id=key) for key, label in self.choices], id="choices")
            yield Label(Content(self.hint), classes="form-hint")

    def on_mount(self) -> None:
        options = self.query_one("#choices", OptionList)
        options.highlighted = 0 if self.choices else None
        options.focus()

    @on(OptionList.OptionSelected, "#choices")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
