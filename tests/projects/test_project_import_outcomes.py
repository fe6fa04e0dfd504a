"""The 项目清单 import reads the outcome columns (issue 15): 内外资, 投资方来源, 项目类型, 行业, 项目标签
(、-separated), 总投资(万美元), 合同外资(万美元) and 注册资本(万元), each refused with a Chinese reason."""

import io
from decimal import Decimal

import openpyxl

from crm.models import CapitalType, InvestorOrigin, ProjectType, Sector
from tests.projects.test_project_import import (
    FIELDS,
    HEADERS,
    batch_state,
    commit,
    count_projects,
    page,
    project_named,
    upload_ok,
    xlsx,
)

NEW = {header: HEADERS.index(header) for header in HEADERS[len(FIELDS) :]}


def outcome_row(name, **by_header) -> list:
    cells = [None] * len(HEADERS)
    cells[0], cells[1], cells[2], cells[5] = name, "嘉兴某某科技有限公司", "南湖区微电子", "在谈"
    for header, value in by_header.items():
        cells[HEADERS.index(header) if header in HEADERS else NEW[header]] = value
    return cells


def test_the_outcome_columns_are_imported(app, auth, client):
    auth.login(role="head", scope="全市")
    rows = [
        outcome_row(
            "外资导入项目",
            **{
                "总投资（亿元）": 80,
                "总投资（万美元）": 11000,
                "合同外资（万美元）": "5,000.5",
                "注册资本（万元）": 30000,
                "内外资": "外资",
                "投资方来源": "境外",
                "项目类型": "新引进",
                "行业": "制造业",
                "项目标签": "世界500强、上市公司，浙商回归",
            },
        ),
        outcome_row("空白分类项目", **{"总投资（亿元）": 2}),
    ]
    batch_id = upload_ok(client, xlsx(rows), "分类.xlsx")
    assert commit(client, batch_id).status_code == 302
    p = project_named(app, "外资导入项目")
    assert (p.capital_type, p.investor_origin, p.project_type, p.sector) == (
        CapitalType.FOREIGN,
        InvestorOrigin.OVERSEAS,
        ProjectType.NEW,
        Sector.MANUFACTURING,
    )
    assert p.tags == ["世界500强", "上市公司", "浙商回归"]
    assert (p.total_investment_usd, p.foreign_capital, p.registered_capital) == (
        Decimal("11000.00"),
        Decimal("5000.50"),
        Decimal("30000.00"),
    )
    blank = project_named(app, "空白分类项目")
    assert (blank.capital_type, blank.tags, blank.total_investment_usd) == (None, [], None)


def test_bad_outcome_cells_are_named_with_their_reason_and_nothing_is_imported(app, auth, client):
    auth.login(role="head", scope="全市")
    before = count_projects(app)
    rows = [
        outcome_row("坏内外资", **{"内外资": "合资"}),
        outcome_row("坏来源", **{"投资方来源": "外省"}),
        outcome_row("坏类型", **{"项目类型": "扩建"}),
        outcome_row("坏行业", **{"行业": "农业"}),
        outcome_row("坏标签", **{"项目标签": "世界500强、独角兽"}),
        outcome_row("坏美元", **{"总投资（万美元）": "1e30"}),
        outcome_row("坏注册资本", **{"注册资本（万元）": -5}),
        outcome_row("好项目"),
    ]
    batch_id = upload_ok(client, xlsx(rows), "坏分类.xlsx")
    html = page(client.get(f"/projects/import/{batch_id}"))
    for reason in (
        "未知的内外资“合资”",
        "未知的投资方来源“外省”",
        "未知的项目类型“扩建”",
        "未知的行业“农业”",
        "未知的项目标签：独角兽",
        "总投资（万美元）“1e30”",
        "注册资本“-5”：不能为负数",
    ):
        assert reason in html, reason
    commit(client, batch_id)
    assert count_projects(app) == before  # all or nothing
    assert batch_state(app, batch_id)[1] == before


def test_the_template_lists_the_classification_words(auth, client):
    auth.login(role="head", scope="全市")
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/projects/import/template.xlsx").data))
    values = {(line[0], line[2]) for line in workbook["填写说明"].iter_rows(values_only=True)}
    assert {
        ("内外资", "中外合资"),
        ("投资方来源", "市外本省"),
        ("项目类型", "增资扩产"),
        ("行业", "服务业"),
    } <= values
    assert ("项目标签", "央企/国企") in values
