"""The inbound listener for tests: a real aiohttp server on 127.0.0.1 (port 0) in a thread, over a
runtime on a real SQLite file, with two integrations and their tokens.

The Alertmanager payloads follow the webhook's documented format (prometheus.io, Alertmanager
configuration, `<webhook_config>`: version "4", groupKey, truncatedAlerts, status, receiver,
groupLabels, commonLabels, commonAnnotations, externalURL, alerts[] with status, labels,
annotations, startsAt, endsAt, generatorURL, fingerprint) and no other field.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from watchdesk.config import parse_config
from watchdesk.inbound.access import inbound_plan
from watchdesk.inbound.server import Background, InboundServer
from watchdesk.services.runtime import Runtime

AM_TOKEN = "am-token-0123456789abcdef"
GENERIC_TOKEN = "generic-token-0123456789abcdef"
ENV = {"WD_AM_TOKEN": AM_TOKEN, "WD_GENERIC_TOKEN": GENERIC_TOKEN}
INBOUND = {
    "listen": "127.0.0.1:0",
    "integrations": [
        {"key": "prom", "kind": "alertmanager", "token_env": "WD_AM_TOKEN"},
        {"key": "zabbix", "kind": "generic", "token_env": "WD_GENERIC_TOKEN"},
    ],
}


def inbound_config(max_body: int | None = None) -> Any:
    section = dict(INBOUND, **({"max_body": max_body} if max_body else {}))
    return parse_config({"inbound": section})


@dataclass
class Listener:
    url: str
    server: InboundServer
    client: httpx.Client

    def post(self, path: str, body: Any = None, *, token: str | None = AM_TOKEN, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        headers.update(kwargs.pop("headers", {}))
        if body is not None:
            kwargs["json"] = body
        return self.client.post(self.url + path, headers=headers, **kwargs)

    def alertmanager(self, body: Any, **kwargs: Any) -> httpx.Response:
        return self.post("/api/v1/alertmanager", body, **kwargs)

    def generic(self, body: Any, **kwargs: Any) -> httpx.Response:
        return self.post("/api/v1/alerts", body, token=kwargs.pop("token", GENERIC_TOKEN), **kwargs)


@contextmanager
def listening(rt: Runtime) -> Iterator[Listener]:
    plan = inbound_plan(rt.config.inbound, "test.toml", ENV)
    assert plan is not None
    background = Background(InboundServer(rt, plan))
    url = background.start()
    try:
        with httpx.Client(timeout=30) as client:
            yield Listener(url, background.server, client)
    finally:
        background.stop()


def am_alert(fingerprint: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    """One alert of a webhook v4 post, as Alertmanager sends it."""
    return {
        "status": status,
        "labels": {"alertname": "InstanceDown", "instance": "portal.example.vn:443", "job": "blackbox", **labels},
        "annotations": {"summary": "Cổng thông tin không phản hồi", "description": "No answer for 5 minutes."},
        "startsAt": "2026-02-16T18:55:00.000Z",
        "endsAt": "2026-02-16T19:10:00.000Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example.vn:9090/graph?g0.expr=up+%3D%3D+0",
        "fingerprint": fingerprint,
    }


def am_post(*alerts: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    """A webhook v4 body around `alerts` (the group's status: firing while any fires)."""
    group = status or ("firing" if any(a["status"] == "firing" for a in alerts) else "resolved")
    return {
        "version": "4",
        "groupKey": '{}:{alertname="InstanceDown"}',
        "truncatedAlerts": 0,
        "status": group,
        "receiver": "watchdesk",
        "groupLabels": {"alertname": "InstanceDown"},
        "commonLabels": {"alertname": "InstanceDown", "job": "blackbox"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.vn:9093",
        "alerts": list(alerts),
    }
