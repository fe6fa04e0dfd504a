"""投资规模 and 超亿美元 on the project list, the board, the detail page and the .xlsx export, exactly as
the rule says (issue 15, point 2): 10.00 亿元 is 10亿元以上 and 9.99 is not; 10,000 万美元 is 超亿美元 and
9,999.99 is not, whatever the rate says; 总投资 ÷ the signing year's rate otherwise; no rate → 未知."""

import io
import re
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from crm.extensions import db
from crm.models import ExchangeRate, Project
from tests.factories import jiaxing_today, make_project, make_user

RATE_2025 = Decimal("7.1234")  # 7.13 亿元 reaches 1 亿美元, 7.12 does not


def _made(app, owner, name, total, usd=None, signed=None):
    project_id = make_project(app, owner, name=name, total_investment=total, total_investment_usd=usd)
    if signed is not None:  # the signing date as the stage move would set it
        with app.app_context():
            db.session.get(Project, project_id).signed_on = signed
            db.session.commit()
    return project_id


def _world(app, owner):
    with app.app_context():
        db.session.add(ExchangeRate(year=2025, cny_per_usd=RATE_2025, note="测试"))
        db.session.commit()
    this_year = jiaxing_today(app).year
    signed = date(2025, 5, 1)
    cases = {  # name → (总投资 亿元, 总投资 万美元, 签约日期, 投资规模, 超亿美元)
        "规模甲十亿": (Decimal("10.00"), None, signed, "10亿元以上", "是"),
        "规模乙九点九九": (Decimal("9.99"), None, signed, "亿元以上", "是"),
        "规模丙五十亿": (Decimal("50.00"), None, signed, "50亿元以上", "是"),
        "规模丁百亿": (Decimal("100.00"), None, signed, "100亿元以上", "是"),
        "规模戊一亿": (Decimal("1.00"), None, signed, "亿元以上", "否"),
        "规模己不足亿": (Decimal("0.99"), None, signed, None, "否"),
        "汇率界七一三": (Decimal("7.13"), None, signed, "亿元以上", "是"),
        "汇率界七一二": (Decimal("7.12"), None, signed, "亿元以上", "否"),
        "美元满一亿": (Decimal("1.00"), Decimal("10000.00"), signed, "亿元以上", "是"),
        "美元差一分": (Decimal("900.00"), Decimal("9999.99"), signed, "100亿元以上", "否"),
        "缺汇率已签": (Decimal("60.00"), None, date(2024, 4, 1), "50亿元以上", "未知（缺少2024年汇率）"),
        "缺汇率未签": (Decimal("60.00"), None, None, "50亿元以上", f"未知（缺少{this_year}年汇率）"),
    }
    ids = {name: _made(app, owner, name, *values[:3]) for name, values in cases.items()}
    return cases, ids


def _cells(html: str, name: str) -> list[str]:
    """The text of each cell of the table row naming the project."""
    row = next(chunk for chunk in html.split("<tr") if f">{name}</a>" in chunk)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


def _headers(html: str) -> list[str]:
    head = html.split("<thead", 1)[1].split("</thead>", 1)[0]
    return [re.sub(r"<[^>]+>|\s+", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]


def test_the_list_shows_each_size_class_and_over_100m_usd_by_the_rule(app, auth, client):
    cases, _ = _world(app, make_user(app, role="head"))
    auth.login(role="viewer", scope="全市")  # no bulk-assign column: cells line up with headers
    html = client.get("/projects/?q=规模&per_page=50").get_data(as_text=True)
    html += client.get("/projects/?q=汇率界").get_data(as_text=True)
    html += client.get("/projects/?q=美元").get_data(as_text=True)
    html += client.get("/projects/?q=缺汇率").get_data(as_text=True)
    headers = _headers(html)
    size_at, usd_at = headers.index("投资规模"), headers.index("超亿美元")
    for name, (*_, size, usd) in cases.items():
        cells = _cells(html, name)
        assert (cells[size_at], cells[usd_at]) == (size or "—", usd), name


def test_the_detail_page_shows_size_class_and_over_100m_usd(app, auth, client):
    head = auth.login(role="head", scope="全市")
    cases, ids = _world(app, head)
    for name, (*_, size, usd) in cases.items():
        html = client.get(f"/projects/{ids[name]}").get_data(as_text=True)
        shown_size = re.search(r'id="size-class">(.*?)</dd>', html).group(1)
        shown_usd = re.search(r'id="over-100m-usd">(.*?)</dd>', html).group(1)
        assert (shown_size, shown_usd) == (size or "未达亿元", usd), name


def test_board_cards_show_the_size_class_and_over_100m_usd(app, auth, client):
    head = auth.login(role="head", scope="全市")
    _world(app, head)
    html = client.get("/projects/board?q=规模甲十亿").get_data(as_text=True)
    card = html.split(">规模甲十亿</a>", 1)[1].split("</li>", 1)[0]
    assert "10亿元以上" in card and "超亿美元" in card
    html = client.get("/projects/board?q=缺汇率未签").get_data(as_text=True)
    card = html.split(">缺汇率未签</a>", 1)[1].split("</li>", 1)[0]
    assert f"未知（缺少{jiaxing_today(app).year}年汇率）" in card
    html = client.get("/projects/board?q=汇率界七一二").get_data(as_text=True)
    card = html.split(">汇率界七一二</a>", 1)[1].split("</li>", 1)[0]
    assert "超亿美元" not in card


def test_the_export_has_the_size_class_over_100m_usd_and_the_new_columns(app, auth, client):
    head = auth.login(role="head", scope="全市")
    cases, ids = _world(app, head)
    with app.app_context():
        p = db.session.get(Project, ids["美元满一亿"])
        p.capital_type, p.tags, p.registered_capital, p.foreign_capital = (
            "外资",
            ["世界500强"],
            Decimal("3.5"),
            Decimal("8"),
        )
        db.session.commit()
    response = client.get("/projects/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = list(rows[0])
    by_name = {row[0]: dict(zip(headers, row, strict=True)) for row in rows[1:]}
    for name, (*_, size, usd) in cases.items():
        assert (by_name[name]["投资规模"], by_name[name]["超亿美元"]) == (size, usd), name
    row = by_name["美元满一亿"]
    assert row["总投资（万美元）"] == 10000 and row["内外资"] == "外资" and row["项目标签"] == "世界500强"
    assert row["注册资本（万元）"] == 3.5 and row["合同外资（万美元）"] == 8
    assert "外资（万美元）" not in headers
