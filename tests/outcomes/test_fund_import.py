"""The 到资 import (issue 15 point 5): rows held to the form's rules, all or nothing, bad rows named."""

import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import sqlalchemy as sa

from crm.extensions import db
from crm.models import FundEntry, HistoryEntry, Project
from crm.outcomes.imports import EXAMPLE_NAME
from tests.factories import make_project, make_user, upload_import, upload_import_ok, xlsx_bytes
from tests.outcomes.test_funds import record

HEADERS = ["项目名称*", "到资日期*", "币种*", "金额*", "口径*", "来源或凭证"]


def xlsx(rows) -> bytes:
    return xlsx_bytes(HEADERS, rows)


def upload(client, content: bytes, filename="到资.xlsx"):
    return upload_import(client, "/funds/import", content, filename)


def upload_ok(client, content: bytes) -> int:
    return upload_import_ok(client, "/funds/import", content, "到资.xlsx")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


def signed(app, owner: int, region: str = "南湖区") -> tuple[int, str]:
    project_id = make_project(app, owner, region=region, stage="拟建")  # 签约 2026-03-02
    with app.app_context():
        return project_id, db.session.get(Project, project_id).name


def entries(app, *project_ids: int) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            sa.select(
                FundEntry.project_id,
                FundEntry.arrived_on,
                FundEntry.currency,
                FundEntry.amount,
                FundEntry.kind,
            )
            .where(FundEntry.project_id.in_(project_ids))
            .order_by(FundEntry.project_id, FundEntry.arrived_on, FundEntry.amount)
        ).all()


def test_a_good_sheet_imports_every_row_through_the_forms_service(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    (first, first_name), (second, second_name) = signed(app, officer), signed(app, officer)
    rows = [
        [first_name, date(2026, 3, 5), "人民币", 500, "实到内资", "进账单 001"],
        [first_name, "2026/4/1", "人民币", "1,000.50", "实到内资", ""],
        [second_name, "2026年5月6日", "美元", 320, "实际使用外资", "外汇登记"],
    ]
    batch = upload_ok(client, xlsx(rows))
    preview = text_of(client.get(f"/funds/import/{batch}"))
    assert "确认导入（新增 3 笔）" in preview
    response = client.post(f"/funds/import/{batch}/commit")
    assert response.status_code == 302
    assert entries(app, first, second) == [
        (first, date(2026, 3, 5), "人民币", Decimal("500.00"), "实到内资"),
        (first, date(2026, 4, 1), "人民币", Decimal("1000.50"), "实到内资"),
        (second, date(2026, 5, 6), "美元", Decimal("320.00"), "实际使用外资"),
    ]
    with app.app_context():
        notes = db.session.scalars(
            sa.select(HistoryEntry.note).where(
                HistoryEntry.action == "fund_added", HistoryEntry.entity_id == second
            )
        ).all()
    assert notes == ["2026-05-06 实际使用外资 320.00 万美元；来源或凭证：外汇登记（导入：到资.xlsx）"]
    assert "累计到资：实到内资 1,500.50 万元" in text_of(client.get(f"/projects/{first}"))


def test_a_sheet_with_one_bad_row_imports_none_and_names_the_row_and_reason(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id, name = signed(app, officer)
    rows = [
        [name, date(2026, 3, 5), "人民币", 500, "实到内资", ""],
        [name, date(2026, 3, 1), "人民币", 200, "实到内资", ""],  # before the 签约 of 2026-03-02
        [name, date(2026, 3, 6), "人民币", 300, "实到内资", ""],
    ]
    batch = upload_ok(client, xlsx(rows))
    preview = text_of(client.get(f"/funds/import/{batch}"))
    assert "第 3 行" in preview and "到资日期不能早于项目签约日期（2026-03-02）" in preview
    response = client.post(f"/funds/import/{batch}/commit")
    assert "有 1 行存在问题，未导入任何数据" in text_of(response)
    assert entries(app, project_id) == []


def test_each_rule_of_the_form_refuses_a_row(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id, name = signed(app, officer)
    talks = make_project(app, officer)  # 在谈: not signed
    with app.app_context():
        unsigned = db.session.get(Project, talks).name
        db.session.get(Project, project_id).capital_type = "内资"
        db.session.commit()
    outsider = make_user(app, role="officer", scope="嘉善县")
    _, outside_name = signed(app, outsider, region="嘉善县")
    colleague = make_user(app, role="officer", scope="南湖区")
    _, colleagues = signed(app, colleague)
    rows = [
        [name, date(2026, 3, 5), "人民币", 0, "实到内资", ""],  # row 2
        [name, date(2026, 3, 5), "欧元", 10, "实到内资", ""],
        [name, date(2026, 3, 5), "人民币", 10, "合同外资", ""],
        [name, date(2026, 3, 5), "美元", 10, "实际使用外资", ""],  # a 内资 project
        [name, date(2099, 1, 1), "人民币", 10, "实到内资", ""],
        [unsigned, date(2026, 3, 5), "人民币", 10, "实到内资", ""],
        [outside_name, date(2026, 3, 5), "人民币", 10, "实到内资", ""],
        [colleagues, date(2026, 3, 5), "人民币", 10, "实到内资", ""],
        [name, "昨天", "人民币", 10, "实到内资", ""],
        [name, date(2026, 3, 9), "人民币", "1e30", "实到内资", ""],  # row 11
    ]
    batch = upload_ok(client, xlsx(rows))
    page = client.get(f"/funds/import/{batch}")
    preview = text_of(page)
    reasons = [
        "金额必须大于 0",
        "请选择币种（人民币或美元）",
        "请选择口径（实到内资、实际使用外资或增资到位）",
        "内资项目不能登记“实际使用外资”",
        "到资日期不能晚于今天",
        "项目尚未签约，不能登记到资",
        f"在您的范围内没有名为“{outside_name}”的项目",
        f"您不能为“{colleagues}”登记到资",
        "到资日期“昨天”无法识别",
        "请填写数字",
    ]
    for reason in reasons:
        assert reason in preview, reason
    assert 'id="count-bad">10<' in page.get_data(as_text=True)
    assert "有 10 行存在问题" in text_of(client.post(f"/funds/import/{batch}/commit"))
    assert entries(app, project_id) == []


def test_a_project_is_found_by_its_normalised_name(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id, name = signed(app, officer)
    wide = name.translate(str.maketrans("0123456789", "０１２３４５６７８９")) + " "  # full width, a space
    batch = upload_ok(client, xlsx([[wide, date(2026, 3, 5), "人民币", 10, "实到内资", ""]]))
    assert client.post(f"/funds/import/{batch}/commit").status_code == 302
    assert entries(app, project_id) == [
        (project_id, date(2026, 3, 5), "人民币", Decimal("10.00"), "实到内资")
    ]


def test_rows_repeating_each_other_or_a_standing_entry_are_refused(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id, name = signed(app, officer)
    record(app, project_id, officer, amount="500", note="进账单 001")
    rows = [
        [name, date(2026, 3, 5), "人民币", 500, "实到内资", "进账单 001"],  # already recorded
        [name, date(2026, 3, 6), "人民币", 200, "实到内资", ""],
        [name, date(2026, 3, 6), "人民币", "200.00", "实到内资", ""],  # row 4 repeats row 3
    ]
    batch = upload_ok(client, xlsx(rows))
    preview = text_of(client.get(f"/funds/import/{batch}"))
    assert "已有一笔相同的到资记录" in preview and "与第 3 行重复" in preview
    client.post(f"/funds/import/{batch}/commit")
    assert len(entries(app, project_id)) == 1


def test_the_example_row_is_refused_and_the_template_says_how_projects_are_matched(app, auth, client):
    auth.login(role="officer", scope="南湖区")
    response = client.get("/funds/import/template.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet, guide = workbook.worksheets
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet["A2"].value == EXAMPLE_NAME
    assert any("项目代码尚未启用" in str(c.value) for row in guide.iter_rows() for c in row)
    example = [[c.value for c in sheet[2]]]
    batch = upload_ok(client, xlsx(example))
    assert "这是模板中的示例行" in text_of(client.get(f"/funds/import/{batch}"))


def test_a_viewer_cannot_import(app, auth, client):
    auth.login(role="viewer", scope="南湖区")
    assert client.get("/funds/import").status_code == 403
    assert upload(client, xlsx([])).status_code == 403


def _project_reads(app, client, batch: int) -> int:
    """Statements reading the project table while the preview of batch is built."""
    with app.app_context():
        engine = db.engines[None]
    found = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if re.search(r"\bFROM project\b", statement):
            found.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        assert client.get(f"/funds/import/{batch}").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)
    return len(found)


def test_projects_are_looked_up_once_per_import_not_once_per_row(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    (_, first), (_, second) = signed(app, officer), signed(app, officer)
    few = [
        [first, date(2026, 3, 5), "人民币", 100, "实到内资", "甲"],
        [second, date(2026, 3, 5), "人民币", 100, "实到内资", "乙"],
    ]
    many = [
        [name, date(2026, 3, 5), "人民币", 100 + n, "实到内资", f"第{n}笔"]
        for n in range(20)
        for name in (first, second)
    ]
    assert _project_reads(app, client, upload_ok(client, xlsx(many))) == _project_reads(
        app, client, upload_ok(client, xlsx(few))
    )
