"""Import of the 招商清单 from .xlsx and .csv: preview, bad rows, duplicates, all-or-nothing commit, limits."""

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Cluster, HistoryEntry, ImportBatch, Notification, TargetCompany, TargetStatus, User
from crm.targets.imports import EXAMPLE_NAME, example_credit_code
from crm.targets.services import TargetInput, create_target
from tests.factories import make_user, upload_import, upload_import_ok, xlsx_bytes
from tests.routes import ACTORS, IMPORT_ROUTES

HEADERS = [
    "企业名称*",
    "统一社会信用代码",
    "境外注册号",
    "国家/地区",
    "总部城市",
    "所属集群*",
    "产业链环节",
    "企业类型",
    "荣誉资质",
    "招商渠道*",
    "优先级",
    "意向投资额（亿元）",
    "主营业务",
    "联系人",
    "联系人职务",
    "联系电话",
    "联系邮箱",
    "责任人账号",
    "首次接触日期",
]
FIELDS = {
    "name": 0,
    "code": 1,
    "foreign": 2,
    "country": 3,
    "city": 4,
    "cluster": 5,
    "segment": 6,
    "types": 7,
    "honours": 8,
    "source": 9,
    "priority": 10,
    "investment": 11,
    "business": 12,
    "contact": 13,
    "title": 14,
    "phone": 15,
    "email": 16,
    "owner": 17,
    "contacted": 18,
}


def row(name, cluster="南湖区微电子", source="招商地图", **values) -> list:
    """One file row in the template's column order."""
    cells = [None] * len(HEADERS)
    cells[FIELDS["name"]], cells[FIELDS["cluster"]], cells[FIELDS["source"]] = name, cluster, source
    for key, value in values.items():
        cells[FIELDS[key]] = value
    return cells


def code(n: int) -> str:
    """A valid 统一社会信用代码, different for every n."""
    return example_credit_code(f"91330402{n:09d}")


def xlsx(rows, headers=HEADERS) -> bytes:
    return xlsx_bytes(headers, rows)


def csv_bytes(rows, encoding="gbk", headers=HEADERS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in cells] for cells in rows])
    return buffer.getvalue().encode(encoding)


def upload(client, content: bytes, filename="招商清单.xlsx"):
    return upload_import(client, "/targets/import", content, filename)


def upload_ok(client, content: bytes, filename="招商清单.xlsx") -> int:
    return upload_import_ok(client, "/targets/import", content, filename)


def commit(client, batch_id: int, decisions=None):
    data = {f"decision-{n}": choice for n, choice in (decisions or {}).items()}
    return client.post(f"/targets/import/{batch_id}/commit", data=data)


def make_batch(app, user_id: int, content: bytes | None = None, filename="清单.xlsx") -> int:
    """An uploaded, not yet committed import batch of user_id (for permission tests)."""
    with app.app_context():
        batch = ImportBatch(
            kind="target",
            user_id=user_id,
            filename=filename,
            content=content or xlsx([row("嘉兴矩阵测试有限公司")]),
        )
        db.session.add(batch)
        db.session.commit()
        return batch.id


def count_targets(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(TargetCompany))


def target_named(app, name: str) -> TargetCompany:
    with app.app_context():
        target = db.session.scalar(
            sa.select(TargetCompany)
            .options(sa.orm.joinedload(TargetCompany.cluster), sa.orm.joinedload(TargetCompany.segment))
            .where(TargetCompany.name == name)
        )
        assert target is not None, f"{name} was not imported"
        db.session.expunge(target)
        return target


def existing_target(app, owner_id: int, name: str, cluster="南湖区微电子", **fields) -> int:
    with app.app_context():
        owner = db.session.get(User, owner_id)
        cluster_id = db.session.scalar(sa.select(Cluster.id).where(Cluster.name == cluster))
        data = TargetInput(name=name, cluster_id=cluster_id, source="展会", owner_id=owner_id, **fields)
        target = create_target(data, owner)
        db.session.commit()
        return target.id


def page(response) -> str:
    return response.get_data(as_text=True)


def bad_rows(client, batch_id: int) -> dict[str, str]:
    """Company name (first column) → its reasons, read from the bad-rows download."""
    response = client.get(f"/targets/import/{batch_id}/errors.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][-1] == "错误原因"
    return {line[0]: line[-1] for line in lines[1:]}


# --- the template ---------------------------------------------------------------------------------


def test_template_has_chinese_headers_an_example_and_the_allowed_values(auth, client):
    auth.login(role="officer", scope="全市", username="zhang.officer")
    response = client.get("/targets/import/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["招商清单", "填写说明"]
    header, example = list(workbook["招商清单"].iter_rows(values_only=True))
    assert list(header) == HEADERS
    assert example[0] == EXAMPLE_NAME and example[FIELDS["owner"]] == "zhang.officer"
    guide = [line for line in workbook["填写说明"].iter_rows(values_only=True)]
    values = {(line[0], line[2]) for line in guide}
    assert ("所属集群", "桐乡市新材料") in values
    assert ("产业链环节", "高性能动力电池材料") in values
    assert {
        ("企业类型", "总部型"),
        ("荣誉资质", "世界500强"),
        ("招商渠道", "招商地图"),
        ("优先级", "高"),
    } <= values


def test_the_template_uploaded_unchanged_refuses_its_example_row(auth, client):
    auth.login(role="officer", scope="全市")
    template = client.get("/targets/import/template.xlsx").data
    batch_id = upload_ok(client, template, "模板.xlsx")
    assert "这是模板中的示例行" in page(client.get(f"/targets/import/{batch_id}"))


def test_a_regional_user_gets_the_clusters_of_their_region_in_the_template(auth, client):
    auth.login(role="head", scope="桐乡市")
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/targets/import/template.xlsx").data))
    clusters = {line[2] for line in workbook["填写说明"].iter_rows(values_only=True) if line[0] == "所属集群"}
    assert clusters == {"桐乡市新材料"}


# --- clean imports ---------------------------------------------------------------------------------


def test_a_clean_2000_row_xlsx_is_imported_in_one_commit(app, auth, client):
    head_id = auth.login(role="head", scope="全市")
    clusters = [
        ("南湖区微电子", "芯片研发及产业化"),
        ("桐乡市新材料", "高性能动力电池材料"),
        ("嘉兴港区氢能", None),
    ]
    rows = []
    for n in range(2000):
        cluster, segment = clusters[n % 3]
        rows.append(
            row(
                f"嘉兴测试{n:04d}科技有限公司",
                cluster,
                "展会",
                code=code(n) if n % 2 else None,
                segment=segment,
                types="高新型、成长型",
                honours="专精特新",
                priority="高",
                investment=n / 100 + 1,
                phone=13800000000 + n,
                contacted=date(2026, 1, 5) if n % 10 == 0 else None,
            )
        )
    batch_id = upload_ok(client, xlsx(rows), "两千家.xlsx")
    response = commit(client, batch_id)  # (the preview's counts are checked with smaller files)
    assert response.status_code == 302
    assert "导入完成：新增 2000 家，更新 0 家，跳过 0 家" in page(client.get(response.location))
    assert count_targets(app) == 2000
    first = target_named(app, "嘉兴测试0000科技有限公司")
    assert first.credit_code is None and first.owner_id == head_id
    assert first.status == TargetStatus.CONTACTED and first.last_follow_up_on == date(2026, 1, 5)
    other = target_named(app, "嘉兴测试1003科技有限公司")
    assert other.credit_code == code(1003) and other.cluster.name == "桐乡市新材料"
    assert other.segment.name == "高性能动力电池材料" and other.type_tags == ["高新型", "成长型"]
    assert other.honours == ["专精特新"] and other.priority.value == "高"
    assert other.intended_investment == Decimal("11.03") and other.contact_phone == "13800001003"
    assert other.status == TargetStatus.UNCONTACTED
    with app.app_context():
        notes = db.session.scalars(sa.select(HistoryEntry.note).where(HistoryEntry.action == "created")).all()
        assert len(notes) == 2000 and set(notes) == {"导入：两千家.xlsx"}
        batch = db.session.get(ImportBatch, batch_id)
        assert batch.status == "committed" and batch.summary == "新增 2000 家，更新 0 家，跳过 0 家"


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_a_csv_in_gbk_or_utf8_is_imported(app, auth, client, encoding):
    officer_id = auth.login(role="officer", scope="桐乡市")
    content = csv_bytes(
        [
            row(
                "浙江华友钴业股份有限公司",
                "桐乡全球性新材料集群",
                "以商引商",
                segment="钴镍资源",
                types="上市型，旗舰型",
            ),
            row(
                "桐乡巨石复材有限公司",
                "桐乡市新材料",
                "上门拜访",
                contacted="2026年3月5日",
                honours="行业前10；上市公司",
            ),
        ],
        encoding,
    )
    batch_id = upload_ok(client, content, "清单.CSV")
    assert commit(client, batch_id).status_code == 302
    huayou = target_named(app, "浙江华友钴业股份有限公司")
    assert huayou.cluster.name == "桐乡市新材料" and huayou.segment.name == "钴镍资源"
    assert huayou.type_tags == ["上市型", "旗舰型"] and huayou.owner_id == officer_id
    jushi = target_named(app, "桐乡巨石复材有限公司")
    assert jushi.last_follow_up_on == date(2026, 3, 5) and jushi.honours == ["行业前10", "上市公司"]


def test_headers_are_matched_without_spaces_stars_or_order_and_extra_columns_are_ignored(app, auth, client):
    auth.login(role="officer", scope="全市")
    headers = [" 招商渠道 ", "备注", "所属集群", "企业名称 *", "意向投资额(亿元)"]
    content = csv_bytes([["展会", "随便写", "嘉善县集成电路", "嘉善芯片有限公司", "3.5"]], "utf-8", headers)
    batch_id = upload_ok(client, content, "乱序.csv")
    assert commit(client, batch_id).status_code == 302
    assert target_named(app, "嘉善芯片有限公司").intended_investment == Decimal("3.50")


def test_xlsx_cells_are_converted_sensibly(app, auth, client):
    auth.login(role="officer", scope="全市")
    content = xlsx(
        [
            row("数字单元格公司", code=code(7), investment=12.35, phone=13912345678, priority=None),
            row("日期单元格公司", contacted=date(2026, 2, 3), investment=0.57 + 1),
            row("斜杠日期公司", contacted="2026/2/3", investment="1,200.5", types="总部型；品牌型"),
        ]
    )
    batch_id = upload_ok(client, content)
    assert commit(client, batch_id).status_code == 302
    first = target_named(app, "数字单元格公司")
    assert first.credit_code == code(7) and first.intended_investment == Decimal("12.35")
    assert first.contact_phone == "13912345678" and first.priority.value == "中"
    second = target_named(app, "日期单元格公司")
    # 1.5699999999999998 in the file is the 1.57 Excel shows (15 significant digits)
    assert second.last_follow_up_on == date(2026, 2, 3) and second.intended_investment == Decimal("1.57")
    third = target_named(app, "斜杠日期公司")
    assert third.last_follow_up_on == date(2026, 2, 3) and third.intended_investment == Decimal("1200.50")
    assert third.type_tags == ["总部型", "品牌型"]


# --- bad rows ---------------------------------------------------------------------------------------


def test_every_kind_of_bad_row_is_listed_with_its_reason_and_nothing_is_written(app, auth, client):
    auth.login(role="head", scope="全市", username="wang.head")
    make_user(app, role="officer", scope="嘉善县", username="jiashan.officer")
    make_user(app, role="viewer", scope="全市", username="reader")
    rows = [
        row("好企业有限公司", code=code(1)),  # row 2: fine
        row("集群不存在公司", "不存在的集群"),
        row("环节不存在公司", segment="光伏电池"),  # a segment of another cluster
        row("代码错误公司", code="91330400MA2B3C4D5X"),
        row("日期错误公司", contacted="2026-13-45"),
        row("责任人不存在公司", owner="nobody"),
        row("责任人范围外公司", owner="jiashan.officer"),  # 嘉善 officer, 南湖 cluster
        row("只读用户负责公司", owner="reader"),
        row(None, types="国企型"),
        row("好企业（中国）有限公司"),  # row 11: same company as row 2 by name
        row("另一家公司", code=code(1)),  # row 12: same credit code as row 2
        row("金额错误公司", investment=1.234, source="路边"),
        row("负数金额公司", investment=-5, priority="特急", email="not-an-email"),
        row("数字代码公司", code=9.13304001234568e17),
    ]
    batch_id = upload_ok(client, xlsx(rows))
    html = page(client.get(f"/targets/import/{batch_id}"))
    assert 'id="count-total">14<' in html and 'id="count-new">1<' in html and 'id="count-bad">13<' in html
    assert '<button type="submit" class="btn btn-primary" disabled>' in html
    reasons = bad_rows(client, batch_id)
    assert "好企业有限公司" not in reasons and len(reasons) == 13
    assert "未知的所属集群“不存在的集群”" in reasons["集群不存在公司"]
    assert "未知的产业链环节“光伏电池”" in reasons["环节不存在公司"]
    assert "校验位错误" in reasons["代码错误公司"]
    assert "首次接触日期“2026-13-45”无法识别" in reasons["日期错误公司"]
    assert "责任人账号“nobody”不存在" in reasons["责任人不存在公司"]
    assert "不覆盖该条目所在地区" in reasons["责任人范围外公司"]
    assert "责任人须为招商专员或局领导" in reasons["只读用户负责公司"]
    assert "请填写企业名称" in reasons[None] and "未知的标签：国企型" in reasons[None]
    assert reasons[None].index("请填写企业名称") < reasons[None].index(
        "；企业类型：未知的标签"
    )  # column order
    assert reasons["好企业（中国）有限公司"] == "与第 2 行重复"
    assert reasons["另一家公司"] == "与第 2 行重复"
    assert (
        "意向投资额“1.234”：最多保留两位小数" in reasons["金额错误公司"]
        and "未知的招商渠道“路边”" in reasons["金额错误公司"]
    )
    negative = reasons["负数金额公司"]
    assert (
        "不能为负数" in negative
        and "未知的优先级“特急”" in negative
        and "联系邮箱“not-an-email”格式不正确" in negative
    )
    assert "被 Excel 存成了数字" in reasons["数字代码公司"]
    for text in ("第 3 行", "第 15 行", "未知的所属集群", "与第 2 行重复"):
        assert text in html
    response = commit(client, batch_id)
    assert response.status_code == 200 and "有 13 行存在问题，未导入任何数据" in page(response)
    assert count_targets(app) == 0
    with app.app_context():
        assert db.session.get(ImportBatch, batch_id).status == "preview"


def test_the_bad_rows_file_keeps_the_original_cells_to_fix_and_upload_again(app, auth, client):
    auth.login(role="officer", scope="全市")
    content = xlsx([row("好公司"), row("坏公司", "火星", investment=3.5, contacted=date(2026, 1, 2))])
    batch_id = upload_ok(client, content)
    response = client.get(f"/targets/import/{batch_id}/errors.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert list(lines[0]) == [*HEADERS, "错误原因"] and len(lines) == 2
    bad = lines[1]
    assert bad[0] == "坏公司" and bad[FIELDS["cluster"]] == "火星" and bad[FIELDS["investment"]] == 3.5
    assert bad[FIELDS["contacted"]].date() == date(2026, 1, 2) and "未知的所属集群" in bad[-1]
    fixed = io.BytesIO()
    sheet.cell(row=2, column=FIELDS["cluster"] + 1, value="南湖区微电子")
    sheet.parent.save(fixed)
    again = upload_ok(client, fixed.getvalue(), "坏公司-已改.xlsx")
    assert commit(client, again).status_code == 302
    assert target_named(app, "坏公司").cluster.name == "南湖区微电子"


def test_an_admin_must_name_the_responsible_officer(app, auth, client):
    auth.login(role="admin", scope="全市")
    officer = make_user(app, role="officer", scope="南湖区", username="nanhu.officer")
    batch_id = upload_ok(client, xlsx([row("无人负责公司"), row("有人负责公司", owner="nanhu.officer")]))
    assert "责任人账号：必须指定一名责任人" in bad_rows(client, batch_id)["无人负责公司"]
    assert count_targets(app) == 0
    batch_id = upload_ok(client, xlsx([row("有人负责公司", owner="nanhu.officer")]))
    assert commit(client, batch_id).status_code == 302
    assert target_named(app, "有人负责公司").owner_id == officer


def test_each_officer_given_companies_by_an_import_gets_one_message(app, auth, client):
    auth.login(role="head", scope="全市")
    officer = make_user(app, role="officer", scope="南湖区", username="nanhu.one")
    rows = [row(f"通知公司{n}", owner="nanhu.one") for n in range(3)] + [row("局领导自己的公司")]
    assert commit(client, upload_ok(client, xlsx(rows), "分派.xlsx")).status_code == 302
    with app.app_context():
        messages = db.session.scalars(sa.select(Notification)).all()
        assert [(m.user_id, m.kind) for m in messages] == [(officer, "assigned")]
        assert "导入了 3 家由您负责的企业" in messages[0].title and "分派.xlsx" in messages[0].body


def test_an_officer_may_only_import_companies_they_own(app, auth, client):
    auth.login(role="officer", scope="南湖区")
    make_user(app, role="officer", scope="南湖区", username="colleague")
    batch_id = upload_ok(client, csv_bytes([row("同事的公司", owner="colleague")]), "a.csv")
    assert "招商专员新建的企业由本人负责" in bad_rows(client, batch_id)["同事的公司"]


@pytest.mark.parametrize(("scope", "allowed"), [("南湖区", True), ("嘉善县", False)])
def test_a_head_imports_only_inside_their_scope(app, auth, client, scope, allowed):
    head_id = auth.login(role="head", scope=scope)
    batch_id = upload_ok(client, xlsx([row("南湖某公司", "南湖区微电子")]))
    if allowed:
        assert commit(client, batch_id).status_code == 302
        assert target_named(app, "南湖某公司").owner_id == head_id
    else:
        assert "您的范围（嘉善县）不包括“南湖区微电子”" in bad_rows(client, batch_id)["南湖某公司"]
        assert commit(client, batch_id).status_code == 200 and count_targets(app) == 0


# --- duplicates of existing companies ---------------------------------------------------------------


def test_database_duplicates_are_listed_and_skipped_or_updated_as_chosen(app, auth, client):
    officer_id = auth.login(role="officer", scope="南湖区")
    by_code = existing_target(
        app, officer_id, "嘉兴甲科技有限公司", credit_code=code(11), contact_phone="0573-1"
    )
    by_name = existing_target(app, officer_id, "嘉兴乙（中国）有限公司", contact_name="李四")
    content = xlsx(
        [
            row("嘉兴甲科技股份有限公司", code=code(11), phone="0573-2", priority="高"),
            row("嘉兴乙有限公司", contact="王五"),
            row("嘉兴丙有限公司"),
        ]
    )
    batch_id = upload_ok(client, content)
    html = page(client.get(f"/targets/import/{batch_id}"))
    assert 'id="count-duplicates">2<' in html and 'id="count-new">1<' in html
    assert "嘉兴甲科技有限公司" in html and "嘉兴乙（中国）有限公司" in html
    assert 'name="decision-2" id="decision-2-skip" value="skip" checked' in html
    response = commit(client, batch_id, {2: "update", 3: "skip"})
    assert response.status_code == 302
    assert "导入完成：新增 1 家，更新 1 家，跳过 1 家" in page(client.get(response.location))
    with app.app_context():
        updated = db.session.get(TargetCompany, by_code)
        assert updated.name == "嘉兴甲科技股份有限公司" and updated.contact_phone == "0573-2"
        assert updated.priority.value == "高" and updated.source.value == "招商地图"
        assert updated.owner_id == officer_id and updated.version == 2
        kept = db.session.get(TargetCompany, by_name)
        assert kept.name == "嘉兴乙（中国）有限公司" and kept.contact_name == "李四"
        fields = db.session.scalars(
            sa.select(HistoryEntry.field).where(
                HistoryEntry.entity_id == by_code, HistoryEntry.action == "updated"
            )
        ).all()
        assert set(fields) == {"name", "contact_phone", "priority", "source"}
    assert count_targets(app) == 3


def test_an_update_keeps_what_the_file_leaves_blank(app, auth, client):
    officer_id = auth.login(role="officer", scope="全市")
    target_id = existing_target(
        app,
        officer_id,
        "留空公司",
        credit_code=code(21),
        hq_city="苏州",
        contact_email="a@b.cn",
        type_tags=["高新型"],
    )
    batch_id = upload_ok(client, csv_bytes([row("留空公司", source="展会", city="杭州")], "utf-8"), "a.csv")
    assert commit(client, batch_id, {2: "update"}).status_code == 302
    with app.app_context():
        target = db.session.get(TargetCompany, target_id)
        assert target.hq_city == "杭州" and target.credit_code == code(21)
        assert target.contact_email == "a@b.cn" and target.type_tags == ["高新型"]


def test_a_duplicate_the_user_may_not_edit_can_only_be_skipped(app, auth, client):
    auth.login(role="officer", scope="南湖区")
    colleague = make_user(app, role="officer", scope="南湖区")
    target_id = existing_target(app, colleague, "同事负责的公司", credit_code=code(31))
    batch_id = upload_ok(client, xlsx([row("同事负责的公司", code=code(31), phone="110")]))
    html = page(client.get(f"/targets/import/{batch_id}"))
    assert 'id="decision-2-update" value="update" disabled' in html and "您无权修改该企业" in html
    response = commit(client, batch_id, {2: "update"})
    assert response.status_code == 200 and "已存在且您无权修改" in page(response)
    with app.app_context():
        assert db.session.get(TargetCompany, target_id).contact_phone == ""
        assert db.session.get(ImportBatch, batch_id).status == "preview"
    assert commit(client, batch_id, {2: "skip"}).status_code == 302


def test_a_duplicate_in_another_region_is_not_revealed(app, auth, client):
    auth.login(role="officer", scope="南湖区")
    jiashan = make_user(app, role="officer", scope="嘉善县")
    existing_target(app, jiashan, "嘉善秘密公司", cluster="嘉善县集成电路", credit_code=code(41))
    batch_id = upload_ok(client, xlsx([row("改了名的公司", code=code(41))]))
    html = page(client.get(f"/targets/import/{batch_id}"))
    assert "不在您的范围内" in html and "嘉善秘密公司" not in html


def test_two_rows_of_one_existing_company_are_a_bad_row(app, auth, client):
    officer_id = auth.login(role="officer", scope="全市")
    existing_target(app, officer_id, "嘉兴丁有限公司", credit_code=code(51))
    batch_id = upload_ok(client, xlsx([row("嘉兴丁新名字", code=code(51)), row("嘉兴丁有限公司")]))
    assert bad_rows(client, batch_id)["嘉兴丁有限公司"] == "与第 2 行是同一家已有企业"


def test_different_credit_codes_are_different_companies_whatever_the_name(app, auth, client):
    auth.login(role="officer", scope="全市")
    batch_id = upload_ok(
        client, xlsx([row("同名有限公司", code=code(61)), row("同名股份有限公司", code=code(62))])
    )
    assert commit(client, batch_id).status_code == 302 and count_targets(app) == 2


# --- the commit -------------------------------------------------------------------------------------


def test_a_commit_that_finds_the_data_changed_writes_nothing(app, auth, client):
    officer_id = auth.login(role="officer", scope="南湖区")
    content = xlsx([row("先导入的公司"), row("后被抢先的公司", code=code(71)), row("第三家公司")])
    batch_id = upload_ok(client, content)
    assert 'id="count-new">3<' in page(client.get(f"/targets/import/{batch_id}"))
    # Between the preview and the commit, someone enters the company of row 3.
    existing_target(app, officer_id, "别人刚录入的公司", credit_code=code(71))
    response = commit(client, batch_id)
    assert response.status_code == 200
    assert "预览之后才发现与已有企业“别人刚录入的公司”重复" in page(response)
    assert count_targets(app) == 1
    with app.app_context():
        assert db.session.get(ImportBatch, batch_id).status == "preview"
        notes = db.session.scalars(sa.select(HistoryEntry.note)).all()
        assert not any(note.startswith("导入") for note in notes)


def test_a_commit_refused_by_the_service_rolls_back_the_rows_already_written(app, auth, client):
    auth.login(role="head", scope="全市")
    officer = make_user(app, role="officer", scope="南湖区", username="leaving.officer")
    batch_id = upload_ok(client, xlsx([row("甲公司"), row("乙公司", owner="leaving.officer")]))
    assert 'id="count-bad">0<' in page(client.get(f"/targets/import/{batch_id}"))
    with app.app_context():
        db.session.get(User, officer).active = False  # deactivated after the preview
        db.session.commit()
    response = commit(client, batch_id)
    assert response.status_code == 200 and "账号已停用" in page(response)
    assert count_targets(app) == 0


def test_a_committed_batch_cannot_be_committed_again(app, auth, client):
    auth.login(role="officer", scope="全市")
    batch_id = upload_ok(client, xlsx([row("只导一次公司")]))
    assert commit(client, batch_id).status_code == 302
    response = commit(client, batch_id)
    assert response.status_code == 302
    assert "该文件已经导入，不能重复导入" in page(client.get(response.location))
    assert count_targets(app) == 1
    assert "已于" in page(client.get(f"/targets/import/{batch_id}"))


# --- formulas ---------------------------------------------------------------------------------------


def test_a_formula_cell_in_an_xlsx_is_never_evaluated_and_refuses_its_row(app, auth, client):
    auth.login(role="officer", scope="全市")
    content = xlsx(
        [
            row("=1+1"),
            row('=HYPERLINK("http://evil.example/","点我")'),
            row("金额公式公司", investment="=2*3"),
        ]
    )
    batch_id = upload_ok(client, content)
    html = page(client.get(f"/targets/import/{batch_id}"))
    assert 'id="count-bad">3<' in html and "系统不计算公式" in html
    reasons = bad_rows(client, batch_id)
    assert "企业名称是公式（=1+1）" in reasons["=1+1"]  # written back as text, not as a formula
    assert "意向投资额（亿元）是公式（=2*3）" in reasons["金额公式公司"]
    assert commit(client, batch_id).status_code == 200 and count_targets(app) == 0


def test_formula_like_text_is_stored_as_plain_text(app, auth, client):
    auth.login(role="officer", scope="全市")
    hyperlink = '=HYPERLINK("http://evil.example/","点我")'
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append(row(None))
    sheet["A2"].value, sheet["A2"].data_type = "=1+1", "s"  # a text cell that merely starts with "="
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx_batch = upload_ok(client, buffer.getvalue())
    csv_batch = upload_ok(client, csv_bytes([row(hyperlink), row("@SUM(1)")], "utf-8"), "公式.csv")
    assert commit(client, xlsx_batch).status_code == 302
    assert commit(client, csv_batch).status_code == 302
    assert target_named(app, "=1+1").name == "=1+1"
    assert target_named(app, hyperlink).name == hyperlink
    assert target_named(app, "@SUM(1)").name == "@SUM(1)"


# --- files that can't be imported --------------------------------------------------------------------


def refused(client, content: bytes, filename: str) -> str:
    response = upload(client, content, filename)
    html = page(response)
    assert response.status_code == 200, "a bad file must be refused on the upload form"
    assert "Traceback" not in html
    return html


def batches(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch))


def test_a_file_over_the_size_limit_is_refused(app, auth, client):
    auth.login(role="officer", scope="全市")
    content = csv_bytes([row("大文件公司")], "utf-8") + b"#" * (5 * 1024 * 1024)
    assert "文件超过 5 MB 的上限" in refused(client, content, "big.csv")
    assert batches(app) == 0


def test_the_size_limit_is_configurable(app, auth, client, monkeypatch):
    auth.login(role="officer", scope="全市")
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024)
    assert "文件超过 1 KB 的上限" in refused(client, b"x" * 2048, "a.csv")
    assert batches(app) == 0


def test_a_request_over_the_server_limit_gets_a_chinese_413(auth, client):
    auth.login(role="officer", scope="全市")
    body = b"--x\r\nContent-Disposition: form-data; name=file; filename=a.xlsx\r\n\r\n" + b"0" * (
        11 * 1024 * 1024
    )
    response = client.post("/targets/import", data=body, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413 and "文件过大" in page(response)


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"xl/worksheets/sheet1.xml": b"\0" * (60 * 1024 * 1024)}, "解压后超过 50 MB"),
        ({"xl/worksheets/sheet1.xml": b"<" * (10 * 1024 * 1024)}, "压缩比异常"),
        ({f"xl/part{n}.xml": b"<a/>" for n in range(201)}, "包含 201 个内部部件"),
    ],
    ids=["unpacks-too-big", "compression-ratio", "too-many-entries"],
)
def test_a_zip_bomb_disguised_as_xlsx_is_refused_before_parsing(app, auth, client, entries, message):
    auth.login(role="officer", scope="全市")
    content = zip_of(entries)
    assert len(content) < 5 * 1024 * 1024
    assert message in refused(client, content, "清单.xlsx")
    assert batches(app) == 0


def test_an_xml_entity_bomb_inside_an_xlsx_is_refused(app, auth, client):
    assert openpyxl.DEFUSEDXML, "openpyxl must parse through defusedxml (requirements.txt)"
    auth.login(role="officer", scope="全市")
    source = zipfile.ZipFile(io.BytesIO(xlsx([row("实体炸弹公司")])))
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    entries = {}
    for name in source.namelist():
        data = source.read(name)
        if name == "xl/worksheets/sheet1.xml":
            data = bomb + data.replace("实体炸弹公司".encode(), b"&lol2;", 1)
        entries[name] = data
    assert "无法读取该 .xlsx 文件" in refused(client, zip_of(entries), "实体.xlsx")
    assert batches(app) == 0


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"\xd0\xcf\x11\xe0 old excel", "清单.xls", "另存为” .xlsx"),
        (b"PK but not really a zip", "清单.xlsx", "不是有效的 .xlsx 工作簿"),
        (zip_of({"hello.txt": b"hi"}), "清单.xlsx", "无法读取该 .xlsx 文件"),
        (b"name\n", "清单.txt", "只能导入 .xlsx 或 .csv 文件"),
        (b"", "empty.csv", "上传的文件是空的"),
        (
            "\ufeff企业名称\r\n".encode("utf-16-le"),
            "utf16.csv",
            "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV",
        ),
        ("企业名称*,所属集群*\n".encode("gbk"), "只有表头.csv", "文件中没有数据"),
        (b",,\n,,\n", "空白.csv", "第 1 行应为表头"),
        ("企业名称*,所属集群*\n某公司,南湖区微电子\n".encode("gbk"), "缺列.csv", "缺少必填列：招商渠道*"),
        ("企业名称,企业名称,所属集群,招商渠道\na,b,c,d\n".encode(), "两列.csv", "表头“企业名称”出现了两次"),
    ],
    ids=[
        "xls",
        "not-zip",
        "zip-not-xlsx",
        "txt",
        "empty",
        "utf16",
        "header-only",
        "blank",
        "missing",
        "twice",
    ],
)
def test_an_unusable_file_gets_a_clear_message(app, auth, client, content, filename, message):
    auth.login(role="officer", scope="全市")
    assert message in refused(client, content, filename)
    assert batches(app) == 0


def test_more_than_20000_rows_are_refused(app, auth, client):
    auth.login(role="officer", scope="全市")
    lines = ["企业名称*,所属集群*,招商渠道*"] + [f"公司{n},南湖区微电子,展会" for n in range(20_001)]
    assert "数据超过 20,000 行" in refused(client, "\n".join(lines).encode(), "多.csv")


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet(app, auth, client):
    auth.login(role="officer", scope="全市")
    batch_id = upload_ok(
        client, xlsx([row("第二行公司"), [None] * len(HEADERS), row("第四行公司", "无此集群")])
    )
    html = page(client.get(f"/targets/import/{batch_id}"))
    assert 'id="count-total">2<' in html and "第 4 行" in html


# --- permissions ------------------------------------------------------------------------------------


def batch_state(app, batch_id: int) -> tuple:
    with app.app_context():
        return db.session.get(ImportBatch, batch_id).status, count_targets(app)


@pytest.mark.parametrize(("role", "scope"), ACTORS, ids=[f"{r}-{s}" for r, s in ACTORS])
@pytest.mark.parametrize("endpoint", sorted(IMPORT_ROUTES))
def test_import_route_allows_exactly_its_roles(app, auth, client, endpoint, role, scope):
    method, template, allowed = IMPORT_ROUTES[endpoint]
    user_id = auth.login(role=role, scope=scope)
    batch_id = make_batch(app, user_id)
    response = client.open(template.format(batch=batch_id), method=method)
    if role in allowed:
        assert response.status_code in (200, 302), f"{role}/{scope} refused {method} {template}"
        assert response.location is None or not response.location.startswith("/login")
    else:
        assert response.status_code == 403, f"{role}/{scope} got {response.status_code}"
        assert batch_state(app, batch_id) == ("preview", 0), "a refused request changed data"


def test_a_viewer_cannot_upload(app, auth, client):
    auth.login(role="viewer", scope="全市")
    assert upload(client, xlsx([row("只读用户的公司")])).status_code == 403
    assert batches(app) == 0


BATCH_ROUTES = sorted(e for e, (_, path, _) in IMPORT_ROUTES.items() if "{batch}" in path)


@pytest.mark.parametrize(
    ("role", "scope"), [("officer", "南湖区"), ("officer", "全市"), ("head", "南湖区"), ("head", "全市")]
)
@pytest.mark.parametrize("endpoint", BATCH_ROUTES)
def test_a_batch_of_another_user_is_not_found(app, auth, client, endpoint, role, scope):
    method, template, _ = IMPORT_ROUTES[endpoint]
    batch_id = make_batch(app, make_user(app, role="officer", scope="南湖区"))
    auth.login(role=role, scope=scope)
    assert client.open(template.format(batch=batch_id), method=method).status_code == 404
    assert batch_state(app, batch_id) == ("preview", 0)


def test_an_admin_sees_every_batch_checked_as_its_uploader_but_commits_only_their_own(app, auth, client):
    uploader = make_user(app, role="officer", scope="南湖区")
    batch_id = make_batch(app, uploader)  # no owner named: the uploading officer owns it
    auth.login(role="admin", scope="全市")
    html = page(client.get(f"/targets/import/{batch_id}"))
    assert 'id="count-new">1<' in html and "只有上传者" in html
    assert client.get(f"/targets/import/{batch_id}/errors.xlsx").status_code == 200
    assert client.post(f"/targets/import/{batch_id}/commit").status_code == 404
    assert batch_state(app, batch_id) == ("preview", 0)


@pytest.mark.parametrize("endpoint", sorted(IMPORT_ROUTES))
def test_anonymous_users_are_sent_to_login(app, client, endpoint):
    method, template, _ = IMPORT_ROUTES[endpoint]
    batch_id = make_batch(app, make_user(app))
    response = client.open(template.format(batch=batch_id), method=method)
    if method == "GET":
        assert response.status_code == 302 and response.location.startswith("/login")
    else:
        assert response.status_code == 401
    assert batch_state(app, batch_id) == ("preview", 0)


def test_a_missing_batch_is_404(auth, client):
    auth.login(role="admin", scope="全市")
    assert client.get("/targets/import/999999").status_code == 404
    assert client.post("/targets/import/999999/commit").status_code == 404
    assert client.get("/targets/import/999999/errors.xlsx").status_code == 404
