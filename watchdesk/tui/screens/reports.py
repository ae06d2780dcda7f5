"""The Reports screen: the acknowledgment report of the current watch (or the last 7 days) with charts.

Tables: the proof line, per severity and per officer. Charts (textual-plotext): the distribution
of time to acknowledge, alerts per hour over the period, SLA breaches per officer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from watchdesk.core.humane import human_hours
from watchdesk.i18n import N_, _, ngettext
from watchdesk.tui.format import plain
from watchdesk.tui.messages import ActionDone, ActionRefused, DataChanged
from watchdesk.tui.registry import register_screen
from watchdesk.tui.screens.base import PERSON_ERRORS, DeskScreen

WINDOWS = ("period", "24h", "7d")


@dataclass
class ReportLoaded(Message, bubble=False):
    report: Any  # AckReport
    acks_minutes: list[float]


def _dur(seconds: float | None) -> str:
    from watchdesk.reports.common import duration

    return duration(seconds)


class ReportsScreen(DeskScreen):
    MODE = "reports"
    BINDINGS = [
        Binding("w", "window", _("Period / 24 h / 7 days"), id="reports.window"),
        Binding("e", "export", _("Export"), id="reports.export"),
        Binding("u", "update", _("Make again"), id="reports.update"),
    ]
    DEFAULT_CSS = """
    ReportsScreen #report-charts { height: 14; }
    ReportsScreen PlotextPlot { width: 1fr; }
    ReportsScreen DataTable { height: auto; max-height: 12; }
    """

    window = "period"
    report: Any = None
    noted = False  # the status line says the report is behind the log
    changes = 0  # DataChanged seen while on the screen
    made: tuple[Any, int] | None = None  # (the app's data version, changes) the report on screen was made at
    loading: tuple[Any, int] | None = None  # the same for the report being made
    again = False  # asked for while one was being made: make another when it lands

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="report-scroll"):
            yield Static("", id="report-proof")
            with Horizontal(id="report-charts"):
                yield PlotextPlot(id="chart-acks")
                yield PlotextPlot(id="chart-hours")
                yield PlotextPlot(id="chart-breaches")
            yield DataTable(id="report-severity", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="report-officers", cursor_type="row", zebra_stripes=True)
            yield Static("", id="report-breaches")

    # A report is a snapshot with its proof (the log verified as it was then). Verifying a long
    # audit log takes seconds, so a report is made when asked for (u, w), or when the screen comes
    # back and the database changed since; never on every change, nor on closing the help.
    def _version(self) -> tuple[Any, int]:
        return (getattr(self.desk, "data_version", None), self.changes)

    def reload(self) -> None:
        if self.report is None or self.made != self._version():
            self._make()

    def _make(self) -> None:
        if self.loading is not None:
            self.again = True  # one thread at a time: a verify already running is not stopped
            return
        self.loading = self._version()
        self._load(self.window)

    def on_data_changed(self, message: DataChanged) -> None:
        message.prevent_default()  # not DeskScreen's reload
        self.changes += 1
        self.show_status(_("New activity since this report was made: press u to make it again."))
        self.noted = True

    def action_update(self) -> None:
        self.show_status(_("Making the report again…"))
        self.noted = True
        self._make()

    @work(thread=True, exclusive=True, exit_on_error=False, group="reports")
    def _load(self, window: str) -> None:
        from watchdesk.services.periods import current_periods
        from watchdesk.services.reports import ack_report

        rt = self.desk.rt
        try:
            now = rt.now()
            periods = current_periods(rt, now) if window == "period" else []
            if periods:
                start, end, name = periods[0].starts_at, periods[0].ends_at, periods[0].name
            else:
                hours = 24 if window == "24h" else 24 * 7
                start, end, name = now - timedelta(hours=hours), now + timedelta(microseconds=1), human_hours(hours)
            report = ack_report(rt, start, end, name)
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused("report", str(exc)))
            return
        self.post_message(ReportLoaded(report, [a.ack_seconds / 60 for a in report.alerts if a.ack_seconds is not None]))

    def on_report_loaded(self, message: ReportLoaded) -> None:
        r = self.report = message.report
        self.made, self.loading = self.loading, None
        if self.again:
            self.again = False
            self._make()
        elif self.noted and self.made == self._version():
            self.show_status("")  # the 'make it again' note no longer holds (the window's note stays)
            self.noted = False
        head = Text(no_wrap=False)
        head.append(r.proof.first_line(), style="bold green" if r.proof.ok else "bold white on red")
        head.append("\n" + _("Acknowledgment report") + f" — {r.period}: ", style="bold")
        o, never = r.overall, len(r.never_acked)
        head.append(_("{alerts}, MTTA {mean}, median {med}, p90 {p90}, {breaches}, {never}").format(
            alerts=ngettext("{n} alert", "{n} alerts", o.count).format(n=o.count),
            mean=_dur(o.mean), med=_dur(o.median), p90=_dur(o.p90),
            breaches=ngettext("{n} SLA breach", "{n} SLA breaches", o.breaches).format(n=o.breaches),
            never=ngettext("{n} never acknowledged", "{n} never acknowledged", never).format(n=never)))
        self.query_one("#report-proof", Static).update(head)
        for table_id, groups in (("#report-severity", r.by_severity), ("#report-officers", r.by_officer)):
            table = self.query_one(table_id, DataTable)
            # Columns again each time: auto widths then fit these figures, not the widest ever shown.
            table.clear(columns=True)
            for label in ("", _("alerts"), _("acked"), _("mean"), _("median"), _("p90"), _("max"), _("breaches")):
                table.add_column(label)
            for key, s in groups.items():
                table.add_row(plain(key), plain(s.count), plain(s.acked), plain(_dur(s.mean)), plain(_dur(s.median)),
                              plain(_dur(s.p90)), plain(_dur(s.max)), plain(s.breaches, "bold red" if s.breaches else ""))
        self._charts(r, message.acks_minutes)
        lines = Text(no_wrap=False)
        for b in r.breaches[:50]:
            lines.append(f"#{b.alert_id} {b.severity} ", style="bold red")
            lines.append(f"{b.title} — {_dur(b.ack_seconds)} > {_dur(b.target_seconds)}; {b.first_acked_by}; "
                         + _("on duty") + f": {b.on_duty_level1} / {b.on_duty_level2}\n")
        if len(r.breaches) > 50:
            lines.append(_("… and {n} more (export the report for all).").format(n=len(r.breaches) - 50))
        self.query_one("#report-breaches", Static).update(lines)

    def _charts(self, r: Any, acks_minutes: list[float]) -> None:
        plot = self.query_one("#chart-acks", PlotextPlot).plt
        plot.clear_data()
        plot.clear_figure()
        plot.title(_("Minutes to acknowledge"))  # short: a third of 80 columns holds it
        if acks_minutes:
            plot.hist(acks_minutes, bins=20)
        self.query_one("#chart-acks", PlotextPlot).refresh()

        plot = self.query_one("#chart-hours", PlotextPlot).plt
        plot.clear_data()
        plot.clear_figure()
        plot.title(_("Alerts per hour"))
        if r.per_hour:
            # Every hour of the window is a point (quiet ones at 0). The axis is named by its first and
            # last hour in one label: plotext drops tick labels that crowd a narrow chart, and which
            # ones it drops changes with the sizes it was drawn at.
            plot.plot(list(range(len(r.per_hour))), [n for _h, n in r.per_hour])
            plot.xticks([], [])
            plot.xlabel(hour_span([h for h, _n in r.per_hour]))
        self.query_one("#chart-hours", PlotextPlot).refresh()

        plot = self.query_one("#chart-breaches", PlotextPlot).plt
        plot.clear_data()
        plot.clear_figure()
        plot.title(_("SLA breaches per officer"))
        per = Counter(b.first_acked_by for b in r.breaches)
        if per:
            names = sorted(per)
            plot.bar(names, [per[n] for n in names])
        else:
            plot.xlabel(_("no breaches"))
        self.query_one("#chart-breaches", PlotextPlot).refresh()

    def action_window(self) -> None:
        self.window = WINDOWS[(WINDOWS.index(self.window) + 1) % len(WINDOWS)]
        self.show_status(_("Report over: {w}").format(w={"period": _("the current watch period"), "24h": _("the last 24 hours"),
                                                        "7d": _("the last 7 days")}[self.window]))
        self.noted = False  # this note replaces a 'make it again' one
        self._make()

    def action_export(self) -> None:
        if self.report is not None:
            self._export(self.report)

    @work(thread=True, exit_on_error=False, group="reports-export")
    def _export(self, report: Any) -> None:
        from pathlib import Path

        from watchdesk.reports.acks import render

        try:
            written = []
            for fmt in ("html", "csv"):
                path = Path.cwd() / f"ack-report.{fmt}"
                path.write_text(render(report, fmt), encoding="utf-8")
                written.append(str(path))
        except OSError as exc:
            self.post_message(ActionRefused("export", f"{exc.filename}: cannot write the report ({exc.strerror})."))
            return
        self.post_message(ActionDone("export", 0, _("Wrote {files}.").format(files=", ".join(written))))

    def on_action_done(self, message: ActionDone) -> None:
        self.show_status(message.sentence)

    def on_action_refused(self, message: ActionRefused) -> None:
        if message.action == "report":
            self.loading, self.again = None, False  # the next u or visit tries again
        self.app.bell()
        self.show_status(message.sentence, error=True)


def hour_span(hours: list[Any]) -> str:
    """'19:00 → 06:00' for hours within one day, else '13/02 17h → 23/02 07h' (first and last hour)."""
    if not hours:
        return ""
    form = "%H:00" if hours[-1] - hours[0] < timedelta(hours=24) else "%d/%m %Hh"
    return f"{hours[0]:{form}} → {hours[-1]:{form}}"


register_screen("6", "reports", N_("Reports"), ReportsScreen)

