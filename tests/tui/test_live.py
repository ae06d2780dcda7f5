"""Live: another process acknowledges an alert and the running desk shows it within 2 s;
the desk also starts under `textual serve` for a supervisor's browser."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path


from tests.tui.conftest import settle, wait_until
from watchdesk.services.alerts import get_alert
from watchdesk.tui.widgets.row_table import RowTable

REPO = Path(__file__).resolve().parents[2]


def _cell(app, alert_id: int, column: str) -> str:
    table = app.screen.query_one("#board", RowTable)
    return table.cell(alert_id, column).plain


async def test_a_second_process_acknowledging_shows_within_two_seconds(make_desk, desk_rt, ids, db_target):
    app = make_desk(watch=True)
    target = ids["exchange"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert _cell(app, target, "state") == "NEW"
        # the CLI in another process: `watchdesk --db … alert ack ID --as lan`
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "watchdesk", "--db", db_target, "alert", "ack", str(target), "--as", "lan",
            cwd=str(REPO), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await proc.communicate()
        assert proc.returncode == 0, output.decode()
        committed = time.monotonic()
        shown = await wait_until(pilot, lambda: _cell(app, target, "state") == "ACK", timeout=2.0)
        elapsed = time.monotonic() - committed
        assert shown, f"the desk still showed NEW {elapsed:.2f} s after the other process committed"
        assert _cell(app, target, "who") == "lan"
    assert get_alert(desk_rt, target).acked_by == "lan"


async def test_an_engine_heartbeat_reloads_nothing_and_a_change_reloads_the_board(make_desk, desk_rt, ids):
    """`watchdesk serve` (or the desk's own engine) commits a heartbeat every tick: SQLite's
    data_version moves each time, but nothing a screen shows changed, so the board is not read
    again. An acknowledgment by another connection is."""
    from watchdesk.engine import Engine
    from watchdesk.services import lifecycle
    from watchdesk.services.officers import sign_in
    from watchdesk.tui.messages import AlertsLoaded, DataChanged, PollDone

    messages: list = []
    count = lambda kind: sum(isinstance(m, kind) for m in messages)  # noqa: E731
    app = make_desk(watch=True)
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        assert await wait_until(pilot, lambda: app._last_version is not None)
        engine = Engine(desk_rt, kind="serve")
        loads = count(AlertsLoaded)
        for _tick in range(3):
            polls = count(PollDone)
            engine.heartbeat()
            assert await wait_until(pilot, lambda: count(PollDone) >= polls + 2)  # polled after the commit
        assert count(DataChanged) == 0 and count(AlertsLoaded) == loads
        lifecycle.acknowledge(desk_rt, sign_in(desk_rt, "lan", None), ids["exchange"])
        assert await wait_until(pilot, lambda: _cell(app, ids["exchange"], "state") == "ACK", timeout=2.0)
        assert count(DataChanged) == 1
        engine.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _read_the_desk(port: int) -> str:
    """Connect as the browser does and read the desk's terminal output until it has drawn."""
    import re

    import aiohttp

    seen = ""
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=30") as ws:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    msg = await ws.receive(timeout=1)
                except asyncio.TimeoutError:
                    continue
                if msg.type == aiohttp.WSMsgType.BINARY:
                    seen += msg.data.decode("utf-8", "replace")
                elif msg.type == aiohttp.WSMsgType.TEXT:
                    seen += msg.data
                elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    break
                plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen)
                if "Who is at the desk?" in plain:
                    return plain
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen)


def test_the_desk_starts_under_textual_serve(tmp_path: Path, rt, supervisor):
    """`textual serve "watchdesk --db …"` answers with the page that runs the desk."""
    port = _free_port()
    command = f"{sys.executable} -m watchdesk --db {rt.db.path}"
    code = textwrap.dedent(f"""
        from textual_serve.server import Server
        Server({command!r}, host="127.0.0.1", port={port}, title="watchdesk").serve()
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=str(tmp_path), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        page = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    page = response.read().decode("utf-8")
                    break
            except OSError:
                time.sleep(0.1)
        assert "watchdesk" in page and "textual" in page.lower(), page[:500]
        screen = asyncio.run(_read_the_desk(port))
        assert "Who is at the desk?" in screen, screen[-2000:]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
