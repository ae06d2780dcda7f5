"""`watchdesk report acks`: the supervisors' acknowledgment report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from watchdesk.cli.common import State, pass_state
from watchdesk.cli.handover import _write
from watchdesk.cli.values import DAY
from watchdesk.cli.main import cli
from watchdesk.i18n import _


@cli.group("report")
def report_group() -> None:
    """Supervisors' reports (each carries the audit log's proof in its first line)."""


@report_group.command("acks")
@click.option("--period", "period", metavar="NAME", help="A watch period ('watchdesk period list').")
@click.option("--from", "first", type=DAY, help="First day (desk time), with --to.")
@click.option("--to", "last", type=DAY, help="Last day (desk time, included).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "md", "html"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@click.option("--no-alerts", is_flag=True, help="Leave out the per-alert table (the groups, breaches and lists stay).")
@pass_state
def report_acks(state: State, period: str | None, first: date | None, last: date | None, fmt: str, output: Path | None,
                no_alerts: bool) -> None:
    """Time to acknowledge per alert, officer, shift, severity and source; SLA breaches; escalations; duty hours.

    Listed apart: grouped alerts (acknowledged with their parent), alerts cleared by the system
    (never anyone's time to acknowledge) and acknowledgments by someone not on duty.

    Exits 1 when the audit log does not verify (the report is still written, saying so in its first line).
    """
    from watchdesk.reports.acks import render
    from watchdesk.services.errors import InvalidInput
    from watchdesk.services.reports import ack_report, date_window, period_window

    rt = state.runtime
    if period and (first or last):
        raise InvalidInput(_("give either --period NAME or --from/--to dates, not both."))
    if period:
        start, end, name = period_window(rt, period)
    elif first and last:
        start, end, name = date_window(rt, first, last)
    else:
        raise InvalidInput(_("say which alerts to report on: --period NAME, or --from YYYY-MM-DD --to YYYY-MM-DD."))
    report = ack_report(rt, start, end, name, with_alerts=not no_alerts)
    _write(render(report, fmt), output, fmt)
    if not report.proof.ok:
        raise SystemExit(1)
