"""`watchdesk web` in a real headless Chromium, driven over the DevTools protocol: the token is
required, the desk draws (from the database given by --db) in the bundled font, a key press
acts, every request the page makes stays on the server, and stopping the server stops its desks.

Skipped only where no chromium is installed outside CI; in CI (CI=true) .ci/run installs it and a
missing browser fails."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest

from tests.support.chromium import Chromium, find_chromium
from watchdesk.services.officers import add_officer

REPO = Path(__file__).resolve().parents[2]
TOKEN = "nhật-ký-trực-ban-2026"  # a password a unit might set: non-ASCII, 21 characters
CONFIG = """\
[desk]
name = "Trực ban ATTT — Sở TT&TT"
language = "en"
[engine]
run_in_desk = false
[web]
token_env = "WATCHDESK_TEST_WEB_TOKEN"
"""

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def chromium() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI: .ci/run installs Debian's chromium for this test")
        pytest.skip("no chromium on this machine (apt-get install chromium); CI installs it and runs this test")
    return path


@pytest.fixture
def served(tmp_path: Path, rt, staff, db_target: str) -> tuple[subprocess.Popen[bytes], str]:
    """`watchdesk --config … --db … web --port 0` running; its base URL (http://127.0.0.1:PORT)."""
    add_officer(rt, staff["minh"], "huy", "Đỗ Quang Huy", "officer")
    config = tmp_path / "watchdesk.toml"
    config.write_text(CONFIG, encoding="utf-8")
    out = tmp_path / "web.out"
    env = {**os.environ, "WATCHDESK_TEST_WEB_TOKEN": TOKEN, "PYTHONPATH": str(REPO)}
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "watchdesk", "--config", str(config), "--db", db_target, "web", "--port", "0"],
            cwd=str(tmp_path), env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not (found := re.search(r"http://127\.0\.0\.1:\d+", out.read_text(encoding="utf-8"))):
            assert proc.poll() is None and time.monotonic() < deadline, out.read_text(encoding="utf-8")
            time.sleep(0.05)
        yield proc, found.group(0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def _drawn_by(page, text: str, family: str) -> list[tuple[str, bool]]:
    """(font, shipped by the page) for each font that draws `text`: ours alone, never a fallback."""
    return [(f["familyName"], f["isCustomFont"]) for f in await page.fonts_for(text, family)]


async def test_the_served_desk_in_a_real_browser(chromium: str, served, tmp_path: Path) -> None:
    proc, base = served
    port = urlsplit(base).port
    async with Chromium(tmp_path, chromium) as browser:
        page = await browser.new_page()

        # No token: the sign-in form, no desk, no websocket.
        await page.goto(base + "/")
        assert page.statuses(base + "/") == [401]
        assert "guarded by a token" in await page.evaluate("document.body.innerText")
        family = await page.evaluate("getComputedStyle(document.body).fontFamily")
        assert await _drawn_by(page, "Trực ban ATTT — Sở TT&TT", family) == [("Noto Sans Mono", True)]
        await page.goto(base + "/?token=" + "x" * 21)
        assert page.statuses(base + "/?token=" + "x" * 21) == [403]
        assert "not the desk's" in await page.evaluate("document.body.innerText")
        assert not any(url.startswith("ws") for url in page.requests)

        # The token (typed into the form, as an officer would): the desk draws, on the --db database.
        # submitted after the evaluation returns: the navigation would otherwise end it mid-answer
        typed = f"document.getElementById('token').value = {json.dumps(TOKEN)}; setTimeout(() => document.forms[0].submit(), 0)"
        await page.loaded_after(page.evaluate(typed), "the sign-in form")
        # Generous waits: the whole suite may be running beside this test on two cores.
        await page.find_terminal(timeout=45)
        screen = await page.wait_for_text(lambda text: "Who is at the desk?" in text and "Đỗ Quang Huy" in text, timeout=45)
        assert "Trực ban ATTT — Sở TT&TT" in screen
        assert await page.evaluate("window.location.href") == base + "/"

        # Every letter of those names is drawn by the bundled font, none by a fallback.
        family = await page.evaluate("window.__deskTerminal.options.fontFamily")
        assert await _drawn_by(page, "Đỗ Quang Huy · Trần Thị Lan · Sở TT&TT · Nguyễn Văn Minh", family) == [
            ("Noto Sans Mono", True)]

        # A key press acts: enter signs in the first officer of the list (hung, no PIN).
        await page.press("Enter", "Enter", 13, text="\r")
        await page.wait_for_text(lambda text: "operator: hung (officer)" in text and "Who is at the desk?" not in text,
                                 timeout=30)

        # The page's own requests: all to this server (page, script, styles, font, websocket).
        requests = page.requests
        assert any(url.endswith("/fonts/NotoSansMono-Regular.woff2") for url in requests)
        assert any(url.startswith(f"ws://127.0.0.1:{port}/ws") for url in requests)
        elsewhere = [url for url in requests
                     if urlsplit(url).scheme not in ("http", "ws") or (urlsplit(url).hostname, urlsplit(url).port) != ("127.0.0.1", port)]
        assert elsewhere == []

        # Stopping the server while the page is open stops the desk it started.
        desks = psutil.Process(proc.pid).children(recursive=True)
        assert desks, "the open page has a desk process"
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 20) == 0
        _gone, alive = psutil.wait_procs(desks, timeout=10)
        assert alive == []
