"""The desk served to a browser: textual-serve's server (one desk process per open page) with a
token at the door, the page drawn from our own template, and everything the page loads served
from here: textual-serve's xterm.js bundle and stylesheet, and our bundled monospace font.

textual-serve's own page asks a public font host for Roboto Mono; offline, the browser's
fallback font lacks Vietnamese letters with two marks and draws "Đỗ" as "Đô˜". Our page defines
the family textual.js asks xterm.js for ('Roboto Mono', hard-coded in the bundle) as the Noto
Sans Mono shipped in assets/fonts, and starts the terminal only once that font has loaded
(xterm.js measures its cells when it opens). A Content-Security-Policy keeps every request on
this server.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from math import ceil
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp_jinja2
import jinja2
import textual_serve
from aiohttp import web
from textual_serve.server import Server

from watchdesk.clock import Clock, SystemClock
from watchdesk.core.humane import human_duration
from watchdesk.i18n import _, current_language, speaking
from watchdesk.web.access import WrongTokens, same_secret

HERE = Path(__file__).parent
ASSETS = HERE / "assets"
TEMPLATES = HERE / "templates"
TEXTUAL_STATIC = Path(textual_serve.__file__).parent / "static"
COOKIE = "watchdesk_web"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SHUTDOWN_WAIT = 5.0  # seconds each open desk gets to quit when the server stops

log = logging.getLogger("watchdesk.web")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class DeskServer(Server):
    """Serves `command` (the desk) to browsers that give `token`, in the URL (?token=…) or on
    the sign-in form; they then hold a session cookie valid until the server stops. Its pages
    speak `language` (the desk's: --lang, else [desk] language, else the locale), and an address
    that gives wrong tokens too often waits (WrongTokens) on `clock`."""

    def __init__(self, command: str, *, host: str, port: int, token: str, title: str,
                 language: str = "", clock: Clock | None = None) -> None:
        super().__init__(command, host=host, port=port, title=title,
                         statics_path=TEXTUAL_STATIC, templates_path=TEMPLATES)
        self._token = token
        self.language = language or current_language()
        self.wrong_tokens = WrongTokens(clock or SystemClock())
        self._session = secrets.token_urlsafe(32)
        self._desks: set[asyncio.Task[Any]] = set()

    # -- the aiohttp application ------------------------------------------------------------
    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._door])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.post("/sign-in", self.handle_sign_in, name="sign_in"),
            web.get("/ws", self.handle_websocket, name="websocket"),
            web.get("/download/{key}", self.handle_download, name="download"),
            web.static("/static", TEXTUAL_STATIC, name="static"),
            web.static("/assets", ASSETS, name="assets"),
            web.static("/fonts", ASSETS / "fonts", name="fonts"),
        ])
        app.on_response_prepare.append(self._headers)
        app.on_shutdown.append(self._close_desks)
        return app

    @web.middleware
    async def _door(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Nothing but the sign-in form (and its font) is served without the session cookie."""
        given = request.query.get("token")
        if given is not None or (request.path == "/sign-in" and request.method == "POST"):
            wait = self.wrong_tokens.waiting(request.remote or "")
            if wait is not None:
                return self._refusal(request, wrong=True, wait=wait)
        if given is not None:
            if not same_secret(given, self._token):
                return self._refusal(request, wrong=True)
            self.wrong_tokens.right(request.remote or "")
            # Into the cookie, out of the address bar (and the history, and screenshots).
            query = urlencode([(k, v) for k, v in request.query.items() if k != "token"])
            return self._admit(request.path + (f"?{query}" if query else ""))
        resource = request.match_info.route.resource
        if (request.path == "/sign-in" and request.method == "POST") or (resource is not None and resource.name == "fonts"):
            # The font is public (OFL, nothing secret): the sign-in form draws Vietnamese in it too.
            # Matched by route, not by path text: a path escaping the fonts folder is refused there.
            return await handler(request)
        if not same_secret(request.cookies.get(COOKIE, ""), self._session):
            return self._refusal(request, wrong=False)
        if request.path == "/ws" and not _same_origin(request):
            log.warning("refused a websocket from another origin (%s)", request.headers.get("Origin"))
            raise web.HTTPForbidden(text="cross-origin websocket refused\n")
        return await handler(request)

    async def handle_sign_in(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        given = form.get("token", "")
        if isinstance(given, str) and same_secret(given, self._token):
            self.wrong_tokens.right(request.remote or "")
            return self._admit("/")
        return self._refusal(request, wrong=True)

    def _admit(self, location: str) -> web.StreamResponse:
        response = web.Response(status=303, headers={"Location": location})
        response.set_cookie(COOKIE, self._session, httponly=True, samesite="Strict", path="/")
        return response

    def _refusal(self, request: web.Request, *, wrong: bool, wait: timedelta | None = None) -> web.StreamResponse:
        status = 429 if wait is not None else 403 if wrong else 401
        headers = {"Retry-After": str(max(1, ceil(wait.total_seconds())))} if wait is not None else {}
        if wrong and wait is None:
            log.warning("refused a wrong token from %s", request.remote)
            self.wrong_tokens.wrong(request.remote or "")
        with speaking(self.language):  # no await inside: the language is this thread's for the block
            if not (wrong or (request.method == "GET" and request.path == "/")):
                return web.Response(status=status, text=_("The desk needs its token: open / and give it.") + "\n")
            if wait is not None:
                error = _("Too many wrong tokens from this address; wait {wait} and try again.").format(wait=human_duration(wait))
            else:
                error = _("That token is not the desk's; try again.") if wrong else ""
            context = {
                "lang": self.language,
                "title": self.title,
                "heading": _("This desk is guarded by a token"),
                "explain": _("Give the token printed by `watchdesk web` (or the password your supervisor set for it)."),
                "label": _("Token"),
                "button": _("Open the desk"),
                "error": error,
            }
            response = aiohttp_jinja2.render_template("sign_in.html", request, context, status=status)
        response.headers.update(headers)
        return response

    @staticmethod
    async def _headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if not request.path.startswith(("/static/", "/assets/")):  # pages and refusals; the files may be cached
            response.headers.setdefault("Cache-Control", "no-store")

    # -- the page and the desks ---------------------------------------------------------------
    async def handle_index(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        with speaking(self.language):
            context = {
                "lang": self.language,
                "title": self.title,
                "font_size": _font_size(request.query.get("fontsize", "")),
                "opening": _("Opening the desk…"),
                "ended": _("The desk was closed."),
                "restart": _("Open it again"),
            }
        return aiohttp_jinja2.render_template("index.html", request, context)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's: one desk process per page, stopped when the page goes."""
        task = asyncio.current_task()
        assert task is not None
        self._desks.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            self._desks.discard(task)

    async def _close_desks(self, _app: web.Application) -> None:
        # An open page would keep the server's shutdown waiting: cancelling its handler makes
        # textual-serve tell the desk to quit and wait for it.
        desks = list(self._desks)
        for task in desks:
            task.cancel()
        if desks:
            await asyncio.wait(desks, timeout=SHUTDOWN_WAIT)

    async def run(self, stop: asyncio.Event, ready: Callable[[str], None]) -> None:
        """Serve until `stop` is set; `ready` gets the address actually bound ('http://host:port')."""
        runner = web.AppRunner(await self._make_app(), handle_signals=False, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
            host, port = runner.addresses[0][:2]
            shown = f"[{host}]" if ":" in host else host
            ready(f"http://{shown}:{port}")
            await stop.wait()
        finally:
            await runner.cleanup()


def _same_origin(request: web.Request) -> bool:
    """A websocket opened by a page of this server (browsers always send Origin with one)."""
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


def _font_size(text: str) -> int:
    try:
        return min(max(int(text), 8), 40)
    except ValueError:
        return 16
