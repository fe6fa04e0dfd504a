"""The weekly summary's page, exports, 督办 instructions, archive and export-weekly command."""

import hashlib
import io

import docx
import openpyxl
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import HistoryEntry, Region, ReportArchive, SupervisionNote, TargetCompany, User
from tests.factories import PASSWORD, Story, make_user
from tests.routes import ROLE_ACTORS, WEEKLY_ALLOWED, WEEKLY_ROUTES


@pytest.fixture
def story(app):
    return Story(app)


def login(client, app, user_id):
    with app.app_context():
        name = db.session.get(User, user_id).username
    assert client.post("/login", data={"username": name, "password": PASSWORD}).status_code == 302


def city_archive(app, story) -> int:
    with app.app_context():
        record = ReportArchive(
            week="2026-W46",
            scope_key="city",
            scope_label="嘉兴市",
            region_id=None,
            fmt="xlsx",
            filename="周调度_嘉兴市_2026-W46.xlsx",
            content=b"PK..",
            size=4,
            sha256="0" * 64,
            created_by_id=story.head,
        )
        db.session.add(record)
        db.session.commit()
        return record.id


@pytest.mark.parametrize(("role", "scope"), ROLE_ACTORS, ids=[f"{r}-{s}" for r, s in ROLE_ACTORS])
@pytest.mark.parametrize("endpoint", sorted(WEEKLY_ROUTES))
def test_weekly_routes_allow_exactly_their_roles(app, auth, client, story, endpoint, role, scope):
    archive_id = city_archive(app, story)
    auth.login(role=role, scope=scope)
    method, template = WEEKLY_ROUTES[endpoint]
    path = template.format(target=story.ids["t1"], archive=archive_id)
    response = client.open(
        path, method=method, data={"week": "2026-W46", "text": "本周内完成走访", "format": "xlsx"}
    )
    allowed = (role, scope) in WEEKLY_ALLOWED.get(endpoint, {(r, s) for r, s in ROLE_ACTORS})
    if allowed:
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:300]
    else:
        assert response.status_code in (403, 404)
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(SupervisionNote)) == 0
            assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportArchive)) == 1


def test_the_page_shows_the_weeks_sections(app, client, story):
    login(client, app, story.head)
    page = client.get("/reports/weekly?week=2026-W46").get_data(as_text=True)
    assert "嘉兴市先进制造业集群招商工作周调度（2026年第46周）" in page
    assert "2026-11-09至2026-11-15" in page and "数据截至本周日 24:00" in page
    for heading in (
        "一、概况",
        "二、本周进展",
        "三、标志性项目一对一",
        "四、通报（红灯 0 项，黄灯 2 项）",
        "五、要素保障",
        "六、下周安排",
    ):
        assert heading in page
    assert "南湖丙材料有限公司" in page and "甲芯晶圆项目" in page and "甲芯晶圆二期项目" not in page
    assert "&#61;嘉兴甲芯科技有限公司" in page or "=嘉兴甲芯科技有限公司" in page


def test_bad_weeks_and_scopes_are_refused_in_chinese(app, client, story):
    login(client, app, make_user(app, "head", "南湖区"))
    assert "无法识别的周次" in client.get("/reports/weekly?week=2026-48").get_data(as_text=True)
    assert client.get("/reports/weekly?week=2027-W20").status_code == 400
    with app.app_context():
        jiashan = db.session.scalar(sa.select(Region.id).where(Region.name == "嘉善县"))
    refused = client.get(f"/reports/weekly?week=2026-W46&region={jiashan}")
    assert refused.status_code == 403 and "无权查看“嘉善县”的报表" in refused.get_data(as_text=True)
    own = client.get("/reports/weekly?week=2026-W46").get_data(as_text=True)
    assert "南湖区先进制造业集群招商工作周调度" in own and "嘉善乙微电子有限公司" not in own


def xlsx_rows(content: bytes, title: str) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content))[title]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_exports_carry_the_same_numbers_and_later_changes_leave_them_unchanged(app, client, story):
    login(client, app, story.head)
    url = "/reports/weekly/export?week=2026-W46&format="
    first = {fmt: client.get(url + fmt).data for fmt in ("xlsx", "docx", "html")}
    warnings = xlsx_rows(first["xlsx"], "通报")
    assert [row[2] for row in warnings[1:]] == ["=嘉兴甲芯科技有限公司", "甲芯晶圆项目"]
    assert openpyxl.load_workbook(io.BytesIO(first["xlsx"]))["通报"]["C2"].data_type == "s"
    brief = docx.Document(io.BytesIO(first["docx"]))
    assert "嘉兴市先进制造业集群招商工作周调度（2026年第46周）" in brief.paragraphs[0].text
    cells = [cell.text for table in brief.tables for row in table.rows for cell in row.cells]
    assert "南湖丙材料有限公司" in cells and "甲芯晶圆二期项目" not in cells
    assert "甲芯晶圆项目" in first["html"].decode() and "<script" not in first["html"].decode()
    # Much later: the company is renamed and followed up again; W46 stays as it was.
    with app.app_context():
        target = db.session.get(TargetCompany, story.ids["t1"])
        db.session.add(
            HistoryEntry(
                entity_type="target",
                entity_id=target.id,
                action="updated",
                field="name",
                old_value=target.name,
                new_value="嘉兴甲芯（新）",
                actor_id=story.head,
            )
        )
        target.name = "嘉兴甲芯（新）"
        db.session.commit()
    again = {fmt: client.get(url + fmt).data for fmt in ("xlsx", "docx", "html")}
    assert again == first


def test_a_head_adds_a_supervision_instruction_that_the_summary_keeps(app, client, story):
    login(client, app, story.head)
    target = story.ids["t1"]
    response = client.post(
        f"/reports/weekly/instructions/target/{target}",
        data={"week": "2026-W46", "text": "  下周一前完成回访  "},
    )
    assert response.status_code == 302 and response.location.endswith(f"#item-target-{target}")
    page = client.get("/reports/weekly?week=2026-W46").get_data(as_text=True)
    assert "下周一前完成回访" in page
    rows = xlsx_rows(client.get("/reports/weekly/export?week=2026-W46&format=xlsx").data, "通报")
    assert rows[1][-1] == "下周一前完成回访"
    assert "下周一前完成回访" not in client.get("/reports/weekly?week=2026-W45").get_data(as_text=True)
    client.post(f"/reports/weekly/instructions/target/{target}", data={"week": "2026-W46", "text": ""})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SupervisionNote)) == 0
        changes = db.session.scalars(
            sa.select(HistoryEntry).where(HistoryEntry.field == "supervision").order_by(HistoryEntry.id)
        ).all()
        assert [(c.old_value, c.new_value, c.note) for c in changes] == [
            (None, "下周一前完成回访", "2026-W46"),
            ("下周一前完成回访", None, "2026-W46"),
        ]
    too_long = client.post(
        f"/reports/weekly/instructions/target/{target}",
        data={"week": "2026-W46", "text": "督" * 201},
        follow_redirects=True,
    )
    assert "督办意见不能超过 200 个字" in too_long.get_data(as_text=True)


def test_an_archived_export_downloads_as_it_was_saved(app, client, story):
    login(client, app, story.head)
    saved = client.post("/reports/weekly/archive?week=2026-W46", data={"format": "docx"})
    assert saved.status_code == 302
    listing = client.get("/reports/archive").get_data(as_text=True)
    assert "周调度_嘉兴市_2026-W46.docx" in listing and "孙局长" in listing
    with app.app_context():
        record = db.session.scalar(sa.select(ReportArchive))
        assert (record.week, record.scope_key, record.fmt, record.region_id) == (
            "2026-W46",
            "city",
            "docx",
            None,
        )
        assert record.sha256 == hashlib.sha256(record.content).hexdigest()
        record_id, content = record.id, record.content
    download = client.get(f"/reports/archive/{record_id}")
    assert download.data == content and "attachment" in download.headers["Content-Disposition"]
    client.post("/logout")
    login(client, app, make_user(app, "head", "南湖区"))
    assert client.get(f"/reports/archive/{record_id}").status_code == 404
    assert "周调度_嘉兴市" not in client.get("/reports/archive").get_data(as_text=True)


def test_export_weekly_writes_the_same_file_as_the_page(app, client, runner, story, tmp_path):
    login(client, app, story.head)
    for fmt in ("xlsx", "docx", "html"):
        out = tmp_path / f"w46.{fmt}"
        result = runner.invoke(args=["export-weekly", "--week", "2026-W46", "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes() == client.get(f"/reports/weekly/export?week=2026-W46&format={fmt}").data
    out = tmp_path / "nanhu.xlsx"
    result = runner.invoke(
        args=["export-weekly", "--week", "2026-W46", "--region", "南湖区", "--format", "xlsx", "-o", str(out)]
    )
    assert result.exit_code == 0 and "南湖区先进制造业集群招商工作周调度" in result.output
    assert "嘉善乙微电子有限公司" not in str(xlsx_rows(out.read_bytes(), "下周安排"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-48"], "无法识别的周次"),
        (["--week", "2026-W46", "--region", "上海市"], "未知的地区“上海市”"),
        (
            ["--week", "2026-W46", "--region", "南湖区", "--cluster", "嘉善县集成电路"],
            "地区和集群只能选择其一",
        ),
        (["--week", "2030-W01"], "尚未开始"),
    ],
)
def test_export_weekly_refuses_bad_input_in_chinese(runner, tmp_path, args, message):
    out = tmp_path / "x.xlsx"
    result = runner.invoke(args=["export-weekly", *args, "--format", "xlsx", "-o", str(out)])
    assert result.exit_code != 0 and message in result.output
    assert not out.exists()


def test_the_files_hold_exactly_the_fortnights_numbers(app, client, story):
    login(client, app, story.head)
    url = "/reports/weekly/export?week=2026-W46&format="
    overview = {row[0].strip("　"): row[1] for row in xlsx_rows(client.get(url + "xlsx").data, "概况")[5:]}
    assert overview["招商企业（在库）"] == 3 and overview["在建项目总投资"] == 10.1
    assert (overview["本周新增招商企业"], overview["本周开工"], overview["黄灯"], overview["红灯"]) == (
        1,
        1,
        2,
        0,
    )
    progress = xlsx_rows(client.get(url + "xlsx").data, "本周进展")
    assert [row[:2] for row in progress[1:]] == [
        ("新增招商企业", "南湖丙材料有限公司"),
        ("开工", "甲芯晶圆项目"),
    ]
    brief = docx.Document(io.BytesIO(client.get(url + "docx").data))
    tables = {table.rows[0].cells[0].text: table for table in brief.tables}
    warning_rows = [[cell.text for cell in row.cells] for row in tables["预警"].rows[1:]]
    assert [(r[0], r[2], r[3], r[5], r[6]) for r in warning_rows] == [
        ("黄灯", "=嘉兴甲芯科技有限公司", "跟进逾期", "1", "王专员"),
        ("黄灯", "甲芯晶圆项目", "跟进逾期", "0", "王专员"),
    ]
    landmark = [cell.text for cell in tables["项目"].rows[1].cells]
    assert landmark[:4] == ["甲芯晶圆项目", "在建", "张副市长", "王专员"] and "对接规划" in landmark
