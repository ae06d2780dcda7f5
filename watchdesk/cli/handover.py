"""`watchdesk handover show|sign|accept|export|list`: the shift handover record."""

from __future__ import annotations

from pathlib import Path

import click

from watchdesk.cli.common import State, echo, actor_option, emit_json, json_option, pass_state, resolve_actor, table

from watchdesk.cli.main import cli
from watchdesk.cli.values import ID, LIMIT
from watchdesk.i18n import N_, _

SHIFT_HELP = "The level-1 shift (id from 'watchdesk roster list'); default: the one under way or just ended."
EARLY_HELP = "Confirm an early handover: more than handover.early_window (default 30m) before the shift change."


@cli.group("handover")
def handover_group() -> None:
    """Shift handover (biên bản bàn giao ca): draft, sign out, accept, export."""


def _text(state: State, h) -> str:  # noqa: ANN001 - HandoverRecord
    from watchdesk.core.humane import human_duration, word
    from watchdesk.reports.common import local
    from watchdesk.reports.handover import counts_sentence

    zone = state.runtime.zone.key
    s = h.summary
    c = s.get("counts", {})
    lines = [
        _("Handover of shift #{id} ({status}): {outgoing} → {incoming}").format(
            id=h.shift_id, status=word(h.status), outgoing=h.outgoing, incoming=h.incoming or "?")
        + (", " + _("accepted by {who}").format(who=h.accepted_by) if h.on_behalf else "")
        + f", {local(h.period_start, zone)} – {local(h.period_end, zone)} ({zone})",
        "  " + counts_sentence(c),
    ]
    if h.signed_out_at:
        signed = "  " + _("signed out {at}").format(at=local(h.signed_out_at, zone)) + (
            " " + _("(early, confirmed)") if h.signed_out_early else "")
        if h.accepted_at:
            signed += "; " + _("accepted by {who} {at}").format(who=h.accepted_by, at=local(h.accepted_at, zone)) + (
                " " + _("on behalf of {who}").format(who=h.incoming) if h.on_behalf else "") + (
                " " + _("(early, confirmed)") if h.accepted_early else "")
        else:
            signed += "; " + _("acceptance due {at}").format(at=local(h.due_at, zone))
        lines.append(signed)
    if h.alert_id:
        lines.append("  " + _("late-handover alert #{id}").format(id=h.alert_id))
    opened = s.get("open", [])
    lines.append("")
    lines.append(_("Open alerts ({n}):").format(n=len(opened)))
    if opened:
        lines.append(table([[f"#{o['id']}", word(o["severity"]), word(o["state"]), o["level"], o["owner"] or "-",
                             local(o["next_deadline"], zone, "%d/%m %H:%M") or "-", o["title"][:60]] for o in opened],
                           [_("alert"), _("severity"), _("state"), _("level"), _("owner"), _("next deadline"), _("title")]))
    for key, title in (("breaches", N_("SLA breaches")), ("sources", N_("Sources failing or silent")), ("calls", N_("Calls"))):
        items = s.get(key, [])
        if items:
            lines.append("")
            lines.append(f"{_(title)} ({len(items)}):")
            for x in items:
                if key == "breaches":
                    lines.append(f"  #{x['id']} {word(x['severity'])} {x['title'][:60]} "
                                 f"({human_duration(x['ack_seconds'])} > {human_duration(x['target_seconds'])})")
                elif key == "sources":
                    lines.append(f"  {x['key']}: {word(x['state'])} {x['last_error']}")
                else:
                    lines.append("  " + _("alert #{id}").format(id=x["alert_id"]) + f" {x['contact']}: {word(x['outcome'])} {x['reference']}")
    lines += ["", _("Notes: {text}").format(text=h.notes or "-"), _("Remarks: {text}").format(text=h.remarks or "-")]
    return "\n".join(lines)


@handover_group.command("show")
@click.option("--shift", "shift_id", type=ID, help=SHIFT_HELP)
@json_option
@pass_state
def handover_show(state: State, shift_id: int | None, as_json: bool) -> None:
    """Show the handover of a shift: the stored one once signed, else the live draft."""
    from watchdesk.reports.handover import to_json
    from watchdesk.services.handover import get_handover
    from watchdesk.services.reports import make_proof

    h = get_handover(state.runtime, shift_id)
    if as_json:
        emit_json(to_json(h, make_proof(state.runtime, check=False)))
    else:
        echo(_text(state, h))


@handover_group.command("sign")
@click.option("--shift", "shift_id", type=ID, help=SHIFT_HELP)
@click.option("--notes", default="", help="The outgoing officer's notes (what the next shift must know).")
@click.option("--notes-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Read the notes from a UTF-8 file.")
@click.option("--early", is_flag=True, help=EARLY_HELP)
@actor_option
@json_option
@pass_state
def handover_sign(state: State, shift_id: int | None, notes: str, notes_file: Path | None, early: bool, as_handle: str,
                  as_json: bool) -> None:
    """Sign the handover out (the outgoing officer): freezes the draft with your notes."""
    from watchdesk.reports.handover import to_json
    from watchdesk.services.errors import InvalidInput
    from watchdesk.services.handover import sign_out
    from watchdesk.services.reports import make_proof

    if notes_file is not None:
        try:
            notes = notes_file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(_("{notes_file}: not UTF-8 text; save the notes as UTF-8.").format(notes_file=notes_file)) from None
    actor = resolve_actor(state, as_handle)
    h = sign_out(state.runtime, actor, notes, shift_id, early=early)
    if as_json:
        emit_json(to_json(h, make_proof(state.runtime, check=False)))
    else:
        echo(f"Handover of shift #{h.shift_id} signed out by {actor.handle}; {h.incoming or 'the incoming officer'} accepts it "
                   f"('watchdesk handover accept --as {h.incoming or 'HANDLE'}').")


@handover_group.command("accept")
@click.option("--shift", "shift_id", type=ID, help="The shift whose handover you accept; default: the latest signed one.")
@click.option("--remarks", default="", help="Your remarks on what you were handed.")
@click.option("--early", is_flag=True, help=EARLY_HELP)
@actor_option
@json_option
@pass_state
def handover_accept(state: State, shift_id: int | None, remarks: str, early: bool, as_handle: str, as_json: bool) -> None:
    """Accept a signed handover (the incoming officer, or a lead on their behalf), with optional remarks."""
    from watchdesk.reports.handover import to_json
    from watchdesk.services.handover import accept
    from watchdesk.services.reports import make_proof

    actor = resolve_actor(state, as_handle)
    h = accept(state.runtime, actor, remarks, shift_id, early=early)
    if as_json:
        emit_json(to_json(h, make_proof(state.runtime, check=False)))
    else:
        behalf = f" on behalf of {h.incoming}" if h.on_behalf else ""
        cleared = f"; late-handover alert #{h.alert_id} cleared" if h.alert_id else ""
        echo(_("Handover of shift #{shift_id} from {outgoing} accepted by {handle}{behalf}{cleared}.").format(shift_id=h.shift_id, outgoing=h.outgoing, handle=actor.handle, behalf=behalf, cleared=cleared))


@handover_group.command("export")
@click.option("--shift", "shift_id", type=ID, help=SHIFT_HELP)
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@pass_state
def handover_export(state: State, shift_id: int | None, fmt: str, output: Path | None) -> None:
    """Export the handover record (Markdown, printable A4 HTML with signature lines, JSON) with its audit proof."""
    from watchdesk.reports.handover import render
    from watchdesk.services.handover import get_handover
    from watchdesk.services.reports import make_proof

    h = get_handover(state.runtime, shift_id)
    text = render(h, make_proof(state.runtime), state.runtime.zone.key, fmt)
    _write(text, output, fmt)


@handover_group.command("list")
@click.option("-n", "limit", type=LIMIT, default=20, show_default=True)
@json_option
@pass_state
def handover_list(state: State, limit: int, as_json: bool) -> None:
    """The latest stored handovers."""
    from watchdesk.core.humane import word
    from watchdesk.reports.common import local
    from watchdesk.services.handover import list_handovers

    rows = list_handovers(state.runtime, limit)
    zone = state.runtime.zone.key
    if as_json:
        emit_json([{"id": h.id, "shift_id": h.shift_id, "status": h.status, "outgoing": h.outgoing, "incoming": h.incoming,
                    "accepted_by": h.accepted_by, "signed_out_early": h.signed_out_early, "accepted_early": h.accepted_early,
                    "period_start": h.period_start.isoformat(), "period_end": h.period_end.isoformat(),
                    "signed_out_at": h.signed_out_at.isoformat() if h.signed_out_at else None,
                    "accepted_at": h.accepted_at.isoformat() if h.accepted_at else None, "alert_id": h.alert_id} for h in rows])
        return
    echo(table([[h.id, h.shift_id, word(h.status), h.outgoing, h.incoming or "-", local(h.period_end, zone),
                       (local(h.signed_out_at, zone) or "-") + (" " + _("(early)") if h.signed_out_early else ""),
                       (local(h.accepted_at, zone) or "-") + (" " + _("(early)") if h.accepted_early else ""),
                       h.accepted_by if h.on_behalf else "", h.alert_id or ""] for h in rows],
                     [_("id"), _("shift"), _("status"), _("outgoing"), _("incoming"), _("shift end"), _("signed out"), _("accepted"), _("accepted by"), _("alert")]))


def _write(text: str, output: Path | None, fmt: str) -> None:
    """A rendered report to a file, or to stdout through the output filter (JSON escaped, not filtered)."""
    from watchdesk.core.text import json_safe
    from watchdesk.services.errors import InvalidInput

    if output is None:
        if fmt == "json":
            click.echo(json_safe(text), nl=False)
        else:
            echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(_("{output}: cannot write the file ({strerror}); choose another path.").format(output=output, strerror=exc.strerror)) from None
    echo(_("wrote {output}").format(output=output), err=True)
