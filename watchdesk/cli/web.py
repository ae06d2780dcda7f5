"""`watchdesk web`: the desk in a browser, one desk process per open page."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import click

from watchdesk.cli.common import State, echo, pass_state
from watchdesk.cli.main import cli
from watchdesk.i18n import _, current_language
from watchdesk.config_file import absolute_db


@cli.command("web")
@click.option("--host", default=None, help="Address to listen on (default: [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (default: [web] port, 8765; 0 takes a free one).")
@pass_state
def web_cmd(state: State, host: str | None, port: int | None) -> None:
    """Serve the desk to a browser on this machine, behind a token. Stop with Ctrl-C.

    Another address than loopback needs [web] token_env (the token's environment variable)."""
    import asyncio
    import logging
    import signal

    from watchdesk.config_file import DEFAULTS_WHERE
    from watchdesk.core.text import clean_line
    from watchdesk.web.access import listener
    from watchdesk.web.server import DeskServer

    # Refused tokens, desks that fail to start (textual-serve's log), on stderr.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = state.config()
    where = config.source_path or DEFAULTS_WHERE
    plan = listener(config.web, where, os.environ, host=host, port=port)
    if plan.token_env:
        # The desks this server starts inherit its environment; they have no use for the token.
        os.environ.pop(plan.token_env, None)
    server = DeskServer(_desk_command(state), host=plan.host, port=plan.port, token=plan.token,
                        title=config.desk.name, language=current_language())

    def ready(base: str) -> None:
        if plan.generated:
            echo(_("serving the desk at {url}/?token={token} (ctrl+c stops)").format(url=base, token=plan.token))
        else:
            echo(_("serving the desk at {url}/ (ctrl+c stops); the browser must give the token in ${var}.")
                       .format(url=base, var=clean_line(plan.token_env)))
        if not plan.loopback:
            echo(_(
                "warning: {url} is reachable beyond this machine over plain HTTP, so the token crosses the network "
                "in clear; put a TLS proxy or an SSH tunnel in front of it."
            ).format(url=base), err=True)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await server.run(stop, ready)

    try:
        asyncio.run(serve())
    except OSError as exc:
        from watchdesk.services.errors import ServiceError

        raise ServiceError(_("cannot listen on {host} port {port} ({why}); choose another with --host/--port.")
                           .format(host=clean_line(plan.host), port=plan.port, why=exc.strerror or exc)) from None


def _desk_command(state: State) -> str:
    """The shell command each page runs: this watchdesk, on the same config and database."""
    args = [sys.executable, "-m", "watchdesk"]
    if state.config_path:
        args += ["--config", str(Path(state.config_path).expanduser().resolve())]
    if state.db_path:
        args += ["--db", absolute_db(state.db_path)]
    if state.lang:
        args += ["--lang", state.lang]
    return shlex.join(args)
