"""The catalogs: every UI string has Vietnamese, the .mo files are current, the language follows config or locale."""

from __future__ import annotations

import pytest

from watchdesk import i18n
from watchdesk.i18n_tools import problems


@pytest.fixture(autouse=True)
def _english_after() -> None:
    yield
    i18n.set_language("en")


def test_every_string_is_translated_and_compiled() -> None:
    assert problems() == []


def test_vietnamese_and_english() -> None:
    i18n.set_language("vi")
    assert i18n._("Acknowledge") == "Xác nhận"
    assert i18n._("Roster") == "Lịch trực"
    assert i18n._("Acknowledged #{id}.").format(id=8) == "Đã xác nhận #8."
    i18n.set_language("en")
    assert i18n._("Roster") == "Roster"


@pytest.mark.parametrize("env,expected", [("vi_VN.UTF-8", "vi"), ("en_US.UTF-8", "en"), ("C", "en"), ("fr_FR.UTF-8", "en")])
def test_language_follows_the_locale(monkeypatch: pytest.MonkeyPatch, env: str, expected: str) -> None:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", env)
    assert i18n.set_language("") == expected


# -- the CLI and every report format speak Vietnamese ------------------------------------------------
import functools  # noqa: E402
import html as _html  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

from click.testing import CliRunner  # noqa: E402

# Words that stay as they are in Vietnamese text: codes, units, product and proper names.
ALLOWED = {"sla", "mtta", "seq", "hash", "cve", "pin", "url", "utc", "csv", "json", "email", "html", "ics", "id",
           "watchdesk", "asia", "ho_chi_minh", "handle", "toml", "p90", "ok",
           "manual"}  # a source's kind, as the config writes it (kind = "manual")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


@functools.cache
def english_words() -> frozenset[str]:
    """Words of the English source strings that the Vietnamese catalog never uses: seeing one in
    Vietnamese output means a string that did not go through the catalog."""
    from watchdesk.i18n_tools import _read

    english: set[str] = set()
    vietnamese: set[str] = set()
    for m in _read("vi"):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for text in ids:
            english |= {w.lower() for w in WORD.findall(re.sub(r"\{[^}]*\}", " ", text)) if len(w) > 2}
        for text in strings:
            vietnamese |= {w.lower() for w in WORD.findall(text)}
    return frozenset(english - vietnamese - ALLOWED)


def leftover_english(text: str, data: list[str]) -> set[str]:
    """The English words of `text`, once the desk's own data (titles, names, paths) is taken out."""
    text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
    text = _html.unescape(re.sub(r"<[^>]+>|<!--|-->", " ", text))
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    text = re.sub(r"\S*[/\\]\S*|\S+\.(?:db|toml|jsonl|csv)\b|\b[0-9a-f]{16,}\b", " ", text)  # paths, files, hashes
    return {w for w in WORD.findall(text) if w.lower() in english_words()}


@pytest.fixture(scope="module")
def demo_desk(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The demo desk (alerts in every state, a watch period, shifts, a handover) and its own words."""
    from watchdesk.demo.build import build_demo
    from watchdesk.services.handover import get_handover
    from watchdesk.services.periods import current_periods

    tmp_path = tmp_path_factory.mktemp("i18n")
    rt, _clock = build_demo(tmp_path / "demo", "vi")
    shift = get_handover(rt, None).shift_id
    period = current_periods(rt)[0]
    conn = rt.db.raw()
    try:
        data = [r[0] for q in ("SELECT title FROM alert", "SELECT summary FROM alert", "SELECT full_name FROM officer",
                               "SELECT handle FROM officer", "SELECT name FROM source", "SELECT key FROM source",
                               "SELECT resolution FROM alert", "SELECT name FROM contact", "SELECT key FROM contact",
                               "SELECT directive FROM watch_period", "SELECT notes FROM watch_period")
                for r in conn.execute(q).fetchall() if r[0]]
    finally:
        conn.close()
    i18n.set_language("en")
    cut = [value[:60] for value in data]  # `handover show` cuts titles to 60 characters
    return rt.db.path, shift, period, data + cut + [period.name, str(tmp_path), rt.zone.key]


def test_cli_and_reports_in_vietnamese_carry_no_english(demo_desk) -> None:  # noqa: ANN001
    from watchdesk.cli.main import cli

    db, shift, period, data = demo_desk
    runs = {
        "config": ["config"], "period list": ["period", "list"], "roster check": ["roster", "check", "--period", period.slug],
        "handover show": ["handover", "show", "--shift", str(shift)],
        "report acks md": ["report", "acks", "--period", period.slug, "--format", "md"],
        "report acks html": ["report", "acks", "--period", period.slug, "--format", "html"],
        "alert list": ["alert", "list"], "alert list resolved": ["alert", "list", "--state", "resolved"],
        "period suggest": ["period", "suggest", "tet", "2027"], "escalation plan": ["escalation", "plan"],
        "sources": ["sources"], "handover list": ["handover", "list"],
        **{f"alert show {n}": ["alert", "show", str(n)] for n in range(1, 10)},
    }
    found = {}
    for what, args in runs.items():
        out = CliRunner().invoke(cli, ["--lang", "vi", "--db", str(db), *args], catch_exceptions=False)
        assert out.exit_code in (0, 1), (what, out.output)
        left = leftover_english(out.output, data)
        if left:
            found[what] = sorted(left)
    assert found == {}


@pytest.mark.parametrize("args", [
    ["alert", "show", "999"], ["report", "acks"], ["period", "suggest", "halloween", "2027"], ["period", "suggest", "tet", "1200"],
    ["import", "khong-co-tep.json", "--as", "lan"], ["roster", "check", "--period", "nope"],
    ["alert", "snooze", "3", "90d", "--reason", "x", "--as", "lan"], ["alert", "list", "--limit", "0"],
    ["poll", "--source", "nope"], ["report", "acks", "--from", "2026-02-17", "--to", "2026-02-01"],
], ids=" ".join)
def test_refusals_in_vietnamese_carry_no_english(demo_desk, args: list[str]) -> None:  # noqa: ANN001
    """Sentences refusing bad input (exit 2) are the catalog's, in the reader's language."""
    from watchdesk.cli.main import cli

    db, _shift, _period, data = demo_desk
    out = CliRunner().invoke(cli, ["--lang", "vi", "--db", str(db), *args], catch_exceptions=False)
    assert out.exit_code == 2 and out.output.strip(), out.output
    from watchdesk.core.holidays_vn import HOLIDAYS

    # Command names, options, their metavars and the holidays' keys are typed as they are.
    said = re.sub(r"\(xem 'watchdesk [^']*'\)|'watchdesk [^']*'|--[a-z-]+|\b(?:DURATION|YEAR|HANDLE|NAME)\b", " ", out.output)
    assert leftover_english(said, [*data, *HOLIDAYS]) == set(), out.output


@pytest.mark.parametrize("toml", ['[[sources]]\nkey = "a"\nkind = "rss"\n', "[desk]\nbogus = 1\n", "[desk]\nzone = \"Mars/Olympus\"\n",
                                  '[[sources]]\nkey = "a"\nkind = "rss"\nurl = "ftp://x"\n', "[desk\n"])
def test_config_errors_in_vietnamese_carry_no_english(tmp_path: Path, toml: str) -> None:
    from watchdesk.cli.main import cli

    config = tmp_path / "desk.toml"
    config.write_text(toml, encoding="utf-8")
    out = CliRunner().invoke(cli, ["--lang", "vi", "--config", str(config), "config"])
    assert out.exit_code == 2, out.output
    # Keys and values as written, and tomllib's own words ('Expected … (at line 1, column 6)') stay as they are.
    said = re.sub(r"'[^']*'|\([^()]*\(at line \d+, column \d+\)\)", " ", out.output)
    assert leftover_english(said, [str(tmp_path)]) == set(), out.output


def test_the_handover_record_is_bilingual_with_a_complete_vietnamese_half(demo_desk) -> None:  # noqa: ANN001
    """Every line of the printed record that carries English carries its Vietnamese too."""
    from watchdesk.cli.main import cli

    db, shift, _period, data = demo_desk
    for fmt in ("md", "html"):
        out = CliRunner().invoke(cli, ["--lang", "vi", "--db", str(db), "handover", "export", "--shift", str(shift), "--format", fmt],
                                 catch_exceptions=False)
        assert out.exit_code == 0, out.output
        text = out.output if fmt == "md" else re.sub(r"<(?:/tr|/p|/h\d|/li|br|/div)>", "\n",
                                                       re.sub(r"<style>.*?</style>", "", out.output, flags=re.S))
        english_only = [line for line in text.splitlines()
                        if leftover_english(line, data) and not re.search(r"[À-ỹ]", line)]
        assert english_only == [], fmt


def test_the_cli_follows_the_config_then_lang(tmp_path: Path) -> None:
    from watchdesk.cli.main import cli

    config = tmp_path / "desk.toml"
    config.write_text('[desk]\nlanguage = "vi"\n', encoding="utf-8")
    said = CliRunner().invoke(cli, ["--config", str(config), "config"])
    assert said.exit_code == 0 and said.output.startswith("cấu hình hợp lệ: ") and "0 nguồn, 3 liên hệ" in said.output
    said = CliRunner().invoke(cli, ["--config", str(config), "--lang", "en", "config"])
    assert said.output.startswith("config OK: ") and "0 sources, 3 contacts" in said.output


def test_the_served_desk_speaks_the_language_asked() -> None:
    import shlex

    from watchdesk.cli.common import State
    from watchdesk.cli.web import _desk_command

    assert shlex.split(_desk_command(State(None, None, "vi")))[-2:] == ["--lang", "vi"]
    assert "--lang" not in _desk_command(State(None, None))


def test_config_init_writes_the_packaged_example_into_a_new_folder(tmp_path: Path) -> None:
    from watchdesk.cli.main import cli
    from watchdesk.locations import config_dir

    shipped = Path(__file__).resolve().parents[1] / "config.example.toml"
    packaged = Path(__file__).resolve().parents[1] / "watchdesk" / "data" / "config.example.toml"
    assert packaged.read_bytes() == shipped.read_bytes(), "copy config.example.toml to watchdesk/data/"
    assert not config_dir().exists()
    done = CliRunner().invoke(cli, ["config", "init"])
    assert done.exit_code == 0, done.output
    assert (config_dir() / "watchdesk.toml").read_bytes() == shipped.read_bytes()
    again = CliRunner().invoke(cli, ["config", "init"])
    assert again.exit_code == 2 and "already exists" in again.output and "--force" in again.output
    assert CliRunner().invoke(cli, ["config", "init", "--force"]).exit_code == 0
    assert CliRunner().invoke(cli, ["config", "--show-path"]).output.strip() == str(config_dir() / "watchdesk.toml")


def test_human_durations_and_windows() -> None:
    from watchdesk.core.humane import human_duration, human_hours

    assert [human_duration(s) for s in (42, 425, 900, 14702, 7200, 3 * 86400 + 4 * 3600, None)] == [
        "42s", "7m05s", "15m", "4h05m", "2h", "3d04h", "—"]
    assert human_hours(168) == "last 7 days" and human_hours(24) == "last 24 hours"
    i18n.set_language("vi")
    assert human_duration(14702) == "4 giờ 5 phút" and human_hours(168) == "7 ngày qua"


def test_timeline_facts_are_words_local_times_and_rounds_from_one() -> None:
    from zoneinfo import ZoneInfo

    from watchdesk.core.humane import event_facts, event_word

    facts = event_facts({"level": 2, "round": 0, "received_at": "2026-02-16 18:20:00.000000", "dedup_key": "x",
                         "snoozed_seconds": 14702, "severity": "high"}, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert facts == ["level 2", "round 1", "received 17/02 01:20", "snoozed for 4h05m", "severity high"]
    assert event_word("alert.acknowledged") == "acknowledged" and event_word("custom.kind") == "custom.kind"
