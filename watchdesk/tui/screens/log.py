"""The audit log: a live tail, filtered by actor and kind, and a verify with its result."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from watchdesk.i18n import N_, _
from watchdesk.services import desk_state
from watchdesk.tui.widgets.inputs import DeskInput
from watchdesk.tui.widgets.columns import Want, fit
from watchdesk.tui.widgets.row_table import RowTable
from watchdesk.tui.format import plain
from watchdesk.tui.messages import ActionRefused, LogLoaded, LogVerified
from watchdesk.tui.registry import register_screen
from watchdesk.tui.screens.base import PERSON_ERRORS, DeskScreen
from watchdesk.tui.screens.detail import _event_detail, _event_time

TAIL = 200


class LogScreen(DeskScreen):
    MODE = "log"
    BINDINGS = [
        Binding("slash", "filter", _("Filter"), id="log.filter"),
        Binding("v", "verify", _("Verify"), id="log.verify"),
        Binding("escape", "clear_filter", _("Clear filter"), show=False, id="log.clear"),
    ]

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="log-filters"):
            yield DeskInput(placeholder=_("actor (handle)"), id="log-actor")
            yield DeskInput(placeholder=_("kind, e.g. alert.* or alert.acknowledged"), id="log-kind")
        # The board's table: a live tail shows the same 200 events less one and plus one, and
        # only the new one is rendered.
        yield RowTable[desk_state.EventRecord](id="log-table", key=lambda e: e.seq, cells=self._cells)
        yield Static(Text(_("v: verify the hash chain")), id="log-verify")

    _width = 0  # the width the columns were fitted to
    _column_keys: list[str] = []  # their keys

    def on_mount(self) -> None:
        self._fit_columns()
        self.query_one("#log-table", RowTable).focus()

    def on_resize(self) -> None:
        self._fit_columns()

    def _fit_columns(self) -> None:
        """The detail keeps at least 24 cells: a narrow terminal drops the subject, then the seq."""
        width = self.size.width or self.app.size.width or 80
        if width == self._width:
            return
        self._width = width
        columns = fit([Want("seq", "seq", 8, 4), Want("at", _("time"), 14), Want("actor", _("actor"), 10), Want("kind", _("kind"), 22),
                       Want("subject", _("subject"), 12, 3), Want("detail", _("detail"), None, 2, least=24)], width)
        self._column_keys = [c.key for c in columns]
        self.query_one("#log-table", RowTable).set_columns(columns)

    def _cells(self, e: desk_state.EventRecord) -> list[Text]:
        subject = f"{e.subject_type}:{e.subject_id}" if e.subject_type else ""
        cells = {"seq": plain(e.seq), "at": plain(_event_time(e.at, self.desk.rt.zone)), "actor": plain(e.actor), "kind": plain(e.kind),
                 "subject": plain(subject), "detail": plain(_event_detail(e.payload, self.desk.rt.zone))}
        return [cells[key] for key in self._column_keys]

    def reload(self) -> None:
        self._load(self.query_one("#log-actor", Input).value.strip(), self.query_one("#log-kind", Input).value.strip())

    @work(thread=True, exclusive=True, exit_on_error=False, group="log")
    def _load(self, actor: str, kind: str) -> None:
        try:
            events = desk_state.log_tail(self.desk.rt, TAIL, actor=actor, kind=kind)
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused("log", str(exc)))
            return
        self.post_message(LogLoaded(events))

    def on_log_loaded(self, message: LogLoaded) -> None:
        table = self.query_one("#log-table", RowTable)
        at_end = table.cursor_row >= table.row_count - 1
        table.show(message.events, keep=table.cursor_key)
        if at_end:
            table.move_cursor(table.row_count - 1)  # a live tail follows the newest event

    def on_action_refused(self, message: ActionRefused) -> None:
        self.show_status(message.sentence, error=True)

    @on(Input.Changed)
    def _filter_changed(self) -> None:
        self.reload()

    @on(Input.Submitted)
    def _filter_done(self) -> None:
        self.query_one("#log-table", RowTable).focus()

    def action_filter(self) -> None:
        self.query_one("#log-actor", Input).focus()

    def action_clear_filter(self) -> None:
        for box in self.query(Input):
            box.value = ""
        self.query_one("#log-table", RowTable).focus()

    def action_verify(self) -> None:
        self.query_one("#log-verify", Static).update(Text(_("Verifying the audit log…")))
        self._verify()

    @work(thread=True, exclusive=True, exit_on_error=False, group="log-verify")
    def _verify(self) -> None:
        try:
            result = desk_state.verify_log(self.desk.rt)
        except PERSON_ERRORS as exc:
            self.post_message(LogVerified(False, str(exc)))
            return
        self.post_message(LogVerified(result.ok, result.sentence()))

    def on_log_verified(self, message: LogVerified) -> None:
        box = self.query_one("#log-verify", Static)
        box.set_class(message.ok, "-ok")
        box.set_class(not message.ok, "-broken")
        box.update(Text(("✓ " if message.ok else "✗ ") + message.sentence))


register_screen("4", "log", N_("Log"), LogScreen)
