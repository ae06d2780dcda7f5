"""`watchdesk botnet …`: the monthly botnet lists, matched against our own networks."""

from __future__ import annotations

from pathlib import Path

import click

from watchdesk.cli.common import State, actor_option, echo, emit_json, json_option, local_text, pass_state, resolve_actor, table
from watchdesk.cli.main import cli
from watchdesk.i18n import _, ngettext



def _rows(n: int) -> str:
    return ngettext("{n:,} row", "{n:,} rows", n).format(n=n)


def _ours(n: int) -> str:
    return ngettext("{n} address of ours", "{n} addresses of ours", n).format(n=n)

@cli.group("botnet")
def botnet_group() -> None:
    """Botnet lists (xlsx or CSV): one alert per address of ours ([watch] networks)."""


@botnet_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--list", "list_name", required=True, metavar="NAME", help="The list's name, e.g. 2026-11 (one name per file).")
@actor_option
@json_option
@pass_state
def botnet_import(state: State, file: Path, list_name: str, as_handle: str, as_json: bool) -> None:
    """Import a botnet list; each address of ours raises an alert (or extends its open one)."""
    from watchdesk.services.botnet import import_list

    actor = resolve_actor(state, as_handle)
    report = import_list(state.runtime, actor, file, list_name)
    if as_json:
        emit_json(report)
        return
    if report.already:
        echo(_("{file}: already imported as list '{name}' ({rows}, {matched}); nothing changed.").format(
            file=file, name=report.list_name, rows=_rows(report.rows), matched=_ours(report.matched)))
        return
    echo(_("{file}: list '{name}', {rows}, {matched}: {raised}, {added} added to open alerts.").format(
        file=file, name=report.list_name, rows=_rows(report.rows), matched=_ours(report.matched),
        raised=ngettext("{n} new alert", "{n} new alerts", len(report.raised)).format(n=len(report.raised)), added=len(report.added_to)))
    for alert_id in report.raised:
        echo(_("  new alert #{id}").format(id=alert_id))
    for alert_id in report.added_to:
        echo(_("  seen again: added to open alert #{id}").format(id=alert_id))
    for warning in report.warnings:
        echo(_("  note: {warning}").format(warning=warning))


@botnet_group.command("check")
@click.argument("address")
@json_option
@pass_state
def botnet_check(state: State, address: str, as_json: bool) -> None:
    """In which imported lists an address appeared."""
    from watchdesk.services.botnet import check_address

    answer = check_address(state.runtime, address)
    if as_json:
        emit_json(answer)
        return
    where = _("ours: {network}").format(network=answer.network) if answer.ours else _("not in [watch] networks")
    if not answer.appearances:
        echo(_("{address} ({where}) is in no imported list.").format(address=answer.address, where=where))
        if not answer.ours:
            echo(_("Lists keep only our own addresses; add its network under [watch] networks to watch it."))
        return
    n = len(answer.appearances)
    echo(ngettext("{address} ({where}) is in {n} list:", "{address} ({where}) is in {n} lists:", n).format(
        address=answer.address, where=where, n=n))
    rows = [(a.list_name, local_text(state, a.imported_at), ", ".join(a.families) or "-",
             ", ".join(str(p) for p in a.ports) or "-", a.times_seen,
             f"#{a.alert_id} {a.alert_state}" if a.alert_id else "-") for a in answer.appearances]
    echo(table(rows, [_("list"), _("imported"), _("family"), _("ports"), _("times"), _("alert")]))


@botnet_group.command("lists")
@json_option
@pass_state
def botnet_lists(state: State, as_json: bool) -> None:
    """The lists imported: name, rows, addresses of ours, who imported them and when."""
    from watchdesk.services.botnet import list_lists

    lists = list_lists(state.runtime)
    if as_json:
        emit_json([{"name": x.name, "file": x.file_name, "file_hash": x.file_hash, "rows": x.rows, "matched": x.matched,
                    "imported_by": x.imported_by, "imported_at": x.imported_at} for x in lists])
        return
    rows = [(x.name, x.file_name, f"{x.rows:,}", x.matched, x.imported_by, local_text(state, x.imported_at), x.file_hash[:12])
            for x in lists]
    echo(table(rows, [_("list"), _("file"), _("rows"), _("ours"), _("by"), _("imported"), _("sha256")]))
