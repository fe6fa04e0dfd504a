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
from collections.abc import Generator, Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl

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
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it ignores (data validation, styles): not the user's concern
            warnings.simplefilter("ignore")
            with closing(_xlsx_rows(content, limits) if kind == ".xlsx" else _csv_rows(content)) as rows:
                return _table(rows, limits, header_hint, row_hint)
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


def _table(rows: Iterable[list], limits: Limits, header_hint: str, row_hint: str) -> Table:
    rows = iter(rows)
    header = next(rows, None)
    if not header or _blank(header):
        raise ImportFileError(f"第 1 行应为表头（如{header_hint}），请使用导入模板。")
    data: list[tuple[int, list]] = []
    for number, cells in enumerate(rows, start=2):
        if _blank(cells):
            continue
        if len(data) == limits.max_rows:
            raise ImportFileError(f"数据超过 {limits.max_rows:,} 行，请分成几个文件导入。")
        data.append((number, cells))
    if not data:
        raise ImportFileError(f"文件中没有数据：第 1 行为表头，请从第 2 行起每行填写{row_hint}。")
    return Table(headers=["" if v is None else str(v).strip() for v in header], rows=data)


def _blank(cells: list) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in cells)


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


def _xlsx_rows(content: bytes, limits: Limits) -> Generator[list, None, None]:
    check_zip(content, limits)
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    try:
        if not workbook.worksheets:
            raise ImportFileError("该 .xlsx 文件中没有工作表。")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # trust the rows present, not the declared dimension
        for row in sheet.iter_rows():
            yield [_cell_value(cell) for cell in row]
    finally:
        workbook.close()


def _cell_value(cell: Any) -> object:
    if cell.data_type == "f":
        text = getattr(cell.value, "text", cell.value)  # array formulas come as objects
        return Formula(text or "=")
    value = cell.value
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    return value


def _csv_rows(content: bytes) -> Generator[list, None, None]:
    text = decode_csv(content)
    for row in csv.reader(io.StringIO(text, newline="")):
        yield [value if value.strip() else None for value in row]


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
