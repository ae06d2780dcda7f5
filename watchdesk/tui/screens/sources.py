"""The Sources screen: each feed's health, last success, last error, staleness; poll now."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
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


class SourcesScreen(DeskScreen):
    MODE = "sources"
    BINDINGS = [
        Binding("p", "poll_one", _("Poll now"), id="sources.poll"),
        Binding("P", "poll_all", _("Poll all"), id="sources.poll_all"),
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
            table.add_row(plain(s.key), state, plain(local(s.last_ok_at, zone)), plain(local(s.last_new_item_at, zone) + stale),
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
