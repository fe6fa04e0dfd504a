"""The weekly 调度会 summary as files: an .xlsx with a sheet per section and a .docx meeting brief.

Both read a WeeklySummary and compute nothing: the six sections share one table layout (SECTIONS),
and both files are dated at the summary's as-of moment, so a past week's file is the same every time.
"""

import copy
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt, RGBColor
from docx.styles.style import CharacterStyle
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph

from crm.core.exports import Column, Sheet, stamp_zip, write_xlsx
from crm.reports.weekly import KIND_LABELS, WeeklySummary

EMPTY = "（无）"
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)  # A4
TOP_MARGIN, SIDE_MARGIN = Mm(25), Mm(20)
BODY_FONT, HEADING_FONT, LATIN_FONT = "仿宋", "黑体", "Times New Roman"
TABLE_STYLE, TABLE_TEXT = "Table Grid", "Table Text"
UNSAFE_IN_NAME = re.compile(r"[^\w（）()·-]+")
NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # lxml refuses these


@dataclass(frozen=True)
class Section:
    sheet: str  # the .xlsx sheet title
    heading: str  # the .docx heading
    columns: Sequence[Column]
    rows: Callable[[WeeklySummary], list[tuple]]


def _figure_rows(summary: WeeklySummary) -> list[tuple]:
    return [(f.label, f.value, f.unit) for f in summary.figures]


def _event_rows(summary: WeeklySummary) -> list[tuple]:
    return [
        (e.kind_label, e.name, e.region, e.cluster, e.officer, e.on, e.investment, e.recorded_on)
        for e in summary.events
    ]


def _landmark_rows(summary: WeeklySummary) -> list[tuple]:
    return [
        (m.name, m.stage, m.leader, m.officer, m.last_follow_up_on, m.next_step, m.next_follow_up_on)
        for m in summary.landmarks
    ]


def _warning_rows(summary: WeeklySummary) -> list[tuple]:
    return [
        (w.level_label, w.kind_label, w.name, w.reasons, w.since, w.days, w.officer, w.leader, w.instruction)
        for w in summary.warnings
    ]


def _problem_rows(summary: WeeklySummary) -> list[tuple]:
    return [
        (unit, p.project, p.category, p.description, p.status, p.raised_on)
        for unit, problems in summary.problems_by_unit
        for p in problems
    ]


def _upcoming_rows(summary: WeeklySummary) -> list[tuple]:
    return [(u.kind, KIND_LABELS[u.item_type], u.name, u.on, u.officer) for u in summary.next_week]


# 目标任务进展 (crm.reports.outcomes): in section 一, before the 概况 figures.
INDICATOR_COLUMNS = (
    Column("指标", 22),
    Column("单位", 8),
    Column("本年累计", 12),
    Column("年度目标", 12),
    Column("完成率", 10),
    Column("序时进度", 10),
    Column("同比", 10),
)
RANKING_COLUMNS = (
    Column("指标", 22),
    Column("名次", 6, "int"),
    Column("地区", 12),
    Column("本年累计", 12),
    Column("年度目标", 12),
    Column("完成率", 10),
)
OUTCOMES_SHEET, RANKING_SHEET = "目标任务进展", "分地区"


def _indicator_rows(summary: WeeklySummary) -> list[tuple]:
    return [
        (r.indicator, r.unit, r.actual, r.target, r.completion, r.progress, r.change)
        for r in summary.indicators
    ]


def _ranking_rows(summary: WeeklySummary) -> list[tuple]:
    return [(r.indicator, r.rank, r.region, r.actual, r.target, r.completion) for r in summary.ranking]


def _date(header: str) -> Column:
    return Column(header, 12, "date")


SECTIONS = (
    Section(
        "概况",
        "一、概况",
        (Column("指标", 30), Column("数值", 14, "number"), Column("单位", 8)),
        _figure_rows,
    ),
    Section(
        "本周进展",
        "二、本周进展",
        (
            Column("类别", 12),
            Column("名称", 30),
            Column("地区", 10),
            Column("集群", 20),
            Column("责任人", 10),
            _date("日期"),
            Column("投资额（亿元）", 14, "amount"),
            _date("录入日期"),
        ),
        _event_rows,
    ),
    Section(
        "标志性项目",
        "三、标志性项目一对一",
        (
            Column("项目", 30),
            Column("阶段", 10),
            Column("联系领导", 10),
            Column("责任人", 10),
            _date("最近跟进"),
            Column("下一步", 36),
            _date("下次跟进"),
        ),
        _landmark_rows,
    ),
    Section(
        "通报",
        "四、通报",
        (
            Column("预警", 8),
            Column("类型", 10),
            Column("名称", 30),
            Column("原因", 28),
            _date("停滞起始"),
            Column("停滞工作日", 11, "int"),
            Column("责任人", 10),
            Column("联系领导", 10),
            Column("督办意见", 36),
        ),
        _warning_rows,
    ),
    Section(
        "要素保障",
        "五、要素保障",
        (
            Column("责任单位", 20),
            Column("项目", 30),
            Column("类别", 12),
            Column("问题", 40),
            Column("状态", 10),
            _date("提出日期"),
        ),
        _problem_rows,
    ),
    Section(
        "下周安排",
        "六、下周安排",
        (Column("类别", 10), Column("类型", 10), Column("名称", 30), _date("日期"), Column("责任人", 10)),
        _upcoming_rows,
    ),
)


def period_line(summary: WeeklySummary) -> str:
    """范围、周次和起止日期, as one line under the title."""
    return f"范围：{summary.scope.label}　周次：{summary.week.label}（{summary.week.dates}）"


def as_of_line(summary: WeeklySummary) -> str:
    """When the figures stand (Asia/Shanghai); a note for the week still in progress."""
    if summary.complete:
        return f"数据截至 {summary.week.sunday:%Y-%m-%d} 24:00（北京时间）"
    moment = summary.as_of.astimezone(summary.week.zone)
    return f"本周尚未结束，数据截至 {moment:%Y-%m-%d %H:%M}（北京时间）"


def filename(summary: WeeklySummary, fmt: str) -> str:
    """The download name, e.g. 周调度_嘉兴市_2026-W48.xlsx (no path separators or other unsafe signs)."""
    if not fmt.isalnum():
        raise ValueError(f"无效的文件格式“{fmt}”。")
    label = UNSAFE_IN_NAME.sub("_", summary.scope.label).strip("_") or summary.scope.key
    return f"周调度_{label}_{summary.week.code}.{fmt}"


# .xlsx ---------------------------------------------------------------------------------------------


def to_xlsx(summary: WeeklySummary) -> bytes:
    """The summary as a workbook, a sheet per section; title, period and as-of lines head 概况."""
    sheets = []
    for number, section in enumerate(SECTIONS):
        rows = section.rows(summary) or [(EMPTY,) + (None,) * (len(section.columns) - 1)]
        preamble = (summary.title, period_line(summary), as_of_line(summary), "") if number == 0 else ()
        sheets.append(Sheet(section.sheet, section.columns, rows, preamble))
        if number == 0:
            sheets += _outcome_sheets(summary)
    return write_xlsx(sheets, summary.week.zone, moment=summary.as_of)


def _outcome_sheets(summary: WeeklySummary) -> list[Sheet]:
    """目标任务进展 (the 签约/开工/竣工 lines above its table) and, for the city, 分地区."""
    lines = tuple(line.text for line in summary.outcome_lines)
    preamble = (*lines, "") if lines else ()
    rows = _indicator_rows(summary) or [(EMPTY,) + (None,) * (len(INDICATOR_COLUMNS) - 1)]
    sheets = [Sheet(OUTCOMES_SHEET, INDICATOR_COLUMNS, rows, preamble)]
    if summary.ranking:
        sheets.append(Sheet(RANKING_SHEET, RANKING_COLUMNS, _ranking_rows(summary)))
    return sheets


# .docx ---------------------------------------------------------------------------------------------


def to_docx(summary: WeeklySummary) -> bytes:
    """The summary as an A4 meeting brief: title, period, and a heading and table per section."""
    document = Document()
    _set_up_page(document)
    _set_up_styles(document)
    document.add_heading(summary.title, level=0)
    for line in (period_line(summary), as_of_line(summary)):
        document.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for number, section in enumerate(SECTIONS):
        document.add_heading(section.heading, level=1)
        if number == 0:
            _add_outcomes(document, summary)
            document.add_heading(section.sheet, level=2)
        rows = section.rows(summary)
        if rows:
            _add_table(document, section.columns, rows)
        else:
            document.add_paragraph(EMPTY)
    _set_properties(document, summary)
    buffer = io.BytesIO()
    document.save(buffer)
    return stamp_zip(buffer.getvalue(), summary.as_of, summary.week.zone)


def _add_outcomes(document: DocxDocument, summary: WeeklySummary) -> None:
    """目标任务进展: the indicators, the 签约/开工/竣工 lines and (city) the 分地区 ranking."""
    document.add_heading(OUTCOMES_SHEET, level=2)
    if summary.indicators:
        _add_table(document, INDICATOR_COLUMNS, _indicator_rows(summary))
    else:
        document.add_paragraph(EMPTY)
    for line in summary.outcome_lines:
        document.add_paragraph(line.text)
    if summary.ranking:
        document.add_heading("分地区（赛马榜）", level=2)
        _add_table(document, RANKING_COLUMNS, _ranking_rows(summary))


def _set_up_page(document: DocxDocument) -> None:
    page = document.sections[0]
    page.page_width, page.page_height = PAGE_WIDTH, PAGE_HEIGHT
    page.top_margin = page.bottom_margin = TOP_MARGIN
    page.left_margin = page.right_margin = SIDE_MARGIN
    footer = page.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    _add_field(footer, "PAGE")
    footer.add_run(" 页，共 ")
    _add_field(footer, "NUMPAGES")
    footer.add_run(" 页")


def _add_field(paragraph: Paragraph, instruction: str) -> None:
    """A simple field (PAGE, NUMPAGES) that Word and WPS fill in when laying out the page."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _set_up_styles(document: DocxDocument) -> None:
    styles = document.styles
    _set_font(styles["Normal"], BODY_FONT, Pt(12))
    language = OxmlElement("w:lang")
    language.set(qn("w:eastAsia"), "zh-CN")
    styles["Normal"].element.rPr.append(language)
    _set_font(styles["Title"], HEADING_FONT, Pt(18))
    _set_font(styles["Heading 1"], HEADING_FONT, Pt(14))
    _set_font(styles["Heading 2"], HEADING_FONT, Pt(12))
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    styles["Title"].element.get_or_add_pPr().remove_all("w:pBdr")  # the template's blue rule
    styles["Heading 1"].paragraph_format.space_before = Pt(12)
    styles["Heading 1"].paragraph_format.space_after = Pt(6)
    table_text = styles.add_style(TABLE_TEXT, WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = styles["Normal"]
    table_text.font.size = Pt(9)
    table_text.paragraph_format.space_after = Pt(0)


def _set_font(style: CharacterStyle, east_asian: str, size: Length) -> None:
    """Latin and East Asian fonts in black; the template's theme fonts would override them otherwise."""
    style.font.name = LATIN_FONT
    style.font.size = size
    style.font.color.rgb = RGBColor(0, 0, 0)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:eastAsia"), east_asian)


def _add_table(document: DocxDocument, columns: Sequence[Column], rows: list[tuple[object, ...]]) -> None:
    """A grid table with a bold header row; column widths in proportion to the .xlsx ones."""
    usable = PAGE_WIDTH - 2 * SIDE_MARGIN
    total = sum(c.width for c in columns)
    table = document.add_table(rows=1, cols=len(columns))
    table.style = TABLE_STYLE
    for column, spec in zip(table.columns, columns, strict=True):
        column.width = int(usable * spec.width / total)  # added rows take their cells' widths from here
    header = table.rows[0]
    for cell, column in zip(header.cells, table.columns, strict=True):
        cell.width = column.width
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeats on every printed page
    style_id = document.styles[TABLE_TEXT].style_id
    _fill_row(header, [c.header for c in columns], style_id, bold=True)
    _add_rows(table, rows, style_id)


def _fill_row(row: _Row, texts: Sequence[str], style_id: str, bold: bool = False) -> None:
    for cell, text in zip(row.cells, texts, strict=True):
        paragraph = cell.paragraphs[0]
        paragraph._p.get_or_add_pPr().style = style_id
        paragraph.add_run(text).bold = bold or None


def _add_rows(table: Table, rows: list[tuple[object, ...]], style_id: str) -> None:
    """Data rows as copies of one prepared row: python-docx builds each element slowly (5,000 rows in 7 s)."""
    template = table.add_row()
    _fill_row(template, ["-"] * len(template.cells), style_id)
    prototype = template._tr
    table._tbl.remove(prototype)
    for row in rows:
        tr = copy.deepcopy(prototype)
        for text, value in zip(tr.iter(qn("w:t")), row, strict=True):
            text.text = _text(value)
            text.set(qn("xml:space"), "preserve")
        table._tbl.append(tr)


def _text(value: object) -> str:
    """A cell's text: amounts with two decimals, dates as yyyy-mm-dd, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    return NOT_IN_XML.sub("", str(value))


def _set_properties(document: DocxDocument, summary: WeeklySummary) -> None:
    """Fixed document properties: the same week and scope give the same file."""
    properties = document.core_properties
    properties.title = summary.title
    properties.author = properties.last_modified_by = "嘉兴招商 CRM"
    properties.comments = ""
    properties.created = properties.modified = summary.as_of.astimezone(UTC)
    properties.revision = 1
