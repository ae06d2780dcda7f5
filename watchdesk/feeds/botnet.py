"""Botnet lists (xlsx or CSV): one row per observed address, read and matched against our networks.

The lists reach units as spreadsheets: a title row or two, then a header (Vietnamese or English:
"Địa chỉ IP"/"IP", "Thời gian"/"Time", "Cổng"/"Port", "Loại mã độc"/"Malware", "Đơn vị"/
"Organisation"), then the rows. Every row's address is checked (a malformed one is named by line
and column and the whole list is refused); only the rows of our own addresses are read further
(their text cleaned, their time parsed), which keeps a million-row list fast.

xlsx goes through openpyxl in read-only mode with `data_only=True`: a formula is never evaluated
(openpyxl has no evaluator); the value the sender's spreadsheet saved with the file is read, which
is what the sender saw. A formula saved without a value reads as empty. Before openpyxl opens the
file, the zip's declared sizes are checked (zipfile itself stops any member at its declared size,
so a member that lies fails its CRC instead of growing): a zip bomb is refused unopened.
"""

from __future__ import annotations

import csv
import hashlib
import io
import socket
import zipfile
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from watchdesk.core.networks import Network, NetworkIndex, address_text
from watchdesk.core.text import clean_line, fold
from watchdesk.feeds.dates import parse_date
from watchdesk.feeds.xmlprep import decode_body
from watchdesk.i18n import _

# The limits, stated once (README, "Botnet lists", lists them).
MAX_ROWS = 2_000_000
"""Data rows in one list (the national lists hold up to about a million)."""
MAX_FILE_BYTES = 300_000_000
"""Size of the file on disk, CSV or xlsx."""
MAX_UNPACKED_BYTES = 1_000_000_000
"""An xlsx's declared uncompressed size, all members together."""
MAX_RATIO = 200
"""An xlsx member's declared uncompressed size over its compressed size (spreadsheets stay under 50)."""
MAX_MEMBERS = 5_000
"""Files inside an xlsx."""
XLSX_LAST_ROW = 1_048_576
"""Excel's last row: a sheet claiming a row beyond it is not a spreadsheet."""
HEADER_ROWS = 20
"""The header is looked for in the first rows (title rows come before it)."""
MAX_COLUMNS = 200
FIELD_MAX = 200
"""Characters kept of a family or organisation name."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "address": ("dia chi ip", "ip", "ip address", "dia chi", "address", "ip_address", "src_ip", "source ip", "ip nguon"),
    "time": ("thoi gian", "time", "timestamp", "thoi diem", "ngay", "date", "ngay gio", "last seen", "seen"),
    "port": ("cong", "port", "src_port", "source port", "cong nguon"),
    "family": ("loai ma doc", "ma doc", "ten ma doc", "malware", "family", "malware family", "botnet", "loai"),
    "organisation": ("don vi", "organisation", "organization", "to chuc", "co quan", "chu so huu", "owner", "isp"),
}


class BadList(Exception):
    """The list cannot be read; the message is one sentence naming the file, line and column."""


@dataclass
class Sighting:
    """What a list says about one address of ours (all its rows together)."""

    address: str
    network: Network
    families: set[str] = field(default_factory=set)
    ports: set[int] = field(default_factory=set)
    organisations: set[str] = field(default_factory=set)
    times_seen: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None


@dataclass
class ListReading:
    kind: str  # csv | xlsx
    file_hash: str
    rows: int
    sightings: dict[str, Sighting]
    warnings: list[str] = field(default_factory=list)


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _size(path: Path) -> int:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise BadList(_("{file}: no such file; check the path.").format(file=path)) from None
    except OSError as exc:
        raise BadList(_("{file}: cannot read the file ({why}).").format(file=path, why=exc.strerror)) from None
    if path.is_dir():
        raise BadList(_("{file}: is a folder; give an xlsx or CSV file.").format(file=path))
    if size > MAX_FILE_BYTES:
        raise BadList(_("{file}: the file is {size:,} MB, more than the {limit:,} MB a botnet list may be; split it.").format(
            file=path, size=size // 1_000_000, limit=MAX_FILE_BYTES // 1_000_000))
    return size


def read_list(path: Path, index: NetworkIndex, zone: ZoneInfo, digest: str = "") -> ListReading:
    """Read a list (xlsx by its zip signature, else CSV) and gather the rows of our addresses.
    `digest`: the file's SHA-256 when the caller has it already (else it is computed)."""
    path = Path(path)
    _size(path)
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(b"PK\x03\x04"):
        reader = _XlsxRows(path)
        kind = "xlsx"
    else:
        reader = _CsvRows(path, digest)
        kind = "csv"
    digest = digest or reader.digest or file_hash(path)
    rows, sightings = _match(reader, index, zone)
    return ListReading(kind, digest, rows, sightings, reader.warnings)


# -- the columns -------------------------------------------------------------------------------------
def _columns(header: Iterable[Any]) -> dict[str, int] | None:
    """Column index per field for a header row, or None when it has no address column."""
    folded = [fold(clean_line(h, max_length=80)) if h is not None else "" for h in header]
    found: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for i, name in enumerate(folded):
            if name in names and i not in found.values():
                found[key] = i
                break
    return found if "address" in found else None


class _Rows(ABC):
    """A list's rows after its header: `header` (the names), `columns`, and (number, row) pairs."""

    warnings: list[str]
    digest: str = ""
    header: list[str]
    columns: dict[str, int]
    where: str

    @abstractmethod
    def rows(self) -> Iterator[list[Any] | tuple[Any, ...]]:
        """The rows after the header, as the file holds them."""

    @abstractmethod
    def number(self) -> int:
        """The line (CSV) or row (xlsx) of the row read last."""

    def close(self) -> None:
        """Let go of the file (an xlsx closes its book when its rows end)."""

    @abstractmethod
    def place(self, column: int) -> str:
        """'FILE, line N, column C ('Header')' for the row read last."""

    def _not_found(self, looked: str) -> BadList:
        return BadList(_("{where}: no address column ('Địa chỉ IP' or 'IP') in the first {n} rows{looked}; "
                         "add a header row naming the columns.").format(where=self.where, n=HEADER_ROWS, looked=looked))


class _CsvRows(_Rows):
    """A CSV list read as a stream (UTF-8 with or without BOM, or UTF-16 with BOM, as Excel saves
    them); a file in no UTF is read again whole as windows-1258 (decode_body), with a note."""

    def __init__(self, path: Path, digest: str = "") -> None:
        self.path, self.where, self.warnings = path, str(path), []
        self.digest = digest or file_hash(path)
        self._text: str | None = None
        self._fh: io.TextIOWrapper | None = None
        with path.open("rb") as fh:
            raw = fh.read(200_000)
        self.encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
        try:
            head = raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            if exc.start < len(raw) - 4:  # not a character cut in two where the head ends
                self.not_utf()
                head = (self._text or "")[:200_000]
            else:
                head = raw.decode(self.encoding, errors="ignore")
        head_lines = head.splitlines()[:HEADER_ROWS]
        for delimiter in (",", ";", "\t"):
            try:
                for n, row in enumerate(csv.reader(head_lines, delimiter=delimiter), 1):
                    columns = _columns(row[:MAX_COLUMNS])
                    if columns:
                        self.delimiter, self.header_line, self.columns = delimiter, n, columns
                        self.header = [clean_line(h, max_length=40) for h in row]
                        return
            except csv.Error:  # a line no CSV reader takes (a giant field): no header with this delimiter
                continue
        shown = ", ".join(clean_line(c, max_length=30) for c in (head_lines[0].split(",")[:6] if head_lines else []))
        raise self._not_found(_(" (the first line reads: {cells})").format(cells=shown) if shown else "")

    def not_utf(self) -> None:
        """Read the whole file again in the character set decode_body finds (windows-1258 for Vietnamese)."""
        self.close()
        text, _codec, warnings = decode_body(self.path.read_bytes())
        self._text = text
        self.warnings = [_("the file {warning}").format(warning=w) for w in warnings]

    def rows(self) -> Iterator[list[str]]:
        # The reader itself, not a generator around it: a million rows pay no extra call each.
        if self._text is not None:
            source: Any = io.StringIO(self._text)
        else:
            source = self._fh = self.path.open(encoding=self.encoding, newline="")
        self._reader = reader = csv.reader(source, delimiter=self.delimiter)
        for _n in range(self.header_line):
            next(reader, None)
        return reader

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def number(self) -> int:
        return self._reader.line_num

    def place(self, column: int) -> str:
        name = self.header[column] if column < len(self.header) else ""
        return _("{where}, line {line}, column {column} ('{name}')").format(
            where=self.where, line=self.number(), column=column + 1, name=name)


def check_zip(path: Path) -> None:
    """Refuse an xlsx whose declared sizes make it a zip bomb, before anything decompresses it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BadList(_("{file}: not a readable xlsx file ({why}); save it again as xlsx or CSV.").format(
            file=path, why=clean_line(exc, max_length=80))) from None
    if len(members) > MAX_MEMBERS:
        raise BadList(_("{file}: the xlsx holds {n:,} files, more than the {limit:,} a spreadsheet needs; "
                        "save it again as CSV.").format(file=path, n=len(members), limit=MAX_MEMBERS))
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > MAX_RATIO * max(member.compress_size, 1) and member.file_size > 1_000_000:
            raise BadList(_("{file}: '{member}' inside the xlsx would unpack to {size:,} MB from {packed:,} bytes "
                            "(a zip bomb); it was not opened.").format(
                file=path, member=clean_line(member.filename, max_length=60), size=member.file_size // 1_000_000,
                packed=member.compress_size))
    if total > MAX_UNPACKED_BYTES:
        raise BadList(_("{file}: the xlsx would unpack to {size:,} MB, more than the {limit:,} MB allowed; "
                        "split the list or save it as CSV.").format(
            file=path, size=total // 1_000_000, limit=MAX_UNPACKED_BYTES // 1_000_000))


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _XlsxRows(_Rows):
    def __init__(self, path: Path) -> None:
        import openpyxl  # only for xlsx: a CSV import never loads it

        check_zip(path)
        self.warnings = []
        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # openpyxl raises many kinds on a damaged file  # noqa: BLE001
            raise BadList(_("{file}: not a readable xlsx file ({why}); save it again as xlsx or CSV.").format(
                file=path, why=clean_line(f"{type(exc).__name__}: {exc}", max_length=100))) from None
        self.path = path
        for sheet in self._book.worksheets:
            sheet.reset_dimensions()  # a lying <dimension> would cut rows off silently
            for n, row in enumerate(sheet.iter_rows(min_row=1, max_row=HEADER_ROWS, max_col=MAX_COLUMNS, values_only=True), 1):
                columns = _columns(_xlsx_text(v) for v in row)
                if columns:
                    self.sheet, self.header_line, self.columns = sheet, n, columns
                    self.header = [clean_line(_xlsx_text(v), max_length=40) for v in row]
                    self.width = max(columns.values()) + 1
                    self.where = _("{file}, sheet '{sheet}'").format(file=path, sheet=clean_line(sheet.title, max_length=40))
                    return
        self.where = str(path)
        self._book.close()
        raise self._not_found(_(" of any sheet"))

    def rows(self) -> Iterator[tuple[Any, ...]]:
        self._number = self.header_line
        try:
            for row in self.sheet.iter_rows(min_row=self.header_line + 1, max_col=self.width, values_only=True):
                self._number += 1
                if self._number > XLSX_LAST_ROW:
                    raise BadList(_("{where}: rows go past row {last:,}, Excel's last; the file is damaged or not a spreadsheet.").format(
                        where=self.where, last=XLSX_LAST_ROW))
                yield row
        except (KeyError, ValueError, TypeError, zipfile.BadZipFile, OSError) as exc:
            raise BadList(_("{where}, row {row}: not readable ({why}); save the file again as xlsx or CSV.").format(
                where=self.where, row=self._number, why=clean_line(exc, max_length=80))) from None
        finally:
            self._book.close()

    def number(self) -> int:
        return self._number

    def close(self) -> None:
        self._book.close()

    def place(self, column: int) -> str:
        from openpyxl.utils import get_column_letter

        name = self.header[column] if column < len(self.header) else ""
        return _("{where}, row {row}, column {column} ('{name}')").format(
            where=self.where, row=self._number, column=get_column_letter(column + 1), name=name)


# -- matching ----------------------------------------------------------------------------------------
def _ports(value: Any) -> list[int] | None:
    """The ports of a cell ('443', 443, '80, 443'), or None when it is not ports."""
    text = _xlsx_text(value).strip()
    if not text:
        return []
    out = []
    for part in text.replace(";", ",").replace(" ", ",").split(","):
        if not part:
            continue
        if not (part.isdigit() and len(part) <= 5 and int(part) <= 65535):
            return None
        out.append(int(part))
    return out


def _when(value: Any, zone: ZoneInfo) -> datetime | None:
    """A row's time (an xlsx date, or text in any form feeds use), read in the desk's zone."""
    if isinstance(value, datetime):
        return (value.replace(tzinfo=zone) if value.tzinfo is None else value).astimezone(ZoneInfo("UTC"))
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))
    return parse_date(clean_line(value, max_length=100), zone) if value else None


def _match(reader: _Rows, index: NetworkIndex, zone: ZoneInfo) -> tuple[int, dict[str, Sighting]]:
    """Check every row's address (and port); gather the rows whose address is ours."""
    try:
        try:
            return _loop(reader, index, zone)
        except UnicodeDecodeError:
            if not isinstance(reader, _CsvRows):
                raise
            reader.not_utf()
            return _loop(reader, index, zone)
    except csv.Error as exc:
        raise BadList(_("{where}, line {line}: not readable as CSV ({why}).").format(
            where=reader.where, line=reader.number(), why=clean_line(exc, max_length=80))) from None
    finally:
        reader.close()


def _loop(reader: _Rows, index: NetworkIndex, zone: ZoneInfo) -> tuple[int, dict[str, Sighting]]:
    """The hot loop of a million-row list. The common row (a plain IPv4 address, a port of digits)
    costs one inet_pton and one bisect; anything else takes `_slow_row`, which reads it in full
    and refuses it when it is bad; the rest of a row is read only when the address is ours."""
    columns = reader.columns
    col_ip = columns["address"]
    col_port = columns.get("port", col_ip)  # no port column: the address cell stands in (digits never)
    need = max(col_ip, col_port) + 1
    pton, from_bytes, af_inet = socket.inet_pton, int.from_bytes, socket.AF_INET
    v4_starts, v4_ends, v4_owners = index.v4
    sightings: dict[str, Sighting] = {}
    blank = 0
    count = 0
    for count, row in enumerate(reader.rows(), 1):  # noqa: B007 - count is kept after the loop
        if count > MAX_ROWS:
            raise BadList(_("{where}: the list has more than {limit:,} rows; split it.").format(where=reader.where, limit=MAX_ROWS))
        if len(row) >= need:
            port = row[col_port]
            text = row[col_ip]
            if type(text) is str and ":" not in text and (col_port == col_ip or (type(port) is str and port.isdigit() and len(port) < 5)):
                try:
                    value = from_bytes(pton(af_inet, text), "big")
                except OSError:
                    pass
                else:
                    i = bisect_right(v4_starts, value) - 1
                    if i >= 0 and value <= v4_ends[i]:
                        _record(sightings, (4, value), v4_owners[i], row, columns, zone)
                    continue
        found = _slow_row(reader, index, row)
        if found is None:
            blank += 1
        elif found[1] is not None:
            _record(sightings, found[0], found[1], row, columns, zone)
    return count - blank, sightings


def _slow_row(reader: _Rows, index: NetworkIndex, row: Any) -> tuple[tuple[int, int], Network | None] | None:
    """A row off the common path: None for a blank line, else (its address, our network or None);
    BadList naming the line and column when the address or the port is bad."""
    columns = reader.columns
    col_ip = columns["address"]
    text = _xlsx_text(row[col_ip] if col_ip < len(row) else None).strip()
    if not text:
        if not any(_xlsx_text(c).strip() for c in row):
            return None
        raise BadList(_("{place} is empty; every row needs an address (a formula saved without its value reads as empty): "
                        "fill it in or delete the row.").format(place=reader.place(col_ip)))
    col_port = columns.get("port")
    if col_port is not None and col_port < len(row) and _ports(row[col_port]) is None:
        raise BadList(_("{place}: '{value}' is not a port (0 to 65535); correct or delete the row.").format(
            place=reader.place(col_port), value=clean_line(row[col_port], max_length=40)))
    parsed = index.address(text)
    if parsed is None:
        raise BadList(_("{place}: '{value}' is not an IPv4 or IPv6 address; correct or delete the row.").format(
            place=reader.place(col_ip), value=clean_line(text, max_length=60)))
    return parsed, index.owner(*parsed)


def _record(sightings: dict[str, Sighting], parsed: tuple[int, int], net: Network, row: Any, columns: dict[str, int],
            zone: ZoneInfo) -> None:
    key = address_text(*parsed)
    seen = sightings.get(key)
    if seen is None:
        seen = sightings[key] = Sighting(key, net)

    def cell(name: str) -> Any:
        i = columns.get(name)
        return row[i] if i is not None and i < len(row) else None

    seen.times_seen += 1
    seen.ports.update(_ports(cell("port")) or ())
    for name, bucket in (("family", seen.families), ("organisation", seen.organisations)):
        text = clean_line(_xlsx_text(cell(name)), max_length=FIELD_MAX)
        if text and len(bucket) < 20:
            bucket.add(text)
    when = _when(cell("time"), zone)
    if when is not None:
        seen.first_seen = min(seen.first_seen or when, when)
        seen.last_seen = max(seen.last_seen or when, when)
