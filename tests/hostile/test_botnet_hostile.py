"""Hostile botnet lists: a huge spreadsheet, a zip bomb xlsx, rows beyond Excel's last, and bidi,
escape sequences and markup in every text field. Each case says what the officer sees."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from tests.conftest import TEST_PIN
from tests.support.botnet_files import write_csv, write_xlsx
from watchdesk.cli.main import cli
from watchdesk.clock import FakeClock
from watchdesk.config import parse_config
from watchdesk.core.text import TERMINAL_UNSAFE
from watchdesk.feeds import botnet as reader
from watchdesk.services.botnet import check_address, import_list
from watchdesk.services.errors import InvalidInput
from watchdesk.services.officers import bootstrap_supervisor, sign_in
from watchdesk.services.runtime import open_runtime
from watchdesk.store.models import Alert, BotnetList, BotnetMatch

HOSTILE = "\u202e\x1b]52;c;cm0gLXJmIH4=\x07[bold red]{}[/]\x1b[2J\u2066\u200b"
# XML (so xlsx) cannot hold C0 controls: a spreadsheet carries C1 ones (8-bit CSI and OSC) instead.
HOSTILE_XLSX = "\u202e\x9d52;c;cm0gLXJmIH4=\x9c[bold red]{}[/]\x9b2J\u2066\u200b"


@pytest.fixture
def desk(tmp_path: Path, clock: FakeClock):  # noqa: ANN201
    rt = open_runtime(parse_config({"watch": {"networks": ["203.0.113.0/24", "2001:db8:10::/48"]}}),
                      db_path=str(tmp_path / "desk.db"), clock=clock)
    bootstrap_supervisor(rt, "minh", "Nguyễn Văn Minh", TEST_PIN)
    yield rt, sign_in(rt, "minh", TEST_PIN)
    rt.db.dispose()


def _stored(rt) -> tuple[int, int, int]:  # noqa: ANN001
    with rt.db.read() as s:
        return tuple(s.exec(select(func.count()).select_from(m)).one() for m in (BotnetList, BotnetMatch, Alert))


def test_a_list_past_the_row_cap_is_refused_whole(desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """The officer sees: 'FILE: the list has more than 2,000,000 rows; split it.' (cap lowered to 1,000 here)."""
    rt, minh = desk
    monkeypatch.setattr(reader, "MAX_ROWS", 1_000)
    rows = [(f"203.0.113.{i % 250 + 1}", "", 80, "Mirai", "") for i in range(1_001)]
    path = write_csv(tmp_path / "huge.csv", rows)
    with pytest.raises(InvalidInput, match=r"huge.csv: the list has more than 1,000 rows; split it\.$"):
        import_list(rt, minh, path, "2026-11")
    xlsx = write_xlsx(tmp_path / "huge.xlsx", [(i, *r) for i, r in enumerate(rows)])
    with pytest.raises(InvalidInput, match=r"sheet 'Botnet': the list has more than 1,000 rows; split it\.$"):
        import_list(rt, minh, xlsx, "2026-11")
    assert _stored(rt) == (0, 0, 0)


def test_a_file_past_the_size_cap_is_refused_unread(desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    rt, minh = desk
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 2_000_000)
    path = write_csv(tmp_path / "big.csv", [("198.51.100.1", "", 80, "x" * 1000, "")] * 2_100)
    with pytest.raises(InvalidInput, match=r"big.csv: the file is 2 MB, more than the 2 MB a botnet list may be; split it\."):
        import_list(rt, minh, path, "2026-11")


def _bomb(path: Path, size: int) -> Path:
    """A real xlsx whose first sheet is replaced by `size` bytes of spaces (deflate packs them ~1000:1)."""
    write_xlsx(path, [(1, "203.0.113.7", "", 80, "Mirai", "")])
    bombed = path.with_name("bomb-" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bombed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with dst.open(info.filename, "w", force_zip64=True) as out:
                    chunk = b" " * (1 << 20)
                    for _ in range(size >> 20):
                        out.write(chunk)
            else:
                dst.writestr(info, src.read(info))
    return bombed


def test_a_zip_bomb_xlsx_is_refused_before_anything_unpacks_it(desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """The officer sees: "FILE: 'xl/worksheets/sheet1.xml' inside the xlsx would unpack to 64 MB from 62,… bytes (a zip bomb); it was not opened." """
    rt, minh = desk
    bomb = _bomb(tmp_path / "list.xlsx", 64 << 20)
    opened: list[Path] = []
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: opened.append(a[0]))
    with pytest.raises(InvalidInput) as err:
        import_list(rt, minh, bomb, "2026-11")
    assert re.fullmatch(rf"{re.escape(str(bomb))}: 'xl/worksheets/sheet1\.xml' inside the xlsx would unpack to 67 MB "
                        r"from [\d,]+ bytes \(a zip bomb\); it was not opened\.", str(err.value)), str(err.value)
    assert opened == [] and _stored(rt) == (0, 0, 0)


def test_an_xlsx_declaring_more_than_the_unpacked_cap_is_refused(desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    rt, minh = desk
    monkeypatch.setattr(reader, "MAX_UNPACKED_BYTES", 2_000)
    path = write_xlsx(tmp_path / "l.xlsx", [(i, "203.0.113.7", "", 80, "Mirai", "") for i in range(50)])
    with pytest.raises(InvalidInput, match=r"the xlsx would unpack to 0 MB, more than the 0 MB allowed; split the list or save it as CSV\."):
        import_list(rt, minh, path, "2026-11")


def _rewrite_sheet(path: Path, edit) -> Path:  # noqa: ANN001
    out = path.with_name("edited-" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)
    return out


def test_rows_beyond_excels_last_row_and_a_lying_dimension(desk, tmp_path: Path) -> None:  # noqa: ANN001
    """A row numbered 5,000,000,000 would make openpyxl yield empty rows for ever: refused at row 1,048,577.
    A <dimension> claiming two rows must not hide the rows after them."""
    rt, minh = desk
    base = write_xlsx(tmp_path / "l.xlsx", [(1, "198.51.100.1", "", 80, "Mirai", ""), (2, "203.0.113.7", "", 80, "Mirai", "")])
    far = _rewrite_sheet(base, lambda x: re.sub(r'<row r="5"', '<row r="5000000000"', x.replace('r="A5"', 'r="A5000000000"')
                                                  .replace('r="B5"', 'r="B5000000000"')))
    with pytest.raises(InvalidInput, match=r"rows go past row 1,048,576, Excel's last; the file is damaged or not a spreadsheet\."):
        import_list(rt, minh, far, "far")
    lying = _rewrite_sheet(base, lambda x: re.sub(r"<dimension ref=\"[^\"]*\"\s*/>", '<dimension ref="A1:B2"/>', x)
                           if "<dimension" in x else x.replace("<sheetData>", '<dimension ref="A1:B2"/><sheetData>', 1))
    report = import_list(rt, minh, lying, "lying")
    assert (report.rows, report.matched) == (2, 1)


def test_a_damaged_xlsx_is_one_sentence(desk, tmp_path: Path) -> None:  # noqa: ANN001
    rt, minh = desk
    path = tmp_path / "list.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(InvalidInput, match=r"list.xlsx: not a readable xlsx file \(.*\); save it again as xlsx or CSV\.$"):
        import_list(rt, minh, path, "2026-11")


def _safe(text: str) -> None:
    assert not TERMINAL_UNSAFE.search(text.replace("\n", "")), repr(text)
    assert "\x1b" not in text and "\u202e" not in text and "\u200b" not in text and "52;c;" not in text


def test_bidi_escapes_and_markup_in_every_text_field_are_cleaned(desk, tmp_path: Path) -> None:  # noqa: ANN001
    """Family, organisation, time, header and sheet name, list name: the alert shows the words and the
    brackets as plain text; no escape, bidi control or zero-width character reaches it."""
    rt, minh = desk
    # The address header hides between bidi and zero-width characters: still found once cleaned.
    header = (HOSTILE_XLSX.format("STT"), "\u202eĐịa chỉ IP\u200b", "Thời gian", "Cổng", "\u2066Loại mã độc\u2069", "Đơn vị")
    path = write_xlsx(tmp_path / "h.xlsx", [
        (1, "203.0.113.7", HOSTILE_XLSX.format("03/11/2026"), 443, HOSTILE_XLSX.format("Mirai"), HOSTILE_XLSX.format("Sở TT&TT")),
        (2, "2001:db8:10::9", "2026-11-03", 80, HOSTILE_XLSX.format("Mozi"), HOSTILE_XLSX.format("Cổng DVC")),
    ], header=header, title=HOSTILE_XLSX.format("DANH SÁCH"), sheet="Bot<b>net\u202e")
    report = import_list(rt, minh, path, HOSTILE_XLSX.format("2026-11"))
    assert len(report.raised) == 2
    with rt.db.read() as s:
        alerts = list(s.exec(select(Alert)).all())
        lst = s.exec(select(BotnetList)).one()
    _safe(lst.name)
    assert lst.name == "[bold red]2026-11[/]"
    for alert in alerts:
        _safe(alert.title)
        _safe(alert.summary)
    v4 = next(a for a in alerts if "203.0.113.7" in a.title)
    assert "[bold red]Mirai[/]" in v4.title and "[bold red]Sở TT&TT[/]" in v4.summary
    answer = check_address(rt, "203.0.113.7")
    assert answer.appearances[0].families == ("[bold red]Mirai[/]",)


def test_a_hostile_bad_address_is_named_cleanly_and_cli_output_is_filtered(tmp_path: Path) -> None:
    """The error sentence quotes the bad cell without its escapes; `botnet check` prints no control character."""
    config = tmp_path / "watchdesk.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "d.db"}"\n[watch]\nnetworks = ["203.0.113.0/24"]\n', encoding="utf-8")
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    run("init", "--handle", "minh", "--name", "Nguyễn Văn Minh")
    bad = write_csv(tmp_path / "bad.csv", [(HOSTILE.format("203.0.113.9"), "", 80, "Mirai", "")])
    out = run("botnet", "import", str(bad), "--list", "x", "--as", "minh", code=2)
    _safe(out)
    assert "line 2, column 1 ('IP'): '[bold red]203.0.113.9[/]' is not an IPv4 or IPv6 address" in out
    good = write_csv(tmp_path / "good.csv", [("203.0.113.9", "", 80, HOSTILE.format("Mirai"), HOSTILE.format("Org"))])
    _safe(run("botnet", "import", str(good), "--list", HOSTILE.format("2026-11"), "--as", "minh"))
    out = run("botnet", "check", "203.0.113.9")
    _safe(out)
    assert "[bold red]Mirai[/]" in out and "[bold red]2026-11[/]" in out
    _safe(run("botnet", "lists"))


def test_an_entity_bomb_inside_the_xlsx_is_one_sentence(desk, tmp_path: Path) -> None:  # noqa: ANN001
    """'Billion laughs' in the sheet's XML: expat (2.4+) stops the amplification; the officer sees
    'FILE: not a readable xlsx file (ParseError: limit on input amplification factor …)'."""
    rt, minh = desk
    base = write_xlsx(tmp_path / "l.xlsx", [(1, "203.0.113.7", "", 80, "Mirai", "")])
    entities = '<!ENTITY lol0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    bomb = _rewrite_sheet(base, lambda x: f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>'
                          + re.sub(r"^<\?xml[^>]*\?>", "", x).replace("Mirai", "&lol9;"))
    with pytest.raises(InvalidInput, match=r"not a readable xlsx file \(ParseError: limit on input amplification factor"):
        import_list(rt, minh, bomb, "2026-11")
    assert _stored(rt) == (0, 0, 0)


def test_a_giant_csv_field_names_its_line(desk, tmp_path: Path) -> None:  # noqa: ANN001
    """A 200,000-character cell (past the csv module's 131,072) in a row, or in the header's place."""
    rt, minh = desk
    path = write_csv(tmp_path / "giant.csv", [("203.0.113.7", "", 80, "Mirai", ""), ("203.0.113.8", "", 80, "x" * 200_000, "")])
    with pytest.raises(InvalidInput, match=r"giant.csv, line 3: not readable as CSV \(field larger than field limit"):
        import_list(rt, minh, path, "2026-11")
    head = tmp_path / "head.csv"
    head.write_text("x" * 200_000 + "\nIP\n203.0.113.7\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"head.csv: no address column \('Địa chỉ IP' or 'IP'\) in the first 20 rows"):
        import_list(rt, minh, head, "2026-11")
    assert _stored(rt) == (0, 0, 0)
