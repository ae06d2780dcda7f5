"""Config: discovery, defaults that work, and one sentence per mistake."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from watchdesk.config import Config, ConfigError, load_config, parse_duration

BAD_CONFIGS = [
    ('[desk]\ntimezone = "Mars/Olympus"\n', "key 'desk.timezone' must be an IANA time zone such as 'Asia/Ho_Chi_Minh' (got 'Mars/Olympus')."),
    ('[desk]\nnam = "x"\n', "unknown key 'desk.nam'; remove it or check its spelling against config.example.toml."),
    ('[desks]\nname = "x"\n', "unknown key 'desks'"),
    ('[desk]\nlanguage = "fr"\n', "key 'desk.language' must be 'vi', 'en' or '' (got 'fr')."),
    ('[[sources]]\nkey = "a"\nkind = "rss"\n', "key 'sources[1]': source 'a' of kind 'rss' needs a 'url'."),
    ('[[sources]]\nkey = "a"\nkind = "rsss"\nurl = "http://x"\n', "key 'sources[1].kind' must be 'rss', 'json', 'html', 'site' or 'manual' (got 'rsss')."),
    ('[[sources]]\nkey = "A b"\nkind = "rss"\nurl = "http://x"\n', "key 'sources[1].key' must be lower-case letters"),
    ('[[sources]]\nkey = "a"\nkind = "rss"\nurl = "http://x"\n[[sources]]\nkey = "a"\nkind = "rss"\nurl = "http://y"\n', "source key 'a' is used twice"),
    ('[[sources]]\nkey = "a"\nkind = "rss"\nurl = "http://x"\ninterval = "soon"\n', "key 'sources[1].interval' must be a duration like '15m'"),
    ('[severities.critical]\nack_target = "x"\n', "key 'severities.critical.ack_target' must be a duration"),
    ('[severities.urgent]\nack_target = "5m"\n', "key 'severities.urgent' is not allowed here; use 'critical', 'high', 'medium' or 'low'."),
    ('[policies.critical]\nsteps = []\n', "key 'policies.critical.steps': a policy needs at least one step."),
    ('[policies.critical]\nsteps = [{ level = 5 }]\n', "key 'policies.critical.steps[1].level' must be less than or equal to 3 (got 5)."),
    ('[policies.critical]\nsteps = [{ after = "1m" }]\n', "each step needs a roster 'level' (1-3) or 'contacts'"),
    ('[policies.critical]\nsteps = [{ level = 1, channels = ["sms"] }]\n', "policies.critical.steps[1] uses channel 'sms', which is not defined under [channels]"),
    ('[policies.high]\nsteps = [{ contacts = ["interpol"] }]\n', "policies.high.steps[1] names contact 'interpol', which is not defined"),
    ('[channels.ops]\ntype = "webhook"\n', "key 'channels.ops': a webhook channel needs 'url'."),
    ('[channels.mail]\ntype = "email"\nhost = "smtp.example.vn"\n', "an email channel needs 'host' and 'sender'"),
    ('[channels.ops]\ntype = "pager"\n', "key 'channels.ops.type' must be 'terminal', 'desktop', 'webhook' or 'email' (got 'pager')."),
    ('[escalation]\nfallback_contact = "nobody"\n', "escalation.fallback_contact 'nobody' is not one of the contacts"),
    ('[roster]\nnight_start = "25:00"\n', "key 'roster.night_start' must be a time of day like '07:30' (got '25:00')."),
    ('[engine]\ntick_interval = true\n', "key 'engine.tick_interval' must be a duration"),
    ('[database]\nbusy_timeout = -5\n', "key 'database.busy_timeout' must not be negative (got -5)."),
    ('[[contacts]]\nkey = "x"\n', "key 'contacts[1].name' is required but missing."),
    ('[desk\nname = "x"\n', "not valid TOML"),
]


@pytest.mark.parametrize("text,expected", BAD_CONFIGS, ids=[e[:40] for _, e in BAD_CONFIGS])
def test_each_mistake_gives_one_sentence_naming_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "watchdesk.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message and "Traceback" not in message
    assert message.endswith(".")


def test_defaults_work_without_a_file() -> None:
    config = load_config()
    assert config.source_path == ""
    assert config.desk.timezone == "Asia/Ho_Chi_Minh"
    assert config.ack_target("critical") == timedelta(minutes=5)
    assert config.ack_target("low") == timedelta(hours=4)
    assert {c.key for c in config.contacts} == {"vncert", "ncsc", "attt-hotline"}
    vncert = config.contact("vncert")
    assert vncert and vncert.phone == "024.3640.4421" and vncert.hotline == "086.9100.317" and vncert.to_verify


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "watchdesk.toml").write_text('[desk]\nname = "cwd"\n', encoding="utf-8")
    user_dir = tmp_path / "xdg-config" / "watchdesk"
    user_dir.mkdir(parents=True)
    (user_dir / "watchdesk.toml").write_text('[desk]\nname = "user"\n', encoding="utf-8")
    env_file = tmp_path / "env.toml"
    env_file.write_text('[desk]\nname = "env"\n', encoding="utf-8")
    explicit = tmp_path / "explicit.toml"
    explicit.write_text('[desk]\nname = "explicit"\n', encoding="utf-8")

    assert load_config().desk.name == "cwd"
    (tmp_path / "watchdesk.toml").unlink()
    assert load_config().desk.name == "user"
    monkeypatch.setenv("WATCHDESK_CONFIG", str(env_file))
    assert load_config().desk.name == "env"
    assert load_config(explicit).desk.name == "explicit"


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found \\(given by --config\\)"):
        load_config(tmp_path / "nope.toml")


def test_partial_policies_keep_the_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[severities.critical]\nack_target = "3m"\n', encoding="utf-8")
    config = load_config(path)
    assert config.ack_target("critical") == timedelta(minutes=3)
    assert config.ack_target("high") == timedelta(minutes=15)
    assert set(config.policies) == set(Config().policies)


def test_example_config_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    config = load_config(example)
    assert config.source_path == str(example)


@pytest.mark.parametrize("text,seconds", [("90s", 90), ("15m", 900), ("1h30m", 5400), ("2d", 172800), (45, 45), ("1h 5m", 3900)])
def test_durations(text: object, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


# -- limits (issue 14, finding 5) -------------------------------------------------------------
LIMIT_CONFIGS = [
    ('[engine]\ntick_interval = "0s"\n', "key 'engine.tick_interval' must be from 1s to 1m (got '0s')."),
    ('[engine]\ntick_interval = inf\n', "key 'engine.tick_interval' must be a duration like '15m', '1h30m' or a number of seconds (got inf)."),
    ('[alerts]\nsnooze_max = "99999999999d"\n', "key 'alerts.snooze_max' must be from 1m to 7d (got '99999999999d')."),
    ('[policies.high]\nsteps = [{ level = 1, after = "8d" }]\n', "key 'policies.high.steps[1].after' must be from 0s to 7d (got '8d')."),
    ('[channels.ops]\ntype = "webhook"\nurl = "https://h.vn/x"\ntimeout = 0\n', "key 'channels.ops.timeout' must be from 1s to 5m (got 0)."),
    ('[[sources]]\nkey = "a"\nkind = "rss"\nurl = "https://e.vn/"\nmax_bytes = 9223372036854775807\n',
     "key 'sources[1].max_bytes' must be less than or equal to 1000000000"),
    ('[[sources]]\nkey = "a"\nkind = "rss"\nurl = "http://"\n', "this one has no host name (got 'http://')."),
    ('[[sources]]\nkey = "a"\nkind = "rss"\nurl = "https://e.vn/\\u001b]0;x"\n', "without spaces or control characters"),
    ('[desk.keys]\n"alerts.acknowledge" = "k,ctrl+"\n', "entry 'alerts.acknowledge' names 'ctrl+', which is not a key name"),
    ('[desk.keys]\n"alerts.acknowledge" = ""\n', "entry 'alerts.acknowledge' must name a key."),
    ('[[contacts]]\nkey = "a"\nname = "A"\n[[contacts]]\nkey = "b"\nname = "B"\n[[contacts]]\nkey = "a"\nname = "C"\n',
     "[[contacts]] entries 1 ('A') and 3 ('C') both have key 'a'"),
]


@pytest.mark.parametrize("text,expected", LIMIT_CONFIGS, ids=[e[:40] for _, e in LIMIT_CONFIGS])
def test_a_value_past_its_limit_is_one_sentence_with_the_limit(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "watchdesk.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert expected in message and message.startswith(f"{path}: ") and message.endswith(".") and "\n" not in message


def test_a_long_value_is_quoted_short_in_the_sentence(tmp_path: Path) -> None:
    path = tmp_path / "watchdesk.toml"
    path.write_text(f'[engine]\ntick_interval = "{"9" * 100_000}s"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "must be from 1s to 1m" in str(info.value) and len(str(info.value)) < 300


def test_each_duration_range_is_stated_in_the_readme_and_the_example() -> None:
    from watchdesk.config import DURATION_LIMITS

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    example = (root / "config.example.toml").read_text(encoding="utf-8").splitlines()
    for key, (low, high) in DURATION_LIMITS.items():
        assert re.search(rf"\| `{re.escape(key)}`[^|]*\| {low} to {high}", readme), key
        name = key.rsplit(".", 1)[-1]
        assert any(name in line and f"{low} to {high}" in line for line in example), key


def test_the_example_config_keeps_its_own_limits() -> None:
    root = Path(__file__).resolve().parents[2]
    assert load_config(root / "config.example.toml").engine.tick_interval == timedelta(seconds=1)


def test_the_key_names_accepted_are_the_ones_textual_sends() -> None:
    """core.keys states Textual's key names without importing Textual; this holds it to them."""
    import string

    from textual.keys import Keys, _character_to_key

    from watchdesk.core.keys import key_problem

    for key in Keys:
        if re.fullmatch(r"([a-z]+\+)*[a-z0-9_@]+", key.value):
            assert key_problem(key.value) is None, key.value
    for char in string.printable.strip():
        if char != ",":
            assert key_problem(char) is None and key_problem(_character_to_key(char)) is None, char
    for wrong in ("Ctrl-K", "ctrl+", "control+k", "f25", "enterr", "ctrl+ctrl+k", "k,", "question mark"):
        assert key_problem(wrong), wrong


def test_the_shell_leaves_out_a_key_textual_never_sends() -> None:
    """Before the full check closes the desk, the shell keeps the board's own ack key."""
    from watchdesk.config_file import ShellSettings

    shell = ShellSettings.from_data({"desk": {"keys": {"alerts.acknowledge": "Ctrl-K", "alerts.escalate": "ctrl+e"}}})
    assert shell.keys == {"alerts.escalate": "ctrl+e"}
