"""The escalation harness (GoAlert-style): a fake clock, one tick at a time, real loopback servers.

`Desk` wraps a runtime whose policies page through a real webhook server on 127.0.0.1, and
asserts that exactly the expected messages arrived since the last look — any other fails.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from watchdesk.clock import FakeClock
from watchdesk.config import Config, parse_config
from watchdesk.core.records import Actor
from watchdesk.engine import Engine, TickReport
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import events_for
from watchdesk.store.models import Alert, Officer, Shift


# -- a scripted webhook server ---------------------------------------------------------------
@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class WebhookServer:
    """Answers POSTs with scripted (status, headers) responses (then 200), recording each request."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    error_body: bytes = b'{"ok": false}'  # what an error answer says (Telegram puts retry_after here)
    delay: float = 0.0
    hold: threading.Event | None = None  # when set by a test: each request waits for it
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def take(self) -> list[Received]:
        with self.lock:
            out, self.received[:] = list(self.received), []
        return out


@pytest.fixture
def webhook() -> Iterable[WebhookServer]:
    state: dict[str, WebhookServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            ws = state["ws"]
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            with ws.lock:
                ws.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw or b"{}")))
                status, headers = ws.script.pop(0) if ws.script else (200, {})
            ws.arrived.set()
            if ws.hold is not None:
                ws.hold.wait(30)
            body = b'{"ok": true}' if status < 300 else ws.error_body
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client was killed mid-request (the kill -9 test)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ws = WebhookServer(server)
    state["ws"] = ws
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield ws
    if ws.hold is not None:
        ws.hold.set()
    server.shutdown()
    server.server_close()


# -- config: the default policies' shape, paging through the webhook -------------------------
WAITS = {"critical": 5, "high": 15, "medium": 60, "low": 240}  # minutes between steps (the defaults)
REPEATS = {"critical": 2, "high": 1, "medium": 1, "low": 0}
ACK_TIMEOUTS = {"critical": 2, "high": 4, "medium": 12, "low": 24}  # hours


def policies(channels: list[str], waits: dict[str, Any] | None = None) -> dict[str, Any]:
    waits = waits or {k: f"{v}m" for k, v in WAITS.items()}
    out = {}
    for sev, wait in waits.items():
        out[sev] = {
            "steps": [
                {"after": "0s", "level": 1, "channels": channels},
                {"after": wait, "level": 2, "channels": channels},
                {"after": wait, "level": 3, "channels": channels},
                {"after": wait, "contacts": ["vncert"], "channels": []},
            ],
            "repeat": REPEATS[sev],
            "ack_timeout": f"{ACK_TIMEOUTS[sev]}h",
        }
    return out


def desk_config(webhook: WebhookServer, **extra: Any) -> Config:
    data: dict[str, Any] = {
        "channels": {"hook": {"type": "webhook", "url": webhook.url, "format": "json", "timeout": "5s",
                              "max_attempts": 4, "retry_initial": "10s", "retry_max": "10m"}},
        "policies": policies(["terminal", "hook"]),
    }
    data.update(extra)
    return parse_config(data)


@pytest.fixture
def config(webhook: WebhookServer) -> Config:
    return desk_config(webhook)


# -- roster and alerts ------------------------------------------------------------------------
def duty(rt: Runtime, handle: str, level: int, start: datetime, end: datetime, replaces: int | None = None) -> int:
    """Put an officer on duty by inserting a Shift row, checked in at its start (so the roll call stays quiet)."""
    with rt.db.write() as session:
        officer = session.exec(select(Officer).where(Officer.handle == handle)).one()
        row = Shift(officer_id=officer.id, level=level, starts_at=start, ends_at=end, origin="override" if replaces else "pattern",
                    replaces_id=replaces, checked_in_at=start)
        session.add(row)
        session.flush()
        return row.id  # type: ignore[return-value]


def new_alert(rt: Runtime, title: str = "FortiOS SSL-VPN heap overflow (CVE-2022-42475)", severity: str = "critical", key: str | None = None) -> int:
    with rt.db.write() as session:
        row, _ = raise_alert(session, rt.now(), source_key="manual", dedup_key=key or f"test:{title}:{rt.now().isoformat()}",
                             title=title, severity=severity)  # type: ignore[arg-type]
        return row.id  # type: ignore[return-value]


def alert_row(rt: Runtime, alert_id: int) -> Alert:
    with rt.db.read() as session:
        row = session.get(Alert, alert_id)
        assert row is not None
        return row


def kinds(rt: Runtime, alert_id: int) -> list[str]:
    return [e.kind for e in events_for(rt.db, "alert", alert_id)]


class Desk:
    """One engine, ticked by hand; `expect` checks the webhook saw exactly the pages due."""

    def __init__(self, rt: Runtime, clock: FakeClock, webhook: WebhookServer) -> None:
        self.rt, self.clock, self.webhook = rt, clock, webhook
        self.engine = Engine(rt, kind="tick")
        self.t0 = clock.now()

    def at(self, minutes: float) -> None:
        """Move the clock to t0 + minutes."""
        target = self.t0 + timedelta(minutes=minutes)
        self.clock.fast_forward(target - self.clock.now())

    def tick(self) -> TickReport:
        report = self.engine.tick()
        assert not report.errors, report.errors
        return report

    def expect(self, *pages: tuple[str, int], alert_id: int | None = None) -> None:
        """Exactly these (target handle, level) pages arrived since the last look, no other."""
        got = sorted((r.body["target"], r.body["level"]) for r in self.webhook.take() if alert_id is None or r.body["alert_id"] == alert_id)
        assert got == sorted(pages), f"expected {sorted(pages)}, webhook got {got}"

    def close(self) -> None:
        self.engine.close()


@pytest.fixture
def desk(rt: Runtime, clock: FakeClock, webhook: WebhookServer, staff: dict[str, Actor]) -> Iterable[Desk]:
    """hung on level 1, lan on level 2, minh on level 3 for the whole day; thu spare."""
    t0 = clock.now()
    day = timedelta(hours=30)
    duty(rt, "hung", 1, t0 - timedelta(hours=1), t0 + day)
    duty(rt, "lan", 2, t0 - timedelta(hours=1), t0 + day)
    duty(rt, "minh", 3, t0 - timedelta(hours=1), t0 + day)
    d = Desk(rt, clock, webhook)
    yield d
    d.close()


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    return tmp_path / "watchdesk.db"
