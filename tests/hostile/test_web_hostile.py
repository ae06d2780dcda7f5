"""Hostile input at the served desk's door. What a person sees: one sentence for a host or a
variable name carrying terminal controls (shown without them, never acted on), and for a
browser sending odd tokens, the sign-in form again (403), no cookie, no desk."""

from __future__ import annotations

import sys

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from watchdesk.cli import cli
from watchdesk.web.server import COOKIE, DeskServer

TOKEN = "nhật-ký-trực-ban-2026"


def test_a_host_with_terminal_controls_is_refused_without_acting_on_them() -> None:
    result = CliRunner().invoke(cli, ["web", "--host", "\x1b]0;pwned\x07evil\x1b[2J.example"])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert result.output.startswith("watchdesk: --host '") and "is reachable beyond this machine" in result.output


def test_a_token_variable_name_with_terminal_controls_is_shown_without_them(tmp_path) -> None:
    config = tmp_path / "watchdesk.toml"
    # an OSC title sequence: click strips colour codes from output, not these
    config.write_text('[web]\ntoken_env = "X\\u001b]0;pwned\\u0007Y"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "web"])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "which is not set" in result.output


@pytest.fixture
async def client() -> TestClient:
    server = DeskServer(f"{sys.executable} -c pass", host="127.0.0.1", port=0, token=TOKEN, title="watchdesk")
    test_client = TestClient(TestServer(await server._make_app(), host="127.0.0.1"))
    await test_client.start_server()
    yield test_client
    await test_client.close()


@pytest.mark.parametrize("given", [
    "", TOKEN.upper(), TOKEN[:-1], TOKEN + "\x00", TOKEN * 20, TOKEN.encode().decode("latin-1"), "' OR '1'='1",
], ids=["empty", "upper", "short", "nul", "long", "mojibake", "sql"])
async def test_odd_tokens_get_the_form_again_and_no_cookie(client: TestClient, given: str) -> None:
    for response in (await client.get("/", params={"token": given}, allow_redirects=False),
                     await client.post("/sign-in", data={"token": given}, allow_redirects=False)):
        assert response.status == 403
        assert COOKIE not in response.cookies
        assert "<form" in await response.text()


async def test_a_token_too_long_for_a_request_line_is_refused_by_the_server(client: TestClient) -> None:
    response = await client.get("/", params={"token": TOKEN * 400}, allow_redirects=False)
    assert response.status == 400 and COOKIE not in response.cookies


async def test_a_forged_cookie_is_no_session(client: TestClient) -> None:
    for forged in ("", "x", TOKEN, "watchdesk" * 50):
        client.session.cookie_jar.update_cookies({COOKIE: forged})
        assert (await client.get("/static/js/textual.js")).status == 401
