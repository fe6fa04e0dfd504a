"""黄灯/红灯 on the lists (filter, header counts, export) and the 预警总览 page by region and cluster."""

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.models import Region, TargetCompany
from crm.projects.queries import ProjectFilters
from crm.targets.queries import TargetFilters
from tests.factories import (
    cluster_id,
    count_statements,
    make_target,
    make_user,
    warned_project,
    warned_target,
)
from tests.routes import ACTORS, WARNING_ROUTES


@pytest.fixture
def people(app):
    return {
        "南湖区": make_user(app, role="officer", scope="南湖区"),
        "嘉善县": make_user(app, role="officer", scope="嘉善县"),
        "桐乡市": make_user(app, role="officer", scope="桐乡市"),
    }


@pytest.fixture
def items(app, people):
    """Red, yellow and calm targets and projects in three regions, plus closed ones that never count."""
    nanhu, jiashan, tongxiang = people["南湖区"], people["嘉善县"], people["桐乡市"]
    warned_target(app, nanhu, "南湖红灯企业", "red")
    warned_target(app, nanhu, "南湖黄灯企业", "yellow")
    warned_target(app, nanhu, "南湖正常企业", None)
    warned_target(app, jiashan, "嘉善红灯企业", "red", region="嘉善县")
    warned_target(app, tongxiang, "桐乡黄灯企业", "yellow", region="桐乡市")
    warned_target(app, tongxiang, "桐乡另一黄灯企业", "yellow", region="桐乡市")
    abandoned = make_target(app, nanhu, name="南湖已放弃企业")
    with app.app_context():
        db.session.execute(
            sa.update(TargetCompany)
            .where(TargetCompany.id == abandoned)
            .values(
                status="已放弃", abandon_reason="测试", next_follow_up_on=local_today() - timedelta(days=30)
            )
        )
        db.session.commit()
    warned_project(app, nanhu, "南湖红灯项目", "red")
    warned_project(app, nanhu, "南湖黄灯项目", "yellow")
    warned_project(app, nanhu, "南湖正常项目", None)
    warned_project(app, jiashan, "嘉善黄灯项目", "yellow", region="嘉善县")
    warned_project(app, tongxiang, "桐乡红灯项目", "red", region="桐乡市")
    # Closed: a 建成投产 project whose follow-up date passed long ago never counts.
    warned_project(app, nanhu, "南湖已投产项目", None, stage="建成投产")


TARGET_NAMES = {"南湖红灯企业", "南湖黄灯企业", "南湖正常企业", "嘉善红灯企业", "桐乡黄灯企业"}
TARGET_NAMES |= {"桐乡另一黄灯企业", "南湖已放弃企业"}
PROJECT_NAMES = {
    "南湖红灯项目",
    "南湖黄灯项目",
    "南湖正常项目",
    "嘉善黄灯项目",
    "桐乡红灯项目",
    "南湖已投产项目",
}


def _html(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _shown(client, path: str, names: set[str]) -> set[str]:
    html = _html(client, path)
    return {name for name in names if f">{name}</a>" in html}


def _export_names(client, path: str) -> set[str]:
    response = client.get(path)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    return {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}


def _region_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Region.id).where(Region.name == name))


# --- the filter on the lists ---------------------------------------------------------------------


def test_target_list_shows_exactly_the_items_of_the_chosen_level(app, auth, client, items):
    auth.login(role="head", scope="全市")
    assert _shown(client, "/targets/?warning=red", TARGET_NAMES) == {"南湖红灯企业", "嘉善红灯企业"}
    assert _shown(client, "/targets/?warning=yellow", TARGET_NAMES) == {
        "南湖黄灯企业",
        "桐乡黄灯企业",
        "桐乡另一黄灯企业",
    }
    assert _shown(client, "/targets/?warning=any", TARGET_NAMES) == {
        "南湖红灯企业",
        "嘉善红灯企业",
        "南湖黄灯企业",
        "桐乡黄灯企业",
        "桐乡另一黄灯企业",
    }
    assert _shown(client, "/targets/?warning=purple", TARGET_NAMES) == TARGET_NAMES  # ignored
    # combined with the other filters
    nanhu = _region_id(app, "南湖区")
    assert _shown(client, f"/targets/?warning=any&region={nanhu}", TARGET_NAMES) == {
        "南湖红灯企业",
        "南湖黄灯企业",
    }
    assert _shown(client, "/targets/?warning=red&q=嘉善", TARGET_NAMES) == {"嘉善红灯企业"}


def test_project_table_and_board_show_exactly_the_items_of_the_chosen_level(app, auth, client, items):
    auth.login(role="viewer", scope="全市")
    assert _shown(client, "/projects/?warning=red", PROJECT_NAMES) == {"南湖红灯项目", "桐乡红灯项目"}
    assert _shown(client, "/projects/?warning=yellow", PROJECT_NAMES) == {"南湖黄灯项目", "嘉善黄灯项目"}
    assert _shown(client, "/projects/?warning=any", PROJECT_NAMES) == {
        "南湖红灯项目",
        "桐乡红灯项目",
        "南湖黄灯项目",
        "嘉善黄灯项目",
    }
    assert _shown(client, "/projects/?warning=RED", PROJECT_NAMES) == PROJECT_NAMES  # ignored
    assert _shown(client, "/projects/board?warning=red", PROJECT_NAMES) == {"南湖红灯项目", "桐乡红灯项目"}
    assert _shown(client, "/projects/board?warning=yellow", PROJECT_NAMES) == {"南湖黄灯项目", "嘉善黄灯项目"}
    board = _html(client, "/projects/board?warning=red")
    assert '建成投产</span> <span class="ms-1">0 个' in board  # the closed project is not counted


def test_a_region_user_filters_inside_their_region(app, auth, client, items):
    auth.login(role="officer", scope="南湖区")
    assert _shown(client, "/targets/?warning=any", TARGET_NAMES) == {"南湖红灯企业", "南湖黄灯企业"}
    assert _shown(client, "/projects/?warning=red", PROJECT_NAMES) == {"南湖红灯项目"}


def test_cluster_tab_filters_by_level(app, auth, client, items):
    auth.login(role="head", scope="全市")
    with app.app_context():
        tongxiang = cluster_id("桐乡市新材料")
    path = f"/clusters/{tongxiang}/targets?warning=yellow"
    assert _shown(client, path, TARGET_NAMES) == {"桐乡黄灯企业", "桐乡另一黄灯企业"}
    assert _shown(client, f"/clusters/{tongxiang}/targets?warning=red", TARGET_NAMES) == set()
    assert re.search(r'href="/targets/export.xlsx\?cluster=\d+&amp;warning=yellow"', _html(client, path))


def test_exports_honour_the_warning_filter(app, auth, client, items):
    auth.login(role="head", scope="全市")
    assert _export_names(client, "/targets/export.xlsx?warning=red") == {"南湖红灯企业", "嘉善红灯企业"}
    assert _export_names(
        client, "/targets/export.xlsx?warning=any&region=" + str(_region_id(app, "桐乡市"))
    ) == {
        "桐乡黄灯企业",
        "桐乡另一黄灯企业",
    }
    assert _export_names(client, "/projects/export.xlsx?warning=yellow") == {"南湖黄灯项目", "嘉善黄灯项目"}
    assert _export_names(client, "/projects/export.xlsx?warning=nonsense") == PROJECT_NAMES


def test_links_on_the_lists_carry_the_warning_filter(app, auth, client, people):
    for n in range(33):  # more than a page (30)
        warned_target(app, people["南湖区"], f"翻页红灯企业{n:02d}", "red")
    auth.login(role="head", scope="全市")
    html = _html(client, "/targets/?warning=red&sort=name")
    assert "共 33 家企业" in html
    assert "/targets/?warning=red&amp;sort=name&amp;page=2" in html  # pagination keeps the level
    assert 'href="/targets/export.xlsx?warning=red&amp;sort=name"' in html
    assert '<option value="red" selected>红灯</option>' in html
    table = _html(client, "/projects/?warning=yellow")
    assert 'href="/projects/board?warning=yellow"' in table  # table → board keeps the level
    board = _html(client, "/projects/board?warning=yellow")
    assert 'href="/projects/?warning=yellow"' in board  # and back
    assert 'href="/projects/export.xlsx?warning=yellow"' in board


def test_filters_read_and_write_the_warning_level():
    from werkzeug.datastructures import MultiDict

    for filters_class in (TargetFilters, ProjectFilters):
        for value in ("red", "yellow", "any"):
            filters = filters_class.from_args(MultiDict({"warning": value}))
            assert filters.warning == value and filters.as_args() == {"warning": value}
        for value in ("", "黄灯", "Red", "all", "1"):
            assert filters_class.from_args(MultiDict({"warning": value})).warning == ""
    assert TargetFilters.from_args(MultiDict({"region": "3"})).as_args() == {"region": 3}
    assert TargetFilters.from_args(MultiDict({"region": "南湖"})).region is None


def test_target_list_filters_by_region(app, auth, client, people):
    make_target(app, people["南湖区"], "南湖区", name="南湖企业")
    make_target(app, people["嘉善县"], "嘉善县", name="嘉善企业")
    auth.login(role="viewer", scope="全市")
    jiashan = _region_id(app, "嘉善县")
    html = _html(client, f"/targets/?region={jiashan}")
    assert "嘉善企业" in html and "南湖企业" not in html
    assert f'<option value="{jiashan}" selected>嘉善县</option>' in html
    assert _export_names(client, f"/targets/export.xlsx?region={jiashan}") == {"嘉善企业"}
    assert "南湖企业" in _html(client, "/targets/?region=abc")  # not a number: ignored
    client.post("/logout")
    auth.login(role="head", scope="南湖区")
    html = _html(client, f"/targets/?region={jiashan}")  # outside the scope: nothing, not an error
    assert "没有符合筛选条件的企业" in html
    assert 'id="f-region"' not in html  # one region in scope: nothing to choose


# --- counts in the list headers ------------------------------------------------------------------


def _header_counts(html: str) -> tuple[int, int]:
    line = html[html.index('id="level-counts"') :]
    red = re.search(r"红灯 (\d+)</a>", line)
    yellow = re.search(r"黄灯 (\d+)</a>", line)
    return int(red.group(1)), int(yellow.group(1))


def test_list_headers_count_red_and_yellow_under_the_current_filters(app, auth, client, items):
    auth.login(role="head", scope="全市")
    assert _header_counts(_html(client, "/targets/")) == (2, 3)
    assert _header_counts(_html(client, "/projects/")) == (2, 2)
    tongxiang = _region_id(app, "桐乡市")
    assert _header_counts(_html(client, f"/targets/?region={tongxiang}")) == (0, 2)
    assert _header_counts(_html(client, f"/projects/?region={tongxiang}")) == (1, 0)
    assert _header_counts(_html(client, "/projects/?warning=red")) == (2, 0)
    assert _header_counts(_html(client, "/targets/?q=南湖")) == (1, 1)
    html = _html(client, f"/targets/?region={tongxiang}")
    assert f'href="/targets/?region={tongxiang}&amp;warning=yellow">黄灯 2</a>' in html
    client.post("/logout")
    auth.login(role="viewer", scope="南湖区")
    assert _header_counts(_html(client, "/targets/")) == (1, 1)
    assert _header_counts(_html(client, "/projects/")) == (1, 1)


def test_list_header_counts_are_zero_on_an_empty_list(auth, client):
    auth.login(role="officer", scope="南湖区")
    assert _header_counts(_html(client, "/targets/")) == (0, 0)
    assert _header_counts(_html(client, "/projects/")) == (0, 0)


# --- 预警总览 ------------------------------------------------------------------------------------


def _table_rows(html: str, table_id: str) -> dict[str, tuple[int, ...]]:
    """{row label: (企业红灯, 企业黄灯, 项目红灯, 项目黄灯)} of one overview table."""
    table = html[html.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    rows = {}
    for label, cells in re.findall(r'<th scope="row"[^>]*>([^<]+)</th>(.*?)</tr>', table, re.S):
        values = [
            re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        ]
        rows[label] = tuple(int(v) for v in values)
    return rows


def _row_links(html: str, table_id: str, label: str) -> list[str]:
    table = html[html.index(f'id="{table_id}"') :]
    row = table[table.index(f">{label}</th>") :]
    row = row[: row.index("</tr>")]
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', row)]


def test_city_overview_counts_by_region_and_cluster(app, auth, client, items):
    auth.login(role="head", scope="全市")
    html = _html(client, "/warnings")
    regions = _table_rows(html, "by-region")
    assert regions["南湖区"] == (1, 1, 1, 1)
    assert regions["嘉善县"] == (1, 0, 0, 1)
    assert regions["桐乡市"] == (0, 2, 1, 0)
    assert regions["秀洲区"] == (0, 0, 0, 0)  # every region is listed
    assert regions["全市"] == (2, 3, 2, 2)
    assert len(regions) == 10  # nine regions and the total
    clusters = _table_rows(html, "by-cluster")
    assert clusters["南湖区微电子"] == (1, 1, 1, 1)
    assert clusters["嘉善县集成电路"] == (1, 0, 0, 1)
    assert clusters["桐乡市新材料"] == (0, 2, 1, 0)
    assert len(clusters) == 12 and sum(sum(row) for row in clusters.values()) == 9


def test_overview_links_open_the_lists_with_exactly_the_counted_items(app, auth, client, items):
    auth.login(role="head", scope="全市")
    html = _html(client, "/warnings")
    target_yellow, project_red = _row_links(html, "by-region", "桐乡市")  # zeros are not links
    assert target_yellow.startswith("/targets/?") and "warning=yellow" in target_yellow
    assert _shown(client, target_yellow, TARGET_NAMES) == {"桐乡黄灯企业", "桐乡另一黄灯企业"}
    assert project_red.startswith("/projects/?") and "warning=red" in project_red
    assert _shown(client, project_red, PROJECT_NAMES) == {"桐乡红灯项目"}
    links = _row_links(html, "by-region", "全市")
    assert [_shown(client, link, TARGET_NAMES | PROJECT_NAMES) for link in links] == [
        {"南湖红灯企业", "嘉善红灯企业"},
        {"南湖黄灯企业", "桐乡黄灯企业", "桐乡另一黄灯企业"},
        {"南湖红灯项目", "桐乡红灯项目"},
        {"南湖黄灯项目", "嘉善黄灯项目"},
    ]
    links = _row_links(html, "by-cluster", "嘉善县集成电路")
    assert [_shown(client, link, TARGET_NAMES | PROJECT_NAMES) for link in links] == [
        {"嘉善红灯企业"},
        {"嘉善黄灯项目"},
    ]
    assert not _row_links(html, "by-region", "秀洲区")  # a zero is not a link


def test_region_head_sees_only_their_region(app, auth, client, items, people):
    # A 嘉善 cluster's project landing in 南湖区 belongs to 南湖区's overview, under its cluster.
    with app.app_context():
        jiashan_cluster = cluster_id("嘉善县集成电路")
    warned_project(
        app,
        people["南湖区"],
        "落地南湖的嘉善集群项目",
        "red",
        region_id=_region_id(app, "南湖区"),
        cluster_id=jiashan_cluster,
    )
    auth.login(role="head", scope="南湖区")
    html = _html(client, "/warnings")
    assert _table_rows(html, "by-region") == {"南湖区": (1, 1, 2, 1)}  # no total for a single region
    assert _table_rows(html, "by-cluster") == {"南湖区微电子": (1, 1, 1, 1), "嘉善县集成电路": (0, 0, 1, 0)}
    assert "嘉善红灯企业" not in html and "桐乡市" not in html
    links = _row_links(html, "by-cluster", "嘉善县集成电路")
    assert _shown(client, links[0], PROJECT_NAMES | {"落地南湖的嘉善集群项目"}) == {"落地南湖的嘉善集群项目"}


@pytest.mark.parametrize(
    ("role", "scope", "expected"), [("officer", "嘉善县", (1, 0, 0, 1)), ("viewer", "桐乡市", (0, 2, 1, 0))]
)
def test_officers_and_readers_see_their_scope(app, auth, client, items, role, scope, expected):
    auth.login(role=role, scope=scope)
    html = _html(client, "/warnings")
    assert _table_rows(html, "by-region") == {scope: expected}
    clusters = _table_rows(html, "by-cluster")
    assert list(clusters.values()) == [expected]


def test_city_officer_sees_the_whole_city(app, auth, client, items):
    auth.login(role="officer", scope="全市")
    assert _table_rows(_html(client, "/warnings"), "by-region")["全市"] == (2, 3, 2, 2)


def test_overview_without_warnings_says_so(app, auth, client, people):
    warned_target(app, people["南湖区"], "按时跟进企业", None)
    auth.login(role="head", scope="全市")
    html = _html(client, "/warnings")
    assert 'id="no-warnings"' in html and "没有红灯或黄灯" in html
    assert 'id="by-region"' not in html


def test_overview_is_in_the_navigation(auth, client):
    auth.login(role="viewer", scope="南湖区")
    html = _html(client, "/")
    assert 'href="/warnings">预警</a>' in html


@pytest.mark.parametrize("path", ["/warnings", "/targets/?warning=any", "/projects/?warning=red"])
def test_statement_count_does_not_grow_with_the_items(app, auth, client, people, path):
    auth.login(role="head", scope="全市")
    levels = ["red", "yellow", None]
    owners = list(people.items())

    def populate(start: int, count: int) -> None:
        for i in range(start, start + count):
            region, owner = owners[i % 3]
            warned_target(app, owner, f"批量企业{i}", levels[i % 3], region=region)
            warned_project(app, owner, f"批量项目{i}", levels[(i + 1) % 3], region=region)

    populate(0, 3)
    few = count_statements(app, client, path)
    populate(3, 30)
    many = count_statements(app, client, path)
    assert few == many, f"{path}: {few} statements with 6 items, {many} with 66"


# --- permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "scope"), ACTORS, ids=[f"{r}-{s}" for r, s in ACTORS])
@pytest.mark.parametrize("endpoint", sorted(WARNING_ROUTES))
def test_warning_routes_allow_exactly_their_roles(app, auth, client, endpoint, role, scope):
    method, path, allowed = WARNING_ROUTES[endpoint]
    auth.login(role=role, scope=scope)
    response = client.open(path, method=method)
    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("endpoint", sorted(WARNING_ROUTES))
def test_anonymous_users_are_sent_to_login(client, endpoint):
    method, path, _ = WARNING_ROUTES[endpoint]
    response = client.open(path, method=method)
    assert response.status_code == 302 and response.location.startswith("/login")
