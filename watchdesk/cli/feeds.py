"""`watchdesk sources`, `poll`, `import`, `alert add`, `alert list`: warnings in, from the shell."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from watchdesk.cli.alert_group import alert_group
from watchdesk.cli.common import (State, actor_option, echo, emit_json, json_option, local_text, pass_state, resolve_actor, table,
                                  to_jsonable)
from watchdesk.cli.main import cli
from watchdesk.cli.values import LIMIT
from watchdesk.core.enums import AlertState, Severity
from watchdesk.core.humane import word
from watchdesk.i18n import _, ngettext

ALERT_FIELDS = ("id", "source", "native_id", "title", "summary", "link", "severity", "severity_raw", "category",
                "cves", "mentions", "doc_number", "published_at", "received_at", "state", "level", "related",
                "affects_us", "joined_to", "attachments")


def alert_json(record) -> dict:  # noqa: ANN001 - AlertRecord
    """The stable JSON shape of an alert for `alert list --json` and `alert add --json`."""
    from watchdesk.cli.common import to_jsonable

    return {name: to_jsonable(getattr(record, name)) for name in ALERT_FIELDS}


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@cli.group("sources", invoke_without_command=True)
@json_option
@pass_state
@click.pass_context
def sources_cmd(ctx: click.Context, state: State, as_json: bool) -> None:
    """Each source's health: last success, last error, failures, staleness, next poll.

    `watchdesk sources test KEY` fetches one source once and shows what it would bring in.
    """
    if ctx.invoked_subcommand is not None:
        return
    from watchdesk.services.sources import list_sources

    rows = list_sources(state.runtime)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        echo(_("no sources configured; add [[sources]] to the config (see config.example.toml)."))
        return
    echo(table(
        [
            (r.key, r.kind, word(r.state), local_text(state, r.last_ok_at), local_text(state, r.last_new_item_at),
             r.failures or "", local_text(state, r.next_poll_at), _("check!") if r.to_verify else "",
             _short(r.last_error if r.failures else r.warning, 70))
            for r in rows
        ],
        (_("KEY"), _("KIND"), _("STATE"), _("LAST OK"), _("LAST NEW"), _("FAILS"), _("NEXT POLL"), _("VERIFY"), _("PROBLEM")),
    ))
    if any(r.to_verify for r in rows):
        echo(_("check!: a shipped source not yet confirmed against the live page; try it with "
                     "'watchdesk sources test KEY', then set to_verify = false for it."))


@sources_cmd.command("test")
@click.argument("key")
@json_option
@pass_state
def sources_test(state: State, key: str, as_json: bool) -> None:
    """Fetch one source once, store nothing, and show what its adapter found (or exactly why nothing).

    Exit status 1 when no item was found.
    """
    from watchdesk.services.source_trial import trial_lines, try_source

    trial = try_source(state.runtime, key)
    if as_json:
        emit_json({**to_jsonable(trial), "ok": trial.ok})
    else:
        for line in trial_lines(trial, state.runtime.zone):
            echo(line)
    if not trial.ok:
        sys.exit(1)


@cli.command("poll")
@click.option("--source", "source_key", metavar="KEY", help="Poll only this source (else every enabled source).")
@json_option
@pass_state
def poll_cmd(state: State, source_key: str | None, as_json: bool) -> None:
    """Poll now, once, and print what came in. Exit status 1 when a source failed."""
    from watchdesk.services.alerts import get_alert
    from watchdesk.services.sources import poll_due

    rt = state.runtime
    results = poll_due(rt, only=source_key, force=True)
    if as_json:
        emit_json(results)
    elif not results:
        echo(_("nothing to poll: no enabled source with a url in the config."))
    for r in results if not as_json else ():
        if r.status == "error":
            echo(_("{key}: FAILED: {error}").format(key=r.key, error=r.error))
        elif r.status in ("unchanged", "not-modified"):
            echo(f"{r.key}: {word(r.status)} ({r.elapsed:.1f} s)")  # the desk's words too
        else:
            items = ngettext("{n} item", "{n} items", r.items).format(n=r.items)
            echo(_("{key}: {items}, {new} new, {updated} updated, {joined} joined an open alert ({elapsed:.1f} s)").format(
                key=r.key, items=items, new=len(r.new), updated=len(r.updated), joined=len(r.joined), elapsed=r.elapsed))
        for warning in r.warnings:
            echo(_("  note: the source {warning}").format(warning=warning))
        for alert_id in r.new[:50]:
            a = get_alert(rt, alert_id)
            joined = " " + _("(joins #{id})").format(id=a.joined_to) if a.joined_to else ""
            echo(f"  + #{a.id} [{word(a.severity)}] {_short(a.title, 100)}{joined}")
        if len(r.new) > 50:
            echo(_("  … and {new} more ('watchdesk alert list --source {key}')").format(new=len(r.new) - 50, key=r.key))
        if r.health_alert:
            echo(_("  ! raised alert #{health_alert} about this source").format(health_alert=r.health_alert))
    if any(r.status == "error" for r in results):
        sys.exit(1)


@cli.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--source", "source_key", metavar="KEY", help="Store as this configured source (its adapter and preset); default 'import'.")
@actor_option
@json_option
@pass_state
def import_cmd(state: State, file: Path, source_key: str | None, as_handle: str, as_json: bool) -> None:
    """Import a saved feed (RSS/Atom), a JSON (KEV, NVD, Strapi) or a CSV file of warnings."""
    from watchdesk.services.ingest import import_file

    actor = resolve_actor(state, as_handle)
    report, warnings = import_file(state.runtime, actor, file, source_key)
    if as_json:
        emit_json({**report.counts, "new_ids": report.new, "updated_ids": report.updated, "warnings": warnings})
        return
    c = report.counts
    echo(_("{file}: {new} new, {updated} updated, {known} already known, {joined} joined an open alert.").format(file=file, new=c['new'], updated=c['updated'], known=c['unchanged'], joined=c['joined']))
    for warning in warnings:
        echo(_("  note: the file {warning}").format(warning=warning))


@alert_group.command("add")
@click.option("--title", required=True, help="What the warning is about (one line).")
@click.option("--summary", default="", help="The details: what to check, what to do.")
@click.option("--severity", type=click.Choice([s.value for s in Severity]), default=None,
              help="critical, high, medium or low (else read from the words; medium when they say nothing).")
@click.option("--link", default="", help="Where it was published (http/https).")
@click.option("--note", default="", help="Where it came from: 'IRLab', 'phone call from NCSC', a letter number …")
@actor_option
@json_option
@pass_state
def alert_add(state: State, title: str, summary: str, severity: str | None, link: str, note: str, as_handle: str, as_json: bool) -> None:
    """Add a warning that arrived outside any feed; it escalates like any other."""
    from watchdesk.services.ingest import add_manual_alert

    actor = resolve_actor(state, as_handle)
    record = add_manual_alert(state.runtime, actor, title=title, summary=summary,
                              severity=Severity(severity) if severity else None, link=link, note=note)
    if as_json:
        emit_json(alert_json(record))
        return
    joined = _("; it joins open alert #{id} (same CVE), which pages instead").format(id=record.joined_to) if record.joined_to else ""
    echo(_("alert #{id} [{severity}] added: {title}{joined}").format(id=record.id, severity=word(record.severity), title=record.title, joined=joined))


@alert_group.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice([s.value for s in AlertState]), help="Only these states (repeatable).")
@click.option("--severity", "severities", multiple=True, type=click.Choice([s.value for s in Severity]), help="Only these severities (repeatable).")
@click.option("--source", "sources", multiple=True, metavar="KEY", help="Only from these sources (repeatable).")
@click.option("--search", default="", help="Words to find in title, summary, CVE ids, letter number (accents optional).")
@click.option("--limit", type=LIMIT, default=500, show_default=True, help="At most this many resolved alerts (open ones are always all listed).")
@json_option
@pass_state
def alert_list(state: State, states: tuple[str, ...], severities: tuple[str, ...], sources: tuple[str, ...],
               search: str, limit: int, as_json: bool) -> None:
    """Alerts, unacknowledged first, then by deadline and severity."""
    from watchdesk.services.alerts import AlertFilter, list_alerts

    flt = AlertFilter(
        states=tuple(AlertState(s) for s in states), severities=tuple(Severity(s) for s in severities),
        sources=tuple(sources), search=search, limit=limit,
    )
    records = list_alerts(state.runtime, flt, with_related=as_json)
    if as_json:
        emit_json([alert_json(r) for r in records])
        return
    if not records:
        echo(_("no alerts match."))
        return
    echo(table(
        [
            (f"#{r.id}", word(r.severity), word(r.state), r.level, r.source, local_text(state, r.received_at),
             ("↳#%d " % r.joined_to if r.joined_to else "") + ("★ " if r.affects_us else "") + _short(r.title, 90))
            for r in records
        ],
        (_("ID"), _("SEVERITY"), _("STATE"), _("LVL"), _("SOURCE"), _("RECEIVED"), _("TITLE")),
    ))
