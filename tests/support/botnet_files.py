"""Botnet lists as the authority sends them, written for a test: xlsx (openpyxl) and CSV."""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

VI_HEADER = ("STT", "Địa chỉ IP", "Thời gian", "Cổng", "Loại mã độc", "Đơn vị")
EN_HEADER = ("IP", "Time", "Port", "Malware", "Organisation")


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], header: Sequence[str] = VI_HEADER,
               title: str | None = "DANH SÁCH ĐỊA CHỈ IP NẰM TRONG MẠNG BOTNET", sheet: str = "Botnet") -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    if title:
        ws.append([title])
        ws.append([])
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    book.save(path)
    return path


def save_formula_values(path: Path, values: dict[str, str]) -> None:
    """Give formula cells the value a spreadsheet program would have saved with them (openpyxl writes none)."""
    tmp = Path(tempfile.mkdtemp()) / "x.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                text = data.decode("utf-8")
                for ref, value in values.items():
                    text, n = re.subn(rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*<v\s*/>|(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*<v>\s*</v>',
                                      lambda m: (m.group(1) or m.group(2)) + f"<v>{value}</v>", text)
                    if not n:
                        text, n = re.subn(rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)', rf"\g<1><v>{value}</v>", text)
                    assert n == 1, (ref, text[:2000])
                data = text.encode("utf-8")
            dst.writestr(info, data)
    shutil.move(tmp, path)


def write_csv(path: Path, rows: Sequence[Sequence[Any]], header: Sequence[str] = EN_HEADER, *, bom: bool = True,
              delimiter: str = ",") -> Path:
    lines = [delimiter.join(header), *(delimiter.join(str(c) for c in row) for row in rows)]
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path
