"""The inbound listener: aiohttp (already installed with textual-serve, which `watchdesk web`
uses; a maintained asyncio server with request size limits) answering two endpoints.

    POST /api/v1/alertmanager   Alertmanager webhook v4 (Authorization: Bearer TOKEN)
    POST /api/v1/alerts         generic JSON

The token is checked before the body is read; a body over the cap is answered 413 unread
beyond the cap. The write runs in a thread (the database is synchronous SQLite), so the loop
keeps answering while a post waits for the write lock. A locked or failing database is 503:
Alertmanager then sends it again, and a repeat of what was stored changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from watchdesk.i18n import _
from watchdesk.inbound.access import InboundPlan
from watchdesk.services.inbound import BadPayload, Outcome, receive
from watchdesk.services.runtime import Runtime

log = logging.getLogger("watchdesk.inbound")
ROUTES = {"/api/v1/alertmanager": "alertmanager", "/api/v1/alerts": "generic"}
WRITERS = 4  # threads writing posts; SQLite takes one writer at a time, the rest wait their turn


def _answer(status: int, **body: Any) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="watchdesk"'} if status == 401 else None
    return web.json_response(body, status=status, headers=headers)


class InboundServer:
    """Serves `plan` for `rt`; `on_new()` is called (from a writer thread) after a post created alerts."""

    def __init__(self, rt: Runtime, plan: InboundPlan, on_new: Callable[[], None] | None = None) -> None:
        self.rt = rt
        self.plan = plan
        self.on_new = on_new
        self._writers = ThreadPoolExecutor(WRITERS, thread_name_prefix="watchdesk-inbound")

    def make_app(self) -> web.Application:
        # client_max_size: aiohttp refuses (413) a body past the cap while reading it, chunked too.
        app = web.Application(client_max_size=self.plan.max_body)
        for path in ROUTES:
            app.router.add_post(path, self._post)
        return app

    async def _post(self, request: web.Request) -> web.Response:
        kind = ROUTES[request.path]
        scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
        caller = self.plan.caller(kind, given.strip()) if scheme.lower() == "bearer" else None
        if caller is None:
            return _answer(401, error=_("missing or wrong bearer token for this endpoint."))
        if request.content_length is not None and request.content_length > self.plan.max_body:
            return _answer(413, error=_("the body is {got} bytes; at most {n} are accepted.").format(
                got=request.content_length, n=self.plan.max_body))
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _answer(413, error=_("the body is larger than the {n} bytes accepted.").format(n=self.plan.max_body))
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
            return _answer(400, error=_("the body is not JSON (UTF-8, nesting within limits)."))
        loop = asyncio.get_running_loop()
        try:
            outcome: Outcome = await loop.run_in_executor(self._writers, receive, self.rt, caller.key, kind, payload)
        except BadPayload as exc:
            return _answer(413 if exc.too_large else 400, error=str(exc))
        except Exception:  # noqa: BLE001 - a locked or failing database: the sender retries
            log.exception("inbound %s: the post could not be stored", caller.key)
            return _answer(503, error=_("the desk could not store the alert now; send it again."))
        log.info("inbound %s: %s", caller.key, outcome.as_dict())
        if outcome.created and self.on_new is not None:
            self.on_new()
        return _answer(200, integration=caller.key, **outcome.as_dict())

    async def run(self, stop: asyncio.Event, ready: Callable[[str], None]) -> None:
        """Listen until `stop` is set; `ready(base_url)` once the socket is bound (OSError if it cannot be)."""
        runner = web.AppRunner(self.make_app(), handle_signals=False, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.plan.host, self.plan.port)
            await site.start()
            host, port = runner.addresses[0][:2]  # the bound port when 0 was asked
            ready(f"http://{'[' + host + ']' if ':' in host else host}:{port}")
            await stop.wait()
        finally:
            await runner.cleanup()
            self._writers.shutdown(wait=True)


class Background:
    """An InboundServer on its own event loop in a daemon thread (beside `serve`'s engine loop)."""

    def __init__(self, server: InboundServer) -> None:
        self.server = server
        self.url = ""
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="watchdesk-inbound-server", daemon=True)

    def start(self, timeout: float = 30.0) -> str:
        """Start and wait until bound; returns the base URL or raises what binding raised."""
        self._thread.start()
        self._ready.wait(timeout)
        if self.error is not None:
            raise self.error
        if not self.url:
            raise TimeoutError("the inbound listener did not start")
        return self.url

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()

            def ready(url: str) -> None:
                self.url = url
                self._ready.set()

            await self.server.run(self._stop, ready)

        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - handed to start() / stop()
            self.error = exc
        finally:
            self._ready.set()

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._stop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
