"""Where `watchdesk web` listens and with which token: loopback by default, a token always, and
no address beyond this machine without a token set on purpose."""

from __future__ import annotations

import pytest

from watchdesk.config import WebConfig, parse_config
from watchdesk.config_file import ConfigError
from watchdesk.web.access import MIN_TOKEN, is_loopback, listener, same_secret

WHERE = "/etc/watchdesk.toml"


@pytest.mark.parametrize("host,expected", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("", False), ("::", False), ("10.0.0.7", False), ("192.168.1.20", False),
])
def test_loopback_means_only_this_machine(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_by_default_loopback_with_a_fresh_token_each_start() -> None:
    first = listener(WebConfig(), WHERE, {})
    second = listener(WebConfig(), WHERE, {})
    assert (first.host, first.port, first.loopback, first.generated) == ("127.0.0.1", 8765, True, True)
    assert len(first.token) >= 32 and first.token != second.token


def test_the_cli_overrides_the_config() -> None:
    web = parse_config({"web": {"host": "127.0.0.2", "port": 9000}}).web
    plan = listener(web, WHERE, {}, host="::1", port=0)
    assert (plan.host, plan.port) == ("::1", 0)


def test_beyond_this_machine_without_a_token_refuses_to_start() -> None:
    web = parse_config({"web": {"host": "0.0.0.0"}}).web
    with pytest.raises(ConfigError) as from_config:
        listener(web, WHERE, {})
    assert str(from_config.value) == (
        f"{WHERE}: [web] host '0.0.0.0' is reachable beyond this machine, so the desk needs a token: set [web] "
        f"token_env to the name of an environment variable holding one (at least {MIN_TOKEN} characters), "
        "or serve on 127.0.0.1."
    )
    with pytest.raises(ConfigError, match=r"^--host '192\.168\.1\.20' is reachable beyond this machine"):
        listener(WebConfig(), WHERE, {}, host="192.168.1.20")


def test_a_token_from_the_environment_variable_the_config_names() -> None:
    web = parse_config({"web": {"host": "0.0.0.0", "token_env": "DESK_WEB_TOKEN"}}).web
    plan = listener(web, WHERE, {"DESK_WEB_TOKEN": "mật-khẩu-ca-đêm-2026"})
    assert (plan.token, plan.token_env, plan.loopback, plan.generated) == ("mật-khẩu-ca-đêm-2026", "DESK_WEB_TOKEN", False, False)


def test_a_named_but_unset_or_short_token_is_one_sentence() -> None:
    web = WebConfig(token_env="DESK_WEB_TOKEN")
    with pytest.raises(ConfigError) as unset:
        listener(web, WHERE, {"DESK_WEB_TOKEN": ""})
    assert str(unset.value) == (
        f"{WHERE}: [web] token_env names $DESK_WEB_TOKEN, which is not set; export it with the desk's token "
        f"(at least {MIN_TOKEN} characters)."
    )
    with pytest.raises(ConfigError) as short:
        listener(web, WHERE, {"DESK_WEB_TOKEN": "1234"})
    assert str(short.value) == f"$DESK_WEB_TOKEN holds 4 characters; the desk's token needs at least {MIN_TOKEN}: give it a longer one."


def test_the_port_is_checked_with_the_config() -> None:
    with pytest.raises(ConfigError, match=r"key 'web\.port' must be less than or equal to 65535 \(got 70000\)"):
        parse_config({"web": {"port": 70000}}, where=WHERE)


def test_same_secret() -> None:
    assert same_secret("nhật-ký-trực-ban", "nhật-ký-trực-ban")
    assert not same_secret("nhật-ký-trực-bam", "nhật-ký-trực-ban")
    assert not same_secret("", "nhật-ký-trực-ban")
