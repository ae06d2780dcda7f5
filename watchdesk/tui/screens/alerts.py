"""The alerts board: unacknowledged first, ordered by deadline; the default screen.

Open alerts are always all shown; resolved ones only the latest `RESOLVED_SHOWN`
(the board never loads a year of history into a widget). Search folds Vietnamese
('nghiem trong' finds 'nghiêm trọng') through watchdesk.core.text.matches.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from watchdesk.core.enums import AlertState, Severity
from watchdesk.core.records import AlertRecord
from watchdesk.i18n import N_, _, ngettext
from watchdesk.services.alerts import AlertFilter, list_alerts
from watchdesk.tui.widgets.inputs import DeskInput
from watchdesk.tui.format import age_text, next_text, plain, severity_text, short, state_text
from watchdesk.tui.messages import ActionRefused, AlertsLoaded
from watchdesk.tui.registry import register_screen
from watchdesk.tui.screens.base import PERSON_ERRORS, AlertActions, DeskScreen
from watchdesk.tui.screens.forms import FilterForm

RESOLVED_SHOWN = 200
WIDE = 110  # from this width the CVE ids get a column of their own


class AlertsScreen(AlertActions, DeskScreen):
    MODE = "alerts"
    BINDINGS = [
        Binding("a", "acknowledge", _("Ack"), id="alerts.acknowledge"),
        Binding("r", "resolve", _("Resolve"), id="alerts.resolve"),
        Binding("n", "note", _("Note"), id="alerts.note"),
        Binding("e", "escalate", _("Escalate"), id="alerts.escalate"),
        Binding("s", "snooze", _("Snooze"), id="alerts.snooze"),
        Binding("enter", "open", _("Detail"), id="alerts.open"),
        Binding("slash", "search", _("Search"), id="alerts.search"),
        Binding("f", "filter", _("Filter"), id="alerts.filter"),
        Binding("x", "dismiss_banner", _("Dismiss banner"), show=False, id="alerts.dismiss"),
        Binding("escape", "clear_search", _("Clear search"), show=False, id="alerts.clear_search"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.alerts: list[AlertRecord] = []
        self.search = ""
        self.state_filter = ""
        self.severity_filter = ""
        self.source_filter = ""
        self.wide = False

    def compose_body(self) -> ComposeResult:
        yield DeskInput(placeholder=_("Search (Vietnamese with or without accents); enter: back to the board, escape: clear"),
                    id="search", classes="-hidden")
        table: DataTable = DataTable(id="board", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="board-summary")

    def on_mount(self) -> None:
        self.query_one("#board", DataTable).focus()

    # -- loading ------------------------------------------------------------------------
    def current_filter(self) -> AlertFilter:
        states: tuple[AlertState, ...] = ()
        if self.state_filter == "open":
            states = (AlertState.NEW, AlertState.ACKNOWLEDGED)
        elif self.state_filter:
            states = (AlertState(self.state_filter),)
        return AlertFilter(
            states=states,
            severities=(Severity(self.severity_filter),) if self.severity_filter else (),
            sources=(self.source_filter,) if self.source_filter else (),
            search=self.search,
            limit=RESOLVED_SHOWN,
        )

    def reload(self) -> None:
        self._load(self.current_filter())

    @work(thread=True, exclusive=True, exit_on_error=False, group="board")
    def _load(self, flt: AlertFilter) -> None:
        try:
            alerts = list_alerts(self.desk.rt, flt)
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused("load", str(exc)))
            return
        self.post_message(AlertsLoaded(alerts, flt.search))

    def on_alerts_loaded(self, message: AlertsLoaded) -> None:
        if message.search != self.search:
            return  # a slower, older search; the newer one is on its way
        self.alerts = message.alerts
        self._fill()

    def _columns(self, table: DataTable) -> None:
        width = self.size.width or 80
        self.wide = width >= WIDE
        id_width = max([len(str(a.id)) for a in self.alerts] + [2])
        fixed = [("id", "#", id_width), ("sev", _("Sev"), 4), ("state", _("St"), 4), ("age", _("Age"), 5),
                 ("next", _("Next"), 9), ("level", "L", 1), ("source", _("Source"), 10 if self.wide else 7)]
        tail = [("cve", _("CVE"), 16)] if self.wide else []
        tail.append(("who", _("Who"), 8 if self.wide else 6))
        used = sum(w + 2 for _k, _l, w in fixed + tail) + 2
        title_width = max(width - used - 2, 12)
        for key, label, w in fixed:
            table.add_column(label, key=key, width=w)
        table.add_column(_("Title"), key="title", width=title_width)
        for key, label, w in tail:
            table.add_column(label, key=key, width=w)
        self.title_width = title_width

    def _fill(self) -> None:
        table = self.query_one("#board", DataTable)
        keep = self.current_alert_id()
        table.clear(columns=True)
        self._columns(table)
        now = self.desk.rt.now()
        for alert in self.alerts:
            table.add_row(*self._cells(alert, now), key=str(alert.id))
        if keep is not None and str(keep) in table.rows:
            table.move_cursor(row=table.get_row_index(str(keep)))
        self._summarise()

    def _cells(self, a: AlertRecord, now: datetime) -> list[Text]:
        who = a.assignee or a.acked_by or a.resolved_by
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(short(a.title, 300))  # untrusted: plain text only
        if not self.wide and a.cves:
            title.append("  " + " ".join(a.cves), style="dim")
        cells = [
            plain(str(a.id)), severity_text(a.severity), state_text(a.state), age_text(a, now), next_text(a, now),
            plain(str(a.level)), plain(a.source), title,
        ]
        if self.wide:
            cells.append(plain(" ".join(a.cves)))
        cells.append(plain(who))
        return cells

    def _summarise(self) -> None:
        new = sum(1 for a in self.alerts if a.state == AlertState.NEW)
        acked = sum(1 for a in self.alerts if a.state == AlertState.ACKNOWLEDGED)
        resolved = sum(1 for a in self.alerts if a.state == AlertState.RESOLVED)
        parts = [_("{n} new").format(n=new), _("{n} acknowledged").format(n=acked),
                 ngettext("{n} resolved shown", "{n} resolved shown", resolved).format(n=resolved)]
        active = [f"{_(label)}={value}" for label, value in ((N_("state"), self.state_filter), (N_("severity"), self.severity_filter),
                                                             (N_("source"), self.source_filter)) if value]
        if self.search:
            active.append(_("search") + f"={self.search}")
        line = Text(" · ".join(parts), no_wrap=True, overflow="ellipsis")
        if active:
            line.append("  " + _("filter: ") + ", ".join(active), style="bold")
        if not self.alerts:
            line = Text(_("No alerts match.") if active else _("No alerts. The board is clear."), no_wrap=True)
        self.query_one("#board-summary", Static).update(line)

    def tick(self) -> None:
        super().tick()
        table = self.query_one("#board", DataTable)
        if not table.row_count:
            return
        now = self.desk.rt.now()
        for a in self.alerts:
            if a.state != AlertState.RESOLVED and str(a.id) in table.rows:
                table.update_cell(str(a.id), "age", age_text(a, now))
                table.update_cell(str(a.id), "next", next_text(a, now))

    def on_resize(self) -> None:
        if self.alerts:
            self._fill()

    # -- selection ----------------------------------------------------------------------
    def current_alert_id(self) -> int | None:
        table = self.query_one("#board", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key else None

    @on(DataTable.RowSelected, "#board")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.desk.open_alert(int(event.row_key.value))

    def action_open(self) -> None:
        alert_id = self.current_alert_id()
        if alert_id is not None:
            self.desk.open_alert(alert_id)

    # -- search and filter ----------------------------------------------------------------
    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.remove_class("-hidden")
        box.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search = event.value.strip()
        self.reload()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one("#board", DataTable).focus()

    def action_clear_search(self) -> None:
        box = self.query_one("#search", Input)
        if box.has_class("-hidden") and not self.search:
            return
        box.value = ""
        box.add_class("-hidden")
        self.search = ""
        self.query_one("#board", DataTable).focus()
        self.reload()

    def action_filter(self) -> None:
        sources = sorted({s.key for s in self.desk.rt.config.sources} | {a.source for a in self.alerts})

        def chosen(values: dict[str, str] | None) -> None:
            if values is None:
                return
            self.state_filter, self.severity_filter, self.source_filter = values["state"], values["severity"], values["source"]
            self.reload()

        self.app.push_screen(FilterForm(self.state_filter, self.severity_filter, self.source_filter, sources), chosen)

    def action_dismiss_banner(self) -> None:
        self.desk.dismiss_unseen()


register_screen("1", "alerts", N_("Alerts"), AlertsScreen)
