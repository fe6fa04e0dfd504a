"""Project classification (issue 15, point 2): the form saves every field, the history says each change
in Chinese, a past week rebuilds the old values, and 转为项目 takes what the company's data says."""

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from crm.extensions import db
from crm.models import CapitalType, HistoryEntry, InvestorOrigin, Project, ProjectType, Sector
from crm.reports.asof import snapshot
from tests.factories import city_scope, make_project, make_target, page_form

CLASSIFIED = {
    "capital_type": "中外合资",
    "investor_origin": "境外",
    "project_type": "增资扩产",
    "sector": "服务业",
    "tags": ["世界500强", "浙商回归"],
    "total_investment_usd": "15000",
    "foreign_capital": "800.5",
    "registered_capital": "5000",
}


def _edit(client, project_id: int, **changes):
    form = page_form(client.get(f"/projects/{project_id}/edit").get_data(as_text=True))
    form.pop("tags", None)  # the page's ticked boxes; the test says which it ticks
    return client.post(f"/projects/{project_id}/edit", data={**form, **changes})


def _project(app, project_id: int) -> Project:
    with app.app_context():
        project = db.session.get(Project, project_id)
        db.session.expunge(project)
        return project


def test_the_form_saves_every_classification_field_and_the_history_says_it_in_chinese(app, auth, client):
    head = auth.login(role="head", scope="全市")
    project_id = make_project(app, head)
    response = _edit(client, project_id, **CLASSIFIED)
    assert response.status_code == 302
    p = _project(app, project_id)
    assert (p.capital_type, p.investor_origin, p.project_type, p.sector) == (
        CapitalType.JOINT,
        InvestorOrigin.OVERSEAS,
        ProjectType.EXPANSION,
        Sector.SERVICES,
    )
    assert p.tags == ["世界500强", "浙商回归"]
    assert (p.total_investment_usd, p.foreign_capital, p.registered_capital) == (
        Decimal("15000.00"),
        Decimal("800.50"),
        Decimal("5000.00"),
    )
    html = client.get(f"/projects/{project_id}").get_data(as_text=True)
    for line in (
        "修改 内外资：（空） → 中外合资",
        "修改 投资方来源：（空） → 境外",
        "修改 项目类型：（空） → 增资扩产",
        "修改 行业：（空） → 服务业",
        "修改 项目标签：（空） → 世界500强、浙商回归",
        "修改 总投资（万美元）：（空） → 15000.00",
        "修改 合同外资（万美元）：（空） → 800.50",
        "修改 注册资本（万元）：（空） → 5000.00",
    ):
        assert line in html, line
    assert "合同外资" in client.get(f"/projects/{project_id}/edit").get_data(as_text=True)


def test_unticking_every_tag_and_emptying_a_classification_clears_them(app, auth, client):
    head = auth.login(role="head", scope="全市")
    project_id = make_project(app, head, tags=["上市公司", "央企/国企"], sector="制造业")
    assert _edit(client, project_id, sector="").status_code == 302  # no tag ticked: none stays
    p = _project(app, project_id)
    assert (p.tags, p.sector) == ([], None)
    html = client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert "修改 项目标签：上市公司、央企/国企 → （空）" in html
    assert "修改 行业：制造业 → （空）" in html


def test_an_unknown_classification_or_tag_is_refused_in_chinese_and_changes_nothing(app, auth, client):
    head = auth.login(role="head", scope="全市")
    project_id = make_project(app, head)
    for bad in ({"capital_type": "外星资本"}, {"tags": ["世界500强", "独角兽"]}, {"sector": "农业"}):
        response = _edit(client, project_id, **bad)
        assert response.status_code in (200, 422)
        html = response.get_data(as_text=True)
        assert "未知的" in html or "不是有效的选择" in html, bad
        p = _project(app, project_id)
        assert (p.capital_type, p.sector, p.tags, p.version) == (None, None, [], 1)


def test_a_past_moment_rebuilds_the_classification_it_had(app, auth, client):
    head = auth.login(role="head", scope="全市")
    project_id = make_project(app, head, capital_type="内资", tags=["专精特新"])
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.max(HistoryEntry.created_at)))
    moment = max(before, datetime.now(UTC))
    assert _edit(client, project_id, **CLASSIFIED).status_code == 302
    with app.app_context():
        then = snapshot("project", moment, city_scope()).items[project_id]
        now = snapshot("project", datetime.now(UTC), city_scope()).items[project_id]
    assert (then.capital_type, then.investor_origin, then.project_type, then.sector) == (
        CapitalType.DOMESTIC,
        None,
        None,
        None,
    )
    assert then.tags == ["专精特新"]
    assert (then.total_investment_usd, then.foreign_capital, then.registered_capital) == (None, None, None)
    assert (now.capital_type, now.tags, now.total_investment_usd) == (
        CapitalType.JOINT,
        ["世界500强", "浙商回归"],
        Decimal("15000.00"),
    )


def _convert(client, target_id: int) -> Project:
    form = page_form(client.get(f"/targets/{target_id}/convert").get_data(as_text=True))
    response = client.post(f"/targets/{target_id}/convert", data=form)
    assert response.status_code == 302
    project_id = int(response.location.rstrip("/").split("/")[-1])
    with client.application.app_context():
        project = db.session.get(Project, project_id)
        db.session.expunge(project)
        return project


def test_conversion_takes_the_matching_honours_and_a_foreign_country(app, auth, client):
    head = auth.login(role="head", scope="全市")
    target_id = make_target(app, head, honours=["世界500强", "行业前10", "专精特新"], country="德国")
    page = client.get(f"/targets/{target_id}/convert").get_data(as_text=True)
    assert "项目标签 世界500强、专精特新" in page and "外资，投资方来源 境外（国家/地区：德国）" in page
    project = _convert(client, target_id)
    assert project.tags == ["世界500强", "专精特新"]  # 行业前10 is no project tag
    assert (project.capital_type, project.investor_origin) == (CapitalType.FOREIGN, InvestorOrigin.OVERSEAS)
    assert (project.project_type, project.sector) == (None, None)  # the company's data doesn't say


def test_a_chinese_company_without_honours_sets_nothing(app, auth, client):
    head = auth.login(role="head", scope="全市")
    target_id = make_target(app, head, honours=["上市公司"])
    project = _convert(client, target_id)
    assert project.tags == ["上市公司"]
    assert (project.capital_type, project.investor_origin) == (None, None)
    plain = _convert(client, make_target(app, head))
    assert (plain.tags, plain.capital_type, plain.investor_origin) == ([], None, None)
