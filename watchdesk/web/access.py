"""Who may reach the served desk: the address it listens on and the token a browser must give.

The rule of every listener of ours: loopback unless an address is set on purpose, and then a
secret is required (a listener beyond this machine without one refuses to start).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from watchdesk.clock import Clock
from watchdesk.config import WebConfig
from watchdesk.config_file import ConfigError
from watchdesk.core.text import clean_line
from watchdesk.i18n import _

MIN_TOKEN = 16
"""A configured token (a password typed by people) needs this many characters at least."""


@dataclass(frozen=True)
class Listener:
    host: str
    port: int
    token: str
    token_env: str
    """The variable the token came from; '' when it was generated for this run."""
    loopback: bool

    @property
    def generated(self) -> bool:
        return not self.token_env


def is_loopback(host: str) -> bool:
    """True when `host` (an address or a name) only ever means this machine.

    '' and '0.0.0.0' mean every interface; a name counts only if all its addresses are loopback."""
    host = host.strip().strip("[]")
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def listener(web: WebConfig, where: str, environ: Mapping[str, str], host: str | None = None, port: int | None = None) -> Listener:
    """The address and token `watchdesk web` serves with: `host`/`port` (the CLI's) beat the
    config's [web] keys; the token comes from the variable [web] token_env names, else it is
    generated for this run (loopback only). Raises ConfigError with one sentence."""
    chosen_host = (host if host is not None else web.host).strip()
    chosen_port = port if port is not None else web.port
    token_env = web.token_env
    loopback = is_loopback(chosen_host)
    if token_env:
        token = environ.get(token_env, "")
        if not token:
            raise ConfigError(_(
                "{where}: [web] token_env names ${var}, which is not set; export it with the desk's token "
                "(at least {n} characters)."
            ).format(where=where, var=clean_line(token_env), n=MIN_TOKEN))
        if len(token) < MIN_TOKEN:
            raise ConfigError(_(
                "${var} holds {got} characters; the desk's token needs at least {n}: give it a longer one."
            ).format(var=clean_line(token_env), got=len(token), n=MIN_TOKEN))
        return Listener(chosen_host, chosen_port, token, token_env, loopback)
    if not loopback:
        # The sentence reaches a terminal: what was typed is shown without its control characters.
        given = (_("--host '{host}'") if host is not None else _("{where}: [web] host '{host}'")).format(
            host=clean_line(chosen_host), where=where)
        raise ConfigError(_(
            "{given} is reachable beyond this machine, so the desk needs a token: set [web] token_env to the "
            "name of an environment variable holding one (at least {n} characters), or serve on 127.0.0.1."
        ).format(given=given, n=MIN_TOKEN))
    return Listener(chosen_host, chosen_port, secrets.token_urlsafe(24), "", loopback)


def same_secret(given: str, token: str) -> bool:
    """Constant-time comparison (the time taken says nothing about how much of `given` matched)."""
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


@dataclass
class WrongTokens:
    """The back-off at the door: a client (an address) that gave `limit` wrong tokens within
    `window` is refused for `pause`, right token or not, so a token cannot be guessed at speed.
    Time from the injected clock; at most `most_clients` addresses are remembered."""

    clock: Clock
    limit: int = 5
    window: timedelta = timedelta(minutes=1)
    pause: timedelta = timedelta(minutes=5)
    most_clients: int = 10_000
    _wrong: dict[str, list[datetime]] = field(default_factory=dict)
    _until: dict[str, datetime] = field(default_factory=dict)

    def waiting(self, client: str) -> timedelta | None:
        """How long `client` must still wait before it may give a token; None when it may now."""
        until = self._until.get(client)
        if until is None:
            return None
        left = until - self.clock.now()
        if left > timedelta(0):
            return left
        del self._until[client]
        return None

    def wrong(self, client: str) -> None:
        now = self.clock.now()
        recent = [at for at in self._wrong.get(client, []) if now - at < self.window] + [now]
        if len(recent) >= self.limit:
            self._until[client] = now + self.pause
            recent = []
        self._wrong[client] = recent
        self._forget(now)

    def right(self, client: str) -> None:
        self._wrong.pop(client, None)

    def _forget(self, now: datetime) -> None:
        # Many addresses (a scan): drop those with nothing recent, then the oldest, never a client still paused.
        if len(self._wrong) <= self.most_clients:
            return
        self._wrong = {c: ats for c, ats in self._wrong.items() if ats and now - ats[-1] < self.window}
        while len(self._wrong) > self.most_clients:
            del self._wrong[min(self._wrong, key=lambda c: self._wrong[c][-1])]
        self._until = {c: t for c, t in self._until.items() if t > now}
