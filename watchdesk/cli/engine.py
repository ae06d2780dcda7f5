"""`watchdesk serve`, `watchdesk tick`, `watchdesk escalation plan`, `watchdesk notify test`."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from datetime import datetime, timedelta
from typing import Any

import click

from watchdesk.cli.common import State, echo, emit_json, json_option, pass_state, table
from watchdesk.cli.main import cli
from watchdesk.cli.values import DESK_TIME, DurationType, at_desk
from watchdesk.config import DURATION_LIMITS
from watchdesk.core.enums import Severity
from watchdesk.core.humane import human_step, word
from watchdesk.i18n import _
from watchdesk.services.errors import InvalidInput, ServiceError


@cli.command("serve")
@click.option("--interval", type=DurationType(*DURATION_LIMITS["engine.tick_interval"]), default=None,
              help="Time between ticks, 1s to 1m (default: [engine] tick_interval).")
@click.option("-v", "--verbose", is_flag=True, help="Log every tick, not only those that did something.")
@click.option("--listen", default=None, metavar="HOST:PORT",
              help="Take alerts from local monitoring on this address (default: [inbound] listen; off when unset).")
@pass_state
def serve_cmd(state: State, interval: timedelta | None, verbose: bool, listen: str | None) -> None:
    """Run the engine headless: poll sources, escalate, deliver; logs to stderr. Stop with Ctrl-C or SIGTERM."""
    from watchdesk.engine import CLOSE_WAIT, serve

    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    step = interval
    stop = threading.Event()
    rt = _serve_runtime(state)
    inbound = _start_inbound(state, rt, listen)
    wake = threading.Event()  # set by the inbound listener when a post created alerts

    def on_signal(signum: int, _frame: Any) -> None:
        logging.getLogger("watchdesk.engine").info(
            "%s received: stopping (sends still out get %.0f s, then the next engine sends them again)",
            signal.Signals(signum).name, CLOSE_WAIT)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if inbound is not None:
        inbound.server.on_new = wake.set
    try:
        serve(rt, stop, step, wake=wake)
    finally:
        if inbound is not None:
            inbound.stop()


def _start_inbound(state: State, rt: Any, listen: str | None) -> Any:
    """The inbound listener, started and bound (None when off); a bad address or token stops
    serve before the engine starts, with one sentence."""
    from watchdesk.config_file import DEFAULTS_WHERE
    from watchdesk.core.text import clean_line
    from watchdesk.i18n import _
    from watchdesk.inbound.access import inbound_plan
    from watchdesk.inbound.server import Background, InboundServer

    config = rt.config
    plan = inbound_plan(config.inbound, config.source_path or DEFAULTS_WHERE, os.environ, listen)
    if plan is None:
        return None
    for integration in config.inbound.integrations:
        os.environ.pop(integration.token_env, None)  # nothing serve starts has any use for them
    background = Background(InboundServer(rt, plan))
    try:
        url = background.start()
    except OSError as exc:
        raise ServiceError(_("cannot listen on {host} port {port} ({why}); choose another with --listen.")
                           .format(host=clean_line(plan.host), port=plan.port, why=exc.strerror or exc)) from None
    logging.getLogger("watchdesk.inbound").info(
        "taking alerts at %s/api/v1/alertmanager and %s/api/v1/alerts (%s)", url, url,
        ", ".join(f"{i.key}: {i.kind}" for i in plan.integrations))
    if not plan.loopback:
        echo(_("warning: {url} is reachable beyond this machine over plain HTTP, so the tokens cross the network "
               "in clear; put a TLS proxy in front of it.").format(url=url), err=True)
    return background


def _serve_runtime(state: State) -> Any:
    """The runtime serve runs on; a database too damaged to open is raised on the channels first."""
    from watchdesk.store.db import DatabaseDamaged

    try:
        return state.runtime
    except DatabaseDamaged as exc:
        from watchdesk.services.damage import alarm_unopened

        alarm_unopened(state.config(), str(exc), f"{socket.gethostname()}:{os.getpid()}:serve")
        raise


@cli.command("tick")
@json_option
@pass_state
def tick_cmd(state: State, as_json: bool) -> None:
    """Run one engine cycle now (for cron and drills); exits 1 if a phase failed."""
    from watchdesk.engine import Engine

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    engine = Engine(state.runtime, kind="tick")
    try:
        report = engine.tick()
    finally:
        engine.close()
    if as_json:
        emit_json(report)
    else:
        echo(_(
            "polled {polled} sources, escalated {escalated} alerts (re-armed {rearmed}), queued {queued} messages "
            "and {calls} calls, delivered {delivered}, retrying {retried}, failed {failed} ({ms} ms)."
        ).format(polled=report.polled, escalated=report.escalated, rearmed=report.retriggered, queued=report.queued,
                 calls=report.calls, delivered=report.delivered, retried=report.retried, failed=report.failed,
                 ms=f"{report.seconds * 1000:.0f}"))
        by_runner: dict[str, list[str]] = {}
        for job, runner in report.held_elsewhere.items():
            by_runner.setdefault(runner, []).append(job)
        for runner, jobs in by_runner.items():
            echo(_("left to the engine {runner}, alive and doing them: {jobs}.").format(
                runner=runner, jobs=", ".join(word(job) for job in jobs)))
        for error in report.errors:
            echo(f"error: {error}", err=True)
    if report.errors:
        sys.exit(1)


@cli.group("escalation")
def escalation_group() -> None:
    """Escalation policies: dry runs."""


@escalation_group.command("plan")
@click.option("--at", "at_time", type=DESK_TIME, default=None, help="When the alert would arrive, desk time 'YYYY-MM-DD HH:MM' (default now).")
@click.option("--severity", type=click.Choice([s.value for s in Severity]), default="critical", show_default=True)
@json_option
@pass_state
def plan_cmd(state: State, at_time: datetime | None, severity: str, as_json: bool) -> None:
    """Who would be told at each step, and when, if an alert arrived then and nobody acknowledged it.

    The same planning code the engine executes (services.escalation._plan), run at each step's time."""
    from watchdesk.services.escalation import plan_escalation

    rt = state.runtime
    at = at_desk(state, at_time)
    steps = plan_escalation(rt, severity, at)
    if as_json:
        emit_json({"severity": severity, "at": at.isoformat(), "zone": rt.zone.key, "steps": steps})
        return
    echo(_("{severity} alert arriving {at} ({zone}), never acknowledged:").format(
        severity=word(severity), at=f"{at.astimezone(rt.zone):%Y-%m-%d %H:%M}", zone=rt.zone.key))
    rows = []
    for p in steps:
        who = ", ".join(p.officers) if p.officers else (_("NOBODY ON DUTY → next step at once") if p.nobody and not p.then_calls else
                                                        _("NOBODY ON DUTY") if p.nobody else "")
        calls = "; ".join(f"{c['name']} {c['phone'] or c['hotline']} {c['email']}".strip() for c in p.calls)
        rows.append((p.at.astimezone(rt.zone).strftime("%d/%m %H:%M"), p.round + 1, human_step(p.level, [c["key"] for c in p.calls]),
                     who, ", ".join(p.channels), calls))
    echo(table(rows, [_("when"), _("round"), _("step"), _("who"), _("via"), _("call")]))


@cli.group("notify")
def notify_group() -> None:
    """Notification channels."""


@notify_group.command("test")
@click.argument("channel")
@click.option("--to", "to_handle", default="", metavar="HANDLE", help="Send to this officer's address on the channel.")
@pass_state
def notify_test(state: State, channel: str, to_handle: str) -> None:
    """Send a test message through CHANNEL now; exits 1 when it fails, saying why."""
    from watchdesk.services.channel_check import send_test
    from watchdesk.services.escalation import target_for
    from watchdesk.services.officers import get_officer

    rt = state.runtime
    conf = rt.config.channels.get(channel)
    if conf is None:
        raise ServiceError(_("no channel '{channel}' under [channels] ({known}).").format(channel=channel, known=', '.join(sorted(rt.config.channels))))
    target = "test"
    if to_handle:
        officer = get_officer(rt, to_handle)
        target = target_for(conf.type, conf.format, officer)
        if not target:
            raise ServiceError(_("officer '{handle}' has no address for channel '{channel}' ({type}/{format}).").format(handle=officer.handle, channel=channel, type=conf.type, format=conf.format))
    elif conf.type == "email" or (conf.type == "webhook" and conf.format == "telegram"):
        raise InvalidInput(_("channel '{channel}' needs a recipient: add --to HANDLE.").format(channel=channel))
    now = rt.now()
    failure = send_test(rt, channel, target, now)
    if conf.type == "terminal":
        echo(f"test banner written for every running desk (target {target}).")
        return
    if failure is not None:
        echo(f"watchdesk: channel '{channel}' failed: {failure}", err=True)
        sys.exit(1)
    echo(f"test message sent through '{channel}' to {target}.")
