"""Hostile channels: receivers that hang, drip, answer 100 MB, refuse or drip SMTP (real servers on 127.0.0.1).

What the officers see: pages of other alerts keep arriving on time through the healthy channel
while one channel misbehaves; the bad channel's page is cut at its timeout and retried (the
delivery log says "did not answer within N s"); the engine's memory stays small; `serve` stops
within 5 s of SIGTERM; a page left half-sent by a killed engine is sent again. No page is lost.
Precise lateness figures are in benchmarks/engine.py; these tests assert generous bounds.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest
from sqlalchemy import text

from tests.engine.conftest import WebhookServer, duty, new_alert, policies, webhook  # noqa: F401 - the fixture
from tests.support.hostile import HostileServer, drip, hang, huge
from watchdesk.clock import FakeClock, SystemClock
from watchdesk.config import parse_config
from watchdesk.engine import Engine
from watchdesk.notify.outbox import delivery_log
from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in
from watchdesk.services.runtime import Runtime, open_runtime
from watchdesk.store.runners import live_runners

MB = 2**20
SLOW = "30s"  # the hostile channel's timeout: long, so a tick that waited on it would show


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _email(port: int, timeout: str = SLOW) -> dict[str, Any]:
    return {"type": "email", "host": "127.0.0.1", "port": port, "starttls": False, "sender": "watchdesk@unit.example.vn",
            "timeout": timeout}


def _webhook(url: str, timeout: str = SLOW) -> dict[str, Any]:
    return {"type": "webhook", "url": url, "timeout": timeout}


def _config(webhook_url: str, bad: dict[str, Any]) -> dict[str, Any]:
    """Critical alerts page through the hostile channel `bad`; high ones through the healthy `hook`, a step a minute."""
    return {
        "channels": {"hook": _webhook(webhook_url, "5s"), "bad": bad},
        "policies": {**policies(["bad"], {"critical": "5m"}), **policies(["hook"], {"high": "1m"})},
    }


def _open(path: Path, config: dict[str, Any], clock: Any) -> Runtime:
    rt = open_runtime(parse_config(config), db_path=str(path), clock=clock)
    bootstrap_supervisor(rt, "minh", "Nguyễn Văn Minh", "246810")
    boss = sign_in(rt, "minh", "246810")
    add_officer(rt, boss, "lan", "Trần Thị Lan", "lead", email="lan@example.vn", pin="246810")
    add_officer(rt, boss, "hung", "Lê Văn Hùng", email="hung@example.vn")
    now = clock.now()
    for handle, level in (("hung", 1), ("lan", 2), ("minh", 3)):
        duty(rt, handle, level, now - timedelta(hours=1), now + timedelta(hours=8))
    return rt


class PeakRss:
    """The process's resident memory, sampled every 20 ms while it runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._proc = psutil.Process()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    @property
    def growth(self) -> int:
        """How much the process grew while measured: the suite before it already holds ~200 MB."""
        return self.peak - self.start

    def __enter__(self) -> "PeakRss":
        self.start = self.peak = self._proc.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _arrivals(webhook: WebhookServer, count: int, within: float) -> list[Any]:
    """Wait (real time) until `count` pages reached the healthy webhook; return them."""
    got: list[Any] = []
    until = time.monotonic() + within
    while len(got) < count and time.monotonic() < until:
        got += webhook.take()
        time.sleep(0.01)
    return got


HOSTILE = {
    "hang": lambda: (HostileServer(hang()), "webhook"),
    "drip-status-line": lambda: (HostileServer(drip(b"HTTP/1.1 200 OK\r\n", every=2.0)), "webhook"),
    "drip-error-body": lambda: (HostileServer(drip(b"x" * 100, every=2.0, head=b"HTTP/1.1 503 Busy\r\nContent-Length: 100000\r\n\r\n")), "webhook"),
    "100MB-answer-200": lambda: (HostileServer(huge(200, 100 * MB)), "webhook"),
    "100MB-answer-503": lambda: (HostileServer(huge(503, 100 * MB)), "webhook"),
    "smtp-drip": lambda: (HostileServer(drip(b"220 slow.example ESMTP\r\n", every=2.0, read_request=False)), "email"),
    "smtp-refused": lambda: (None, "email"),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_other_alerts_are_paged_on_time_while_one_channel_misbehaves(kind: str, webhook: WebhookServer, tmp_path: Path) -> None:
    server, channel_type = HOSTILE[kind]()
    port = server.port if server is not None else _free_port()
    bad = _webhook(server.url()) if channel_type == "webhook" else _email(port)  # type: ignore[union-attr]
    clock = FakeClock()
    rt = _open(tmp_path / "desk.db", _config(webhook.url, bad), clock)
    engine = Engine(rt, kind="serve")
    try:
        if server is not None:
            server.__enter__()
        with PeakRss() as rss:
            criticals = [new_alert(rt, title=f"Critical {i}", key=f"c{i}") for i in range(8)]  # twice the channel's cap
            highs = [new_alert(rt, title=f"High {i}", severity="high", key=f"h{i}") for i in range(3)]
            for minute, level in ((0, 1), (1, 2), (2, 3)):
                clock.fast_forward(timedelta(minutes=1 if minute else 0))
                began = time.monotonic()
                report = engine.tick()
                took = time.monotonic() - began
                got = _arrivals(webhook, len(highs), within=10)
                late = time.monotonic() - began
                # Each high alert's step is due at this tick's fake time: its page reached the healthy
                # webhook seconds after the tick (real time), never after the hostile channel's 30 s.
                assert sorted((p.body["alert_id"], p.body["level"]) for p in got) == [(a, level) for a in highs], (kind, [d for a in highs for d in delivery_log(rt, a)])
                assert took < 5 and late < 5, f"{kind}: tick {took:.1f} s, pages {late:.1f} s after it"
                assert not report.errors, report.errors
            if server is not None:
                assert server.arrived.wait(10), f"{kind}: the hostile channel was never tried"
        # Eight pages to a 100 MB answer grew the old engine by over 1 GB; a capped read grows it by little.
        assert rss.growth < 100 * MB, f"{kind}: the engine grew by {rss.growth / MB:.0f} MB"
        began = time.monotonic()
        engine.close()
        assert time.monotonic() - began < 5, f"{kind}: closing took {time.monotonic() - began:.1f} s"
        # Nothing lost: every critical's page is sent, or waiting for a retry, or free for the next engine.
        for alert in criticals:
            rows = [d for d in delivery_log(rt, alert) if d.channel == "bad"]
            assert rows and all(r.status in ("pending", "sent") for r in rows), (kind, rows)
        with rt.db.read() as session:
            conn = session.connection()
            live = live_runners(conn, clock.now())
            held = conn.execute(text("SELECT claimed_by FROM notification WHERE status = 'pending' AND claimed_by != ''")).all()
        assert not [c for (c,) in held if c in live], f"{kind}: a closed engine still holds claims"
    finally:
        engine.close()
        if server is not None:
            server.__exit__(None, None, None)
        rt.db.dispose()


@pytest.mark.parametrize(("kind", "said"), [
    ("webhook", "did not answer within 2 s."),
    ("email", "did not finish the SMTP conversation within 2 s."),
])
def test_a_receiver_dripping_a_byte_a_second_is_cut_at_the_timeout(kind: str, said: str, webhook: WebhookServer, tmp_path: Path) -> None:
    """Each byte comes within the per-read timeout, so only the whole send's deadline can end it:
    the delivery log says the receiver did not answer within the channel's 2 s, and the page waits for its retry."""
    data = b"HTTP/1.1 200 OK\r\n" if kind == "webhook" else b"220 slow.example ESMTP\r\n"
    with HostileServer(drip(data, every=1.0, read_request=kind == "webhook")) as server:
        bad = _webhook(server.url(), "2s") if kind == "webhook" else _email(server.port, "2s")
        clock = FakeClock()
        rt = _open(tmp_path / "drip.db", _config(webhook.url, bad), clock)
        engine = Engine(rt, kind="tick")  # a one-shot tick waits for its sends: here, for the cut
        alert = new_alert(rt)
        report = engine.tick()
        engine.close()
        (row,) = [d for d in delivery_log(rt, alert) if d.channel == "bad"]
        assert (row.status, row.attempts, report.retried) == ("pending", 1, 1)
        assert row.last_error.endswith(said), row.last_error
        assert report.seconds < 10, f"the send lasted {report.seconds:.1f} s"
        rt.db.dispose()


def test_a_100_mb_error_answer_is_not_read(webhook: WebhookServer, tmp_path: Path) -> None:
    """A 503 with a 100 MB body: the status is recorded, a few KiB of the body at most are read."""
    with HostileServer(huge(503, 100 * MB)) as server:
        clock = FakeClock()
        rt = _open(tmp_path / "huge.db", _config(webhook.url, _webhook(server.url(), "10s")), clock)
        engine = Engine(rt, kind="tick")
        alert = new_alert(rt)
        with PeakRss() as rss:
            engine.tick()
        engine.close()
        (row,) = [d for d in delivery_log(rt, alert) if d.channel == "bad"]
        assert (row.status, row.last_error) == ("pending", f"http://127.0.0.1:{server.port} answered HTTP 503 Whatever.")
        time.sleep(0.2)  # let the server notice the closed connection
        assert server.sent < 20 * MB, f"the server pushed {server.sent / MB:.0f} MB before we hung up"
        assert rss.growth < 100 * MB, f"the engine grew by {rss.growth / MB:.0f} MB"
        rt.db.dispose()


def _write_config(path: Path, url: str, timeout: str) -> Path:
    path.write_text(
        f'[channels.hook]\ntype = "webhook"\nurl = "{url}"\ntimeout = "{timeout}"\n\n'
        '[policies.critical]\nrepeat = 0\n[[policies.critical.steps]]\nafter = "0s"\nlevel = 1\nchannels = ["hook"]\n',
        encoding="utf-8",
    )
    return path


def test_sigterm_stops_serve_within_5_s_while_a_channel_hangs(tmp_path: Path) -> None:
    """`watchdesk serve` with a page stuck on a receiver that never answers (timeout 60 s): SIGTERM ends it
    within 5 s, exit 0; the log names the page left behind; its claim is free for the next engine."""
    with HostileServer(hang()) as server:
        config_file = _write_config(tmp_path / "watchdesk.toml", server.url(), "60s")
        db = tmp_path / "serve.db"
        rt = _open(db, {"channels": {"hook": _webhook(server.url(), "60s")}}, SystemClock())
        alert = new_alert(rt)
        env = {**os.environ, "WATCHDESK_DB": str(db), "WATCHDESK_CONFIG": str(config_file)}
        proc = subprocess.Popen([sys.executable, "-m", "watchdesk", "serve"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert server.arrived.wait(60), "serve never tried the channel"
            proc.send_signal(signal.SIGTERM)
            began = time.monotonic()
            _, err = proc.communicate(timeout=30)
            took = time.monotonic() - began
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, err
        assert took < 5, f"serve took {took:.1f} s to stop"
        assert "still being sent; the next engine sends it again" in err
        (row,) = delivery_log(rt, alert)
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "")  # not a failure: due again at once
        conn = rt.db.raw()
        assert conn.execute("SELECT count(*) FROM runner").fetchone() == (0,)  # its claim is nobody's now
        conn.close()
        rt.db.dispose()


def test_a_long_queue_on_a_hanging_channel_does_not_hide_other_pages(webhook: WebhookServer, tmp_path: Path) -> None:
    """250 critical pages wait on a receiver that never answers (more than one claim batch); a high alert
    queued after them still reaches the healthy webhook at once."""
    from watchdesk.services.alert_factory import raise_alert

    with HostileServer(hang()) as server:
        clock = FakeClock()
        rt = _open(tmp_path / "queue.db", _config(webhook.url, _webhook(server.url())), clock)
        with rt.db.write() as session:
            for i in range(250):
                raise_alert(session, clock.now(), source_key="manual", dedup_key=f"flood:{i}", title=f"Critical {i}",
                            severity="critical")  # type: ignore[arg-type]
        high = new_alert(rt, title="High after the flood", severity="high")
        engine = Engine(rt, kind="serve")
        try:
            report = engine.tick()
            assert report.queued == 251, report
            got = _arrivals(webhook, 1, within=10)
            assert [(p.body["alert_id"], p.body["level"]) for p in got] == [(high, 1)]
            assert server.connections <= 4  # the hanging channel's cap
        finally:
            engine.close()
            rt.db.dispose()
