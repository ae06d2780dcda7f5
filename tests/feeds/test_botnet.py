"""Botnet lists: xlsx and CSV against IPv4 and IPv6 networks, idempotent re-import, relisting, `botnet check`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from tests.conftest import TEST_PIN
from tests.support.botnet_files import save_formula_values, write_csv, write_xlsx
from watchdesk.cli.main import cli
from watchdesk.clock import FakeClock
from watchdesk.config import ConfigError, parse_config
from watchdesk.core.networks import Network, NetworkIndex
from watchdesk.services.botnet import check_address, import_list
from watchdesk.services.errors import InvalidInput, Refused
from watchdesk.services.lifecycle import resolve
from watchdesk.services.officers import bootstrap_supervisor, sign_in
from watchdesk.services.runtime import open_runtime
from watchdesk.store.models import Alert, BotnetList, BotnetMatch, Event

VI = ("Địa chỉ IP", "Thời gian", "Cổng", "Loại mã độc", "Đơn vị")
NETWORKS = ["203.0.113.0/24", {"cidr": "2001:db8:10::/48", "name": "Cổng dịch vụ công"}]


@pytest.fixture
def desk(tmp_path: Path, clock: FakeClock):  # noqa: ANN201
    rt = open_runtime(parse_config({"watch": {"networks": NETWORKS}}), db_path=str(tmp_path / "desk.db"), clock=clock)
    bootstrap_supervisor(rt, "minh", "Nguyễn Văn Minh", TEST_PIN)
    yield rt, sign_in(rt, "minh", TEST_PIN)
    rt.db.dispose()


def _counts(rt) -> tuple[int, int, int, int]:  # noqa: ANN001
    with rt.db.read() as s:
        return tuple(s.exec(select(func.count()).select_from(m)).one() for m in (BotnetList, BotnetMatch, Alert, Event))


def _alerts(rt) -> list[Alert]:  # noqa: ANN001
    with rt.db.read() as s:
        return list(s.exec(select(Alert).order_by(Alert.id)).all())


def november_xlsx(tmp_path: Path) -> Path:
    path = write_xlsx(tmp_path / "botnet-2026-11.xlsx", [
        (1, "203.0.113.7", "03/11/2026 14:22", 443, "Mirai", "Sở TT&TT"),
        (2, "198.51.100.9", "03/11/2026 14:23", 23, "Mozi", "Công ty khác"),
        (3, "203.0.113.7", "05/11/2026 08:00", "=8000+443", "Mirai", "Sở TT&TT"),
        (4, "2001:db8:10::25", "2026-11-04 09:15:00", 8080, "Emotet", "Cổng DVC"),
        (5, "2001:db8:99::1", "2026-11-04 09:15:00", 80, "Emotet", "Khác"),
    ])
    save_formula_values(path, {"D6": "8443"})
    return path


def test_an_xlsx_list_raises_one_alert_per_address_of_ours(desk, tmp_path: Path) -> None:  # noqa: ANN001
    rt, minh = desk
    report = import_list(rt, minh, november_xlsx(tmp_path), "2026-11")
    assert (report.kind, report.rows, report.matched, len(report.raised), report.added_to) == ("xlsx", 5, 2, 2, ())
    v4, v6 = _alerts(rt)  # IPv4 first, then IPv6
    assert (v4.category, v4.severity, v4.state, v4.source_key) == ("botnet", "high", "new", "botnet")
    assert "203.0.113.7" in v4.title and "2026-11" in v4.title and "Mirai" in v4.title
    # The formula's saved value (8443) is read; the formula itself is never evaluated nor kept as text.
    assert "Ports: 443, 8443" in v4.summary and "8000" not in v4.summary
    assert "Times seen: 2 (2026-11-03 07:22 … 2026-11-05 01:00 UTC)" in v4.summary
    assert "Our network: 203.0.113.0/24" in v4.summary and "Sở TT&TT" in v4.summary
    assert "2001:db8:10::25" in v6.title and "Cổng dịch vụ công" in v6.title
    assert "Our network: 2001:db8:10::/48 (Cổng dịch vụ công)" in v6.summary and "Emotet" in v6.summary
    assert "198.51.100.9" not in v4.summary + v6.summary


def test_a_csv_with_bom_and_a_malformed_address_is_refused_whole_naming_line_and_column(desk, tmp_path: Path) -> None:  # noqa: ANN001
    rt, minh = desk
    rows = [("203.0.113.7", "2026-11-03 14:22", 443, "Mirai", "Sở"), ("2001:db8:10::25", "2026-11-04", 80, "Emotet", "DVC"),
            ("203.0.113.300", "2026-11-04", 80, "Mirai", "x")]
    bad = write_csv(tmp_path / "list.csv", rows)
    before = _counts(rt)
    with pytest.raises(InvalidInput) as err:
        import_list(rt, minh, bad, "2026-11")
    assert str(err.value) == (f"{bad}, line 4, column 1 ('IP'): '203.0.113.300' is not an IPv4 or IPv6 address; "
                              "correct or delete the row.")
    assert _counts(rt) == before  # nothing half-imported
    good = write_csv(tmp_path / "list.csv", rows[:2])
    report = import_list(rt, minh, good, "2026-11")
    assert (report.kind, report.rows, report.matched, len(report.raised)) == ("csv", 2, 2, 2)


def test_a_bad_port_and_a_formula_without_a_saved_value_are_named(desk, tmp_path: Path) -> None:  # noqa: ANN001
    rt, minh = desk
    path = write_xlsx(tmp_path / "f.xlsx", [(1, "203.0.113.7", "", 443, "Mirai", ""), (2, '="203.0.113."&"8"', "", 80, "Mirai", "")])
    with pytest.raises(InvalidInput, match=r"sheet 'Botnet', row 5, column B \('Địa chỉ IP'\) is empty; every row needs an address"):
        import_list(rt, minh, path, "x")
    port = write_csv(tmp_path / "p.csv", [("203.0.113.7", "", "443/tcp", "Mirai", "")], bom=False, delimiter=";")
    with pytest.raises(InvalidInput, match=r"line 2, column 3 \('Port'\): '443/tcp' is not a port"):
        import_list(rt, minh, port, "y")
    assert _counts(rt)[:3] == (0, 0, 0)


def test_reimporting_the_same_file_changes_nothing(desk, tmp_path: Path) -> None:  # noqa: ANN001
    rt, minh = desk
    path = november_xlsx(tmp_path)
    import_list(rt, minh, path, "2026-11")
    before = _counts(rt)
    again = import_list(rt, minh, path, "2026-11")
    also = import_list(rt, minh, path, "another name")
    assert again.already and also.already and also.list_name == "2026-11" and again.raised == ()
    assert _counts(rt) == before
    other = write_csv(tmp_path / "other.csv", [("203.0.113.9", "", "", "Mirai", "")])
    with pytest.raises(Refused, match="a botnet list named '2026-11' was imported already from another file"):
        import_list(rt, minh, other, "2026-11")


def test_next_months_list_extends_an_open_alert_and_after_resolution_raises_a_linked_one(desk, tmp_path: Path, clock: FakeClock) -> None:  # noqa: ANN001
    rt, minh = desk
    first = import_list(rt, minh, write_csv(tmp_path / "10.csv", [("203.0.113.7", "2026-10-02", 443, "Mirai", "")], VI), "2026-10")
    clock.fast_forward(timedelta(days=30))
    second = import_list(rt, minh, write_csv(tmp_path / "11.csv", [("203.0.113.7", "2026-11-02", 8080, "Mozi", "")], VI), "2026-11")
    assert second.raised == () and second.added_to == first.raised
    (alert,) = _alerts(rt)
    assert "Seen again in botnet list '2026-11'" in alert.summary and "Mozi" in alert.summary
    with rt.db.read() as s:
        sighting = s.exec(select(Event).where(Event.kind == "botnet.sighting")).one()
    assert (sighting.subject_id, json.loads(sighting.payload)["list"]) == (str(alert.id), "2026-11")
    resolve(rt, minh, alert.id, "Máy 203.0.113.7 đã được cách ly và làm sạch")
    third = import_list(rt, minh, write_csv(tmp_path / "12.csv", [("203.0.113.7", "2026-12-02", 443, "Mirai", "")], VI), "2026-12")
    (new_id,) = third.raised
    new = _alerts(rt)[-1]
    assert new.id == new_id != alert.id and new.state == "new"
    assert f"Follows alert #{alert.id} (resolved" in new.summary
    assert "'2026-11'" in new.summary and "'2026-10'" in new.summary  # the earlier lists, linked
    answer = check_address(rt, "203.0.113.7")
    assert answer.ours and [a.list_name for a in answer.appearances] == ["2026-10", "2026-11", "2026-12"]
    assert [a.alert_id for a in answer.appearances] == [alert.id, alert.id, new_id]


def test_botnet_check_on_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "watchdesk.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "d.db"}"\n[watch]\nnetworks = ["203.0.113.0/24", '
                      '{ cidr = "2001:db8:10::/48", name = "Cổng dịch vụ công" }]\n', encoding="utf-8")
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    run("init", "--handle", "minh", "--name", "Nguyễn Văn Minh")
    path = november_xlsx(tmp_path)
    out = run("botnet", "import", str(path), "--list", "2026-11", "--as", "minh")
    assert "list '2026-11', 5 rows, 2 addresses of ours: 2 new alerts, 0 added to open alerts." in out
    assert "nothing changed" in run("botnet", "import", str(path), "--list", "2026-11", "--as", "minh")
    out = run("botnet", "check", "2001:DB8:10:0::25")
    assert "2001:db8:10::25 (ours: 2001:db8:10::/48 (Cổng dịch vụ công)) is in 1 list:" in out and "Emotet" in out
    assert "is in no imported list" in run("botnet", "check", "198.51.100.9")
    assert json.loads(run("botnet", "check", "203.0.113.7", "--json"))["appearances"][0]["ports"] == [443, 8443]
    assert "not an IPv4 or IPv6 address" in run("botnet", "check", "203.0.113", code=2)
    assert "no such file" in run("botnet", "import", str(tmp_path / "none.csv"), "--list", "x", "--as", "minh", code=2)
    assert "2026-11" in run("botnet", "lists")


def test_nested_networks_the_most_specific_wins_and_mapped_addresses_are_ipv4() -> None:
    index = NetworkIndex([Network("10.0.0.0/8", "all"), Network("10.1.0.0/16", "hq"), Network("10.1.2.0/24", "dmz"),
                          Network("2001:db8::/32", "v6")])
    found = {a: (lambda p: p and index.owner(*p))(NetworkIndex.address(a)) for a in
             ("10.0.0.1", "10.1.5.5", "10.1.2.200", "10.2.0.0", "11.0.0.0", "::ffff:10.1.2.3", "2001:db8:ff::1", "010.1.2.3")}
    assert {a: n.name if n else None for a, n in found.items()} == {
        "10.0.0.1": "all", "10.1.5.5": "hq", "10.1.2.200": "dmz", "10.2.0.0": "all", "11.0.0.0": None,
        "::ffff:10.1.2.3": "dmz", "2001:db8:ff::1": "v6", "010.1.2.3": None}


@pytest.mark.parametrize("networks,expected", [
    (["203.0.113.5/24"], "key 'watch.networks': entry 1 ('203.0.113.5/24') has host bits set; write the network as '203.0.113.0/24'."),
    (["203.0.113.0/24", "203.0.113.0/33"], "key 'watch.networks': entry 2 ('203.0.113.0/33') must be a network like"),
    ([{"cidr": "2001:db8::/32", "nme": "x"}], "key 'watch.networks': entry 1 must be a CIDR string or a table { cidr = \"…\", name = \"…\" }; remove 'nme'."),
    (["10.0.0.0/8", "10.0.0.0/8"], "key 'watch.networks': entries 1 and 2 are both 10.0.0.0/8; keep one."),
])
def test_each_bad_network_is_one_sentence(networks: list, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"watch": {"networks": networks}}, "watchdesk.toml")
    assert str(err.value).startswith(f"watchdesk.toml: {expected}")
    assert str(err.value).count(". ") == 0 or str(err.value).endswith(".")


def test_an_import_without_networks_says_where_to_list_them(rt, supervisor, tmp_path: Path) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInput, match=r"no networks of ours in the config \(no file was found\); list them under \[watch\] networks"):
        import_list(rt, supervisor, write_csv(tmp_path / "l.csv", [("203.0.113.7", "", "", "", "")]), "2026-11")


def test_two_desks_importing_the_same_list_at_once_store_it_once(rt, db_target: str, tmp_path: Path) -> None:  # noqa: ANN001
    """Two processes race on one database: one stores the list and its alerts, the other finds it stored."""
    import os
    import subprocess
    import sys

    rt.db.dispose()
    where = f'path = "{db_target}"' if rt.db.is_sqlite else f'url = "{db_target}"'
    config = tmp_path / "watchdesk.toml"
    config.write_text(f'[database]\n{where}\n[watch]\nnetworks = ["203.0.113.0/24", "2001:db8:10::/48"]\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "init", "--handle", "minh", "--name", "Minh"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = [(f"203.0.113.{i % 200 + 1}", "2026-11-03", 443, "Mirai", "") for i in range(3_000)]
    path = write_csv(tmp_path / "list.csv", rows + [(f"198.51.{i % 250}.{i % 200 + 1}", "", 80, "Mozi", "") for i in range(20_000)])
    args = [sys.executable, "-m", "watchdesk", "--config", str(config), "botnet", "import", str(path), "--list", "2026-11",
            "--as", "minh", "--json"]
    procs = [subprocess.Popen(args, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    reports = sorted((json.loads(out) for out, _err in outs), key=lambda r: r["already"])
    assert [r["already"] for r in reports] == [False, True]
    assert len(reports[0]["raised"]) == 200 and reports[1]["matched"] == 200
    assert _counts(rt)[:3] == (1, 200, 200)


def _cp1258(char: str) -> str:
    """A letter as windows-1258 writes it: precomposed where it has one, else a letter it has and one combining mark."""
    import unicodedata

    try:
        char.encode("windows-1258")
        return char
    except UnicodeEncodeError:
        parts = unicodedata.normalize("NFD", char)
        for i in range(1, len(parts)):
            rest = unicodedata.normalize("NFC", parts[:i] + parts[i + 1:])
            try:
                (rest + parts[i]).encode("windows-1258")
                return rest + parts[i]
            except UnicodeEncodeError:
                continue
        raise


@pytest.mark.parametrize("encoding,delimiter", [("utf-16", "\t"), ("windows-1258", ";")])
def test_csv_saved_by_excel_as_utf16_text_or_in_the_vietnamese_windows_code_page(desk, tmp_path: Path, encoding: str,
                                                                                  delimiter: str) -> None:  # noqa: ANN001
    rt, minh = desk
    lines = ["Địa chỉ IP", "Thời gian", "Cổng", "Loại mã độc", "Đơn vị"], ["203.0.113.7", "03/11/2026", "443", "Mã độc Mirai", "Sở Nội vụ"]
    text = "\r\n".join(delimiter.join(line) for line in lines) + "\r\n"
    body = text.encode("utf-16") if encoding == "utf-16" else "".join(map(_cp1258, text)).encode("windows-1258")
    path = tmp_path / "list.csv"
    path.write_bytes(body)
    report = import_list(rt, minh, path, "2026-11")
    assert (report.rows, report.matched, len(report.raised)) == (1, 1, 1)
    (alert,) = _alerts(rt)
    assert "Mã độc Mirai" in alert.title and "Sở Nội vụ" in alert.summary
    notes = " ".join(report.warnings)
    assert ("windows-1258" in notes) == (encoding == "windows-1258")
