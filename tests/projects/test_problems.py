"""要素保障: raising problems on projects, moving them along, and the city-wide problem list."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Problem, ProblemStatus
from tests.factories import add_problem, jiaxing_today, make_project, make_user
from tests.routes import ACTORS, PROBLEM_RECORD_ROUTES, RELATIONS, expected


def problem_state(app, project_id: int) -> tuple:
    """What a refused request must not change: the project's problems and its history."""
    with app.app_context():
        problems = db.session.execute(
            sa.select(Problem.id, Problem.status, Problem.resolution)
            .where(Problem.project_id == project_id)
            .order_by(Problem.id)
        ).all()
        history = db.session.scalar(
            sa.text("SELECT count(*) FROM history_entry WHERE entity_type = 'project' AND entity_id = :i"),
            {"i": project_id},
        )
        return (tuple(problems), history)


def _post_data(app, endpoint: str) -> dict:
    return {
        "projects.raise_problem": {
            "category": "用电",
            "description": "新增变压器容量需协调",
            "responsible_unit": "国网嘉兴供电公司",
            "raised_on": jiaxing_today(app).isoformat(),
        },
        "projects.move_problem": {"status": "协调中", "resolution": ""},
    }[endpoint]


def _cases():
    for endpoint in PROBLEM_RECORD_ROUTES:
        for role, scope in ACTORS:
            for relation in RELATIONS:
                if relation == "own" and role not in ("officer", "head"):
                    continue  # only officers and heads can own items
                yield pytest.param(
                    endpoint, role, scope, relation, id=f"{endpoint}-{role}-{scope}-{relation}"
                )


@pytest.mark.parametrize(("endpoint", "role", "scope", "relation"), list(_cases()))
def test_problem_record_route_matrix(app, auth, client, endpoint, role, scope, relation):
    method, template, kind = PROBLEM_RECORD_ROUTES[endpoint]
    actor_id = auth.login(role=role, scope=scope)
    region = "嘉善县" if relation == "outside" else "南湖区"
    colleague = make_user(app, role="officer", scope=region)
    project_id = make_project(app, actor_id if relation == "own" else colleague, region=region)
    problem_id = add_problem(app, project_id)
    before = problem_state(app, project_id)
    response = client.open(
        template.format(project=project_id, problem=problem_id), method=method, data=_post_data(app, endpoint)
    )
    refusal = expected(kind, role, scope, relation)
    if refusal is None:
        assert response.status_code == 302, f"refused: {response.status_code}"
        assert response.location == f"/projects/{project_id}#problems"
        assert problem_state(app, project_id) != before, "an allowed change changed nothing"
    else:
        assert response.status_code == refusal
        assert problem_state(app, project_id) == before, "a refused request changed the record"


def test_missing_problem_or_project_is_404(auth, client):
    auth.login(role="admin")
    assert client.post("/projects/999999/problems", data={}).status_code == 404
    assert client.post("/projects/problems/999999/status", data={}).status_code == 404


def _flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def test_officer_raises_a_problem_and_moves_it_to_resolved(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = make_project(app, officer, stage="在建")
    today = jiaxing_today(app)
    response = client.post(
        f"/projects/{project_id}/problems",
        data={
            "category": "用地",
            "description": "二期用地指标待落实",
            "responsible_unit": "市自然资源和规划局",
            "raised_on": today.isoformat(),
        },
    )
    assert response.status_code == 302 and response.location == f"/projects/{project_id}#problems"
    assert ("success", "问题已提交。") in _flashes(client)
    with app.app_context():
        problem = db.session.scalar(sa.select(Problem).where(Problem.project_id == project_id))
        problem_id = problem.id
        assert (problem.category.value, problem.status, problem.raised_by_id) == (
            "用地",
            ProblemStatus.OPEN,
            officer,
        )

    def status() -> tuple:
        with app.app_context():
            p = db.session.get(Problem, problem_id)
            return (p.status.value, p.resolution, p.resolved_on)

    path = f"/projects/problems/{problem_id}/status"
    assert client.post(path, data={"status": "协调中"}).status_code == 302
    assert status() == ("协调中", None, None)
    client.post(path, data={"status": "已解决", "resolution": "  "})
    assert status() == ("协调中", None, None), "resolving without a resolution must change nothing"
    assert any("须填写解决情况" in message for _, message in _flashes(client))
    client.post(path, data={"status": "已解决", "resolution": "市局已调剂用地指标 50 亩"})
    assert status() == ("已解决", "市局已调剂用地指标 50 亩", today)
    with app.app_context():
        notes = db.session.scalars(
            sa.text(
                "SELECT new_value FROM history_entry WHERE entity_type = 'project' AND entity_id = :i "
                "AND field = 'problem_status' ORDER BY id"
            ),
            {"i": project_id},
        ).all()
    assert notes == ["协调中", "已解决"]


def test_invalid_problem_is_refused_with_chinese_messages_and_nothing_saved(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = make_project(app, officer)
    before = problem_state(app, project_id)
    tomorrow = jiaxing_today(app) + timedelta(days=1)
    response = client.post(
        f"/projects/{project_id}/problems",
        data={"category": "用地", "description": "", "responsible_unit": "", "raised_on": ""},
    )
    assert response.status_code == 302 and response.location == f"/projects/{project_id}#problems"
    message = " ".join(m for _, m in _flashes(client))
    assert "请描述需要协调的问题。" in message and "请填写责任单位。" in message
    client.post(
        f"/projects/{project_id}/problems",
        data={
            "category": "用地",
            "description": "x",
            "responsible_unit": "y",
            "raised_on": tomorrow.isoformat(),
        },
    )
    assert "提出日期须为今天或以前的日期。" in " ".join(m for _, m in _flashes(client))
    assert problem_state(app, project_id) == before


def test_status_form_returns_to_the_list_it_came_from_but_never_off_site(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    problem_id = add_problem(app, make_project(app, officer))
    path = f"/projects/problems/{problem_id}/status"
    response = client.post(path, data={"status": "协调中", "back": "/projects/problems?unit=x"})
    assert response.location == "/projects/problems?unit=x"
    response = client.post(path, data={"status": "待协调", "back": "//evil.example/"})
    assert response.location.startswith("/projects/") and "evil" not in response.location


def test_problem_list_filters_by_status_unit_category_and_text(app, auth, client):
    owner = make_user(app, role="officer", scope="南湖区")
    project_id = make_project(app, owner, name="智能装备产业园项目")
    add_problem(app, project_id, unit="市自然资源和规划局", category="用地", description="甲问题-用地报批")
    add_problem(app, project_id, unit="国网嘉兴供电公司", category="用电", description="乙问题-专线接入")
    add_problem(
        app, project_id, unit="市自然资源和规划局", category="审批", description="丙问题-规划许可",
        status=ProblemStatus.IN_PROGRESS,
    )  # fmt: skip
    add_problem(
        app, project_id, unit="市发改委", category="用能", description="丁问题-能评",
        status=ProblemStatus.RESOLVED, resolution="已通过能评", resolved_on=jiaxing_today(app),
    )  # fmt: skip
    auth.login(role="viewer", scope="南湖区")

    def shown(query: str = "") -> set[str]:
        html = client.get("/projects/problems?" + query).get_data(as_text=True)
        return {n for n in ("甲问题", "乙问题", "丙问题", "丁问题") if n in html}

    assert shown() == {"甲问题", "乙问题", "丙问题"}  # open ones by default
    assert shown("status=全部") == {"甲问题", "乙问题", "丙问题", "丁问题"}
    assert shown("status=已解决") == {"丁问题"}
    assert shown("unit=市自然资源和规划局") == {"甲问题", "丙问题"}
    assert shown("unit=市自然资源和规划局&category=审批") == {"丙问题"}
    assert shown("category=用电") == {"乙问题"}
    assert shown("q=专线") == {"乙问题"}
    assert shown("q=智能装备") == {"甲问题", "乙问题", "丙问题"}
    html = client.get("/projects/problems").get_data(as_text=True)
    assert "智能装备产业园项目" in html and f"/projects/{project_id}#problems" in html
    assert 'value="市发改委"' in html  # every unit in scope is offered, resolved ones too
    assert "/status" not in html  # a read-only viewer gets no status forms


def test_problem_list_shows_days_open_and_forms_for_those_who_may_move(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    colleague = make_user(app, role="officer", scope="南湖区")
    mine = add_problem(app, make_project(app, officer), raised_on=jiaxing_today(app) - timedelta(days=12))
    theirs = add_problem(app, make_project(app, colleague))
    html = client.get("/projects/problems").get_data(as_text=True)
    assert f"/projects/problems/{mine}/status" in html
    assert f"/projects/problems/{theirs}/status" not in html
    assert '<td class="figure-cell">12</td>' in html
