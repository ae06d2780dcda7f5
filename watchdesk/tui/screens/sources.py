"""The Sources screen: each feed's health, last success, last error, staleness; poll now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from watchdesk.core.humane import SOURCE_STATES, word
from watchdesk.i18n import N_, _
from watchdesk.tui.format import local, plain, span
from watchdesk.tui.messages import ActionDone, ActionRefused, SourcesLoaded
from watchdesk.tui.registry import register_screen
from watchdesk.tui.screens.base import PERSON_ERRORS, DeskScreen
from watchdesk.tui.widgets.columns import Want, fit

if TYPE_CHECKING:
    from watchdesk.services.sources import SourceHealth

STATE_STYLE = {
    "ok": "green", "failing": "bold white on red", "stale": "bold yellow", "never-polled": "italic",
    "manual": "dim", "disabled": "dim", "not-configured": "dim",
}
# What the table would show; a narrow terminal drops the highest rank first (the line under the
# table still shows all of the selected source).
COLUMNS = [("key", N_("source"), 14, 1), ("state", N_("state"), 0, 1), ("ok", N_("last ok"), 11, 4),
           ("new", N_("last new item"), 11, 5), ("next", N_("next poll"), 11, 3), ("fails", N_("fails"), 5, 6),
           ("error", N_("last error"), None, 2)]


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

    sources: list[SourceHealth] | None = None  # None until the first load
    _width = 0  # the width the columns were fitted to

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="sources-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="source-error")

    def on_mount(self) -> None:
        self.query_one("#sources-table", DataTable).focus()

    def on_resize(self) -> None:
        if self.sources is not None and self.size.width != self._width:
            self._show(self.sources)

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
        self._show(message.sources)

    def _cells(self, s: SourceHealth) -> dict[str, Text]:

        zone = self.desk.rt.zone
        stale = f" ({span(self.desk.rt.now() - s.last_new_item_at)})" if s.last_new_item_at else ""
        # An old error stays on record after recovery; the table shows it only while failing.
        error = s.last_error if s.state == "failing" else s.warning
        return {
            "key": Text(s.key + (" ?" if s.to_verify else ""), no_wrap=True),  # '?': to verify
            "state": Text(word(s.state), style=STATE_STYLE.get(s.state, ""), no_wrap=True),
            "ok": plain(local(s.last_ok_at, zone)), "new": plain(local(s.last_new_item_at, zone) + stale),
            "next": plain(self._next(s)), "fails": plain(s.failures or ""), "error": plain(error),
        }

    def _next(self, s: SourceHealth) -> str:
        """When it is polled next: a time, "due" once that time has come, nothing when nothing polls it."""
        if s.next_poll_at is None:
            return ""
        return _("due") if s.next_poll_at <= self.desk.rt.now() else local(s.next_poll_at, self.desk.rt.zone)

    def _show(self, sources: list[SourceHealth]) -> None:
        self.sources = sources
        table = self.query_one("#sources-table", DataTable)
        keep = self._current_key()
        if self.size.width != self._width or not table.columns:
            self._width = self.size.width
            table.clear(columns=True)
            # The state column fits the longest state word in the desk's language.
            words = {"state": max(cell_len(word(state)) for state in SOURCE_STATES)}
            wants = [Want(key, _(label), words.get(key, width), rank) for key, label, width, rank in COLUMNS]
            for column in fit(wants, self.size.width or 80):
                table.add_column(column.label, key=column.key, width=column.width)
        table.clear()
        shown = [str(c.key.value) for c in table.columns.values()]
        for s in sources:
            cells = self._cells(s)
            table.add_row(*[cells[key] for key in shown], key=s.key)
        if keep and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))
        if not sources:
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
        source = next((s for s in self.sources or [] if s.key == key), None)
        box = self.query_one("#source-error", Static)
        if source is None:
            box.update("")
            return

        zone = self.desk.rt.zone
        text = Text(no_wrap=False)
        text.append(f"{source.key}  ", style="bold")
        text.append(f"{source.name}  {source.kind}  {source.url}")
        if source.to_verify:
            text.append("\n" + _("To verify: not yet confirmed against the live page; press t to test it, "
                                  "then set to_verify = false in the config."), style="bold yellow")
        text.append("\n" + word(source.state), style=STATE_STYLE.get(source.state, ""))
        facts = [(_("last ok"), local(source.last_ok_at, zone) if source.last_ok_at else ""),
                 (_("last new item"), local(source.last_new_item_at, zone) if source.last_new_item_at else ""),
                 (_("next poll"), self._next(source)),
                 (_("fails"), str(source.failures or ""))]
        for label, value in facts:
            if value:
                text.append(f"  {label}: {value}")
        if source.last_error:
            text.append("\n" + _("Last error") + f" ({local(source.last_error_at, self.desk.rt.zone)}): ", style="bold")
            text.append(source.last_error)
        box.update(text)

    def action_poll_one(self) -> None:
        from watchdesk.services.sources import NOT_POLLED

        key = self._current_key()
        source = next((s for s in self.sources or [] if s.key == key), None)
        if source is None:
            return
        if source.state in NOT_POLLED:
            # Said here rather than asked of the service: nothing goes to the database for it.
            self.show_status(_("{key} is {state}.").format(key=key, state=word(source.state)), error=True)
            return
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
            f"{r.key}: {word(r.status)}" + (", " + _("{n} new").format(n=len(r.new)) if r.new else "")
            + (f" ({r.error})" if r.error else "") for r in results
        )
        self.post_message(ActionDone("poll", 0, summary or _("Nothing to poll.")))

    def on_action_done(self, message: ActionDone) -> None:
        self.show_status(message.sentence)
        self.reload()

    def on_action_refused(self, message: ActionRefused) -> None:
        self.app.bell()
        self.show_status(message.sentence, error=True)


register_screen("3", "sources", N_("Sources"), SourcesScreen)
