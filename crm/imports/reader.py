"""Reading an uploaded spreadsheet safely: size limits, zip checks, encodings, and no stack traces.

An .xlsx is a zip archive: its declared entry sizes are checked before any XML is parsed
(Python's zipfile stops reading an entry at its declared size and then fails its CRC check, so
the declared sizes are an upper bound we can trust). openpyxl reads it in read-only mode with
defusedxml installed, so entity tricks inside the XML are refused too.
"""

import csv
import io
import logging
import warnings
import zipfile
from collections.abc import Generator, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser

from crm.core.timeutil import config_zone

log = logging.getLogger(__name__)

MB = 1024 * 1024
# Entries smaller than this can't be a bomb however well they compress (the total cap still counts them).
RATIO_CHECK_FROM = MB


class ImportFileError(Exception):
    """A file that can't be imported; the message is Chinese and shown to the user as is."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 5 * MB
    max_unpacked_bytes: int = 50 * MB
    max_entries: int = 200
    max_ratio: int = 100
    max_rows: int = 20_000

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Limits":
        return cls(
            max_bytes=config.get("IMPORT_MAX_BYTES", cls.max_bytes),
            max_unpacked_bytes=config.get("IMPORT_MAX_UNPACKED_BYTES", cls.max_unpacked_bytes),
            max_rows=config.get("IMPORT_MAX_ROWS", cls.max_rows),
        )


@dataclass(frozen=True)
class Settings:
    """What an import needs from the configuration."""

    limits: Limits
    zone: ZoneInfo

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Settings":
        return cls(Limits.from_config(config), config_zone(config))

    @property
    def today(self) -> date:
        """Today in the configured zone."""
        return datetime.now(self.zone).date()


class Formula(str):
    """The text of a formula cell ("=1+1"). Never evaluated: the importer refuses it."""


@dataclass
class Table:
    headers: list[str]  # row 1, as written in the file
    rows: list[tuple[int, list]]  # (spreadsheet row number, cell values); blank rows left out
    sheet: str = ""  # the worksheet read (.xlsx)
    hidden_rows: list[int] = field(default_factory=list)  # data rows hidden in Excel, by number
    hidden_columns: list[int] = field(default_factory=list)  # hidden columns holding data, 0-based


@dataclass
class SheetView:
    """What the reader saw of the worksheet besides its cells: its name, and what Excel hides."""

    title: str = ""
    hidden_rows: set[int] = field(default_factory=set)  # row numbers
    hidden_columns: set[int] = field(default_factory=set)  # 0-based column indexes


def extension(filename: str) -> str:
    """The file's extension in lower case, with its dot ("" when there is none)."""
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot >= 0 else ""


def read_table(filename: str, content: bytes, limits: Limits, header_hint: str, row_hint: str) -> Table:
    """The header row and the data rows of an .xlsx or .csv file; ImportFileError when unusable.

    header_hint (“企业名称*”“所属集群*”) and row_hint (一家企业) word the messages for the list imported.
    """
    kind = extension(filename)
    if kind in (".xls", ".et", ".ods", ".numbers"):
        raise ImportFileError(f"不支持 {kind} 文件，请在 Excel 或 WPS 中“另存为” .xlsx 后再上传。")
    if kind not in (".xlsx", ".csv"):
        raise ImportFileError("只能导入 .xlsx 或 .csv 文件，请使用导入模板。")
    if not content:
        raise ImportFileError("上传的文件是空的。")
    if len(content) > limits.max_bytes:
        raise ImportFileError(
            f"文件超过 {size(limits.max_bytes)} 的上限，请删去多余的内容或分成几个文件导入。"
        )
    view = SheetView()
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it ignores (data validation, styles): not the user's concern
            warnings.simplefilter("ignore")
            with closing(
                _xlsx_rows(content, limits, view) if kind == ".xlsx" else _csv_rows(content)
            ) as rows:
                return _with_hidden(_table(rows, limits, header_hint, row_hint), view)
    except ImportFileError:
        raise
    except Exception:  # a malformed file breaks parsers in many ways; none may reach the user raw
        log.warning("unreadable import file %r", filename, exc_info=True)
        if kind == ".csv":
            raise ImportFileError(
                "无法读取该 CSV 文件，请用 Excel 或 WPS 打开后另存为 CSV 或 .xlsx 再上传。"
            ) from None
        raise ImportFileError(
            "无法读取该 .xlsx 文件，文件可能已损坏；请用 Excel 或 WPS 打开后重新保存再上传。"
        ) from None


def size(n: int) -> str:
    """A byte count as the messages say it: 5 MB, 512 KB."""
    return f"{n / MB:g} MB" if n >= MB else f"{n / 1024:g} KB"


def _table(rows: Iterable[tuple[int, list]], limits: Limits, header_hint: str, row_hint: str) -> Table:
    rows = iter(rows)
    number, header = next(rows, (0, []))
    if number != 1 or _blank(header):
        raise ImportFileError(f"第 1 行应为表头（如{header_hint}），请使用导入模板。")
    data: list[tuple[int, list]] = []
    for number, cells in rows:
        if _blank(cells):
            continue
        if len(data) == limits.max_rows:
            raise ImportFileError(f"数据超过 {limits.max_rows:,} 行，请分成几个文件导入。")
        data.append((number, cells))
    if not data:
        raise ImportFileError(f"文件中没有数据：第 1 行为表头，请从第 2 行起每行填写{row_hint}。")
    return Table(headers=["" if v is None else str(v).strip() for v in header], rows=data)


def _blank(cells: list) -> bool:
    return all(_empty(v) for v in cells)


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _with_hidden(table: Table, view: SheetView) -> Table:
    """table with what Excel hides that holds data: its rows, and columns with a header or a cell."""
    if 1 in view.hidden_rows:
        raise ImportFileError(
            "第 1 行（表头）在 Excel 中被隐藏：请取消隐藏，核对表头后重新上传（系统只导入看得见的内容）。"
        )
    table.sheet = view.title
    table.hidden_rows = [number for number, _ in table.rows if number in view.hidden_rows]
    lines = [table.headers, *(cells for _, cells in table.rows)]
    table.hidden_columns = sorted(
        index
        for index in view.hidden_columns
        if any(index < len(cells) and not _empty(cells[index]) for cells in lines)
    )
    return table


def check_zip(content: bytes, limits: Limits) -> None:
    """Refuse archives that would unpack into far more than they weigh (zip bombs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFileError(
            "该文件不是有效的 .xlsx 工作簿（若文件设有打开密码，请先取消密码；旧版 .xls 请另存为 .xlsx）。"
        ) from None
    if len(entries) > limits.max_entries:
        raise ImportFileError(f"该 .xlsx 文件包含 {len(entries)} 个内部部件，超过上限，已拒绝。")
    if sum(e.file_size for e in entries) > limits.max_unpacked_bytes:
        raise ImportFileError(
            f"该 .xlsx 文件解压后超过 {size(limits.max_unpacked_bytes)}，已拒绝；请分成几个文件导入。"
        )
    for entry in entries:
        if entry.file_size >= RATIO_CHECK_FROM and entry.file_size > limits.max_ratio * max(
            entry.compress_size, 1
        ):
            raise ImportFileError("该 .xlsx 文件的压缩比异常（疑似压缩炸弹），已拒绝。")


def _xlsx_rows(content: bytes, limits: Limits, view: SheetView) -> Generator[tuple[int, list], None, None]:
    check_zip(content, limits)
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    try:
        sheet = _visible_sheet(workbook)
        view.title = sheet.title
        yield from _sheet_rows(workbook, sheet, view)
    finally:
        workbook.close()


def _visible_sheet(workbook: Any) -> ReadOnlyWorksheet:
    """The sheet the user saw last (the active one, else the first), refused unless it is visible."""
    if not workbook.worksheets:
        raise ImportFileError("该 .xlsx 文件中没有工作表。")
    sheet = workbook.active or workbook.worksheets[0]
    if not isinstance(sheet, ReadOnlyWorksheet):
        raise ImportFileError(
            f"工作簿选中的“{sheet.title}”是图表，不是表格：请选中要导入的工作表后保存，再上传。"
        )
    if sheet.sheet_state != "visible":
        how = "深度隐藏（veryHidden）" if sheet.sheet_state == "veryHidden" else "隐藏"
        raise ImportFileError(
            f"工作簿选中的工作表“{sheet.title}”是{how}的：系统只导入看得见的内容。"
            "请取消隐藏并核对，或选中要导入的可见工作表后保存，再上传。"
        )
    return sheet


def _sheet_rows(workbook: Any, sheet: ReadOnlyWorksheet, view: SheetView) -> Iterator[tuple[int, list]]:
    """(row number, cell values) of every row the sheet has, noting hidden rows and columns in view.

    openpyxl's read-only sheet parses the XML with this same parser but keeps the rows' and columns'
    attributes (hidden, zero height or width) to itself, so the parser is driven here, as
    ReadOnlyWorksheet._cells_by_row drives it (openpyxl is pinned; tests/imports/test_reader.py checks this).
    """
    private: Any = sheet  # the stubs don't declare the read-only sheet's source and shared strings
    with private._get_source() as source:
        parser = WorkSheetParser(
            source,
            private._shared_strings,
            data_only=False,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, cells in parser.parse():
            if _hidden(parser.row_dimensions.get(str(number)), "ht"):
                view.hidden_rows.add(number)
            values: list = [None] * max((cell["column"] for cell in cells), default=0)
            for cell in cells:
                values[cell["column"] - 1] = _cell_value(cell)
            yield number, values
        for attributes in parser.column_dimensions.values():
            if _hidden(attributes, "width"):
                first, last = (
                    int(attributes.get("min", 1)),
                    int(attributes.get("max", attributes.get("min", 1))),
                )
                view.hidden_columns.update(range(first - 1, min(last, MAX_COLUMNS)))


MAX_COLUMNS = 16_384  # Excel's last column, XFD


def _hidden(attributes: dict | None, size: str) -> bool:
    """Whether a row's or column's attributes hide it: hidden="1", or a height or width of 0."""
    if not attributes:
        return False
    if attributes.get("hidden") in ("1", "true"):
        return True
    try:
        return float(attributes.get(size, 1)) == 0
    except ValueError:
        return False


def _cell_value(cell: dict) -> object:
    value = cell["value"]
    if cell["data_type"] == "f":
        text = getattr(value, "text", value)  # array formulas come as objects
        return Formula(text or "=")
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    return value


def _csv_rows(content: bytes) -> Generator[tuple[int, list], None, None]:
    text = decode_csv(content)
    for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        yield number, [value if value.strip() else None for value in row]


def decode_csv(content: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030, which covers GBK and GB2312."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV")


def plain(value: object) -> object:
    """A cell value as it may be written back into a spreadsheet (the bad-rows file)."""
    if isinstance(value, Formula):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date | int | float | str) or value is None:
        return value
    return str(value)
