"""Import of the 项目清单: stages moved through the stage rules, bad rows, duplicates, all-or-nothing."""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Cluster, HistoryEntry, ImportBatch, ProjectStage, User
from crm.models.projects import Project
from crm.projects.imports import EXAMPLE_NAME
from crm.projects.services import ProjectInput, create_project
from tests.factories import make_user, upload_import, upload_import_ok, xlsx_bytes
from tests.routes import ACTORS, PROJECT_IMPORT_ROUTES

HEADERS = [
    "项目名称*", "项目单位*", "所属集群*", "产业链环节", "落地地区", "阶段*", "标志性项目", "总投资（亿元）",
    "固定资产投资（亿元）", "合同外资（万美元）", "预计年产值（亿元）", "预计年增加值（亿元）", "用地（亩）",
    "签约日期", "签约投资额（亿元）", "计划开工日期", "实际开工日期", "计划竣工日期", "实际竣工投产日期",
    "联系领导", "责任人账号", "责任单位", "工作方案", "阶段说明",
    "总投资（万美元）", "注册资本（万元）", "内外资", "投资方来源", "项目类型", "行业", "项目标签",
]  # fmt: skip
FIELDS = {
    "name": 0, "company": 1, "cluster": 2, "segment": 3, "region": 4, "stage": 5, "landmark": 6,
    "total": 7, "fixed": 8, "foreign": 9, "output": 10, "added": 11, "land": 12, "signed_on": 13,
    "signed": 14, "planned_start": 15, "started": 16, "planned_done": 17, "done": 18, "leader": 19,
    "owner": 20, "unit": 21, "plan": 22, "note": 23,
}  # fmt: skip
SIGNED = {"signed_on": date(2025, 3, 1), "signed": 12.5}
BUILDING = {**SIGNED, "started": date(2025, 6, 1)}
PRODUCING = {**BUILDING, "done": date(2026, 1, 10)}


def row(name, stage="在谈", company="嘉兴某某科技有限公司", cluster="南湖区微电子", **values) -> list:
    cells = [None] * len(HEADERS)
    cells[0], cells[1], cells[2], cells[5] = name, company, cluster, stage
    for key, value in values.items():
        cells[FIELDS[key]] = value
    return cells


def xlsx(rows, headers=HEADERS) -> bytes:
    return xlsx_bytes(headers, rows)


def csv_bytes(rows, encoding="gbk") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows([["" if v is None else v for v in cells] for cells in rows])
    return buffer.getvalue().encode(encoding)


def upload(client, content: bytes, filename="项目清单.xlsx"):
    return upload_import(client, "/projects/import", content, filename)


def upload_ok(client, content: bytes, filename="项目清单.xlsx") -> int:
    return upload_import_ok(client, "/projects/import", content, filename)


def commit(client, batch_id: int, decisions=None):
    data = {f"decision-{n}": choice for n, choice in (decisions or {}).items()}
    return client.post(f"/projects/import/{batch_id}/commit", data=data)


def page(response) -> str:
    return response.get_data(as_text=True)


def count_projects(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Project))


def project_named(app, name: str) -> Project:
    with app.app_context():
        project = db.session.scalar(
            sa.select(Project)
            .options(sa.orm.joinedload(Project.cluster), sa.orm.joinedload(Project.region))
            .where(Project.name == name)
        )
        assert project is not None, f"{name} was not imported"
        db.session.expunge(project)
        return project


def stage_history(app, project_id: int) -> list[tuple]:
    with app.app_context():
        entries = db.session.scalars(
            sa.select(HistoryEntry)
            .where(
                HistoryEntry.entity_type == "project",
                HistoryEntry.entity_id == project_id,
                HistoryEntry.action == "stage",
            )
            .order_by(HistoryEntry.id)
        )
        return [(e.old_value, e.new_value, e.note) for e in entries]


def bad_rows(client, batch_id: int) -> dict[str, str]:
    response = client.get(f"/projects/import/{batch_id}/errors.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][-1] == "错误原因"
    return {line[0]: line[-1] for line in lines[1:]}


def existing_project(app, owner_id: int, name: str, company: str, cluster="南湖区微电子", **fields) -> int:
    with app.app_context():
        owner = db.session.get(User, owner_id)
        cluster_id = db.session.scalar(sa.select(Cluster.id).where(Cluster.name == cluster))
        data = ProjectInput(
            name=name, company_name=company, cluster_id=cluster_id, owner_id=owner_id, **fields
        )
        project = create_project(data, owner)
        db.session.commit()
        return project.id


def make_batch(app, user_id: int) -> int:
    with app.app_context():
        batch = ImportBatch(
            kind="project", user_id=user_id, filename="清单.xlsx", content=xlsx([row("矩阵项目")])
        )
        db.session.add(batch)
        db.session.commit()
        return batch.id


def batch_state(app, batch_id: int) -> tuple:
    with app.app_context():
        return db.session.get(ImportBatch, batch_id).status, count_projects(app)


# --- the template -----------------------------------------------------------------------------------


def test_template_has_the_headers_and_uploaded_unchanged_refuses_its_example(auth, client):
    auth.login(role="officer", scope="全市", username="li.officer")
    response = client.get("/projects/import/template.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["项目清单", "填写说明"]
    header, example = list(workbook["项目清单"].iter_rows(values_only=True))
    assert list(header) == HEADERS and example[0] == EXAMPLE_NAME and example[FIELDS["owner"]] == "li.officer"
    values = {(line[0], line[2]) for line in workbook["填写说明"].iter_rows(values_only=True)}
    assert {("所属集群", "桐乡市新材料"), ("阶段", "建成投产"), ("落地地区", "嘉善县")} <= values
    batch_id = upload_ok(client, response.data, "模板.xlsx")
    assert "这是模板中的示例行" in page(client.get(f"/projects/import/{batch_id}"))


# --- clean imports ----------------------------------------------------------------------------------


def test_projects_in_every_stage_are_imported_through_the_stage_rules(app, auth, client):
    head_id = auth.login(role="head", scope="全市")
    rows = [
        row(
            "在谈项目",
            total=20,
            fixed=15.5,
            landmark="是",
            leader="张副市长",
            unit="南湖区经信局",
            plan="三年达产",
        ),
        row("拟建项目", "拟建", **SIGNED, note="已签约"),
        row("在建项目", "在建", cluster="桐乡市新材料", segment="高性能动力电池材料", **BUILDING),
        row("投产项目", "建成投产", region="嘉善县", **PRODUCING),
        row("暂缓项目", "暂缓", **BUILDING, note="资金未到位"),
        row("终止项目", "终止", note="企业战略调整"),
    ]
    batch_id = upload_ok(client, xlsx(rows), "六个项目.xlsx")
    assert 'id="count-new">6<' in page(client.get(f"/projects/import/{batch_id}"))
    response = commit(client, batch_id)
    assert response.status_code == 302
    assert "导入完成：新增 6 个项目，更新 0 个，跳过 0 个" in page(client.get(response.location))
    talks = project_named(app, "在谈项目")
    assert talks.stage == ProjectStage.TALKS and talks.owner_id == head_id and talks.is_landmark
    assert talks.total_investment == Decimal("20.00") and talks.fixed_asset_investment == Decimal("15.50")
    assert (talks.leader_name, talks.responsible_unit, talks.action_plan) == (
        "张副市长",
        "南湖区经信局",
        "三年达产",
    )
    assert talks.region.name == "南湖区" and stage_history(app, talks.id) == []
    signed = project_named(app, "拟建项目")
    assert signed.stage == ProjectStage.SIGNED and signed.signed_investment == Decimal("12.50")
    assert stage_history(app, signed.id) == [
        ("在谈", "拟建", "已签约（签约日期 2025-03-01；签约投资额（亿元） 12.50）")
    ]
    building = project_named(app, "在建项目")
    assert building.stage == ProjectStage.BUILDING and building.actual_start_on == date(2025, 6, 1)
    assert building.cluster.name == "桐乡市新材料"
    [(old, new, note)] = stage_history(app, building.id)
    assert (old, new) == ("在谈", "在建") and note.startswith("导入：六个项目.xlsx（签约日期 2025-03-01")
    producing = project_named(app, "投产项目")
    assert producing.stage == ProjectStage.PRODUCING and producing.region.name == "嘉善县"
    assert [h[:2] for h in stage_history(app, producing.id)] == [("在谈", "建成投产")]
    paused = project_named(app, "暂缓项目")
    assert paused.stage == ProjectStage.PAUSED and paused.paused_from == ProjectStage.BUILDING
    assert paused.stage_reason == "资金未到位"
    assert [h[:2] for h in stage_history(app, paused.id)] == [("在谈", "在建"), ("在建", "暂缓")]
    stopped = project_named(app, "终止项目")
    assert stopped.stage == ProjectStage.STOPPED and stopped.stage_reason == "企业战略调整"
    assert stage_history(app, stopped.id) == [("在谈", "终止", "企业战略调整")]
    with app.app_context():
        notes = db.session.scalars(sa.select(HistoryEntry.note).where(HistoryEntry.action == "created")).all()
        assert notes == ["导入：六个项目.xlsx"] * 6
        assert db.session.get(ImportBatch, batch_id).status == "committed"
    assert "已于" in page(client.get(f"/projects/import/{batch_id}"))
    assert commit(client, batch_id).status_code == 302 and count_projects(app) == 6


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_a_csv_in_gbk_or_utf8_is_imported(app, auth, client, encoding):
    officer_id = auth.login(role="officer", scope="桐乡市")
    content = csv_bytes(
        [
            row("华友锂电项目", "在建", "浙江华友钴业股份有限公司", "桐乡全球性新材料集群",
                signed_on="2025年3月1日", signed="30", started="2025/6/1", landmark="是"),
            row("巨石复材项目", company="桐乡巨石复材有限公司", cluster="桐乡市新材料", total="1,200.5"),
        ],
        encoding,
    )  # fmt: skip
    batch_id = upload_ok(client, content, "清单.CSV")
    assert commit(client, batch_id).status_code == 302
    huayou = project_named(app, "华友锂电项目")
    assert huayou.stage == ProjectStage.BUILDING and huayou.cluster.name == "桐乡市新材料"
    assert huayou.actual_start_on == date(2025, 6, 1) and huayou.owner_id == officer_id and huayou.is_landmark
    assert project_named(app, "巨石复材项目").total_investment == Decimal("1200.50")


# --- bad rows ---------------------------------------------------------------------------------------


def test_every_kind_of_bad_row_is_listed_with_its_reason_and_nothing_is_written(app, auth, client):
    auth.login(role="head", scope="全市")
    make_user(app, role="officer", scope="嘉善县", username="jiashan.officer")
    rows = [
        row("好项目"),  # row 2: fine
        row("缺开工日期项目", "在建", **SIGNED),
        row("缺全部证明项目", "在建"),
        row("集群不存在项目", cluster="不存在的集群"),
        row("日期错误项目", "拟建", signed_on="2025-13-45", signed=3),
        row("责任人范围外项目", owner="jiashan.officer"),
        row("终止无说明项目", "终止"),
        row("阶段未知项目", "已开工"),
        row("在谈有证明项目", **SIGNED),
        row("未来签约项目", "拟建", signed_on=date(2099, 1, 1), signed=1),
        row("好项目", company="嘉兴某某科技股份有限公司"),  # row 12: same as row 2
        row("金额错误项目", total=-1, landmark="可能"),
        row("地区未知项目", region="火星"),
    ]
    batch_id = upload_ok(client, xlsx(rows))
    html = page(client.get(f"/projects/import/{batch_id}"))
    assert 'id="count-total">13<' in html and 'id="count-new">1<' in html and 'id="count-bad">12<' in html
    assert '<button type="submit" class="btn btn-primary" disabled>' in html
    reasons = bad_rows(client, batch_id)
    assert len(reasons) == 12
    assert reasons["缺开工日期项目"] == "转入“在建”需要：实际开工日期。"
    missing = reasons["缺全部证明项目"]
    assert (
        "转入“拟建”需要：签约日期、签约投资额（亿元）。" in missing
        and "转入“在建”需要：实际开工日期。" in missing
    )
    assert "未知的所属集群“不存在的集群”" in reasons["集群不存在项目"]
    assert "签约日期“2025-13-45”无法识别" in reasons["日期错误项目"]
    assert "不覆盖该条目所在地区" in reasons["责任人范围外项目"]
    assert "阶段为“终止”时须填写阶段说明" in reasons["终止无说明项目"]
    assert "未知的阶段“已开工”" in reasons["阶段未知项目"]
    assert "阶段为“在谈”时不应填写签约日期、签约投资额（亿元）" in reasons["在谈有证明项目"]
    assert "签约日期不能晚于今天" in reasons["未来签约项目"]
    assert reasons["好项目"] == "与第 2 行重复"
    assert (
        "总投资“-1”：不能为负数" in reasons["金额错误项目"]
        and "标志性项目请填写“是”或“否”" in reasons["金额错误项目"]
    )
    assert "未知的落地地区“火星”" in reasons["地区未知项目"]
    response = commit(client, batch_id)
    assert response.status_code == 200 and "有 12 行存在问题，未导入任何数据" in page(response)
    assert batch_state(app, batch_id) == ("preview", 0)


def test_an_unusable_file_gets_a_clear_message_from_the_shared_reader(app, auth, client):
    auth.login(role="officer", scope="全市")
    for content, filename, message in [
        (b"\xd0\xcf\x11\xe0", "a.xls", "另存为” .xlsx"),
        ("项目名称*,项目单位*,所属集群*,阶段*\n".encode("gbk"), "a.csv", "每行填写一个项目"),
        ("项目名称*,所属集群*\na,b\n".encode("gbk"), "a.csv", "缺少必填列：项目单位*、阶段*"),
        (b"x" * (5 * 1024 * 1024 + 1), "a.csv", "文件超过 5 MB 的上限"),
    ]:
        response = upload(client, content, filename)
        assert response.status_code == 200 and message in page(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0


# --- duplicates -------------------------------------------------------------------------------------


def test_duplicates_are_skipped_or_updated_as_chosen(app, auth, client):
    officer_id = auth.login(role="officer", scope="南湖区")
    updated_id = existing_project(
        app, officer_id, "芯片封测项目", "嘉兴芯片（中国）有限公司", leader_name="王"
    )
    kept_id = existing_project(app, officer_id, "晶圆项目", "嘉兴晶圆有限公司", total_investment=Decimal(5))
    jiashan = make_user(app, role="officer", scope="嘉善县")
    other_cluster = existing_project(app, jiashan, "晶圆项目", "嘉兴晶圆有限公司", "嘉善县集成电路")
    content = xlsx(
        [
            row("芯片封测项目", "在建", "嘉兴芯片有限公司", leader="李", total=8),  # no evidence: not moved
            row("晶圆项目", company="嘉兴晶圆有限公司", total=9),
            row("新项目"),
        ]
    )
    batch_id = upload_ok(client, content)
    html = page(client.get(f"/projects/import/{batch_id}"))
    assert 'id="count-duplicates">2<' in html and 'id="count-new">1<' in html
    assert 'name="decision-2" id="decision-2-skip" value="skip" checked' in html
    response = commit(client, batch_id, {2: "update", 3: "skip"})
    assert response.status_code == 302
    assert "新增 1 个项目，更新 1 个，跳过 1 个" in page(client.get(response.location))
    with app.app_context():
        updated = db.session.get(Project, updated_id)
        assert updated.leader_name == "李" and updated.total_investment == Decimal("8.00")
        assert updated.company_name == "嘉兴芯片有限公司" and updated.stage == ProjectStage.TALKS
        assert db.session.get(Project, kept_id).total_investment == Decimal("5.00")
        assert db.session.get(Project, other_cluster).total_investment is None
    assert count_projects(app) == 4


def test_a_duplicate_the_user_may_not_edit_can_only_be_skipped(app, auth, client):
    auth.login(role="officer", scope="南湖区")
    colleague = make_user(app, role="officer", scope="南湖区")
    existing_project(app, colleague, "同事的项目", "某公司")
    batch_id = upload_ok(client, xlsx([row("同事的项目", company="某公司", leader="我")]))
    assert "您无权修改该项目" in page(client.get(f"/projects/import/{batch_id}"))
    response = commit(client, batch_id, {2: "update"})
    assert response.status_code == 200 and "已存在且您无权修改" in page(response)
    assert commit(client, batch_id, {2: "skip"}).status_code == 302


# --- all or nothing ---------------------------------------------------------------------------------


def test_a_commit_refused_after_the_preview_writes_nothing(app, auth, client):
    auth.login(role="head", scope="全市")
    officer = make_user(app, role="officer", scope="南湖区", username="leaving.officer")
    content = xlsx([row("甲项目", "在建", **BUILDING), row("乙项目", owner="leaving.officer")])
    batch_id = upload_ok(client, content)
    assert 'id="count-bad">0<' in page(client.get(f"/projects/import/{batch_id}"))
    with app.app_context():
        db.session.get(User, officer).active = False  # deactivated after the preview
        db.session.commit()
    response = commit(client, batch_id)
    assert response.status_code == 200 and "账号已停用" in page(response)
    assert batch_state(app, batch_id) == ("preview", 0)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(HistoryEntry)) == 0


def test_a_duplicate_found_only_at_the_commit_writes_nothing(app, auth, client):
    officer_id = auth.login(role="officer", scope="南湖区")
    batch_id = upload_ok(client, xlsx([row("先来项目"), row("后到项目", company="抢先公司")]))
    existing_project(app, officer_id, "后到项目", "抢先公司")
    response = commit(client, batch_id)
    assert response.status_code == 200 and "预览之后才发现与已有项目“后到项目”重复" in page(response)
    assert batch_state(app, batch_id) == ("preview", 1)


# --- permissions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "scope"), ACTORS, ids=[f"{r}-{s}" for r, s in ACTORS])
@pytest.mark.parametrize("endpoint", sorted(PROJECT_IMPORT_ROUTES))
def test_project_import_route_allows_exactly_its_roles(app, auth, client, endpoint, role, scope):
    method, template, allowed = PROJECT_IMPORT_ROUTES[endpoint]
    user_id = auth.login(role=role, scope=scope)
    batch_id = make_batch(app, user_id)
    response = client.open(template.format(batch=batch_id), method=method)
    if role in allowed:
        assert response.status_code in (200, 302), f"{role}/{scope} refused {method} {template}"
        assert response.location is None or not response.location.startswith("/login")
    else:
        assert response.status_code == 403, f"{role}/{scope} got {response.status_code}"
        assert batch_state(app, batch_id) == ("preview", 0)


BATCH_ROUTES = sorted(e for e, (_, path, _) in PROJECT_IMPORT_ROUTES.items() if "{batch}" in path)


@pytest.mark.parametrize("endpoint", BATCH_ROUTES)
def test_a_batch_of_another_user_or_kind_is_not_found(app, auth, client, endpoint):
    method, template, _ = PROJECT_IMPORT_ROUTES[endpoint]
    batch_id = make_batch(app, make_user(app, role="officer", scope="南湖区"))
    auth.login(role="head", scope="全市")
    assert client.open(template.format(batch=batch_id), method=method).status_code == 404
    assert batch_state(app, batch_id) == ("preview", 0)
    assert client.open(f"/targets/import/{batch_id}", method="GET").status_code == 404


def test_an_admin_sees_every_batch_but_commits_only_their_own(app, auth, client):
    batch_id = make_batch(app, make_user(app, role="officer", scope="南湖区"))
    auth.login(role="admin", scope="全市")
    html = page(client.get(f"/projects/import/{batch_id}"))
    assert 'id="count-new">1<' in html and "只有上传者" in html
    assert client.post(f"/projects/import/{batch_id}/commit").status_code == 404
    assert batch_state(app, batch_id) == ("preview", 0)
