"""A headless Chromium driven over the DevTools protocol (aiohttp's websocket client).

    async with Chromium(tmp_path) as browser:
        page = await browser.new_page()
        await page.goto("http://127.0.0.1:8765/")
        text = await page.terminal_text()

The browser resolves no host name but 127.0.0.1 and runs none of its background services,
so nothing it does leaves this machine; `page.requests` is the page's own network log
(Network.requestWillBeSent and Network.webSocketCreated), which still records an attempt to
reach any other host.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM_NAMES = ("chromium", "chromium-browser")
FLAGS = (
    "--headless", "--no-sandbox", "--no-first-run", "--no-default-browser-check", "--disable-sync",
    "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
    "--disable-extensions", "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--enable-unsafe-swiftshader",  # WebGL in software: textual.js loads xterm's WebGL renderer
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-port=0", "--window-size=1280,800", "--hide-scrollbars",
)


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class DevToolsError(RuntimeError):
    pass


class Chromium:
    def __init__(self, folder: Path, executable: str | None = None) -> None:
        self.folder = folder
        self.executable = executable or find_chromium()
        self._proc: subprocess.Popen[bytes] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._pages: dict[str, Page] = {}

    async def __aenter__(self) -> Chromium:
        if not self.executable:
            raise DevToolsError("no chromium on PATH")
        profile = self.folder / "chromium-profile"
        profile.mkdir(parents=True, exist_ok=True)
        port_file = profile / "DevToolsActivePort"  # Chromium writes "PORT\n/devtools/browser/ID"
        port_file.unlink(missing_ok=True)  # a profile used before keeps its last browser's port
        log = (self.folder / "chromium.log").open("wb")
        self._proc = subprocess.Popen([self.executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                      stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 30
        try:
            while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    raise DevToolsError(f"chromium did not start: {(self.folder / 'chromium.log').read_text()[-2000:]}")
                await asyncio.sleep(0.05)
            port, path = port_file.read_text().splitlines()[:2]
            self._http = aiohttp.ClientSession()
            self._ws = await self._http.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0)
        except BaseException:
            await self.__aexit__(None, None, None)  # no browser left behind
            raise
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, 15)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, 9)
                self._proc.wait()

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = message.json()
            if "id" in data:
                future = self._waiting.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
            elif data.get("sessionId") in self._pages:
                self._pages[data["sessionId"]].events.append(data)

    async def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        assert self._ws is not None
        ident = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[ident] = future
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        await self._ws.send_json(message)
        answer = await asyncio.wait_for(future, timeout=30)
        if "error" in answer:
            raise DevToolsError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    async def new_page(self) -> Page:
        target = await self.send("Target.createTarget", url="about:blank")
        attached = await self.send("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        page = Page(self, attached["sessionId"])
        self._pages[page.session] = page
        for domain in ("Page", "Network", "Runtime", "DOM", "CSS"):
            await page.send(f"{domain}.enable")
        await page.send("Emulation.setFocusEmulationEnabled", enabled=True)
        return page


class Page:
    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser = browser
        self.session = session
        self.events: list[dict[str, Any]] = []

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        return await self.browser.send(method, self.session, **params)

    @property
    def requests(self) -> list[str]:
        """Every URL the page asked for, page loads, fonts and websockets included."""
        urls = []
        for event in self.events:
            if event.get("method") == "Network.requestWillBeSent":
                urls.append(event["params"]["request"]["url"])
            elif event.get("method") == "Network.webSocketCreated":
                urls.append(event["params"]["url"])
        return urls

    def statuses(self, url: str) -> list[int]:
        """The status of each response to `url` (a redirect's own status is not among them)."""
        return [e["params"]["response"]["status"] for e in self.events
                if e.get("method") == "Network.responseReceived" and e["params"]["response"]["url"] == url]

    async def goto(self, url: str, timeout: float = 20) -> None:
        await self.loaded_after(self.send("Page.navigate", url=url), url, timeout)

    async def loaded_after(self, action: Any, what: str, timeout: float = 20) -> None:
        """Awaits `action` (a navigation, a form's submit), then the load of the page it leads to."""
        start = len(self.events)
        await action
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events[start:]):
            if time.monotonic() > deadline:
                raise DevToolsError(f"{what}: no page loaded within {timeout} s")
            await asyncio.sleep(0.05)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def find_terminal(self, timeout: float = 20) -> None:
        """Finds textual.js's terminal object (it keeps it to itself) among the page's objects and
        keeps it as window.__deskTerminal for terminal_text()."""
        deadline = time.monotonic() + timeout
        while True:
            proto = await self.send("Runtime.evaluate", expression="Object.prototype")
            objects = await self.send("Runtime.queryObjects", prototypeObjectId=proto["result"]["objectId"])
            found = await self.send(
                "Runtime.callFunctionOn", objectId=objects["objects"]["objectId"], returnByValue=True,
                functionDeclaration="""function () {
                    const t = this.find(o => { try { return o && "websocket_url" in o && o.terminal; } catch (e) { return false; } });
                    if (t) window.__deskTerminal = t.terminal;
                    return Boolean(t);
                }""",
            )
            await self.send("Runtime.releaseObjectGroup", objectGroup="")
            if found["result"].get("value"):
                return
            if time.monotonic() > deadline:
                raise DevToolsError("textual.js never created its terminal")
            await asyncio.sleep(0.2)

    async def terminal_text(self) -> str:
        """The terminal's screen as text (xterm.js's buffer: what the page draws)."""
        return await self.evaluate("""(() => {
            const buffer = window.__deskTerminal.buffer.active;
            const lines = [];
            for (let y = 0; y < buffer.length; y++) lines.push(buffer.getLine(y).translateToString(true));
            return lines.join("\\n");
        })()""")

    async def wait_for_text(self, predicate: Any, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = await self.terminal_text()
            if predicate(text):
                return text
            await asyncio.sleep(0.2)
        raise DevToolsError(f"the screen never showed what was awaited; it shows:\n{text}")

    async def press(self, key: str, code: str, key_code: int, text: str = "") -> None:
        await self.evaluate("window.__deskTerminal.focus()")
        down: dict[str, Any] = {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": key_code}
        if text:
            down["text"] = text
        await self.send("Input.dispatchKeyEvent", **down)
        await self.send("Input.dispatchKeyEvent", type="keyUp", key=key, code=code, windowsVirtualKeyCode=key_code)

    async def fonts_for(self, text: str, family: str) -> list[dict[str, Any]]:
        """The fonts that actually draw `text` in `family` (CSS.getPlatformFontsForNode)."""
        await self.evaluate(
            "(() => { const s = document.createElement('span'); s.id = '__font_probe';"
            f" s.style.fontFamily = {json.dumps(family)}; s.textContent = {json.dumps(text)};"
            " document.body.appendChild(s); s.getBoundingClientRect(); })()"
        )
        # as a person sees it: once the page's web fonts (those this text needs among them) have loaded
        await self.evaluate("document.fonts.ready.then(() => true)")
        document = await self.send("DOM.getDocument")
        node = await self.send("DOM.querySelector", nodeId=document["root"]["nodeId"], selector="#__font_probe")
        fonts = await self.send("CSS.getPlatformFontsForNode", nodeId=node["nodeId"])
        await self.evaluate("document.getElementById('__font_probe').remove()")
        return fonts["fonts"]

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
