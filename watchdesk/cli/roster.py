"""`watchdesk period …` and `watchdesk roster …`: watch periods, shifts, who is on duty."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from watchdesk.cli.common import State, echo, actor_option, emit_json, json_option, pass_state, resolve_actor, table
from watchdesk.cli.main import cli
from watchdesk.cli.values import DESK_TIME, LEVEL, YEAR, WholeType, at_desk
from watchdesk.core.humane import weekday
from watchdesk.i18n import _, ngettext
from watchdesk.services.errors import InvalidInput

TIME_HELP = "desk time, YYYY-MM-DD HH:MM"


def _at(state: State, naive: datetime | None) -> datetime:
    """A desk time given on the command line (DESK_TIME: years 2000–2100), or now."""
    return at_desk(state, naive)


def _clock_time(text: str, option: str):  # noqa: ANN202
    from watchdesk.core.roster import RosterError, parse_clock

    try:
        return parse_clock(text)
    except RosterError as exc:
        raise InvalidInput(_("{option}: {exc}").format(option=option, exc=exc)) from None


def _local(state: State, when: datetime | None) -> str:
    from watchdesk.core.roster import local_text

    return "-" if when is None else local_text(when, state.runtime.zone)


def _span_json(state: State, span: Any) -> dict[str, Any]:
    return {
        "id": span.id, "officer": span.officer, "full_name": span.full_name, "level": span.level,
        "start": span.start.isoformat(), "end": span.end.isoformat(),
        "start_local": _local(state, span.start), "end_local": _local(state, span.end),
        "origin": span.origin, "replaces": span.replaces, "reason": span.reason, "approved_by": span.approved_by,
        "note": span.note, "checked_in_at": span.checked_in_at.isoformat() if span.checked_in_at else None,
    }


def _segment_json(state: State, g: Any) -> dict[str, Any]:
    out = _span_json(state, g.span)
    out.update({"shift_id": g.span.id, "start": g.start.isoformat(), "end": g.end.isoformat(),
                "start_local": _local(state, g.start), "end_local": _local(state, g.end)})
    del out["id"]
    return out


def _period_json(state: State, p: Any) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "slug": p.slug, "directive": p.directive, "starts_at": p.starts_at.isoformat(),
            "ends_at": p.ends_at.isoformat(), "start_local": _local(state, p.starts_at), "end_local": _local(state, p.ends_at),
            "notes": p.notes}


# -- periods -----------------------------------------------------------------------------------
@cli.group("period")
def period_group() -> None:
    """Watch periods: the holiday watches a directive orders."""


@period_group.command("add")
@click.argument("name")
@click.option("--start", type=DESK_TIME, required=True, help=f"When the watch begins ({TIME_HELP}).")
@click.option("--end", type=DESK_TIME, required=True, help=f"When it ends ({TIME_HELP}).")
@click.option("--directive", default="", help="The directive's reference, e.g. 5644/BTTTT-CATTT.")
@click.option("--notes", default="")
@actor_option
@pass_state
def period_add(state: State, name: str, start: datetime, end: datetime, directive: str, notes: str, as_handle: str) -> None:
    """Add a watch period (supervisors)."""
    from watchdesk.services.periods import add_period

    actor = resolve_actor(state, as_handle)
    p = add_period(state.runtime, actor, name, _at(state, start), _at(state, end), directive, notes)
    echo(_("watch period '{name}' added: {starts_at} – {ends_at}.").format(name=p.name, starts_at=_local(state, p.starts_at), ends_at=_local(state, p.ends_at)))


@period_group.command("list")
@json_option
@pass_state
def period_list(state: State, as_json: bool) -> None:
    """All watch periods, oldest first."""
    from watchdesk.services.periods import list_periods

    periods = list_periods(state.runtime)
    if as_json:
        emit_json([_period_json(state, p) for p in periods])
        return
    if not periods:
        echo(_("no watch periods yet; add one with 'watchdesk period add' or 'watchdesk period suggest'."))
        return
    rows = [(p.name, p.slug, p.directive, _local(state, p.starts_at), _local(state, p.ends_at), p.notes[:40]) for p in periods]
    echo(table(rows, [_("name"), _("slug"), _("directive"), _("start"), _("end"), _("notes")]))


@period_group.command("suggest")
@click.argument("holiday")
@click.argument("year", type=YEAR)
@click.option("--evening", default="17:00", show_default=True, help="Start time on the evening before the first day off.")
@click.option("--morning", default="08:00", show_default=True, help="End time on the morning after the last day off.")
@click.option("--add", "add_as", default=None, metavar="NAME", help="Also add the period under this name (needs --as).")
@click.option("--directive", default="", help="With --add: the directive's reference.")
@click.option("--as", "as_handle", metavar="HANDLE", envvar="WATCHDESK_AS", default=None, help="With --add: the supervisor adding it.")
@json_option
@pass_state
def period_suggest(state: State, holiday: str, year: int, evening: str, morning: str, add_as: str | None, directive: str,
                   as_handle: str | None, as_json: bool) -> None:
    """Propose the watch around HOLIDAY in YEAR (tet, new-year, hung-kings, 30-4, 1-5, 2-9, culture-day)."""
    from watchdesk.services.periods import add_period, suggest_period

    s = suggest_period(state.runtime, holiday, year, _clock_time(evening, "--evening"), _clock_time(morning, "--morning"))
    if add_as is not None:
        if not as_handle:
            raise InvalidInput(_("--add needs --as HANDLE (a supervisor)."))
        add_period(state.runtime, resolve_actor(state, as_handle), add_as or s.period_name, s.starts_at, s.ends_at, directive,
                   f"{s.name} {s.year}: days off {s.first_day_off:%d/%m} – {s.last_day_off:%d/%m/%Y}")
    if as_json:
        emit_json({
            "holiday": s.key, "year": s.year, "name": s.name, "suggested_name": s.period_name,
            "first_day_off": s.first_day_off.isoformat(), "last_day_off": s.last_day_off.isoformat(),
            "starts_at": s.starts_at.isoformat(), "ends_at": s.ends_at.isoformat(),
            "start_local": _local(state, s.starts_at), "end_local": _local(state, s.ends_at),
            "holidays": [{"date": d.isoformat(), "name": n} for d, n in s.days], "added": add_as is not None,
        })
        return
    echo(_("{name} {year}: days off {first_day_off} – {last_day_off}").format(
        name=s.name, year=s.year, first_day_off=f"{weekday(s.first_day_off)} {s.first_day_off:%d/%m/%Y}",
        last_day_off=f"{weekday(s.last_day_off)} {s.last_day_off:%d/%m/%Y}"))
    width = max(len(weekday(d)) for d, _n in s.days) if s.days else 0
    for d, n in s.days:
        echo(f"  {weekday(d).ljust(width)} {d:%d/%m/%Y}  {n}")
    echo(_("watch: {starts_at} – {ends_at} ({key})").format(starts_at=_local(state, s.starts_at), ends_at=_local(state, s.ends_at), key=state.runtime.zone.key))
    if add_as is not None:
        echo(_("added as watch period '{add_as}'.").format(add_as=add_as or s.period_name))
    else:
        echo(_("to add it: watchdesk period suggest {key} {year} --add {period_name} --as HANDLE").format(key=s.key, year=s.year, period_name=s.period_name))


# -- roster --------------------------------------------------------------------------------------
@cli.group("roster")
def roster_group() -> None:
    """Duty roster: generate, import, export, who is on duty now, check, hours, override, swap, check in."""


@roster_group.command("generate")
@click.option("--period", "period_name", required=True, help="The watch period to fill.")
@click.option("--level", type=LEVEL, required=True, help="1 duty officer, 2 shift lead, 3 supervisor on call.")
@click.option("--pattern", required=True, help="3x8, 2x12, 24h (e.g. 2x12@07:30) or handover times like 07:30/19:30.")
@click.option("--officers", required=True, help="Handles in rotation order, comma-separated: hung,thu,an.")
@click.option("--first", type=WholeType(0, 1000), default=0, show_default=True, help="Index in --officers of who takes the first shift.")
@click.option("--replace", is_flag=True, help="Generate again, cancelling this level's earlier generated shifts.")
@actor_option
@pass_state
def roster_generate(state: State, period_name: str, level: int, pattern: str, officers: str, first: int, replace: bool, as_handle: str) -> None:
    """Rotate officers through a pattern over a watch period (supervisors)."""
    from watchdesk.services.roster import generate

    actor = resolve_actor(state, as_handle)
    made = generate(state.runtime, actor, period_name, level, pattern, officers.split(","), first=first, replace=replace)
    echo(ngettext("generated {n} level-{level} shift for '{period_name}' ({pattern}).",
                  "generated {n} level-{level} shifts for '{period_name}' ({pattern}).", len(made)).format(n=len(made), level=level, period_name=period_name, pattern=pattern))


@roster_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--period", "period_name", default="", help="Attach the shifts to this watch period (else the one they fall in).")
@actor_option
@pass_state
def roster_import(state: State, path: Path, period_name: str, as_handle: str) -> None:
    """Import shifts from CSV: handle,level,start,end,note (desk time; all or nothing)."""
    from watchdesk.services.roster_io import import_csv

    made = import_csv(state.runtime, resolve_actor(state, as_handle), path, period_name)
    echo(ngettext("imported {n} shift from {path}.", "imported {n} shifts from {path}.", len(made)).format(n=len(made), path=path))


def _range(state: State, period_name: str, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime, str]:
    from watchdesk.services.periods import get_period

    if period_name:
        p = get_period(state.runtime, period_name)
        return p.starts_at, p.ends_at, p.name
    lo = _at(state, start) if start else state.runtime.now()
    hi = _at(state, end) if end else lo + timedelta(days=366)
    if hi <= lo:
        raise InvalidInput(_("--to must be after --from."))
    return lo, hi, ""


@roster_group.command("export")
@click.option("--period", "period_name", default="", help="Export this watch period.")
@click.option("--from", "start", type=DESK_TIME, default=None, help=f"Start ({TIME_HELP}; default now).")
@click.option("--to", "end", type=DESK_TIME, default=None, help=f"End ({TIME_HELP}; default a year later).")
@click.option("--format", "fmt", type=click.Choice(["csv", "ics"]), default="csv", show_default=True)
@click.option("--officer", default="", help="Only this officer's shifts (their own calendar).")
@click.option("--per-officer", "per_officer", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --format ics: write one calendar per officer into this folder.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to this file (default stdout).")
@pass_state
def roster_export(state: State, period_name: str, start: datetime | None, end: datetime | None, fmt: str, officer: str,
                  per_officer: Path | None, output: Path | None) -> None:
    """Export the roster (overrides applied) as CSV or iCalendar."""
    from watchdesk.services import roster_io

    lo, hi, name = _range(state, period_name, start, end)
    if per_officer is not None:
        if fmt != "ics":
            raise InvalidInput(_("--per-officer writes calendars; add --format ics."))
        per_officer.mkdir(parents=True, exist_ok=True)
        files = roster_io.export_ics_per_officer(state.runtime, lo, hi)
        for handle, data in files.items():
            (per_officer / f"{handle}.ics").write_bytes(data)
        echo(ngettext("wrote {n} calendar to {per_officer}.", "wrote {n} calendars to {per_officer}.", len(files)).format(n=len(files), per_officer=per_officer))
        return
    if fmt == "csv":
        data = roster_io.export_csv(state.runtime, lo, hi, officer).encode("utf-8")
    else:
        data = roster_io.export_ics(state.runtime, lo, hi, officer, name=f"watchdesk {name}".strip() if not officer else "")
    if output is None:
        # The file's CRLF line ends stay (iCalendar needs them); each line goes through the output filter.
        from watchdesk.core.text import terminal_safe

        lines = data.decode("utf-8").split("\r\n")
        sys.stdout.buffer.write("\r\n".join(terminal_safe(line, newlines=True) for line in lines).encode("utf-8"))
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        echo(_("wrote {output}.").format(output=output))


@roster_group.command("now")
@click.option("--at", "at_text", type=DESK_TIME, default=None, help=f"Ask about another time ({TIME_HELP}).")
@json_option
@pass_state
def roster_now_cmd(state: State, at_text: datetime | None, as_json: bool) -> None:
    """Who is on duty at each level now (or --at), and each officer's next shift."""
    from watchdesk.core.roster import LEVEL_NAMES
    from watchdesk.services.periods import current_periods
    from watchdesk.services.roster import next_shifts, roster_now

    rt = state.runtime
    at = _at(state, at_text)
    levels = roster_now(rt, at)
    upcoming = next_shifts(rt, at)
    periods = current_periods(rt, at)
    if as_json:
        emit_json({
            "at": at.isoformat(), "at_local": _local(state, at), "zone": rt.zone.key,
            "periods": [p.name for p in periods],
            "levels": [{"level": lv, "name": LEVEL_NAMES[lv], "nobody": not segs, "on_duty": [_segment_json(state, g) for g in segs]}
                       for lv, segs in levels.items()],
            "next": [{"officer": n.officer, "full_name": n.full_name, "on_duty_now": n.on_duty_now,
                      "shift": _segment_json(state, n.segment) if n.segment else None} for n in upcoming],
        })
        return
    if periods:
        echo(_("on duty at {at} ({key}) — watch {periods}").format(
            at=_local(state, at), key=rt.zone.key, periods=", ".join(p.name for p in periods)))
    else:
        echo(_("on duty at {at} ({key})").format(at=_local(state, at), key=rt.zone.key))
    for lv, segs in levels.items():
        who = "; ".join(_("{name} ({handle}) until {end}").format(name=g.span.full_name, handle=g.officer, end=_local(state, g.end))
                        for g in segs) or _("NOBODY")
        echo(_("  level {level} {name}: {who}").format(level=lv, name=_(LEVEL_NAMES[lv]), who=who))
    rows = [(n.officer, n.full_name, _("on duty") if n.on_duty_now else (_("next") if n.segment else "-"),
             f"L{n.segment.level}" if n.segment else "", _local(state, n.segment.start) if n.segment else "",
             _local(state, n.segment.end) if n.segment else "") for n in upcoming]
    echo(table(rows, [_("officer"), _("name"), "", _("level"), _("from"), _("to")]))


@roster_group.command("list")
@click.option("--period", "period_name", default="", help="Shifts of this watch period.")
@click.option("--from", "start", type=DESK_TIME, default=None, help=f"Start ({TIME_HELP}; default now).")
@click.option("--to", "end", type=DESK_TIME, default=None, help=f"End ({TIME_HELP}; default a year later).")
@click.option("--level", type=LEVEL, default=None)
@click.option("--officer", default="")
@json_option
@pass_state
def roster_list(state: State, period_name: str, start: datetime | None, end: datetime | None, level: int | None, officer: str, as_json: bool) -> None:
    """Stored shifts with their ids (overridden ones too; 'replaces' links an override to its shift)."""
    from watchdesk.services.roster import list_shifts

    lo, hi, _name = _range(state, period_name, start, end)
    spans = list_shifts(state.runtime, lo, hi, level, officer)
    if as_json:
        emit_json([_span_json(state, s) for s in spans])
        return
    rows = [(s.id, f"L{s.level}", s.officer, _local(state, s.start), _local(state, s.end), s.origin,
             f"#{s.replaces}" if s.replaces else "", "yes" if s.checked_in_at else "", s.reason or s.note) for s in spans]
    echo(table(rows, [_("id"), _("level"), _("officer"), _("from"), _("to"), _("origin"), _("replaces"), _("checked in"), _("reason/note")]))


@roster_group.command("check")
@click.option("--period", "period_name", required=True, help="The watch period to check.")
@json_option
@pass_state
def roster_check(state: State, period_name: str, as_json: bool) -> None:
    """Coverage: gaps, overlaps, double bookings, over-long duty, inactive officers. Exits 1 on a gap at level 1."""
    from watchdesk.core.roster import ISSUE_WORD
    from watchdesk.services.periods import get_period
    from watchdesk.services.roster import coverage

    period = get_period(state.runtime, period_name)
    report = coverage(state.runtime, period)
    zone = state.runtime.zone
    if as_json:
        emit_json({
            "period": period.name, "start": report.start.isoformat(), "end": report.end.isoformat(),
            "max_on_duty_s": report.max_on_duty.total_seconds(), "shifts": report.shifts, "ok": report.ok,
            "level1_gap": report.level1_gap,
            "issues": [{"kind": i.kind, "level": i.level, "start": i.start.isoformat(), "end": i.end.isoformat(),
                        "start_local": _local(state, i.start), "end_local": _local(state, i.end),
                        "hours": round((i.end - i.start).total_seconds() / 3600, 2), "officers": list(i.officers),
                        "shift_ids": list(i.shift_ids), "text": i.sentence(zone)} for i in report.issues],
        })
    elif report.ok:
        echo(ngettext("'{period}': covered at every level, {n} shift, no problems.",
                      "'{period}': covered at every level, {n} shifts, no problems.", report.shifts)
             .format(period=period.name, n=report.shifts))
    else:
        problems = ngettext("{n} problem", "{n} problems", len(report.issues)).format(n=len(report.issues))
        echo(ngettext("'{period}': {problems} in {n} shift:", "'{period}': {problems} in {n} shifts:", report.shifts)
             .format(period=period.name, problems=problems, n=report.shifts))
        for issue in report.issues:
            echo(f"  [{_(ISSUE_WORD[issue.kind])}] {issue.sentence(zone)}")
    sys.exit(1 if report.level1_gap else 0)


@roster_group.command("hours")
@click.option("--period", "period_name", required=True)
@json_option
@pass_state
def roster_hours(state: State, period_name: str, as_json: bool) -> None:
    """Duty hours per officer over a period: total, at night, on public holidays."""
    from watchdesk.services.roster import hours

    rows = hours(state.runtime, period_name)
    if as_json:
        emit_json([{"officer": r.officer, "full_name": r.full_name, "shifts": r.shifts, "hours": r.hours,
                    "night_hours": r.night_hours, "holiday_hours": r.holiday_hours} for r in rows])
        return
    echo(table([(r.officer, r.full_name, r.shifts, f"{r.hours:g}", f"{r.night_hours:g}", f"{r.holiday_hours:g}") for r in rows],
                     [_("officer"), _("name"), _("shifts"), _("hours"), _("night"), _("holiday")]))


@roster_group.command("override")
@click.argument("handle")
@click.option("--level", type=LEVEL, default=1, show_default=True)
@click.option("--from", "start", type=DESK_TIME, required=True, help=f"Start of the cover ({TIME_HELP}).")
@click.option("--to", "end", type=DESK_TIME, required=True, help=f"End of the cover ({TIME_HELP}).")
@click.option("--replacing", default="", help="Only replace this officer's shift (default: whoever is on duty then).")
@click.option("--reason", required=True)
@click.option("--approved-by", "approved_by", default="", help="The lead/supervisor who approved it (default: --as).")
@actor_option
@pass_state
def roster_override(state: State, handle: str, level: int, start: datetime, end: datetime, replacing: str, reason: str, approved_by: str, as_handle: str) -> None:
    """HANDLE covers a stretch of duty ("Lan covers Minh's night") — leads and supervisors."""
    from watchdesk.services.roster import override

    actor = resolve_actor(state, as_handle)
    made = override(state.runtime, actor, handle, level, _at(state, start), _at(state, end), reason,
                    approved_by=approved_by, replacing=replacing)
    for s in made:
        replaced = f", replacing shift #{s.replaces}" if s.replaces else " (was empty)"
        echo(_("shift #{id}: {officer} at level {level} {start} – {end}{replaced}.").format(id=s.id, officer=s.officer, level=s.level, start=_local(state, s.start), end=_local(state, s.end), replaced=replaced))


@roster_group.command("swap")
@click.argument("handle_a")
@click.argument("at_a", type=DESK_TIME)
@click.argument("handle_b")
@click.argument("at_b", type=DESK_TIME)
@click.option("--reason", required=True)
@click.option("--approved-by", "approved_by", default="", help="The lead/supervisor who approved it (default: --as).")
@actor_option
@pass_state
def roster_swap(state: State, handle_a: str, at_a: datetime, handle_b: str, at_b: datetime, reason: str, approved_by: str, as_handle: str) -> None:
    """A's shift at AT_A goes to B, B's shift at AT_B to A (times: desk time inside each shift)."""
    from watchdesk.services.roster import swap

    actor = resolve_actor(state, as_handle)
    one, two = swap(state.runtime, actor, handle_a, _at(state, at_a), handle_b, _at(state, at_b), reason, approved_by=approved_by)
    for s in (one, two):
        echo(_("shift #{id}: {officer} now on level {level} {start} – {end} (was #{replaces}).").format(id=s.id, officer=s.officer, level=s.level, start=_local(state, s.start), end=_local(state, s.end), replaces=s.replaces))


@roster_group.command("checkin")
@actor_option
@pass_state
def roster_checkin(state: State, as_handle: str) -> None:
    """Report for your shift (roll call): now, or up to 30 minutes before it starts."""
    from watchdesk.services.roll_call import cleared_roll_call
    from watchdesk.services.roster import checkin

    actor = resolve_actor(state, as_handle)
    span = checkin(state.runtime, actor)
    cleared = cleared_roll_call(state.runtime, span.id)
    echo(f"{span.officer} checked in at {_local(state, span.checked_in_at)} for level {span.level} "
               f"{_local(state, span.start)} – {_local(state, span.end)}"
               + (f"; roll-call alert #{cleared} cleared." if cleared else "."))
