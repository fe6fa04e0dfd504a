"""The 项目清单 table, stage board and export: permissions, scope, filters, totals and query counts."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.models import Project, User
from crm.projects.queries import ProjectFilters, board_data
from tests.factories import add_problem, cluster_id, count_statements, jiaxing_today, make_project, make_user
from tests.routes import ACTORS, PROJECT_LIST_ROUTES


def _html(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("role", "scope"), ACTORS, ids=[f"{r}-{s}" for r, s in ACTORS])
@pytest.mark.parametrize("endpoint", sorted(PROJECT_LIST_ROUTES))
def test_project_list_routes_allow_exactly_their_roles(app, auth, client, endpoint, role, scope):
    method, path, allowed = PROJECT_LIST_ROUTES[endpoint]
    nanhu = make_user(app, role="officer", scope="南湖区")
    add_problem(app, make_project(app, nanhu, stage="在建", is_landmark=True))
    auth.login(role=role, scope=scope)
    response = client.open(path, method=method)
    if role in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("endpoint", sorted(PROJECT_LIST_ROUTES))
def test_anonymous_users_are_sent_to_login(client, endpoint):
    method, path, _ = PROJECT_LIST_ROUTES[endpoint]
    response = client.open(path, method=method)
    assert response.status_code == 302 and response.location.startswith("/login")


def _export_names(client, path="/projects/export.xlsx") -> list[str]:
    response = client.get(path)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_a_region_user_never_sees_projects_of_another_region(app, auth, client):
    nanhu = make_user(app, role="officer", scope="南湖区")
    jiashan = make_user(app, role="officer", scope="嘉善县")
    for stage in ("在谈", "在建"):
        add_problem(
            app, make_project(app, nanhu, stage=stage, name=f"南湖可见{stage}项目"), unit="南湖区发改局"
        )
        add_problem(
            app,
            make_project(app, jiashan, region="嘉善县", stage=stage, name=f"嘉善隐藏{stage}项目"),
            unit="嘉善县经信局",
        )
    auth.login(role="viewer", scope="南湖区")
    for path in ("/projects/", "/projects/board", "/projects/problems", "/projects/?q=嘉善"):
        html = _html(client, path)
        assert "嘉善隐藏" not in html and "嘉善县经信局" not in html
    assert "南湖可见在建项目" in _html(client, "/projects/board")
    assert "南湖区发改局" in _html(client, "/projects/problems")
    names = _export_names(client)
    assert sorted(names) == ["南湖可见在建项目", "南湖可见在谈项目"]
    client.post("/logout")
    auth.login(role="head", scope="全市")
    assert len(_export_names(client)) == 4
    assert "嘉善隐藏在建项目" in _html(client, "/projects/board")


def test_table_filters_narrow_the_list(app, auth, client):
    today = jiaxing_today(app)
    nanhu = make_user(app, role="officer", scope="南湖区", display_name="张专员")
    other = make_user(app, role="officer", scope="南湖区", display_name="李专员")
    jiashan = make_user(app, role="officer", scope="嘉善县")
    make_project(app, nanhu, name="晶圆封测标志项目", is_landmark=True, company_name="甲芯片有限公司")
    make_project(app, other, name="逾期跟进项目", next_follow_up_on=today - timedelta(days=3))
    make_project(app, nanhu, stage="在建", name="已开工厂房项目")
    elsewhere = make_project(app, jiashan, region="嘉善县", name="嘉善集成电路项目")
    # A closed project whose date passed is not overdue.
    make_project(app, other, stage="建成投产", name="已投产项目", next_follow_up_on=today - timedelta(days=9))
    auth.login(role="head", scope="全市")
    with app.app_context():
        jiashan_cluster = cluster_id("嘉善县集成电路")
        jiashan_region = db.session.get(Project, elsewhere).region_id

    every = {"晶圆封测标志项目", "逾期跟进项目", "已开工厂房项目", "嘉善集成电路项目", "已投产项目"}

    def names(query: str) -> set[str]:
        html = _html(client, "/projects/?" + query)
        return {n for n in every if n in html}

    assert names("q=晶圆") == {"晶圆封测标志项目"}
    assert names("q=甲芯片") == {"晶圆封测标志项目"}  # the company's name finds it too
    assert names("landmark=1") == {"晶圆封测标志项目"}
    assert names("overdue=1") == {"逾期跟进项目"}
    assert names("stage=在建") == {"已开工厂房项目"}
    assert names(f"owner={other}") == {"逾期跟进项目", "已投产项目"}
    assert names(f"cluster={jiashan_cluster}") == {"嘉善集成电路项目"}
    assert names(f"region={jiashan_region}") == {"嘉善集成电路项目"}
    assert names("stage=不存在&sort=bogus") == every  # unknown values are ignored, not errors


def test_table_sorts_by_investment_and_name(app, auth, client):
    owner = make_user(app, role="officer", scope="南湖区")
    make_project(app, owner, name="乙项目", total_investment=Decimal("1.00"))
    make_project(app, owner, name="甲项目", total_investment=Decimal("30.00"))
    make_project(app, owner, name="丙项目", total_investment=None)
    auth.login(role="viewer", scope="全市")
    html = _html(client, "/projects/?sort=investment")
    assert html.index("甲项目") < html.index("乙项目") < html.index("丙项目")  # largest first, blanks last
    assert "30.00" in html
    html = _html(client, "/projects/?sort=signed_on")
    assert "甲项目" in html and "乙项目" in html


def test_empty_list_offers_new_project_only_to_those_who_may_create(app, auth, client):
    auth.login(role="officer", scope="南湖区")
    html = _html(client, "/projects/")
    assert "项目清单还是空的" in html and 'href="/projects/new"' in html
    client.post("/logout")
    auth.login(role="viewer", scope="南湖区")
    html = _html(client, "/projects/")
    assert "项目清单还是空的" in html and 'href="/projects/new"' not in html


def test_board_totals_are_exact_decimals(app, auth, client):
    owner = make_user(app, role="officer", scope="南湖区")
    make_project(app, owner, total_investment=Decimal("1.10"))
    make_project(app, owner, total_investment=Decimal("2.25"))
    make_project(app, owner, total_investment=None)
    make_project(app, owner, stage="暂缓", total_investment=Decimal("0.01"))
    with app.app_context():
        board = board_data(db.session.get(User, owner), ProjectFilters(), local_today())
        talks = board.columns[0]
        assert (talks.stage.value, talks.count, talks.total) == ("在谈", 3, Decimal("3.35"))
        assert isinstance(talks.total, Decimal)
        assert board.columns[1].total == Decimal("0.00") and board.columns[1].count == 0
        assert [(c.stage.value, c.count, c.total) for c in board.collapsed] == [
            ("暂缓", 1, Decimal("0.01")),
            ("终止", 0, Decimal("0.00")),
        ]
    auth.login(role="viewer", scope="南湖区")
    html = _html(client, "/projects/board")
    assert "3.35" in html
    assert "/projects/?stage=%E6%9A%82%E7%BC%93" in html  # 暂缓 links to the table filtered by stage


def test_board_cards_put_landmarks_first_and_page_each_column(app, auth, client):
    today = jiaxing_today(app)
    owner = make_user(app, role="officer", scope="南湖区")
    for i in range(23):
        make_project(app, owner, name=f"普通项目{i:02d}", next_follow_up_on=today + timedelta(days=i + 1))
    make_project(
        app, owner, name="标志性晚跟进项目", is_landmark=True, next_follow_up_on=today + timedelta(days=99)
    )
    make_project(app, owner, stage="在建", name="在建项目甲")
    auth.login(role="head", scope="南湖区")
    html = _html(client, "/projects/board")
    assert html.index("标志性晚跟进项目") < html.index("普通项目00") < html.index("普通项目18")
    assert "普通项目19" not in html  # 20 cards per column
    assert "第 1–20 个，共 24 个" in html and "在建项目甲" in html
    assert "col=%E5%9C%A8%E8%B0%88&amp;page=2" in html  # 加载更多 for 在谈
    html = _html(client, "/projects/board?col=在谈&page=2")
    assert "普通项目19" in html and "普通项目22" in html and "普通项目18" not in html
    assert "第 21–24 个，共 24 个" in html
    assert "在建项目甲" in html  # other columns stay at their first page


def test_board_offers_the_evidence_form_only_to_those_who_may_move(app, auth, client):
    owner = make_user(app, role="officer", scope="南湖区")
    mine = make_project(app, owner, stage="拟建")
    auth_id = auth.login(role="officer", scope="南湖区")
    own = make_project(app, auth_id)
    html = _html(client, "/projects/board")
    assert f"/projects/{own}/stage?to=%E6%8B%9F%E5%BB%BA" in html  # 推进 → 拟建, through the form
    assert f"/projects/{mine}/stage" not in html  # a colleague's project
    client.post("/logout")
    auth.login(role="viewer", scope="全市")
    assert "/stage?to=" not in _html(client, "/projects/board")
    client.post("/logout")
    auth.login(role="head", scope="南湖区")
    assert f"/projects/{mine}/stage?to=%E5%9C%A8%E5%BB%BA" in _html(client, "/projects/board")


def _populate(app, owners: list[int], count: int) -> None:
    stages = ["在谈", "拟建", "在建", "建成投产", "暂缓", "终止"]
    today = jiaxing_today(app)
    for i in range(count):
        project = make_project(
            app,
            owners[i % len(owners)],
            stage=stages[i % len(stages)],
            is_landmark=i % 5 == 0,
            next_follow_up_on=today + timedelta(days=i % 7 - 3),
        )
        add_problem(app, project, unit=f"责任单位{i % 4}")


@pytest.mark.parametrize("path", ["/projects/board", "/projects/", "/projects/problems"])
def test_statement_count_does_not_grow_with_the_projects(app, auth, client, path):
    owners = [make_user(app, role="officer", scope="南湖区") for _ in range(4)]
    auth.login(role="head", scope="全市")
    _populate(app, owners, 3)
    few = count_statements(app, client, path)
    _populate(app, owners, 57)
    many = count_statements(app, client, path)
    assert few == many, f"{path}: {few} statements with 3 projects, {many} with 60"


def test_export_is_filtered_and_neutralises_formulas(app, auth, client):
    owner = make_user(app, role="officer", scope="南湖区", display_name="王专员")
    make_project(
        app,
        owner,
        stage="拟建",
        name='=HYPERLINK("http://x")项目',
        total_investment=Decimal("12.34"),
        leader_name="陈副市长",
        responsible_unit="南湖区经信局",
        is_landmark=True,
    )
    make_project(app, owner, name="未签约项目")
    auth.login(role="viewer", scope="南湖区")
    response = client.get("/projects/export.xlsx?stage=拟建")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["项目名称", "项目单位", "所属集群", "产业链环节", "落地地区", "阶段"]
    assert {"联系领导", "责任人", "责任单位", "工作方案", "签约日期", "实际开工日期"} <= set(header)
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 1
    cells = dict(zip(header, rows[0], strict=True))
    assert cells["项目名称"].value == '=HYPERLINK("http://x")项目'
    assert all(c.data_type != "f" for c in rows[0])
    assert Decimal(str(cells["总投资（亿元）"].value)) == Decimal("12.34")  # a number, not text
    assert cells["总投资（亿元）"].number_format == "#,##0.00"
    assert cells["签约投资额（亿元）"].value == 8  # the factory signs for 8.00 亿元
    assert (cells["阶段"].value, cells["标志性项目"].value) == ("拟建", "是")
    assert (cells["联系领导"].value, cells["责任人"].value) == ("陈副市长", "王专员")
    assert cells["签约日期"].number_format == "yyyy-mm-dd"
