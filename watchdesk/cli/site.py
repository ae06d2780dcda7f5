"""`watchdesk site …`: our own websites (sources of kind site): their baseline and latest check."""

from __future__ import annotations

import click

from watchdesk.cli.common import echo, State, actor_option, emit_json, json_option, local_text, pass_state, resolve_actor
from watchdesk.cli.main import cli
from watchdesk.i18n import _, ngettext


@cli.group("site")
def site_group() -> None:
    """Our own websites: baseline and latest check (defacement, downtime, certificate)."""


def _print(state: State, view) -> None:  # noqa: ANN001 - SiteView
    # Titles, hosts and errors come from the site: cleaned when stored, printed as plain text.
    share = f"{view.changed_share:.0%}" if view.changed_share is not None else "-"
    left = view.cert_days_left
    days = ngettext("{n} day left", "{n} days left", left).format(n=left) if left is not None else "-"
    lines = [
        f"{view.key}  {view.name}  {view.url}",
        _("Baseline:      {at} by {by}, host {host}, text hash {hash}").format(
            at=local_text(state, view.baseline_at), by=view.baseline_by or "-", host=view.baseline_host or "-",
            hash=view.baseline_text_hash[:16] or "-"),
        _("Baseline title: {title}").format(title=view.baseline_title or "-"),
        _("Last check:    {at}: {outcome} (HTTP {status}), host {host}, text hash {hash}, {share} of the text changed").format(
            at=local_text(state, view.checked_at), outcome=view.outcome or "-", status=view.http_status or "-",
            host=view.final_host or "-", hash=view.text_hash[:16] or "-", share=share),
        _("Title:         {title}").format(title=view.title or "-"),
        _("Certificate:   {days}").format(days=days),
    ]
    if view.error:
        lines.append(_("Problem:       {error}").format(error=view.error))
    if view.down_count:
        lines.append(ngettext("Down:          {count} check in a row since {since}", "Down:          {count} checks in a row since {since}", view.down_count).format(
            count=view.down_count, since=local_text(state, view.down_since)))
    for cond in view.conditions:
        lines.append(_("Open finding:  {condition} since {since} UTC (alert #{alert})").format(
            condition=cond.condition, since=cond.since[:16], alert=cond.alert_id))
    echo("\n".join(lines))


@site_group.command("show")
@click.argument("key")
@json_option
@pass_state
def site_show(state: State, key: str, as_json: bool) -> None:
    """The site's baseline, its latest check and the findings still open."""
    from watchdesk.services.sites import site_view

    view = site_view(state.runtime, key)
    if as_json:
        emit_json(view)
        return
    _print(state, view)


@site_group.command("baseline")
@click.argument("key")
@actor_option
@json_option
@pass_state
def site_baseline(state: State, key: str, as_handle: str, as_json: bool) -> None:
    """Check the site now and make its page the baseline (after a change you expected)."""
    from watchdesk.services.sites import take_baseline

    actor = resolve_actor(state, as_handle)
    view = take_baseline(state.runtime, actor, key)
    if as_json:
        emit_json(view)
        return
    echo(_("New baseline of website '{key}' taken.").format(key=view.key))
    _print(state, view)
