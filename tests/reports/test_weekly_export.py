"""The weekly 调度会 summary as .xlsx and .docx files, read back with openpyxl and python-docx."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn

from crm.reports.export import filename, to_docx, to_xlsx
from crm.reports.scope import ReportScope
from crm.reports.weekly import Event, Figure, Landmark, OpenProblem, Upcoming, Warning, WeeklySummary
from crm.reports.weeks import IsoWeek

ZONE = ZoneInfo("Asia/Shanghai")
WEEK = IsoWeek(2026, 48, ZONE)  # 2026-11-23 to 2026-11-29
HEADERS = {
    "概况": "指标 数值 单位",
    "目标任务进展": "指标 单位 本年累计 年度目标 完成率 序时进度 同比",
    "本周进展": "类别 名称 地区 集群 责任人 日期 投资额（亿元） 录入日期",
    "标志性项目": "项目 阶段 联系领导 责任人 最近跟进 下一步 下次跟进",
    "通报": "预警 类型 名称 原因 停滞起始 停滞工作日 责任人 联系领导 督办意见",
    "要素保障": "责任单位 项目 类别 问题 状态 提出日期",
    "下周安排": "类别 类型 名称 日期 责任人",
}
HEADINGS = ["一、概况", "二、本周进展", "三、标志性项目一对一", "四、通报", "五、要素保障", "六、下周安排"]
RED_INSTRUCTION = "请南湖区本周内约谈企业，12月5日前报进展"
LANDMARK = "年产10GW电池片"


def event(kind: str, name: str, on: date, investment: Decimal | None, recorded_on: date) -> Event:
    return Event(kind, name, "南湖区", "新能源", "张三", on, investment, recorded_on)


def warning(item_type: str, name: str, level: str, since: date, days: int, instruction: str = "") -> Warning:
    return Warning(item_type, 7, name, level, "超期未跟进", since, days, "张三", "王副市长", instruction)


def problem(unit: str, project: str, description: str, raised_on: date) -> OpenProblem:
    return OpenProblem(unit, project, "要素", description, "待协调", raised_on)


def full_summary() -> WeeklySummary:
    summary = WeeklySummary(WEEK, ReportScope(None), WEEK.end)
    summary.figures = [
        Figure("招商企业（在库）", 42, "家"),
        Figure("　签约项目总投资", Decimal("1234.50"), "亿元"),
    ]
    summary.events = [  # a signing dated last week but entered this Tuesday belongs to this week
        event("signed", "=SUM(A1:A9)", date(2026, 11, 20), Decimal("12.30"), date(2026, 11, 24)),
        event("new_target", "+86 光伏科技", date(2026, 11, 25), None, date(2026, 11, 25)),
    ]
    summary.landmarks = [
        Landmark(7, LANDMARK, "在建", "王副市长", "张三", date(2026, 11, 18), "协调供电", date(2026, 12, 2))
    ]
    summary.warnings = [
        warning("project", LANDMARK, "red", date(2026, 11, 2), 15, RED_INSTRUCTION),
        warning("target", "某新材料公司", "yellow", date(2026, 11, 12), 8),
    ]
    summary.problems = [
        problem("市自然资源和规划局", LANDMARK, "用地指标未落实", date(2026, 11, 3)),
        problem("国网嘉兴供电公司", LANDMARK, "专线接入", date(2026, 11, 10)),
        problem("国网嘉兴供电公司", "某新材料项目", "增容", date(2026, 11, 12)),
    ]
    summary.next_week = [Upcoming("计划开工", "project", "某新材料项目", date(2026, 12, 1), "李四")]
    return summary


def empty_summary() -> WeeklySummary:
    return WeeklySummary(WEEK, ReportScope(None), WEEK.end)


def workbook(summary: WeeklySummary) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(to_xlsx(summary)))


def rows(sheet, first: int) -> list[tuple]:
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows(min_row=first)]


def document(summary: WeeklySummary):
    return docx.Document(io.BytesIO(to_docx(summary)))


def table_text(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


# .xlsx ---------------------------------------------------------------------------------------------


def test_xlsx_has_a_sheet_per_section_in_order_with_chinese_headers():
    book = workbook(full_summary())
    assert book.sheetnames == list(HEADERS)
    for name, headers in list(HEADERS.items())[1:]:
        assert rows(book[name], 1)[0] == tuple(headers.split()), name
        assert book[name].freeze_panes == "A2"


def test_xlsx_overview_is_headed_by_title_scope_and_week_and_freezes_below_its_header():
    sheet = workbook(full_summary())["概况"]
    assert [row[0] for row in rows(sheet, 1)[:5]] == [
        "嘉兴市先进制造业集群招商工作周调度（2026年第48周）",
        "范围：嘉兴市　周次：2026年第48周（2026-11-23至2026-11-29）",
        "数据截至 2026-11-29 24:00（北京时间）",
        None,
        "指标",
    ]
    assert rows(sheet, 5)[0] == ("指标", "数值", "单位")
    assert sheet.freeze_panes == "A6"


def test_xlsx_overview_shows_counts_as_integers_and_amounts_with_two_decimals():
    sheet = workbook(full_summary())["概况"]
    count, amount = sheet["B6"], sheet["B7"]
    assert [c.value for c in sheet[6]] == ["招商企业（在库）", 42, "家"]
    assert count.data_type == "n" and count.number_format == "0"
    assert Decimal(str(amount.value)) == Decimal("1234.50") and amount.data_type == "n"
    assert amount.number_format == "#,##0.00"
    assert sheet["C7"].value == "亿元"


def test_xlsx_events_show_their_own_date_recording_date_and_investment_as_numbers():
    sheet = workbook(full_summary())["本周进展"]
    signed = sheet[2]
    assert [c.value for c in signed[:5]] == ["签约", "=SUM(A1:A9)", "南湖区", "新能源", "张三"]
    assert signed[5].value == datetime(2026, 11, 20) and signed[5].number_format == "yyyy-mm-dd"
    assert Decimal(str(signed[6].value)) == Decimal("12.30") and signed[6].number_format == "#,##0.00"
    assert signed[7].value == datetime(2026, 11, 24) and signed[7].number_format == "yyyy-mm-dd"
    assert sheet["G3"].value is None  # a new target without an intended investment


@pytest.mark.parametrize(("cell", "name"), [("B2", "=SUM(A1:A9)"), ("B3", "+86 光伏科技")])
def test_xlsx_names_that_look_like_formulas_stay_plain_strings(cell, name):
    sheet = workbook(full_summary())["本周进展"]
    assert sheet[cell].data_type == "s" and sheet[cell].value == name


def test_xlsx_warnings_list_red_items_with_days_stalled_and_instruction():
    sheet = workbook(full_summary())["通报"]
    red = rows(sheet, 2)[0]
    assert red == (
        "红灯",
        "项目",
        LANDMARK,
        "超期未跟进",
        datetime(2026, 11, 2),
        15,
        "张三",
        "王副市长",
        RED_INSTRUCTION,
    )
    assert sheet["F2"].data_type == "n" and sheet["F2"].number_format == "0"
    assert rows(sheet, 3)[0][:3] == ("黄灯", "招商企业", "某新材料公司")


def test_xlsx_problems_are_grouped_by_unit_with_the_busiest_first():
    sheet = workbook(full_summary())["要素保障"]
    assert [row[:2] for row in rows(sheet, 2)] == [
        ("国网嘉兴供电公司", LANDMARK),
        ("国网嘉兴供电公司", "某新材料项目"),
        ("市自然资源和规划局", LANDMARK),
    ]
    assert sheet["F2"].value == datetime(2026, 11, 10)


def test_xlsx_empty_sections_show_none_marker_under_their_headers():
    book = workbook(empty_summary())
    for name in list(HEADERS)[1:]:
        assert rows(book[name], 2) == [("（无）",) + (None,) * (book[name].max_column - 1)]
    assert rows(book["概况"], 6) == [("（无）", None, None)]


def test_xlsx_week_in_progress_says_when_its_figures_stand():
    summary = WeeklySummary(WEEK, ReportScope(None), datetime(2026, 11, 25, 6, 30, tzinfo=UTC))
    assert workbook(summary)["概况"]["A3"].value == "本周尚未结束，数据截至 2026-11-25 14:30（北京时间）"


def test_xlsx_of_the_same_week_is_the_same_file_every_time():
    first, second = to_xlsx(full_summary()), to_xlsx(full_summary())
    assert first == second
    properties = openpyxl.load_workbook(io.BytesIO(first)).properties
    assert properties.created == properties.modified == datetime(2026, 11, 29, 16, 0)  # Sunday 24:00 in UTC


# .docx ---------------------------------------------------------------------------------------------


def test_docx_is_a_brief_with_title_period_and_six_headings_in_order():
    brief = document(full_summary())
    paragraphs = brief.paragraphs
    assert paragraphs[0].text == "嘉兴市先进制造业集群招商工作周调度（2026年第48周）"
    assert paragraphs[0].style.name == "Title"
    assert paragraphs[1].text == "范围：嘉兴市　周次：2026年第48周（2026-11-23至2026-11-29）"
    assert paragraphs[2].text == "数据截至 2026-11-29 24:00（北京时间）"
    assert [p.text for p in paragraphs if p.style.name == "Heading 1"] == HEADINGS
    assert brief.core_properties.title == paragraphs[0].text


def test_docx_tables_carry_the_sections_with_formatted_amounts_and_dates():
    overview, events, landmarks, warnings, problems, upcoming = document(full_summary()).tables
    assert table_text(overview)[1:] == [
        ["招商企业（在库）", "42", "家"],
        ["　签约项目总投资", "1,234.50", "亿元"],
    ]
    assert table_text(events)[1] == [
        "签约",
        "=SUM(A1:A9)",
        "南湖区",
        "新能源",
        "张三",
        "2026-11-20",
        "12.30",
        "2026-11-24",
    ]
    assert table_text(landmarks)[1][-2:] == ["协调供电", "2026-12-02"]
    assert table_text(warnings)[0][-1] == "督办意见"
    assert table_text(warnings)[1] == [
        "红灯",
        "项目",
        LANDMARK,
        "超期未跟进",
        "2026-11-02",
        "15",
        "张三",
        "王副市长",
        RED_INSTRUCTION,
    ]
    assert [row[0] for row in table_text(problems)] == [
        "责任单位",
        "国网嘉兴供电公司",
        "国网嘉兴供电公司",
        "市自然资源和规划局",
    ]
    assert table_text(upcoming) == [
        ["类别", "类型", "名称", "日期", "责任人"],
        ["计划开工", "项目", "某新材料项目", "2026-12-01", "李四"],
    ]
    assert all(table.style.name == "Table Grid" for table in (overview, warnings))
    assert warnings.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # header repeats on each page


def test_docx_empty_sections_say_none_instead_of_a_table():
    brief = document(empty_summary())
    texts = [p.text for p in brief.paragraphs]
    assert not brief.tables
    for heading in [*HEADINGS[1:], "目标任务进展", "概况"]:
        assert texts[texts.index(heading) + 1] == "（无）"


def test_docx_is_a4_portrait_with_page_numbers_in_the_footer():
    section = document(full_summary()).sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    fields = section.footer._element.findall(".//" + qn("w:fldSimple"))
    assert [f.get(qn("w:instr")) for f in fields] == ["PAGE", "NUMPAGES"]
    assert section.footer.paragraphs[0].text.startswith("第 ")


def test_docx_sets_an_east_asian_font_for_chinese_text():
    normal = document(full_summary()).styles["Normal"]
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"


def test_docx_of_the_same_week_is_the_same_file_every_time():
    first = to_docx(full_summary())
    assert first == to_docx(full_summary())
    assert docx.Document(io.BytesIO(first)).core_properties.modified == datetime(
        2026, 11, 29, 16, 0, tzinfo=UTC
    )


# file names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("嘉兴市", "周调度_嘉兴市_2026-W48.docx"),
        ("新能源（南湖区部分）", "周调度_新能源（南湖区部分）_2026-W48.docx"),
        ("../光伏/储能 集群", "周调度_光伏_储能_集群_2026-W48.docx"),
    ],
)
def test_file_name_names_scope_and_week_with_safe_characters_only(label, expected):
    summary = WeeklySummary(WEEK, ReportScope(None, None, 5, label), WEEK.end)
    assert filename(summary, "docx") == expected


def test_control_characters_in_text_are_dropped_not_fatal():
    import io

    import openpyxl

    from crm.core.exports import Column, Sheet, write_xlsx

    content = write_xlsx([Sheet("表", [Column("名称")], [["嘉兴\x07甲\x1b企业"], ["=1+1\t"]])])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [sheet.cell(row, 1).value for row in (2, 3)] == ["嘉兴甲企业", "=1+1\t"]
    assert sheet.cell(3, 1).data_type == "s"
