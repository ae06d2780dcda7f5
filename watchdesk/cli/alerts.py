"""`watchdesk alert show|ack|resolve|note|split|escalate|snooze|assign|call`: what people do to an alert."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from watchdesk.cli.alert_group import alert_group
from watchdesk.cli.common import State, actor_option, echo, emit_json, json_option, local_text, pass_state, resolve_actor, table, to_jsonable
from watchdesk.cli.values import ID, DurationType


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
    data = _show_json(state, alert_id)
    a = data["alert"]
    rt = state.runtime
    from watchdesk.services.alerts import get_alert

    rec = get_alert(rt, alert_id)
    echo(f"#{a['id']} [{a['severity'].upper()}] {a['title']}")
    echo(
        f"state {a['state']}, level {a['level']}, round {a['round'] + 1}"
        + (", EXHAUSTED (every step done)" if a["exhausted"] else "")
        + (f", next step {local_text(state, rec.next_escalation_at)}" if rec.next_escalation_at else "")
    )
    echo(f"received {local_text(state, rec.received_at)} from {a['source']}" + (f", letter {a['doc_number']}" if a["doc_number"] else ""))
    if rec.acked_by:
        echo(f"acknowledged by {rec.acked_by} at {local_text(state, rec.acked_at)}")
    if rec.resolved_by:
        echo(f"resolved by {rec.resolved_by} at {local_text(state, rec.resolved_at)}: {rec.resolution}")
    if rec.snoozed_until:
        echo(f"snoozed until {local_text(state, rec.snoozed_until)}")
    if rec.assignee:
        echo(f"assigned to {rec.assignee}")
    if a["cves"]:
        echo("CVE: " + ", ".join(a["cves"]))
    if a["mentions"]:
        echo("mentions: " + ", ".join(a["mentions"]) + " (named in the text; related, never grouped)")
    if a["link"]:
        echo(a["link"])
    if rec.joined_to and a["state"] != "resolved":
        echo(f"grouped under #{rec.joined_to}: its escalation covers this one ('watchdesk alert split {alert_id}' to page it on its own)")
    if a["related"]:
        echo("related: " + ", ".join(f"#{i}" for i in a["related"]))
    if a["summary"]:
        echo("")
        echo(a["summary"])
    if data["calls"]:
        echo("\ncalls to make:")
        rows = [(c["id"], c["name"], c["phone"], c["hotline"], c["email"], c["outcome"] or "TO DO", c["reference"]) for c in data["calls"]]
        echo(table(rows, ["call", "contact", "phone", "hotline", "e-mail", "outcome", "reference"]))
    if data["ahead"]:
        whose = f" (#{rec.joined_to}'s, which covers this one)" if rec.joined_to and a["state"] != "resolved" else ""
        echo(f"\nsteps ahead if nobody acknowledges{whose}:")
        rows = [
            (local_text(state, p.at), p.round + 1, p.label, ", ".join(p.officers) or ("NOBODY ON DUTY" if p.nobody else ""), ", ".join(c["key"] for c in p.calls))
            for p in plan_objects(state, alert_id)
        ]
        echo(table(rows, ["when", "round", "step", "who", "calls"]))
    if data["deliveries"]:
        echo("\ndelivery log:")
        rows = [(d["id"], d["channel"], d["target"], d["level"], d["round"] + 1, d["status"], d["attempts"], d["last_error"][:60]) for d in data["deliveries"]]
        echo(table(rows, ["id", "channel", "to", "level", "round", "status", "tries", "last error"]))
    echo("\ntimeline:")
    rows = [(e["seq"], e["at"][:19], e["actor"], e["kind"], _summary(e)) for e in data["timeline"]]
    echo(table(rows, ["seq", "at (UTC)", "who", "what", "details"]))


def plan_objects(state: State, alert_id: int) -> list[Any]:
    from watchdesk.services.escalation import plan_for_alert

    return plan_for_alert(state.runtime, alert_id)


def _summary(event: dict[str, Any]) -> str:
    p = event["payload"]
    kind = event["kind"]
    if kind in ("alert.paged", "alert.escalated"):
        who = ", ".join(p.get("notified", [])) or "nobody"
        calls = f"; call {', '.join(p['calls'])}" if p.get("calls") else ""
        return f"level {p.get('level')}: {who}{calls}" + (f" ({p['reason']})" if p.get("reason") else "")
    if kind == "alert.noted":
        return str(p.get("text", ""))[:80]
    if kind in ("alert.source_resolved", "alert.source_firing", "alert.recurred"):
        return str(p.get("note", ""))[:80]
    if kind == "alert.resolved":
        return str(p.get("note", ""))[:80]
    if kind == "alert.nobody_on_duty":
        return f"nobody on duty at level {p.get('level')}"
    if kind == "alert.steps_skipped":
        return f"{len(p.get('steps', []))} steps missed while no engine ran"
    if kind == "notification.failed":
        return f"{p.get('channel')} → {p.get('target')}: {str(p.get('error', ''))[:60]}"
    if kind == "notification.cancelled":
        return f"{p.get('channel')} → {p.get('target')}: not sent, the alert was {p.get('state')} first"
    if kind == "call.recorded":
        return f"{p.get('contact')}: {p.get('outcome')} {p.get('reference', '')}".strip()
    if kind == "alert.snoozed":
        return f"until {str(p.get('until', ''))[:16]} UTC: {p.get('reason', '')}"
    if kind == "alert.assigned":
        return f"to {p.get('to')}"
    if kind in ("alert.acknowledged", "alert.reopened", "alert.split") and p.get("text"):
        return str(p["text"])
    if kind == "alert.joined":
        return f"#{p.get('joined')} joined ({', '.join(p.get('cves', []))})"
    if kind == "alert.severity_raised":
        return f"{p.get('from')} → {p.get('to')} (#{p.get('because')} joined)"
    return ""


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
    _done(state, record, as_json, f"alert #{alert_id} acknowledged by {record.acked_by} at {local_text(state, record.acked_at)}.")


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
    _done(state, record, as_json, f"alert #{alert_id} resolved by {record.resolved_by}.")


@alert_group.command("note")
@click.argument("alert_id", type=ID)
@click.argument("text")
@actor_option
@pass_state
def alert_note(state: State, alert_id: int, text: str, as_handle: str) -> None:
    """Add a note to the alert's timeline."""
    from watchdesk.services.lifecycle import add_note

    add_note(state.runtime, resolve_actor(state, as_handle), alert_id, text)
    echo(f"note added to alert #{alert_id}.")


@alert_group.command("split")
@click.argument("alert_id", type=ID)
@actor_option
@json_option
@pass_state
def alert_split(state: State, alert_id: int, as_handle: str, as_json: bool) -> None:
    """Take an alert out of the group it joined: it then escalates on its own from its first step, now."""
    from watchdesk.services.lifecycle import split

    record = split(state.runtime, resolve_actor(state, as_handle), alert_id)
    _done(state, record, as_json, f"alert #{alert_id} split off; it escalates on its own from level 1 now.")


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
    _done(state, record, as_json, f"alert #{alert_id} escalated to level {record.level}.")


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
    _done(state, record, as_json, f"alert #{alert_id} snoozed until {local_text(state, record.snoozed_until)}.")


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
    _done(state, record, as_json, f"alert #{alert_id} assigned to {record.assignee}.")


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
    _done(state, record, as_json, f"call #{call_id} to {record.name}: {record.outcome}" + (f" (ref {record.reference})." if record.reference else "."))
