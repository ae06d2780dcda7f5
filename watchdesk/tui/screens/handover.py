"""The Handover screen: the draft of the shift under way (or just ended), notes, sign out, accept, export."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Static

from watchdesk.core.humane import human_duration, word
from watchdesk.core.permissions import Action
from watchdesk.i18n import N_, _
from watchdesk.reports.handover import counts_sentence
from watchdesk.tui.format import local, plain
from watchdesk.tui.messages import ActionDone, ActionRefused
from watchdesk.tui.registry import register_screen
from watchdesk.tui.screens.base import PERSON_ERRORS, AlertActions, DeskScreen
from watchdesk.tui.screens.forms import ChoiceForm, Field, PromptForm
from watchdesk.tui.widgets.columns import Want, fit


@dataclass
class HandoverLoaded(Message, bubble=False):
    handover: Any  # HandoverRecord


@dataclass
class ConfirmEarly(Message, bubble=False):
    """A sign-out or acceptance ahead of handover.early_window: ask before doing it with early=True."""

    verb: str
    question: str
    label: str  # the button that goes ahead
    retry: Any  # the same call, confirmed
    done: str


def _utc(value: str | None, zone: Any) -> str:
    from watchdesk.reports.common import local as local_text

    return local_text(value, zone, "%d/%m %H:%M") if value else "-"


class HandoverScreen(AlertActions, DeskScreen):
    MODE = "handover"
    BINDINGS = [
        Binding("s", "sign", _("Sign out"), id="handover.sign"),
        Binding("a", "accept", _("Accept"), id="handover.accept"),
        Binding("e", "export", _("Export"), id="handover.export"),
    ]

    handover: Any = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="handover-head")
        yield DataTable(id="handover-open", cursor_type="row", zebra_stripes=True)
        yield Static("", id="handover-body")

    _width = 0  # the width the open alerts' columns were fitted to

    def on_mount(self) -> None:
        self.query_one("#handover-open", DataTable).focus()

    def on_resize(self) -> None:
        if self.handover is not None and self.size.width != self._width:
            self.on_handover_loaded(HandoverLoaded(self.handover))

    def _fit_columns(self) -> list[str]:
        """Lay the open alerts' columns out for this width (narrow: the level, then the owner go); their keys."""
        table = self.query_one("#handover-open", DataTable)
        if self._width != self.size.width or not table.columns:
            self._width = self.size.width
            table.clear(columns=True)
            for column in fit([Want("id", "#", 6), Want("sev", _("severity"), 9, 3), Want("state", _("state"), 12, 3),
                               Want("lvl", _("level"), 5, 6), Want("owner", _("owner"), 8, 5), Want("next", _("next deadline"), 11, 4),
                               Want("title", _("title"), None, 2, least=20)], self.size.width or 80):
                table.add_column(column.label, key=column.key, width=column.width)
        return [str(c.key.value) for c in table.columns.values()]

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="handover")
    def _load(self) -> None:
        from watchdesk.services.handover import get_handover

        try:
            h = get_handover(self.desk.rt)
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused("handover", str(exc)))
            return
        self.post_message(HandoverLoaded(h))

    def on_handover_loaded(self, message: HandoverLoaded) -> None:
        h = self.handover = message.handover
        zone = self.desk.rt.zone
        s, c = h.summary, h.summary.get("counts", {})
        head = Text(no_wrap=False)
        head.append(_("Handover of shift #{id}").format(id=h.shift_id) + "  ", style="bold")
        head.append(f"{h.outgoing} → {h.incoming or '?'}  {local(h.period_start, zone)}–{local(h.period_end, zone)}  ")
        head.append(word(h.status), style={"draft": "bold yellow", "signed": "bold cyan", "accepted": "bold green"}[h.status])
        if h.on_behalf:
            head.append("  " + _("accepted by {who} on behalf of {incoming}").format(who=h.accepted_by, incoming=h.incoming))
        if h.signed_out_early:
            head.append("  " + _("signed out early"), style="bold yellow")
        if h.accepted_early:
            head.append("  " + _("accepted early"), style="bold yellow")
        if h.alert_id:
            head.append("  " + _("late-handover alert #{id}").format(id=h.alert_id), style="bold red")
        head.append("\n" + counts_sentence(c))
        self.query_one("#handover-head", Static).update(head)
        shown = self._fit_columns()
        table = self.query_one("#handover-open", DataTable)
        table.clear()
        for o in s.get("open", []):
            cells = {"id": o["id"], "sev": word(o["severity"]), "state": word(o["state"]), "lvl": o["level"], "owner": o["owner"] or "-",
                     "next": _utc(o["next_deadline"], zone), "title": ("↪ " if o.get("carried_over") else "") + o["title"]}
            table.add_row(*[plain(cells[key]) for key in shown], key=str(o["id"]))
        body = Text(no_wrap=False)
        for b in s.get("breaches", []):
            body.append(_("Breach") + f" #{b['id']} {word(b['severity'])}: ", style="bold red")
            body.append(f"{b['title']} ({human_duration(b['ack_seconds'])} > {human_duration(b['target_seconds'])})\n")
        for x in s.get("sources", []):
            body.append(_("Source") + f" {x['key']}: {word(x['state'])} ", style="bold yellow")
            body.append(f"{x['last_error']}\n")
        for call in s.get("calls", []):
            body.append(_("Call") + f" #{call['alert_id']} {call['contact']}: ", style="bold")
            body.append(f"{call['outcome']} {call['reference']}\n")
        body.append(_("Notes") + ": ", style="bold")
        body.append((h.notes or "-") + "\n")
        body.append(_("Remarks") + ": ", style="bold")
        body.append(h.remarks or "-")
        self.query_one("#handover-body", Static).update(body)

    def current_alert_id(self) -> int | None:
        table = self.query_one("#handover-open", DataTable)
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0) or None

    # -- sign, accept, export ---------------------------------------------------------------
    def _form(self, verb: str, title: str, field: Field, label: str, done: str, call: Any) -> None:
        """Ask for the text, then `call(text, early=...)` from the form: a refusal keeps the form open
        with what was typed; "too early" closes it and asks to confirm, the text kept for the retry."""
        from watchdesk.services.handover import TooEarly

        early: list[TooEarly] = []

        def act(values: dict[str, str]) -> None:
            try:
                call(values[field.name], early=False)
            except TooEarly as exc:
                early.append(exc)  # asked about once the form has closed (never done on its own)

        def closed(values: dict[str, str] | None) -> None:
            if values is None:
                return
            if early:
                text = values[field.name]
                self.post_message(ConfirmEarly(verb, early[0].what, label, lambda early=False: call(text, early=early), done))
            else:
                self.post_message(ActionDone(verb, 0, done))

        self.app.push_screen(PromptForm(title, [field], label, act=act), closed)

    def action_sign(self) -> None:
        def go(actor: Any) -> None:
            from watchdesk.services.handover import sign_out

            shift = self.handover.shift_id if self.handover else None
            self._form("sign", _("Sign the handover out"), Field("notes", _("Notes for the next shift"), _("what they must know"),
                                                                    required=False),
                       _("Sign out"), _("Signed out; the incoming officer accepts it."),
                       lambda notes, early=False: sign_out(self.desk.rt, actor, notes, shift, early=early))

        self._with_operator(Action.HANDOVER, go)

    def action_accept(self) -> None:
        def go(actor: Any) -> None:
            from watchdesk.services.handover import accept

            shift = self.handover.shift_id if self.handover else None
            self._form("accept", _("Accept the handover"), Field("remarks", _("Your remarks"), required=False),
                       _("Accept"), _("Handover accepted."),
                       lambda remarks, early=False: accept(self.desk.rt, actor, remarks, shift, early=early))

        self._with_operator(Action.HANDOVER, go)

    def action_export(self) -> None:
        if self.handover is None:
            return
        self._export(self.handover.shift_id)

    @work(thread=True, exit_on_error=False, group="handover-export")
    def _export(self, shift_id: int) -> None:
        from watchdesk.reports.handover import render
        from watchdesk.services.handover import get_handover
        from watchdesk.services.reports import make_proof

        try:
            rt = self.desk.rt
            h = get_handover(rt, shift_id)
            proof = make_proof(rt)
            written = []
            for fmt in ("html", "md"):
                path = Path.cwd() / f"handover-shift-{shift_id}.{fmt}"
                path.write_text(render(h, proof, rt.zone.key, fmt), encoding="utf-8")
                written.append(str(path))
        except (*PERSON_ERRORS, OSError) as exc:
            self.post_message(ActionRefused("export", str(exc)))
            return
        self.post_message(ActionDone("export", 0, _("Wrote {files}.").format(files=", ".join(written))))

    @work(thread=True, exit_on_error=False, group="handover-action")
    def _act(self, verb: str, call: Any, done: str, label: str = "", early: bool = False) -> None:
        """Run `call(early=...)`; an early sign-out or acceptance is asked about first (never done on its own)."""
        from watchdesk.services.handover import TooEarly

        try:
            call(early=early)
        except TooEarly as exc:
            self.post_message(ConfirmEarly(verb, exc.what, label, call, done))
            return
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused(verb, str(exc)))
            return
        self.post_message(ActionDone(verb, 0, done))

    def on_confirm_early(self, message: ConfirmEarly) -> None:
        def answered(choice: str | None) -> None:
            if choice == "yes":
                self._act(message.verb, message.retry, message.done, message.label, True)
            else:
                self.show_status(message.question + ".")

        # "Cancel" comes first: enter on the question alone does not do the early action.
        self.app.bell()
        self.app.push_screen(ChoiceForm(message.question + ".", [("no", Content(_("Cancel"))), ("yes", Content(message.label))]),
                             answered)

    def on_action_done(self, message: ActionDone) -> None:
        self.show_status(message.sentence)
        self.reload()

    def on_action_refused(self, message: ActionRefused) -> None:
        self.app.bell()
        self.show_status(message.sentence, error=True)


register_screen("5", "handover", N_("Handover"), HandoverScreen)
