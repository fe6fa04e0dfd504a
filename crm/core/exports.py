"""The one spreadsheet writer: every .xlsx the app produces goes through write_xlsx.

Cells holding text that Excel or WPS would read as a formula (starting with = + - @, or a
tab, CR or LF) are written as plain strings (OWASP "CSV/formula injection"), headers are Chinese
and frozen, widths and number formats are set per column. A sheet may carry a few preamble lines
(title, scope …) above its header, and a workbook may be dated to a fixed moment so that the same
content always gives the same bytes (reports of record are archived with their sha256).
"""

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

from crm.core.timeutil import BUREAU_ZONE

AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Column:
    header: str
    width: int = 14
    kind: str = "text"  # text | amount | date | datetime | int | number (Decimal as amount, int as int)


@dataclass
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence] = field(default_factory=list)
    # Lines above the header (the first one bold, as a title; "" for a blank line). The header row
    # stays frozen beneath them, so with two preamble lines it is row 3 and the panes freeze at A4.
    preamble: Sequence[str] = ()


def write_xlsx(
    sheets: Sequence[Sheet], zone: ZoneInfo = BUREAU_ZONE, moment: datetime | None = None
) -> bytes:
    """Render sheets into an .xlsx file (streamed); dated `moment` (default now) for stable bytes."""
    workbook = Workbook(write_only=True)
    for spec in sheets:
        sheet = workbook.create_sheet(spec.title[:31])
        for index, column in enumerate(spec.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.freeze_panes = f"A{len(spec.preamble) + 2}"
        for number, line in enumerate(spec.preamble):
            sheet.append([_preamble_cell(sheet, line, number == 0)] if line else [])
        sheet.append([_header_cell(sheet, c.header) for c in spec.columns])
        for row in spec.rows:
            sheet.append(
                [_cell(sheet, value, col, zone) for value, col in zip(row, spec.columns, strict=True)]
            )
    if moment is None:
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    return _save_dated(workbook, moment, zone)


def _save_dated(workbook: Workbook, moment: datetime, zone: ZoneInfo) -> bytes:
    # workbook.save() would stamp "modified" with the current time; the writer underneath does not.
    workbook.properties.created = workbook.properties.modified = moment.astimezone(UTC).replace(tzinfo=None)
    buffer = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return stamp_zip(buffer.getvalue(), moment, zone)


def stamp_zip(content: bytes, moment: datetime, zone: ZoneInfo) -> bytes:
    """The same zip package (.xlsx, .docx) with every member dated `moment`, for byte-stable files."""
    when = moment.astimezone(zone).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            dated = zipfile.ZipInfo(info.filename, when)
            dated.external_attr = info.external_attr
            target.writestr(dated, source.read(info), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


_HEADER_FONT = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")


def _header_cell(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    cell = _text_cell(sheet, text)
    cell.font = _HEADER_FONT
    cell.fill = _HEADER_FILL
    return cell


def _preamble_cell(sheet: WriteOnlyWorksheet, text: str, is_title: bool) -> Cell:
    cell = _text_cell(sheet, text)
    if is_title:
        cell.font = _TITLE_FONT
    return cell


def _text_cell(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    # Control characters other than tab and line breaks can't be stored in .xlsx: drop them
    # rather than let one pasted character make the whole export fail.
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    # openpyxl makes any string starting with "=" a formula; a string cell is never evaluated.
    cell.data_type = "s"
    return cell


def _cell(sheet: WriteOnlyWorksheet, value: object, column: Column, zone: ZoneInfo) -> Cell | str | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        # openpyxl writes Decimal exactly; its stub for WriteOnlyCell omits Decimal (Cell.value has it).
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
        amount = column.kind == "amount" or (column.kind == "number" and not isinstance(value, int))
        cell.number_format = AMOUNT_FORMAT if amount else "0"
        return cell
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.astimezone(zone).replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        # openpyxl writes a date as a date; its stub for WriteOnlyCell omits date (Cell.value has it).
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, list | tuple):
        value = "、".join(str(v) for v in value)
    text = str(value)
    if text[:1] != "=" and not ILLEGAL_CHARACTERS_RE.search(text):
        return text  # a plain string: openpyxl writes it as one, without a styled cell of ours
    return _text_cell(sheet, text)


def file_response(content: bytes, filename: str, mimetype: str) -> Response:
    """A download with its Chinese file name (RFC 5987) and an ASCII fallback of the same extension."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    disposition = f"attachment; filename=\"export.{extension}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": disposition})


def xlsx_response(content: bytes, filename: str) -> Response:
    return file_response(content, filename, XLSX_MIMETYPE)
