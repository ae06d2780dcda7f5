"""The shell commands: sources, poll, import, alert add, alert list (text and --json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.feeds.conftest import DEMO
from tests.support.feed_server import FeedServer, Reply
from watchdesk.cli.main import cli

ALERT_FIELDS = {"id", "source", "native_id", "title", "summary", "link", "severity", "severity_raw", "category", "cves",
                "doc_number", "published_at", "received_at", "state", "level", "related"}


@pytest.fixture
def desk(tmp_path: Path, feed_server: FeedServer):  # noqa: ANN201
    feed_server.route("/rss", Reply(body=(DEMO / "khonggianmang.rss.xml").read_bytes(), headers={"Content-Type": "application/rss+xml"}))
    feed_server.route("/down", Reply(status=503))
    config = tmp_path / "watchdesk.toml"
    config.write_text(f"""
[database]
path = "{tmp_path / 'desk.db'}"
[[sources]]
key = "kgm"
name = "khonggianmang.vn"
kind = "rss"
url = "{feed_server.url('/rss')}"
[[sources]]
key = "kev"
kind = "json"
preset = "cisa-kev"
url = "{(DEMO / 'kev.json').as_uri()}"
[[sources]]
key = "down"
kind = "rss"
url = "{feed_server.url('/down')}"
""", encoding="utf-8")
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    run("init", "--handle", "minh", "--name", "Nguyễn Văn Minh")
    return run


def test_poll_prints_what_came_in_and_fails_with_status_1(desk) -> None:  # noqa: ANN001
    out = desk("poll", code=1)
    assert "kgm: 5 items, 5 new, 0 updated" in out
    assert "[critical] Cảnh báo lỗ hổng bảo mật nghiêm trọng trong FortiOS" in out
    # The letters name their CVEs in prose only (mentions): the KEV entries page on their own.
    assert "kev: 4 items, 4 new, 0 updated, 0 joined" in out and "(joins #" not in out
    assert "down: FAILED: had a server error (503 Service Unavailable)" in out
    again = desk("poll", "--source", "kgm")
    assert again.strip().startswith("kgm: unchanged since the last poll")


def test_poll_json(desk) -> None:  # noqa: ANN001
    results = {r["key"]: r for r in json.loads(desk("poll", "--json", code=1))}
    assert results["kgm"]["status"] == "ok" and len(results["kgm"]["new"]) == 5
    assert results["down"]["error"] == "had a server error (503 Service Unavailable)"


def test_sources_text_and_json(desk) -> None:  # noqa: ANN001
    desk("poll", code=1)
    text = desk("sources")
    assert "kgm" in text and "failing" in text and "had a server error (503 Service Unavailable)" in text
    rows = {r["key"]: r for r in json.loads(desk("sources", "--json"))}
    assert rows["kgm"]["state"] == "ok" and rows["kgm"]["last_ok_at"]
    assert rows["down"]["state"] == "failing" and rows["down"]["failures"] == 1
    assert set(rows["kgm"]) >= {"key", "name", "kind", "url", "state", "last_ok_at", "last_error", "failures", "next_poll_at", "warning"}


def test_alert_list_json_fields_and_filters(desk) -> None:  # noqa: ANN001
    desk("poll", code=1)
    alerts = json.loads(desk("alert", "list", "--json"))
    assert len(alerts) == 9 and ALERT_FIELDS <= set(alerts[0])
    fortios = next(a for a in alerts if a["doc_number"] == "254/CATTT-NCSC")
    assert (fortios["cves"], fortios["mentions"]) == ([], ["CVE-2024-21762", "CVE-2022-40684"]) and fortios["related"]
    critical = json.loads(desk("alert", "list", "--severity", "critical", "--json"))
    assert {a["severity"] for a in critical} == {"critical"}
    searched = json.loads(desk("alert", "list", "--search", "lua dao gia mao dich vu cong", "--json"))
    assert [a["category"] for a in searched] == ["phishing"]
    assert {a["source"] for a in json.loads(desk("alert", "list", "--source", "kev", "--json"))} == {"kev"}
    assert "FortiOS" in desk("alert", "list", "--state", "new")


def test_alert_add_with_a_source_note(desk) -> None:  # noqa: ANN001
    out = desk("alert", "add", "--title", "Cảnh báo từ IRLab: mã độc mới", "--summary", "Mẫu mã độc nhắm vào ngân hàng",
               "--severity", "high", "--note", "phone call from NCSC", "--as", "minh")
    assert out.startswith("alert #1 [high] added: Cảnh báo từ IRLab: mã độc mới")
    [alert] = json.loads(desk("alert", "list", "--json"))
    assert alert["source"] == "manual" and alert["summary"].endswith("Nguồn / source: phone call from NCSC")
    bad = CliRunner().invoke(cli, ["--config", "x.toml", "alert", "add", "--title", "x", "--as", "minh"])
    assert bad.exit_code == 2


def test_alert_add_refuses_a_bad_link(desk, tmp_path: Path) -> None:  # noqa: ANN001
    runner_out = desk("alert", "add", "--title", "x", "--link", "javascript:alert(1)", "--as", "minh", code=2)
    assert "is not a web address" in runner_out


def test_import_csv_json_and_feed_files(desk, tmp_path: Path) -> None:  # noqa: ANN001
    csv_file = tmp_path / "canh-bao.csv"
    csv_file.write_text("Mã,Tiêu đề,Mức độ,Ngày,Nội dung\nIR-1,Cảnh báo từ IRLab,Cao,17/04/2024,CVE - 2024-3400\n"
                        "IR-2,Botnet mới,thap,18/04/2024,\n", encoding="utf-8")
    out = desk("import", str(csv_file), "--as", "minh")
    assert out.startswith(f"{csv_file}: 2 new, 0 updated, 0 already known")
    assert desk("import", str(csv_file), "--as", "minh").startswith(f"{csv_file}: 0 new, 0 updated, 2 already known")
    data = json.loads(desk("import", str(DEMO / "kev.json"), "--as", "minh", "--json"))
    assert data["new"] == 4
    feed = json.loads(desk("import", str(DEMO / "khonggianmang.atom.xml"), "--source", "kgm", "--as", "minh", "--json"))
    assert feed["new"] == 5
    imported = json.loads(desk("alert", "list", "--source", "import", "--json"))
    ir1 = next(a for a in imported if a["native_id"] == "IR-1")
    assert (ir1["severity"], ir1["cves"], ir1["mentions"]) == ("high", [], ["CVE-2024-3400"])


def test_import_errors_name_the_file_and_line(desk, tmp_path: Path) -> None:  # noqa: ANN001
    missing_title = tmp_path / "bad.csv"
    missing_title.write_text("title,severity\nCảnh báo,cao\n,thap\n", encoding="utf-8")
    out = desk("import", str(missing_title), "--as", "minh", code=2)
    assert f"{missing_title}, line 3: the title is empty; fill it in or remove the line" in out
    no_column = tmp_path / "nocol.csv"
    no_column.write_text("name,level\nx,1\n", encoding="utf-8")
    assert "no 'title' (or 'tiêu đề') column" in desk("import", str(no_column), "--as", "minh", code=2)
    assert "no such file" in desk("import", str(tmp_path / "nope.xml"), "--as", "minh", code=2)
    garbage = tmp_path / "page.xml"
    garbage.write_text("<html><body>not a feed</body></html>")
    assert f"{garbage}: the file returned HTML, not a feed" in desk("import", str(garbage), "--as", "minh", code=2)
    assert "no source 'zzz' in the config" in desk("import", str(garbage), "--source", "zzz", "--as", "minh", code=2)


def test_poll_unknown_source(desk) -> None:  # noqa: ANN001
    assert "no source 'nope' in the config (kgm, kev, down)" in desk("poll", "--source", "nope", code=2)


def test_the_shipped_sources_in_the_example_config() -> None:
    import tomllib

    from watchdesk.config import parse_config

    path = Path(__file__).resolve().parents[2] / "config.example.toml"
    config = parse_config(tomllib.loads(path.read_text(encoding="utf-8")), str(path))
    keys = {s.key: s for s in config.sources}
    assert keys["khonggianmang"].kind.value == "html" and keys["khonggianmang"].url == "https://khonggianmang.vn/canhbaoattt"
    assert keys["cisa-kev"].preset == "cisa-kev" and keys["nvd"].enabled is False
