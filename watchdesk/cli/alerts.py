"""`watchdesk alert show|ack|resolve|note|split|escalate|snooze|assign|call`: what people do to an alert."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from watchdesk.cli.alert_group import alert_group
from watchdesk.cli.common import State, actor_option, echo, emit_json, json_option, local_text, pass_state, resolve_actor, table, to_jsonable
from watchdesk.cli.values import ID, DurationType
from watchdesk.core.humane import event_facts, event_word, human_step, word
from watchdesk.i18n import _, ngettext


def _show_json(state: State, alert_id: int) -> dict[str, Any]:
    from watchdesk.services.alerts import get_alert
    from watchdesk.services.calls import list_calls
    from watchdesk.services.desk_state import deliveries, timeline
    from watchdesk.services.escalation import plan_for_alert

    rt = state.runtime
    record = get_alert(rt, alert_id)
    return {
        "alert": to_jsonable(record),
        "timeline": [
            {"seq": e.seq, "at": e.at, "actor": e.actor, "kind": e.kind, "payload": e.payload}
            for e in timeline(rt, alert_id)
        ],
        "deliveries": to_jsonable(deliveries(rt, alert_id)),
        "calls": to_jsonable(list_calls(rt, alert_id)),
        "ahead": to_jsonable(plan_for_alert(rt, alert_id)),
    }


def _print_alert(state: State, alert_id: int) -> None:
    from watchdesk.services.alerts import get_alert

    data = _show_json(state, alert_id)
    a = data["alert"]
    rec = get_alert(state.runtime, alert_id)
    echo(f"#{a['id']} [{word(a['severity']).upper()}] {a['title']}")
    facts = [_("state {state}, level {level}, round {round}").format(state=word(a["state"]), level=a["level"], round=a["round"] + 1)]
    if a["exhausted"]:
        facts.append(_("EXHAUSTED (every step done)"))
    if rec.next_escalation_at:
        facts.append(_("next step {at}").format(at=local_text(state, rec.next_escalation_at)))
    echo(", ".join(facts))
    received = _("received {at} from {source}").format(at=local_text(state, rec.received_at), source=a["source"])
    echo(received + (", " + _("letter {number}").format(number=a["doc_number"]) if a["doc_number"] else ""))
    if rec.acked_by:
        echo(_("acknowledged by {who} at {at}").format(who=rec.acked_by, at=local_text(state, rec.acked_at)))
    if rec.resolved_by:
        echo(_("resolved by {who} at {at}: {note}").format(who=rec.resolved_by, at=local_text(state, rec.resolved_at), note=rec.resolution))
    if rec.snoozed_until:
        echo(_("snoozed until {at}").format(at=local_text(state, rec.snoozed_until)))
    if rec.assignee:
        echo(_("assigned to {who}").format(who=rec.assignee))
    if a["cves"]:
        echo("CVE: " + ", ".join(a["cves"]))
    if a["mentions"]:
        echo(_("mentions: {cves} (named in the text; related, never grouped)").format(cves=", ".join(a["mentions"])))
    if a["link"]:
        echo(a["link"])
    grouped = rec.joined_to and a["state"] != "resolved"
    if grouped:
        echo(_("grouped under #{parent}: its escalation covers this one ('watchdesk alert split {id}' to page it on its own)").format(
            parent=rec.joined_to, id=alert_id))
    if a["related"]:
        echo(_("related: {ids}").format(ids=", ".join(f"#{i}" for i in a["related"])))
    if a["summary"]:
        echo("")
        echo(a["summary"])
    if data["calls"]:
        echo("\n" + _("calls to make:"))
        rows = [(c["id"], c["name"], c["phone"], c["hotline"], c["email"], word(c["outcome"] or "to do"), c["reference"]) for c in data["calls"]]
        echo(table(rows, [_("call"), _("contact"), _("phone"), _("hotline"), _("e-mail"), _("outcome"), _("reference")]))
    if data["ahead"]:
        echo("\n" + (_("steps ahead if nobody acknowledges (#{parent}'s, which covers this one):").format(parent=rec.joined_to) if grouped
                     else _("steps ahead if nobody acknowledges:")))
        rows = [
            (local_text(state, p.at), p.round + 1, human_step(p.level, [c["key"] for c in p.calls]),
             ", ".join(p.officers) or (_("NOBODY ON DUTY") if p.nobody else ""), ", ".join(c["key"] for c in p.calls))
            for p in plan_objects(state, alert_id)
        ]
        echo(table(rows, [_("when"), _("round"), _("step"), _("who"), _("calls")]))
    if data["deliveries"]:
        echo("\n" + _("delivery log:"))
        rows = [(d["id"], d["channel"], d["target"], d["level"], d["round"] + 1, word(d["status"]), d["attempts"], d["last_error"][:60])
                for d in data["deliveries"]]
        echo(table(rows, [_("id"), _("channel"), _("to"), _("level"), _("round"), _("status"), _("tries"), _("last error")]))
    echo("\n" + _("timeline:"))
    zone = state.runtime.zone
    rows = [(e["seq"], _event_time(e["at"], zone), word(e["actor"]), event_word(e["kind"]), _summary(e, zone)) for e in data["timeline"]]
    echo(table(rows, [_("seq"), _("time"), _("who"), _("what"), _("details")]))


def plan_objects(state: State, alert_id: int) -> list[Any]:
    from watchdesk.services.escalation import plan_for_alert

    return plan_for_alert(state.runtime, alert_id)


def _event_time(at: str, zone: Any) -> str:
    """A stored event time in the desk zone; a value that is not a stored time is shown as it is."""
    from watchdesk.store.types import from_db_text

    try:
        return from_db_text(at).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[union-attr]
    except (ValueError, AttributeError):
        return at


def _summary(event: dict[str, Any], zone: Any) -> str:
    """The details column of the timeline: what people wrote, else the event's facts in words."""
    p = event["payload"]
    kind = event["kind"]
    if kind in ("alert.paged", "alert.escalated"):
        who = ", ".join(p.get("notified", [])) or _("nobody")
        text = human_step(p.get("level"), p.get("calls") or []) + ": " + who
        return text + (f" ({p['reason']})" if p.get("reason") else "")
    if kind in ("alert.noted", "alert.resolved"):  # what a person wrote
        return str(p.get("text") or p.get("note") or "")[:80]
    if kind in ("alert.source_resolved", "alert.source_firing", "alert.recurred"):
        return str(p.get("note", ""))[:80]
    if kind == "alert.nobody_on_duty":
        return _("nobody on duty at level {level}").format(level=p.get("level"))
    if kind == "alert.steps_skipped":
        n = len(p.get("steps", []))
        return ngettext("{n} step missed while no engine ran", "{n} steps missed while no engine ran", n).format(n=n)
    if kind == "notification.failed":
        return f"{p.get('channel')} → {p.get('target')}: {str(p.get('error', ''))[:60]}"
    if kind == "notification.cancelled":
        return _("{channel} → {target}: not sent, the alert was {state} first").format(
            channel=p.get("channel"), target=p.get("target"), state=word(p.get("state")))
    if kind == "call.recorded":
        return f"{p.get('contact')}: {word(p.get('outcome'))} {p.get('reference', '')}".strip()
    if kind == "alert.snoozed":
        return _("until {at}: {reason}").format(at=_event_time(str(p.get("until", "")), zone)[:16], reason=p.get("reason", ""))
    if kind == "alert.assigned":
        return _("to {who}").format(who=p.get("to"))
    if kind == "alert.joined":
        return _("#{id} joined ({cves})").format(id=p.get("joined"), cves=", ".join(p.get("cves", [])))
    if kind == "alert.severity_raised":
        return _("{was} → {now} (#{id} joined)").format(was=word(p.get("from")), now=word(p.get("to")), id=p.get("because"))
    return "  ".join(event_facts(p, zone))[:100]


def _done(state: State, record: Any, as_json: bool, sentence: str) -> None:
    if as_json:
        emit_json(record)
    else:
        echo(sentence)


@alert_group.command("show")
@click.argument("alert_id", type=ID)
@json_option
@pass_state
def alert_show(state: State, alert_id: int, as_json: bool) -> None:
    """One alert: details, calls to make, steps ahead, delivery log, timeline."""
    if as_json:
        emit_json(_show_json(state, alert_id))
    else:
        _print_alert(state, alert_id)


@alert_group.command("ack")
@click.argument("alert_id", type=ID)
@actor_option
@json_option
@pass_state
def alert_ack(state: State, alert_id: int, as_handle: str, as_json: bool) -> None:
    """Acknowledge: you have seen it and are on it (stops the escalation)."""
    from watchdesk.services.lifecycle import acknowledge

    record = acknowledge(state.runtime, resolve_actor(state, as_handle), alert_id)
    _done(state, record, as_json, _("alert #{id} acknowledged by {who} at {at}.").format(id=alert_id, who=record.acked_by, at=local_text(state, record.acked_at)))


@alert_group.command("resolve")
@click.argument("alert_id", type=ID)
@click.option("--note", required=True, help="What was done (required).")
@actor_option
@json_option
@pass_state
def alert_resolve(state: State, alert_id: int, note: str, as_handle: str, as_json: bool) -> None:
    """Resolve with a note saying what was done."""
    from watchdesk.services.lifecycle import resolve

    record = resolve(state.runtime, resolve_actor(state, as_handle), alert_id, note)
    _done(state, record, as_json, _("alert #{id} resolved by {who}.").format(id=alert_id, who=record.resolved_by))


@alert_group.command("note")
@click.argument("alert_id", type=ID)
@click.argument("text")
@actor_option
@pass_state
def alert_note(state: State, alert_id: int, text: str, as_handle: str) -> None:
    """Add a note to the alert's timeline."""
    from watchdesk.services.lifecycle import add_note

    add_note(state.runtime, resolve_actor(state, as_handle), alert_id, text)
    echo(_("note added to alert #{id}.").format(id=alert_id))


@alert_group.command("split")
@click.argument("alert_id", type=ID)
@actor_option
@json_option
@pass_state
def alert_split(state: State, alert_id: int, as_handle: str, as_json: bool) -> None:
    """Take an alert out of the group it joined: it then escalates on its own from its first step, now."""
    from watchdesk.services.lifecycle import split

    record = split(state.runtime, resolve_actor(state, as_handle), alert_id)
    _done(state, record, as_json, _("alert #{id} split off; it escalates on its own from level 1 now.").format(id=alert_id))


@alert_group.command("escalate")
@click.argument("alert_id", type=ID)
@click.option("--reason", default="", help="Why (shown to the people paged).")
@actor_option
@json_option
@pass_state
def alert_escalate(state: State, alert_id: int, reason: str, as_handle: str, as_json: bool) -> None:
    """Fire the next step now (leads and supervisors); an acknowledged alert becomes new again."""
    from watchdesk.services.lifecycle import escalate

    record = escalate(state.runtime, resolve_actor(state, as_handle), alert_id, reason)
    _done(state, record, as_json, _("alert #{id} escalated to level {level}.").format(id=alert_id, level=record.level))


@alert_group.command("snooze")
@click.argument("alert_id", type=ID)
@click.argument("duration", type=DurationType("1m", "7d"))
@click.option("--reason", required=True, help="Why it may wait.")
@actor_option
@json_option
@pass_state
def alert_snooze(state: State, alert_id: int, duration: timedelta, reason: str, as_handle: str, as_json: bool) -> None:
    """Pause escalation for DURATION ('30m', '1h'; at most alerts.snooze_max)."""
    from watchdesk.services.lifecycle import snooze

    record = snooze(state.runtime, resolve_actor(state, as_handle), alert_id, duration, reason)
    _done(state, record, as_json, _("alert #{id} snoozed until {at}.").format(id=alert_id, at=local_text(state, record.snoozed_until)))


@alert_group.command("assign")
@click.argument("alert_id", type=ID)
@click.argument("handle")
@actor_option
@json_option
@pass_state
def alert_assign(state: State, alert_id: int, handle: str, as_handle: str, as_json: bool) -> None:
    """Give the alert to an officer (leads and supervisors)."""
    from watchdesk.services.lifecycle import assign

    record = assign(state.runtime, resolve_actor(state, as_handle), alert_id, handle)
    _done(state, record, as_json, _("alert #{id} assigned to {who}.").format(id=alert_id, who=record.assignee))


@alert_group.command("call")
@click.argument("call_id", type=ID)
@click.argument("outcome", type=click.Choice(["called", "no-answer", "reported"]))
@click.option("--reference", default="", help="The reference number the contact gave (needed for 'reported').")
@click.option("--note", default="", help="What was said.")
@actor_option
@json_option
@pass_state
def alert_call(state: State, call_id: int, outcome: str, reference: str, note: str, as_handle: str, as_json: bool) -> None:
    """Record how a call to an outside contact went (the call ids are in 'alert show')."""
    from watchdesk.services.calls import record_call

    record = record_call(state.runtime, resolve_actor(state, as_handle), call_id, outcome, reference, note)
    _done(state, record, as_json, (_("call #{id} to {name}: {outcome} (ref {reference}).") if record.reference else _("call #{id} to {name}: {outcome}.")).format(
        id=call_id, name=record.name, outcome=word(record.outcome), reference=record.reference))
