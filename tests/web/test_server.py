"""The served desk's door and page over HTTP (aiohttp's test client on 127.0.0.1): nothing but
the sign-in form without the token, the token moved from the URL into a cookie, websockets
only from the page's own origin, and a page whose every URL is on this server."""

from __future__ import annotations

import html
import re
import shlex
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from watchdesk.cli.common import State
from watchdesk.cli.web import _desk_command
from watchdesk.web.server import ASSETS, COOKIE, TEXTUAL_STATIC, DeskServer

TOKEN = "nhật-ký-trực-ban-2026"


@pytest.fixture
async def client() -> TestClient:
    # The desk command is never started here: no test opens an authorised websocket.
    server = DeskServer(f"{sys.executable} -c pass", host="127.0.0.1", port=0, token=TOKEN, title="Sở TT&TT <b>")
    test_client = TestClient(TestServer(await server._make_app(), host="127.0.0.1"))
    await test_client.start_server()
    yield test_client
    await test_client.close()


@pytest.mark.parametrize("path", ["/", "/ws", "/static/js/textual.js", "/assets/desk.js", "/download/x"])
async def test_without_the_token_nothing_is_served(client: TestClient, path: str) -> None:
    response = await client.get(path, allow_redirects=False)
    assert response.status == 401
    body = await response.text()
    assert "textual.js" not in body and "/ws" not in body and "desk.js" not in body


async def test_the_sign_in_form_escapes_the_desk_name_and_has_its_font(client: TestClient) -> None:
    response = await client.get("/")
    assert response.status == 401
    page = await response.text()
    assert "<title>Sở TT&amp;TT &lt;b&gt;</title>" in page and 'action="/sign-in"' in page
    # The font is public (the form shows the desk's Vietnamese name in it); nothing else is.
    assert '<link rel="stylesheet" href="/fonts/fonts.css" />' in page
    for path in ("/fonts/fonts.css", "/fonts/NotoSansMono-Regular.woff2", "/fonts/OFL.txt"):
        assert (await client.get(path)).status == 200, path
    # Paths that climb out of the fonts folder, sent as they are (not normalised by the client).
    for path in ("/fonts/../desk.js", "/fonts/%2e%2e/desk.js", "/fonts/..%2fdesk.js", "/fonts/%2e%2e%2f%2e%2e%2fserver.py"):
        escaped = await client.session.get(URL(str(client.make_url("")) + path, encoded=True), allow_redirects=False)
        assert escaped.status in (401, 403, 404), (path, escaped.status)


async def test_a_wrong_token_is_refused_in_the_url_and_in_the_form(client: TestClient) -> None:
    in_url = await client.get("/", params={"token": TOKEN[:-1] + "7"}, allow_redirects=False)
    in_form = await client.post("/sign-in", data={"token": TOKEN + " "}, allow_redirects=False)
    for response in (in_url, in_form):
        assert response.status == 403
        assert COOKIE not in response.cookies
        assert "That token is not the desk's" in html.unescape(await response.text())


async def test_the_token_becomes_a_cookie_and_leaves_the_address(client: TestClient) -> None:
    response = await client.get("/", params={"token": TOKEN, "fontsize": "20"}, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/?fontsize=20"
    morsel = response.cookies[COOKIE]
    assert morsel["httponly"] and morsel["samesite"] == "Strict"
    page = await client.get("/?fontsize=20")  # the client keeps the cookie, as a browser does
    assert page.status == 200
    assert 'data-font-size="20"' in await page.text()
    assert (await client.get("/static/js/textual.js")).status == 200


async def test_the_form_admits_with_the_token(client: TestClient) -> None:
    response = await client.post("/sign-in", data={"token": TOKEN}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"
    assert (await client.get("/")).status == 200


async def test_a_websocket_from_another_origin_is_refused(client: TestClient) -> None:
    await client.get("/", params={"token": TOKEN})
    response = await client.get("/ws", headers={"Origin": "http://evil.example", "Connection": "Upgrade",
                                                "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                                                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert response.status == 403


async def test_the_page_asks_nothing_of_any_other_host(client: TestClient) -> None:
    response = await client.get("/", params={"token": TOKEN})
    page = await response.text()
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy and "font-src 'self'" in policy
    urls = re.findall(r'(?:src|href)="([^"]*)"|url\("?([^")]*)', page)
    urls = [u for pair in urls for u in pair if u]
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    for url in urls:  # each one is served here
        assert (await client.get(url)).status == 200, url
    css = (TEXTUAL_STATIC / "css" / "xterm.css").read_text(encoding="utf-8")
    assert not re.search(r"url\(|@import", css)
    assert "fonts.googleapis" not in page


def test_the_font_and_its_licence_ship_in_the_package() -> None:
    fonts = ASSETS / "fonts"
    assert {p.name for p in fonts.iterdir()} >= {"NotoSansMono-Regular.woff2", "NotoSansMono-Bold.woff2", "OFL.txt"}
    assert "SIL OPEN FONT LICENSE Version 1.1" in (fonts / "OFL.txt").read_text(encoding="utf-8")
    for face in ("Regular", "Bold"):
        assert (fonts / f"NotoSansMono-{face}.woff2").read_bytes()[:4] == b"wOF2"


def test_each_page_runs_the_desk_on_the_same_config_and_database(tmp_path: Path) -> None:
    command = shlex.split(_desk_command(State("watchdesk.toml", "desk db/watch.db")))
    assert command == [sys.executable, "-m", "watchdesk", "--config", str(tmp_path / "watchdesk.toml"),
                       "--db", str(tmp_path / "desk db" / "watch.db")]
    assert shlex.split(_desk_command(State(None, None))) == [sys.executable, "-m", "watchdesk"]


async def _served(server: DeskServer) -> TestClient:
    test_client = TestClient(TestServer(await server._make_app(), host="127.0.0.1"))
    await test_client.start_server()
    return test_client


async def test_an_address_giving_wrong_tokens_waits_then_may_try_again() -> None:
    from watchdesk.clock import FakeClock

    clock = FakeClock()
    client = await _served(DeskServer(f"{sys.executable} -c pass", host="127.0.0.1", port=0, token=TOKEN, title="t",
                                      language="en", clock=clock))
    try:
        # Four wrong tokens, a minute apart from the next four: never five within a minute, never a wait.
        for _round in range(2):
            for _n in range(4):
                assert (await client.post("/sign-in", data={"token": "wrong"}, allow_redirects=False)).status == 403
            clock.fast_forward(61)
        for _n in range(5):
            assert (await client.get("/", params={"token": "wrong"}, allow_redirects=False)).status == 403
        # The sixth try waits, even with the right token, in the URL or on the form.
        for response in (await client.post("/sign-in", data={"token": TOKEN}, allow_redirects=False),
                         await client.get("/", params={"token": TOKEN}, allow_redirects=False)):
            assert response.status == 429 and COOKIE not in response.cookies
            assert response.headers["Retry-After"] == "300"
            assert "Too many wrong tokens from this address; wait 5m and try again." in html.unescape(await response.text())
        clock.fast_forward(299)
        assert (await client.post("/sign-in", data={"token": TOKEN}, allow_redirects=False)).headers["Retry-After"] == "1"
        clock.fast_forward(1)
        assert (await client.post("/sign-in", data={"token": TOKEN}, allow_redirects=False)).status == 303
    finally:
        await client.close()


async def test_the_pages_speak_the_desks_language_not_the_servers() -> None:
    from watchdesk import i18n

    assert i18n.current_language() == "en"
    client = await _served(DeskServer(f"{sys.executable} -c pass", host="127.0.0.1", port=0, token=TOKEN, title="t",
                                      language="vi"))
    try:
        form = await client.post("/sign-in", data={"token": "wrong"}, allow_redirects=False)
        text = html.unescape(await form.text())
        assert '<html lang="vi">' in text and i18n.gettext_in("vi", "That token is not the desk's; try again.") in text
        assert "That token is not the desk's" not in text and "Open the desk" not in text
        page = html.unescape(await (await client.get("/", params={"token": TOKEN})).text())
        assert '<html lang="vi">' in page and "Opening the desk" not in page
        assert i18n.gettext_in("vi", "Opening the desk…") in page
    finally:
        await client.close()
    assert i18n.current_language() == "en"
