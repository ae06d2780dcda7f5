"""`watchdesk web` from the command line: what it prints, what it refuses, how it stops."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from watchdesk.cli import cli

REPO = Path(__file__).resolve().parents[2]


def _start(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], Path]:
    out = tmp_path / "web.out"
    with out.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "watchdesk", *args], cwd=str(tmp_path),
                                env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
                                stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT)
    return proc, out


def _wait_for(proc: subprocess.Popen[bytes], out: Path, pattern: str) -> str:
    deadline = time.monotonic() + 30
    while not re.search(pattern, text := out.read_text(encoding="utf-8")):
        assert proc.poll() is None and time.monotonic() < deadline, text
        time.sleep(0.05)
    return text


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_another_address_without_a_token_is_refused_in_one_sentence() -> None:
    result = CliRunner().invoke(cli, ["web", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert result.output == (
        "watchdesk: --host '0.0.0.0' is reachable beyond this machine, so the desk needs a token: set [web] "
        "token_env to the name of an environment variable holding one (at least 16 characters), or serve on 127.0.0.1.\n"
    )


def test_a_busy_port_is_one_sentence(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["web", "--port", str(port)])
    assert result.exit_code == 2
    assert re.fullmatch(rf"watchdesk: cannot listen on 127\.0\.0\.1 port {port} \(.+\); choose another with --host/--port\.\n",
                        result.output), result.output


def test_on_loopback_it_prints_the_url_with_a_fresh_token_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc, out = _start(tmp_path, "web", "--port", "0")
    try:
        text = _wait_for(proc, out, r"\(ctrl\+c stops\)")
    finally:
        status = _stop(proc)
    assert re.fullmatch(r"serving the desk at http://127\.0\.0\.1:\d+/\?token=[\w-]{32} \(ctrl\+c stops\)\n", text), text
    assert status == 0


def test_beyond_loopback_it_warns_and_the_token_stays_out_of_sight(tmp_path: Path) -> None:
    config = tmp_path / "watchdesk.toml"
    config.write_text('[web]\nhost = "0.0.0.0"\nport = 0\ntoken_env = "DESK_WEB_TOKEN"\n', encoding="utf-8")
    proc, out = _start(tmp_path, "--config", str(config), "web", env={"DESK_WEB_TOKEN": "mật-khẩu-ca-đêm-2026"})
    try:
        text = _wait_for(proc, out, r"SSH tunnel")
    finally:
        _stop(proc)
    lines = text.splitlines()
    assert re.fullmatch(r"serving the desk at http://0\.0\.0\.0:\d+/ \(ctrl\+c stops\); the browser must give "
                        r"the token in \$DESK_WEB_TOKEN\.", lines[0]), lines
    assert re.fullmatch(r"warning: http://0\.0\.0\.0:\d+ is reachable beyond this machine over plain HTTP, so the "
                        r"token crosses the network in clear; put a TLS proxy or an SSH tunnel in front of it\.", lines[1]), lines
    assert "mật-khẩu" not in text
