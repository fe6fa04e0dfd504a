"""招商看板 (/reports/dashboard): figures per stage, this year/month, clusters, warnings, problems and
the 12-week trend, each limited to the chosen scope; its SVG charts; its permissions and cost."""

import html as html_lib
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.models import HistoryEntry, Project, Region, TargetCompany
from crm.reports.charts import Bar, Series, bar_chart, column_chart, fit, lengths, text_width
from crm.reports.dashboard import Figure, breakdown, events
from crm.reports.dashboard_tables import trend_weeks
from crm.reports.scope import ReportScope
from tests.factories import (
    add_problem,
    cluster_id,
    count_statements,
    make_project,
    make_target,
    make_user,
    warned_project,
    warned_target,
)
from tests.routes import ACTORS, DASHBOARD_ROUTES

SHANGHAI = ZoneInfo("Asia/Shanghai")
PATH = "/reports/dashboard"


# --- helpers -----------------------------------------------------------------------------------------


def _html(client, path: str = PATH) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _table(html: str, table_id: str) -> dict[str, list[str]]:
    """{row header text: [cell texts]} of one table of the page."""
    table = html[html.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    rows = {}
    for label, cells in re.findall(r'<th scope="row"[^>]*>(.*?)</th>(.*?)</tr>', table, re.S):
        rows[_text(label)] = [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]
    return rows


def _links(html: str, table_id: str, label: str) -> list[str]:
    table = html[html.index(f'id="{table_id}"') :]
    row = table[table.index(f">{label}</th>") :]
    row = row[: row.index("</tr>")]
    return [unquote(html_lib.unescape(href)) for href in re.findall(r'href="([^"]+)"', row)]


def _region_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Region.id).where(Region.name == name))


def _cluster(app, name: str) -> int:
    with app.app_context():
        return cluster_id(name)


def _update(app, model, item_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(sa.update(model).where(model.id == item_id).values(**values))
        db.session.commit()


def _today(app) -> date:
    with app.app_context():
        return local_today()


@pytest.fixture
def officers(app):
    return {
        "南湖区": make_user(app, role="officer", scope="南湖区", display_name="南湖专员"),
        "嘉善县": make_user(app, role="officer", scope="嘉善县", display_name="嘉善专员"),
    }


# --- 1 projects by stage, targets by status --------------------------------------------------------


def test_projects_by_stage_count_and_sum_exact_amounts(app, auth, client, officers):
    nanhu = officers["南湖区"]
    make_project(app, nanhu, total_investment=Decimal("10.10"))
    make_project(app, nanhu, total_investment=Decimal("20.25"))
    make_project(app, nanhu, stage="拟建", total_investment=Decimal("0.01"))
    make_project(app, nanhu, stage="在建", total_investment=None)  # no amount: counted, adds nothing
    make_project(app, officers["嘉善县"], "嘉善县", stage="建成投产", total_investment=Decimal("1234.56"))
    auth.login(role="head", scope="全市")
    html = _html(client)
    assert _table(html, "stages") == {
        "在谈": ["2", "30.35"],
        "拟建": ["1", "0.01"],
        "在建": ["1", "0.00"],
        "建成投产": ["1", "1,234.56"],
        "暂缓": ["0", "0.00"],
        "终止": ["0", "0.00"],
        "合计": ["5", "1,264.92"],
    }
    assert "2 个 · 30.35 亿元" in html  # the chart's label beside the 在谈 bar
    assert _links(html, "stages", "在谈") == ["/projects/?stage=在谈"]


def test_breakdown_sums_are_decimals(app, officers):
    make_project(app, officers["南湖区"], total_investment=Decimal("10.10"))
    make_project(app, officers["南湖区"], total_investment=Decimal("20.25"))
    with app.app_context():
        stages = dict(breakdown(Project, ReportScope(None)).rows)
    assert stages["在谈"] == Figure(2, Decimal("30.35"))
    assert isinstance(stages["在谈"].amount, Decimal) and isinstance(stages["终止"].amount, Decimal)


def test_targets_by_status(app, auth, client, officers):
    nanhu = officers["南湖区"]
    make_target(app, nanhu, intended_investment=Decimal("1.25"))
    make_target(app, nanhu, intended_investment=Decimal("2.50"))
    contacted = make_target(app, nanhu, intended_investment=None)
    _update(app, TargetCompany, contacted, status="已接触")
    auth.login(role="viewer", scope="全市")
    rows = _table(_html(client), "statuses")
    assert rows["待接触"] == ["2", "3.75"]
    assert rows["已接触"] == ["1", "0.00"]
    assert rows["已放弃"] == ["0", "0.00"]
    assert rows["合计"] == ["3", "3.75"]


def test_city_readers_see_projects_per_region(app, auth, client, officers):
    make_project(app, officers["南湖区"], stage="在建", total_investment=Decimal("3.30"))
    make_project(app, officers["嘉善县"], "嘉善县", total_investment=Decimal("1.00"))
    auth.login(role="head", scope="全市")
    rows = _table(_html(client), "regions")
    assert len(rows) == 9  # every region, zeros included
    assert rows["南湖区"] == ["0", "0", "1", "0", "0", "0", "1", "3.30"]
    assert rows["嘉善县"] == ["1", "0", "0", "0", "0", "0", "1", "1.00"]
    assert rows["秀洲区"][-2:] == ["0", "0.00"]


# --- 2 this year and this month --------------------------------------------------------------------


def test_events_count_by_evidence_dates_in_year_and_month(app, officers):
    today = date(2026, 5, 15)
    owner = officers["南湖区"]
    this_month = make_project(app, owner, stage="建成投产", total_investment=Decimal("1.11"))
    this_year = make_project(app, owner, stage="在建", total_investment=Decimal("2.22"))
    last_year = make_project(app, owner, stage="拟建", total_investment=Decimal("4.44"))
    other_region = make_project(
        app, officers["嘉善县"], "嘉善县", stage="拟建", total_investment=Decimal("8.88")
    )
    may, feb, old = date(2026, 5, 1), date(2026, 2, 10), date(2025, 12, 31)
    _update(app, Project, this_month, signed_on=may, actual_start_on=may, actual_completion_on=may)
    _update(app, Project, this_year, signed_on=old, actual_start_on=feb)
    _update(app, Project, last_year, signed_on=old)
    _update(app, Project, other_region, signed_on=may)
    nanhu = _region_id(app, "南湖区")
    with app.app_context():
        rows = {row.label: row for row in events(ReportScope(nanhu, nanhu), today)}
        city = {row.label: row for row in events(ReportScope(None), today)}
    assert rows["签约"].year == rows["签约"].month == Figure(1, Decimal("1.11"))
    assert rows["开工"].year == Figure(2, Decimal("3.33"))
    assert rows["开工"].month == Figure(1, Decimal("1.11"))
    assert rows["竣工投产"].year == rows["竣工投产"].month == Figure(1, Decimal("1.11"))
    assert city["签约"].month == Figure(2, Decimal("9.99"))


def test_events_table_on_the_page_uses_todays_year_and_month(app, auth, client, officers):
    today = _today(app)
    first = today.replace(day=1)
    january = date(today.year, 1, 1)
    signed = make_project(app, officers["南湖区"], stage="拟建", total_investment=Decimal("10.10"))
    earlier = make_project(app, officers["南湖区"], stage="拟建", total_investment=Decimal("20.25"))
    _update(app, Project, signed, signed_on=first)
    _update(app, Project, earlier, signed_on=january)
    auth.login(role="head", scope="南湖区")
    rows = _table(_html(client), "events")
    month = ["2", "30.35"] if today.month == 1 else ["1", "10.10"]
    assert rows["签约"] == ["2", "30.35", *month]
    assert rows["开工"] == ["0", "0.00", "0", "0.00"]


# --- 3 clusters' progress toward 2025 -------------------------------------------------------------


def test_cluster_progress_rows_use_the_annex_figures(app, auth, client, officers):
    make_project(app, officers["南湖区"], total_investment=Decimal("7.50"))
    make_target(app, officers["南湖区"])
    auth.login(role="head", scope="全市")
    html = _html(client)
    rows = _table(html, "clusters")
    assert rows["南湖区微电子"] == ["南湖区", "40.00", "100.00", "150.00", "26.7%", "1", "7.50", "1"]
    assert rows["嘉善县集成电路"][4:] == ["56.2%", "0", "0.00", "0"]
    assert len(rows) == 12
    assert "26.7%</text>" in html  # its bar in the progress chart


def test_a_region_scope_shows_its_own_clusters(app, auth, client, officers):
    auth.login(role="viewer", scope="南湖区")
    assert list(_table(_html(client), "clusters")) == ["南湖区微电子"]


# --- 4 red and yellow by officer and region -------------------------------------------------------


@pytest.fixture
def warned(app, officers):
    nanhu, jiashan = officers["南湖区"], officers["嘉善县"]
    warned_target(app, nanhu, "南湖红灯企业一", "red")
    warned_target(app, nanhu, "南湖红灯企业二", "red")
    warned_target(app, nanhu, "南湖正常企业", None)
    warned_project(app, nanhu, "南湖红灯项目", "red")
    warned_project(app, nanhu, "南湖黄灯项目", "yellow")
    warned_target(app, jiashan, "嘉善红灯企业", "red", region="嘉善县")
    warned_project(app, jiashan, "嘉善黄灯项目一", "yellow", region="嘉善县")
    warned_project(app, jiashan, "嘉善黄灯项目二", "yellow", region="嘉善县")
    warned_project(app, jiashan, "嘉善已投产项目", None, region="嘉善县", stage="建成投产")


def test_warnings_by_officer_most_red_first_and_by_region(app, auth, client, warned):
    auth.login(role="head", scope="全市")
    html = _html(client)
    officers = _table(html, "warnings-officers")
    assert list(officers) == ["南湖专员", "嘉善专员"]  # 3 red before 1 red
    assert officers["南湖专员"] == ["2", "0", "1", "1"]
    assert officers["嘉善专员"] == ["1", "0", "0", "2"]
    regions = _table(html, "warnings-regions")
    assert regions["南湖区"] == ["2", "0", "1", "1"]
    assert regions["嘉善县"] == ["1", "0", "0", "2"]
    assert regions["桐乡市"] == ["0", "0", "0", "0"]
    assert re.search(r"红灯（企业 \+ 项目）</div>\s*<div[^>]*>4 个</div>", html)  # the summary card


def test_warning_counts_link_to_exactly_the_counted_items(app, auth, client, officers, warned):
    auth.login(role="head", scope="全市")
    html = _html(client)
    target_red, project_red, project_yellow = _links(html, "warnings-officers", "南湖专员")  # zeros: no link
    assert target_red == f"/targets/?owner={officers['南湖区']}&warning=red"
    shown = _text(_html(client, target_red))
    assert "南湖红灯企业一" in shown and "南湖红灯企业二" in shown and "南湖正常企业" not in shown
    assert "南湖红灯项目" in _text(_html(client, project_red))
    assert project_yellow == f"/projects/?owner={officers['南湖区']}&warning=yellow"
    target_red, project_yellow = _links(html, "warnings-regions", "嘉善县")
    assert target_red == f"/targets/?region={_region_id(app, '嘉善县')}&warning=red"
    yellow = _text(_html(client, project_yellow))
    assert "嘉善黄灯项目一" in yellow and "嘉善黄灯项目二" in yellow and "南湖黄灯项目" not in yellow


def test_a_region_head_counts_only_their_region(app, auth, client, warned):
    auth.login(role="head", scope="南湖区")
    html = _html(client)
    assert list(_table(html, "warnings-officers")) == ["南湖专员"]
    assert _table(html, "warnings-regions") == {"南湖区": ["2", "0", "1", "1"]}
    nanhu = _region_id(app, "南湖区")
    assert _links(html, "warnings-regions", "南湖区")[0] == f"/targets/?region={nanhu}&warning=red"


# --- 5 open problems by responsible unit -----------------------------------------------------------


def test_open_problems_by_unit_and_category(app, auth, client, officers):
    nanhu = make_project(app, officers["南湖区"], stage="在建")
    jiashan = make_project(app, officers["嘉善县"], "嘉善县", stage="在建")
    add_problem(app, nanhu, "市自然资源和规划局", "用地")
    add_problem(app, nanhu, "市自然资源和规划局", "用地", status="协调中")
    add_problem(app, nanhu, "市自然资源和规划局", "审批")
    add_problem(app, nanhu, "国网嘉兴供电公司", "用电")
    add_problem(app, nanhu, "国网嘉兴供电公司", "用电", status="已解决", resolution="已增容")
    add_problem(app, jiashan, "国网嘉兴供电公司", "用电")
    auth.login(role="head", scope="全市")
    html = _html(client)
    assert _table(html, "problems") == {
        "市自然资源和规划局": ["2", "0", "1", "3"],  # 用地, 用电, 审批, 合计
        "国网嘉兴供电公司": ["0", "2", "0", "2"],
        "合计": ["2", "2", "1", "5"],
    }
    assert _links(html, "problems", "国网嘉兴供电公司") == [
        "/projects/problems?unit=国网嘉兴供电公司&category=用电",
        "/projects/problems?unit=国网嘉兴供电公司",
    ]
    client.post("/logout")
    auth.login(role="viewer", scope="嘉善县")
    assert _table(_html(client), "problems") == {"国网嘉兴供电公司": ["1", "1"], "合计": ["1", "1"]}


def test_problem_counts_in_a_narrower_scope_are_not_links(app, auth, client, officers):
    # The problem list filters by the reader's scope only: it would show more than a region's count.
    add_problem(app, make_project(app, officers["南湖区"]), "市自然资源和规划局", "用地")
    auth.login(role="head", scope="全市")
    html = _html(client, f"{PATH}?region={_region_id(app, '南湖区')}")
    assert _table(html, "problems")["市自然资源和规划局"] == ["1", "1"]
    assert _links(html, "problems", "市自然资源和规划局") == []


# --- 6 the 12-week trend ---------------------------------------------------------------------------


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI).astimezone(UTC)


def _week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def test_trend_weeks_are_the_last_twelve_iso_weeks():
    weeks = trend_weeks(date(2026, 11, 25), SHANGHAI)  # a Wednesday
    assert [w.code for w in (weeks[0], weeks[-1])] == ["2026-W37", "2026-W48"] and len(weeks) == 12
    assert weeks[0].start == datetime(2026, 9, 6, 16, 0, tzinfo=UTC)  # Monday 7 Sep 00:00 in Jiaxing
    assert weeks[-1].end == datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # after Sunday 29 Nov
    assert all(a.end == b.start for a, b in pairwise(weeks))  # no gap, no overlap
    assert trend_weeks(date(2026, 11, 23), SHANGHAI) == weeks  # the Monday itself
    assert trend_weeks(date(2021, 1, 1), SHANGHAI)[-1].code == "2020-W53"  # ISO years, not calendar ones


def test_trend_counts_each_item_in_its_local_week(app, auth, client, officers):
    today = _today(app)
    monday = today - timedelta(days=today.weekday())
    oldest = monday - timedelta(weeks=11)
    owner, other = officers["南湖区"], officers["嘉善县"]

    def target_at(when: datetime, region: str = "南湖区") -> None:
        _update(
            app,
            TargetCompany,
            make_target(app, owner if region == "南湖区" else other, region),
            created_at=when,
        )

    target_at(_local(monday, 0, 30))  # Monday 00:30 in Jiaxing is still Sunday in UTC: this week
    target_at(_local(monday - timedelta(days=1), 23, 59))
    target_at(_local(oldest, 8))
    target_at(_local(oldest - timedelta(days=1), 23))  # the day before the oldest week shown
    target_at(_local(monday, 9), "嘉善县")  # not 南湖
    moved = make_project(app, owner, stage="在建")  # created now; 在谈 → 在建: one stage move now
    _update(app, Project, moved, created_at=_local(monday - timedelta(weeks=3), 10))
    old_move = make_project(app, owner, stage="拟建")
    with app.app_context():
        db.session.execute(
            sa.update(HistoryEntry)
            .where(HistoryEntry.entity_id == old_move, HistoryEntry.action == "stage")
            .values(created_at=_local(monday - timedelta(weeks=2), 15))
        )
        db.session.commit()
    make_project(app, other, "嘉善县", stage="拟建")  # another region's move and project
    auth.login(role="head", scope="南湖区")
    html = _html(client)
    rows = _table(html, "trend")
    assert len(rows) == 13  # 12 weeks and the total
    week = {n: rows[_week_label(monday - timedelta(weeks=n))] for n in range(12)}
    assert week[0][1:] == ["1", "1", "1"]  # this week: a target, the 拟建 project, the 在建 move
    assert week[1][1:] == ["1", "0", "0"]
    assert week[2][1:] == ["0", "0", "1"]
    assert week[3][1:] == ["0", "1", "0"]
    assert week[11][1:] == ["1", "0", "0"]  # the oldest week shown; the day before it is not
    assert week[11][0] == f"{oldest:%m-%d} 至 {oldest + timedelta(days=6):%m-%d}"
    assert rows["合计"] == ["3", "2", "2"]


# --- scope --------------------------------------------------------------------------------------------


def test_a_region_head_sees_only_their_region_and_is_refused_another(app, auth, client, officers):
    make_project(app, officers["南湖区"], total_investment=Decimal("1.00"))
    make_project(app, officers["嘉善县"], "嘉善县", total_investment=Decimal("2.00"))
    auth.login(role="head", scope="南湖区")
    html = _html(client)
    assert '招商看板 · <span id="scope-label">南湖区</span>' in html
    assert _table(html, "stages")["合计"] == ["1", "1.00"]
    assert 'id="regions"' not in html and 'id="scope-region"' not in html  # one region: nothing to pick
    response = client.get(f"{PATH}?region={_region_id(app, '嘉善县')}")
    assert response.status_code == 403
    assert "无权查看“嘉善县”的报表" in response.get_data(as_text=True)
    assert "2.00" not in response.get_data(as_text=True)
    assert client.get(f"{PATH}?region={_region_id(app, '南湖区')}").status_code == 200


def test_a_city_reader_picks_a_region(app, auth, client, officers):
    make_project(app, officers["南湖区"], total_investment=Decimal("1.00"))
    make_project(app, officers["嘉善县"], "嘉善县", total_investment=Decimal("2.00"))
    auth.login(role="viewer", scope="全市")
    jiashan = _region_id(app, "嘉善县")
    html = _html(client, f"{PATH}?region={jiashan}")
    assert _table(html, "stages")["合计"] == ["1", "2.00"]
    assert f'<option value="{jiashan}" selected>嘉善县</option>' in html
    assert _links(html, "stages", "在谈") == [f"/projects/?region={jiashan}&stage=在谈"]


def test_a_cluster_scope_counts_that_cluster_only(app, auth, client, officers):
    nanhu_cluster, jiashan_cluster = _cluster(app, "南湖区微电子"), _cluster(app, "嘉善县集成电路")
    nanhu = _region_id(app, "南湖区")
    make_project(app, officers["南湖区"], total_investment=Decimal("1.00"))
    # a 嘉善 cluster's project landing in 南湖区
    make_project(
        app, officers["南湖区"], cluster_id=jiashan_cluster, region_id=nanhu, total_investment=Decimal("4.00")
    )
    make_project(app, officers["嘉善县"], "嘉善县", total_investment=Decimal("2.00"))
    auth.login(role="head", scope="全市")
    html = _html(client, f"{PATH}?cluster={jiashan_cluster}")
    assert "嘉善县集成电路" in html[html.index('id="scope-label"') :][:80]
    assert _table(html, "stages")["合计"] == ["2", "6.00"]
    assert list(_table(html, "clusters")) == ["嘉善县集成电路"]
    assert list(_table(html, "regions")) == ["南湖区", "嘉善县"]  # only where its projects are
    client.post("/logout")
    auth.login(role="head", scope="南湖区")  # their part of another region's cluster
    html = _html(client, f"{PATH}?cluster={jiashan_cluster}")
    assert "嘉善县集成电路（南湖区部分）" in html
    assert _table(html, "stages")["合计"] == ["1", "4.00"]
    picker = html[html.index('id="scope-cluster"') :].split("</select>")[0]
    options = re.findall(r'<option value="(\d+)"', picker)
    assert options == [str(nanhu_cluster), str(jiashan_cluster)]  # their own and the one landing there


def test_an_unknown_cluster_is_refused(auth, client):
    auth.login(role="head", scope="全市")
    response = client.get(f"{PATH}?cluster=999999")
    assert response.status_code == 403 and "未知的集群" in response.get_data(as_text=True)


def test_an_empty_scope_says_so(auth, client):
    auth.login(role="officer", scope="嘉兴港区")
    html = _html(client)
    assert _table(html, "stages")["合计"] == ["0", "0.00"]
    assert "没有红灯或黄灯的企业和项目" in html and "本范围内没有未解决的问题" in html
    assert _table(html, "trend")["合计"] == ["0", "0", "0"]
    assert "chart-stages" not in html and "chart-trend" not in html  # no empty charts


# --- what names can't do -------------------------------------------------------------------------------


def test_formula_like_and_markup_names_are_shown_as_text(app, auth, client):
    owner = make_user(app, role="officer", scope="南湖区", display_name='=HYPERLINK("http://x","点我")')
    warned_target(app, owner, "红灯企业", "red")
    add_problem(app, make_project(app, owner), "=1+2<script>alert(1)</script>", "用地")
    auth.login(role="head", scope="全市")
    html = _html(client)
    assert "<script>alert(1)" not in html
    assert "=1+2&lt;script&gt;alert(1)&lt;/script&gt;</th>" in html
    assert ">=HYPERLINK(&#34;http://x&#34;,&#34;点我&#34;)</th>" in html
    svg = html[html.index('aria-labelledby="chart-problems-title"') :]
    svg = svg[: svg.index("</svg>")]
    assert "=1+2&lt;script&gt;alert(1)&lt;/script&gt;" in svg and "<script" not in svg


def test_bar_chart_escapes_labels_and_prints_numbers():
    bars = [Bar('<b>"甲"&', Decimal("2.50"), "2 个 · 2.50 亿元"), Bar("乙", 0, "0")]
    svg = str(bar_chart("c", "标题<i>", bars))
    assert "<b>" not in svg and "<i>" not in svg
    assert "&lt;b&gt;&#34;甲&#34;&amp;" in svg and "标题&lt;i&gt;" in svg
    assert "2 个 · 2.50 亿元</text>" in svg and ">0</text>" in svg
    assert svg.startswith("<svg") and svg.count("<rect") == 3  # the pattern's background and two bars


def test_column_chart_labels_every_bar_and_series():
    series = [Series("新增企业", [3, 0]), Series("新增项目", [1, 7])]
    svg = str(column_chart("t", "趋势", ["09-07", "09-14"], series))
    for value in ("3", "0", "1", "7"):
        assert f">{value}</text>" in svg
    assert "新增企业</text>" in svg and "新增项目</text>" in svg and "url(#t-hatch)" in svg


def test_chart_geometry():
    assert lengths([0, 5, 10], 100) == [0, 50, 100]
    assert lengths([0, 0], 100) == [0, 0] and lengths([], 100) == []
    assert lengths([Decimal("150.0"), 50], 200, maximum=100) == [200, 100]  # past the maximum: full length
    assert text_width("南湖ab") == 12 * 2 + 12 * 0.6 * 2
    short = fit("嘉兴经济技术开发区健康食品", 60)
    assert short.endswith("…") and text_width(short) <= 60
    assert fit("南湖", 60) == "南湖"


# --- permissions and cost ------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "scope"), ACTORS, ids=[f"{r}-{s}" for r, s in ACTORS])
@pytest.mark.parametrize("endpoint", sorted(DASHBOARD_ROUTES))
def test_dashboard_routes_allow_exactly_their_roles(auth, client, endpoint, role, scope):
    method, path, allowed = DASHBOARD_ROUTES[endpoint]
    auth.login(role=role, scope=scope)
    response = client.open(path, method=method)
    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("endpoint", sorted(DASHBOARD_ROUTES))
def test_anonymous_users_are_sent_to_login(client, endpoint):
    method, path, _ = DASHBOARD_ROUTES[endpoint]
    response = client.open(path, method=method)
    assert response.status_code == 302 and response.location.startswith("/login")


def test_dashboard_is_in_the_navigation(auth, client):
    auth.login(role="viewer", scope="南湖区")
    assert 'href="/reports/dashboard">报表</a>' in _html(client, "/")


@pytest.mark.parametrize(("scope", "query"), [("全市", ""), ("全市", "?cluster=1"), ("南湖区", "")])
def test_statement_count_does_not_grow_with_the_data(app, auth, client, officers, scope, query):
    auth.login(role="head", scope=scope)
    levels = ["red", "yellow", None]
    stages = ["在谈", "拟建", "在建"]
    owners = list(officers.items())

    def populate(start: int, count: int) -> None:
        for i in range(start, start + count):
            region, owner = owners[i % 2]
            warned_target(app, owner, f"批量企业{i}", levels[i % 3], region=region)
            project_id = warned_project(app, owner, f"批量项目{i}", levels[(i + 1) % 3], region=region)
            _update(app, Project, project_id, stage=stages[i % 3])
            add_problem(app, project_id, f"责任单位{i % 4}", ["用地", "用电"][i % 2])

    populate(0, 3)
    few = count_statements(app, client, PATH + query)
    populate(3, 24)
    many = count_statements(app, client, PATH + query)
    assert few == many, f"{few} statements with 3 items of each kind, {many} with 27"
    assert many <= 34  # 22 before 目标任务进展: its two as-of reads, 到资, rates and targets add 12
