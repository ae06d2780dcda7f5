"""The alerts board, most urgent first (watchdesk.services.alerts.board_order); the default screen.

Open alerts are always all shown; resolved ones only the latest `RESOLVED_SHOWN`
(the board never loads a year of history into a widget). Search folds Vietnamese
('nghiem trong' finds 'nghiêm trọng') through watchdesk.core.text.matches.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from watchdesk.core.enums import AlertState, Severity
from watchdesk.core.records import AlertRecord
from watchdesk.core.text import fold
from watchdesk.i18n import N_, _, ngettext
from watchdesk.services.alerts import AlertFilter, list_alerts
from watchdesk.tui.widgets.inputs import DeskInput
from watchdesk.tui.widgets.row_table import Column, RowTable
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
        Binding("g", "assign", _("Assign"), show=False, id="alerts.assign"),  # leads and supervisors (help lists it)
        Binding("enter", "open", _("Detail"), id="alerts.open"),
        Binding("slash", "search", _("Search"), id="alerts.search"),
        Binding("f", "filter", _("Filter"), id="alerts.filter"),
        Binding("x", "dismiss_banner", _("Dismiss banner"), show=False, id="alerts.dismiss"),
        Binding("escape", "clear_search", _("Clear search"), show=False, id="alerts.clear_search"),
        Binding("h", "search_history", _("Search all history"), show=False, id="alerts.search_history"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[AlertRecord] = []  # as read (filters applied, search not)
        self.haystacks: dict[int, str] = {}  # folded text per alert, for the search
        self.alerts: list[AlertRecord] = []  # on screen (search applied)
        self.search = ""
        self.shown_search = ""  # the search the rows on screen answer (lags `search` while a worker runs)
        self.history = False  # the search runs over the whole history (in a worker), not over the rows loaded
        self.state_filter = ""
        self.severity_filter = ""
        self.source_filter = ""
        self.wide = False
        self._layout: tuple[int, int] | None = None

    def compose_body(self) -> ComposeResult:
        yield DeskInput(placeholder=_("Search (Vietnamese with or without accents); enter: back to the board, escape: clear"),
                    id="search", classes="-hidden")
        yield RowTable[AlertRecord](id="board", key=lambda a: a.id, cells=self._cells, stamp=self._stamp)
        yield Static("", id="board-summary")

    def on_mount(self) -> None:
        self.query_one("#board", RowTable).focus()

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
            limit=RESOLVED_SHOWN,
        )

    def reload(self) -> None:
        self._load(self.current_filter(), self.search if self.history else "")

    @work(thread=True, exclusive=True, exit_on_error=False, group="board")
    def _load(self, flt: AlertFilter, history: str) -> None:
        # The search is applied on the UI thread to what is loaded (list_alerts also searches only
        # the open alerts and the latest `limit` resolved ones), so a keystroke costs no query.
        # Asked to search the whole history, the worker searches every alert and loads the hits.
        try:
            if history:
                from watchdesk.services.alerts import search_history

                alerts = search_history(self.desk.rt, replace(flt, search=history))
            else:
                alerts = list_alerts(self.desk.rt, replace(flt, search=""))
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused("load", str(exc)))
            return
        hay = {a.id: " ".join(fold(h) for h in (a.title, a.summary, " ".join(a.cves), a.source, a.doc_number) if h) for a in alerts}
        self.post_message(AlertsLoaded(alerts, hay))

    def on_alerts_loaded(self, message: AlertsLoaded) -> None:
        self.loaded = message.alerts
        self.haystacks = message.haystacks
        self._apply_search()
        if self.history and self.search:
            self.show_status(ngettext("{n} alert in the whole history matches '{text}'.",
                                      "{n} alerts in the whole history match '{text}'.", len(self.alerts)).format(
                                          n=len(self.alerts), text=self.search))

    def _apply_search(self) -> None:
        """Show the loaded alerts that match the search (every folded word found: core.text.matches)."""
        words = fold(self.search).split()
        self.alerts = [a for a in self.loaded if all(w in self.haystacks.get(a.id, "") for w in words)] if words else self.loaded
        self.shown_search = self.search
        table = self.query_one("#board", RowTable)
        layout = (self.size.width, max([len(str(a.id)) for a in self.alerts] + [2]))
        if layout != self._layout:
            self._layout = layout
            table.set_columns(self._columns(layout[0], layout[1]))
        table.show(self.alerts, keep=table.cursor_key)
        self._summarise()

    def _columns(self, width: int, id_width: int) -> list[Column]:
        width = width or 80
        self.wide = width >= WIDE
        fixed = [Column("id", "#", id_width), Column("sev", _("Sev"), 4), Column("state", _("St"), 4), Column("age", _("Age"), 5),
                 Column("next", _("Next"), 9), Column("level", "L", 1), Column("source", _("Source"), 10 if self.wide else 7)]
        tail = [Column("cve", _("CVE"), 16)] if self.wide else []
        tail.append(Column("who", _("Who"), 8 if self.wide else 6))
        used = sum(c.width + 2 for c in fixed + tail) + 2
        title = Column("title", _("Title"), max(width - used - 2, 12))
        return [*fixed, title, *tail]

    def _cells(self, a: AlertRecord) -> list[Text]:
        now = self.desk.rt.now()
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

    def _stamp(self, a: AlertRecord) -> tuple[str, str, str]:
        """What changes on a row while the alert does not: its age and its countdown."""
        now = self.desk.rt.now()
        age, left = age_text(a, now), next_text(a, now)
        return age.plain, left.plain, str(left.style)

    def _summarise(self) -> None:
        new = sum(1 for a in self.alerts if a.state == AlertState.NEW)
        acked = sum(1 for a in self.alerts if a.state == AlertState.ACKNOWLEDGED)
        resolved = sum(1 for a in self.alerts if a.state == AlertState.RESOLVED)
        parts = [_("{n} new").format(n=new), _("{n} acknowledged").format(n=acked),
                 ngettext("{n} resolved shown", "{n} resolved shown", resolved).format(n=resolved)]
        active = [f"{_(label)}={value}" for label, value in ((N_("state"), self.state_filter), (N_("severity"), self.severity_filter),
                                                             (N_("source"), self.source_filter)) if value]
        if self.search:
            active.append((_("search in all history") if self.history else _("search")) + f"={self.search}")
        line = Text(" · ".join(parts), no_wrap=True, overflow="ellipsis")
        if active:
            line.append("  " + _("filter: ") + ", ".join(active), style="bold")
        if not self.alerts and self.search and self.history:
            line = Text(_("No alert in the whole history matches."), no_wrap=True)
        elif not self.alerts and self.search:
            # The board searches what it loaded; say how to search the rest, here on the desk.
            line = Text(_("No alerts match among the open alerts and the latest {n} resolved; "
                          "press h to search the whole history.").format(n=RESOLVED_SHOWN))  # may take 2 lines
        elif not self.alerts:
            line = Text(_("No alerts match.") if active else _("No alerts. The board is clear."), no_wrap=True)
        self.query_one("#board-summary", Static).update(line)

    def tick(self) -> None:
        super().tick()
        tables = self.query("#board").results(RowTable)
        table = next(tables, None)
        if table is not None:  # None: not composed yet (a tick can land while the screen is being switched in)
            table.refresh_stale()  # only the rows on screen whose age or countdown text moved

    def on_resize(self) -> None:
        if self.alerts and self.size.width != (self._layout or (0,))[0]:
            self._apply_search()

    # -- selection ----------------------------------------------------------------------
    def current_alert_id(self) -> int | None:
        key = self.query_one("#board", RowTable).cursor_key
        return int(key) if key is not None else None

    @on(RowTable.Selected, "#board")
    def _selected(self, event: RowTable.Selected) -> None:
        self.desk.open_alert(int(event.key))  # type: ignore[call-overload]

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
        if self.history and self.search:
            self.reload()  # the hits come from the worker (the rows shown meanwhile are filtered as before)
        self._apply_search()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one("#board", RowTable).focus()

    def action_clear_search(self) -> None:
        box = self.query_one("#search", Input)
        if box.has_class("-hidden") and not self.search:
            return
        box.value = ""
        box.add_class("-hidden")
        self.search = ""
        self.query_one("#board", RowTable).focus()
        self._apply_search()
        if self.history:
            self.history = False
            self.reload()  # back to the open alerts and the latest resolved

    def action_search_history(self) -> None:
        """Search every alert ever received for the search's words (a worker reads them)."""
        self.history = True
        if not self.search:
            self.action_search()
            self.show_status(_("Type words to search the whole history; enter: back to the board."))
            return
        self.show_status(_("Searching the whole history for '{text}'…").format(text=self.search))
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
