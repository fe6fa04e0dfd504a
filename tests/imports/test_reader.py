"""Imports read what the user sees (issue 14, point 3): the active sheet, refused when it is hidden;
rows and columns hidden in Excel that hold data are named in the preview and never imported unseen.

Workbooks are built with openpyxl here; the 招商清单 import stands for both lists (one reader).
"""

import io

import openpyxl
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import ImportBatch, TargetCompany

HEADERS = ["企业名称*", "所属集群*", "招商渠道*", "联系电话"]


def good(name: str, phone: str | None = None) -> list:
    return [name, "南湖区微电子", "招商地图", phone]


def workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_with(workbook, title: str, rows: list[list], index: int | None = None):
    sheet = workbook.create_sheet(title, index)
    sheet.append(HEADERS)
    for cells in rows:
        sheet.append(cells)
    return sheet


def one_sheet(rows: list[list]):
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    return workbook, sheet_with(workbook, "招商清单", rows)


def upload(client, content: bytes):
    return client.post("/targets/import", data={"file": (io.BytesIO(content), "招商清单.xlsx")})


def preview(client, content: bytes) -> tuple[int, str]:
    response = upload(client, content)
    assert response.status_code == 302, response.get_data(as_text=True)
    batch_id = int(response.location.rsplit("/", 1)[1])
    return batch_id, client.get(f"/targets/import/{batch_id}").get_data(as_text=True)


def names_in_database(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(TargetCompany.name)))


@pytest.mark.parametrize(("state", "word"), [("hidden", "隐藏"), ("veryHidden", "深度隐藏（veryHidden）")])
def test_a_workbook_whose_active_sheet_is_hidden_is_refused_naming_the_sheet(app, auth, client, state, word):
    auth.login(role="officer", scope="南湖区")
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    sheet_with(workbook, "秘密清单", [good("隐藏工作表企业有限公司")])
    sheet_with(workbook, "公开清单", [good("公开工作表企业有限公司")])
    workbook["秘密清单"].sheet_state = state
    content = workbook_bytes(workbook)
    # openpyxl itself moves the active tab off a hidden sheet; a crafted file need not: make it so
    content = _with_active_tab(content, 0)
    response = upload(client, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f"工作表“秘密清单”是{word}的" in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0


def _with_active_tab(content: bytes, index: int) -> bytes:
    """The same .xlsx with workbook.xml's activeTab set to index."""
    import re
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                text = data.decode()
                text = re.sub(r'activeTab="\d+"', "", text)
                text = re.sub(r"<(\w+:)?workbookView\b", lambda m: f'{m.group(0)} activeTab="{index}"', text)
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


def test_the_active_sheet_is_read_when_it_is_not_the_first(app, auth, client):
    auth.login(role="officer", scope="南湖区")
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    sheet_with(workbook, "旧清单", [good("第一张表企业有限公司")])
    sheet_with(workbook, "新清单", [good("选中表企业有限公司")])
    workbook.active = 1
    batch_id, html = preview(client, workbook_bytes(workbook))
    assert 'id="count-total">1<' in html and 'id="count-new">1<' in html
    assert client.post(f"/targets/import/{batch_id}/commit").status_code == 302
    assert names_in_database(app) == {"选中表企业有限公司"}


def test_a_wrong_active_sheet_is_named_in_the_missing_columns_message(auth, client):
    auth.login(role="officer", scope="南湖区")
    workbook, _ = one_sheet([good("模板企业有限公司")])
    notes = workbook.create_sheet("填写说明")
    notes.append(["栏目", "说明"])
    notes.append(["企业名称", "必填"])
    workbook.active = 1
    html = upload(client, workbook_bytes(workbook)).get_data(as_text=True)
    assert "缺少必填列" in html and "读取的是工作表“填写说明”" in html


def test_a_hidden_row_with_data_is_named_and_blocks_the_import(app, auth, client):
    auth.login(role="officer", scope="南湖区")
    workbook, sheet = one_sheet(
        [good("可见企业一有限公司"), good("隐藏企业有限公司"), good("可见企业二有限公司")]
    )
    sheet.row_dimensions[3].hidden = True
    batch_id, html = preview(client, workbook_bytes(workbook))
    assert "隐藏（或被筛选掉）的行：第 3 行" in html
    assert 'id="count-bad">1<' in html and "该行在 Excel 中被隐藏" in html
    assert '<button type="submit" class="btn btn-primary" disabled>' in html
    response = client.post(f"/targets/import/{batch_id}/commit")
    assert "有 1 行存在问题，未导入任何数据" in response.get_data(as_text=True)
    assert names_in_database(app) == set()


def test_a_blank_hidden_row_changes_nothing(app, auth, client):
    auth.login(role="officer", scope="南湖区")
    workbook, sheet = one_sheet([good("可见企业有限公司")])
    sheet.row_dimensions[5].hidden = True  # nothing in it
    batch_id, html = preview(client, workbook_bytes(workbook))
    assert 'id="hidden-content"' not in html and 'id="count-new">1<' in html


def test_a_hidden_column_with_data_is_named_by_its_letter_and_blocks_the_rows_that_use_it(app, auth, client):
    auth.login(role="officer", scope="南湖区")
    workbook, sheet = one_sheet([good("有电话企业有限公司", "0573-12345678"), good("无电话企业有限公司")])
    sheet.column_dimensions["D"].hidden = True
    batch_id, html = preview(client, workbook_bytes(workbook))
    assert "隐藏的列：D 列（联系电话）" in html
    assert 'id="count-bad">1<' in html and 'id="count-new">1<' in html
    assert "该行在隐藏的列（D 列（联系电话））中有内容" in html
    client.post(f"/targets/import/{batch_id}/commit")
    assert names_in_database(app) == set()


def test_a_hidden_header_row_is_refused(auth, client):
    auth.login(role="officer", scope="南湖区")
    workbook, sheet = one_sheet([good("表头隐藏企业有限公司")])
    sheet.row_dimensions[1].hidden = True
    html = upload(client, workbook_bytes(workbook)).get_data(as_text=True)
    assert "第 1 行（表头）在 Excel 中被隐藏" in html


def test_rows_keep_their_excel_numbers_across_gaps(auth, client):
    auth.login(role="officer", scope="南湖区")
    workbook, sheet = one_sheet([good("第二行企业有限公司")])
    sheet.cell(row=7, column=1, value="第七行企业有限公司")  # cluster and source missing
    _, html = preview(client, workbook_bytes(workbook))
    assert "第 7 行" in html and "请填写所属集群" in html
