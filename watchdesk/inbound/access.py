"""Where the inbound listener listens and which tokens open it.

The rule of every listener of ours (watchdesk/web/access.py): loopback unless an address is
configured on purpose. Here `--listen` may move the listener on this machine, but an address
reachable from others must be the one `[inbound] listen` names in the config file, so a typo on
a command line never opens the desk to the network. Every integration needs its token, loopback
or not: any local process could post otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from watchdesk.config import InboundConfig, split_listen
from watchdesk.config_file import ConfigError
from watchdesk.core.text import clean_line
from watchdesk.i18n import _
from watchdesk.web.access import MIN_TOKEN, is_loopback, same_secret


@dataclass(frozen=True)
class Integration:
    key: str
    kind: str
    token: str


@dataclass(frozen=True)
class InboundPlan:
    host: str
    port: int
    loopback: bool
    integrations: tuple[Integration, ...]
    max_body: int

    def caller(self, kind: str, given: str) -> Integration | None:
        """The integration of `kind` whose token is `given`; every token is compared, each in
        constant time, so the answer's timing says nothing about which one nearly matched."""
        found = None
        for integration in self.integrations:
            if same_secret(given, integration.token) and integration.kind == kind and found is None:
                found = integration
        return found


def inbound_plan(config: InboundConfig, where: str, environ: Mapping[str, str], listen: str | None = None) -> InboundPlan | None:
    """The listener `watchdesk serve` runs, or None when inbound alerts are off (no --listen and
    no [inbound] listen). Raises ConfigError with one sentence."""
    chosen = (listen if listen is not None else config.listen).strip()
    if not chosen:
        return None
    try:
        host, port = split_listen(chosen)
    except ValueError as exc:
        raise ConfigError(_("--listen '{value}' {why}.").format(value=clean_line(chosen, max_length=80), why=exc)) from None
    loopback = is_loopback(host)
    if not loopback:
        configured = split_listen(config.listen)[0] if config.listen else None
        if configured != host:
            raise ConfigError(_(
                "'{value}' is reachable beyond this machine; to take alerts from other machines name it in "
                "{where} as [inbound] listen, or listen on 127.0.0.1."
            ).format(value=clean_line(chosen, max_length=80), where=where))
    if not config.integrations:
        raise ConfigError(_(
            "{where}: [inbound] has no [[inbound.integrations]]; add one (key, kind, token_env) for each "
            "monitoring system that posts alerts."
        ).format(where=where))
    integrations = []
    for entry in config.integrations:
        token = environ.get(entry.token_env, "")
        if len(token) < MIN_TOKEN:
            raise ConfigError(_(
                "{where}: integration '{key}' takes its token from ${var}, which is {state}; export it with a "
                "token of at least {n} characters."
            ).format(where=where, key=entry.key, var=entry.token_env, n=MIN_TOKEN,
                     state=_("not set") if not token else _("too short")))
        integrations.append(Integration(entry.key, entry.kind, token))
    return InboundPlan(host, port, loopback, tuple(integrations), config.max_body)
