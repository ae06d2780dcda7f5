"""The Sources screen: each feed's health, last success, last error, staleness; poll now."""

from __future__ import annotations

from rich.text import Text
from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from watchdesk.i18n import N_, _
from watchdesk.tui.format import local, plain, span
from watchdesk.tui.messages import ActionDone, ActionRefused, SourcesLoaded
from watchdesk.tui.registry import register_screen
from watchdesk.tui.screens.base import PERSON_ERRORS, DeskScreen

STATE_STYLE = {
    "ok": "green", "failing": "bold white on red", "stale": "bold yellow", "never-polled": "italic",
    "disabled": "dim", "not-configured": "dim",
}


@dataclass
class SourceTried(Message, bubble=False):
    """A `sources test` result, as the lines to show (plain text: they quote the remote page)."""

    lines: list[str]


class SourceTrialView(ModalScreen[None]):
    """What one fetch of a source found, without storing anything; escape closes it."""

    DEFAULT_CSS = """
    SourceTrialView { align: center middle; background: $background 60%; }
    #source-trial { width: 120; max-width: 100%; height: 80%; border: thick $primary; }
    """
    BINDINGS = [Binding("escape,q,t", "close", _("Close"), id="sources.test_close")]

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="source-trial"):
            yield Static(Text("\n".join(self.lines)))

    def action_close(self) -> None:
        self.dismiss(None)


class SourcesScreen(DeskScreen):
    MODE = "sources"
    BINDINGS = [
        Binding("p", "poll_one", _("Poll now"), id="sources.poll"),
        Binding("P", "poll_all", _("Poll all"), id="sources.poll_all"),
        Binding("t", "try_one", _("Test source"), id="sources.test"),
    ]

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="sources-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="source-error")

    def on_mount(self) -> None:
        table = self.query_one("#sources-table", DataTable)
        for key, label, width in (("key", _("source"), 14), ("state", _("state"), 12), ("ok", _("last ok"), 11),
                                  ("new", _("last new item"), 11), ("next", _("next poll"), 11), ("fails", _("fails"), 5),
                                  ("error", _("last error"), None)):
            table.add_column(label, key=key, width=width)
        table.focus()

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sources")
    def _load(self) -> None:
        from watchdesk.services.sources import list_sources  # feeds and httpx load on first use, not at start

        try:
            sources = list_sources(self.desk.rt)
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused("sources", str(exc)))
            return
        self.post_message(SourcesLoaded(sources))

    def on_sources_loaded(self, message: SourcesLoaded) -> None:
        self.sources = message.sources
        zone = self.desk.rt.zone
        now = self.desk.rt.now()
        table = self.query_one("#sources-table", DataTable)
        keep = self._current_key()
        table.clear()
        for s in message.sources:
            state = Text(_(s.state), style=STATE_STYLE.get(s.state, ""), no_wrap=True)
            stale = f" ({span(now - s.last_new_item_at)})" if s.last_new_item_at else ""
            # An old error stays on record after recovery; the table shows it only while failing.
            error = s.last_error if s.state == "failing" else s.warning
            key_cell = Text(s.key + (" ?" if s.to_verify else ""), no_wrap=True)  # '?': to verify
            table.add_row(key_cell, state, plain(local(s.last_ok_at, zone)), plain(local(s.last_new_item_at, zone) + stale),
                          plain(local(s.next_poll_at, zone)), plain(s.failures or ""), plain(error), key=s.key)
        if keep and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))
        if not message.sources:
            self.show_status(_("No sources configured; add [[sources]] to the config file."))
        self._show_selected()

    def _current_key(self) -> str | None:
        table = self.query_one("#sources-table", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def on_data_table_row_highlighted(self) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        key = self._current_key()
        source = next((s for s in getattr(self, "sources", []) if s.key == key), None)
        box = self.query_one("#source-error", Static)
        if source is None:
            box.update("")
            return
        text = Text(no_wrap=False)
        text.append(f"{source.key}  ", style="bold")
        text.append(f"{source.name}  {source.kind}  {source.url}")
        if source.to_verify:
            text.append("\n" + _("To verify: not yet confirmed against the live page; press t to test it, "
                                  "then set to_verify = false in the config."), style="bold yellow")
        if source.last_error:
            text.append("\n" + _("Last error") + f" ({local(source.last_error_at, self.desk.rt.zone)}): ", style="bold")
            text.append(source.last_error)
        box.update(text)

    def action_poll_one(self) -> None:
        key = self._current_key()
        if key:
            self.show_status(_("Polling {key}…").format(key=key))
            self._poll(key)

    def action_poll_all(self) -> None:
        self.show_status(_("Polling every source…"))
        self._poll(None)

    def action_try_one(self) -> None:
        key = self._current_key()
        if key:
            self.show_status(_("Testing {key} (nothing is stored)…").format(key=key))
            self._try(key)

    @work(thread=True, exit_on_error=False, group="sources-test")
    def _try(self, key: str) -> None:
        from watchdesk.services.source_trial import trial_lines, try_source

        try:
            trial = try_source(self.desk.rt, key)
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused("test", str(exc)))
            return
        self.post_message(SourceTried(trial_lines(trial, self.desk.rt.zone)))

    def on_source_tried(self, message: SourceTried) -> None:
        self.show_status(_("Test done: nothing was stored."))
        self.app.push_screen(SourceTrialView(message.lines))

    @work(thread=True, exit_on_error=False, group="sources-poll")
    def _poll(self, key: str | None) -> None:
        from watchdesk.services.sources import poll_due

        try:
            results = poll_due(self.desk.rt, only=key, force=True)
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused("poll", str(exc)))
            return
        summary = "; ".join(
            f"{r.key}: {r.status}" + (f", {len(r.new)} new" if r.new else "") + (f" ({r.error})" if r.error else "") for r in results
        )
        self.post_message(ActionDone("poll", 0, summary or _("Nothing to poll.")))

    def on_action_done(self, message: ActionDone) -> None:
        self.show_status(message.sentence)
        self.reload()

    def on_action_refused(self, message: ActionRefused) -> None:
        self.app.bell()
        self.show_status(message.sentence, error=True)


register_screen("3", "sources", N_("Sources"), SourcesScreen)
