"""项目清单 record routes as a matrix: role × scope × whose project (own / colleague's / other region)."""

from datetime import timedelta

import pytest

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.models import Project, TargetCompany
from tests.factories import make_project, make_target, make_user, project_state, target_state
from tests.routes import ACTORS, PROJECT_RECORD_ROUTES, PROJECT_ROUTES, RELATIONS, expected


def _data(app, endpoint, project_id, target_id, other_owner):
    with app.app_context():
        p = db.session.get(Project, project_id)
        t = db.session.get(TargetCompany, target_id)
        day = local_today()
        return {
            "projects.edit#post": {"name": "改名项目", "company_name": "某公司", "cluster_id": p.cluster_id,
                                   "version": p.version},
            "projects.move_stage#post": {"to": "暂缓", "note": "等待环评", "version": p.version},
            "projects.add_follow_up": {"occurred_on": day.isoformat(), "method": "电话", "content": "沟通",
                                       "next_follow_up_on": (day + timedelta(days=2)).isoformat()},
            "projects.assign": {"owner_id": other_owner, "note": "调整"},
            "projects.add_project_milestone": {"title": "取得施工许可", "due_on": "2027-01-15"},
            "targets.convert#post": {"name": "转来的项目", "version": t.version},
        }.get(endpoint, {})  # fmt: skip


def _cases():
    for endpoint in PROJECT_RECORD_ROUTES:
        for role, scope in ACTORS:
            for relation in RELATIONS:
                if relation == "own" and role not in ("officer", "head"):
                    continue
                yield pytest.param(
                    endpoint, role, scope, relation, id=f"{endpoint}-{role}-{scope}-{relation}"
                )


@pytest.mark.parametrize(("endpoint", "role", "scope", "relation"), list(_cases()))
def test_project_record_route_matrix(app, auth, client, endpoint, role, scope, relation):
    method, template, kind = PROJECT_RECORD_ROUTES[endpoint]
    actor = auth.login(role=role, scope=scope)
    region = "嘉善县" if relation == "outside" else "南湖区"
    colleague = make_user(app, role="officer", scope=region)
    other_owner = make_user(app, role="officer", scope=region)
    owner = actor if relation == "own" else colleague
    project_id = make_project(app, owner, region=region)
    target_id = make_target(app, owner, region=region)
    with app.app_context():
        from crm.projects.services import add_milestone

        project = db.session.get(Project, project_id)
        milestone = add_milestone(project, "完成设计", local_today(), project.owner)
        db.session.commit()
        milestone_id = milestone.id
    before = (project_state(app, project_id), target_state(app, target_id))
    path = template.format(project=project_id, target=target_id, milestone=milestone_id)
    response = client.open(path, method=method, data=_data(app, endpoint, project_id, target_id, other_owner))
    refusal = expected(kind, role, scope, relation)
    if refusal is None:
        assert response.status_code in (200, 302), f"refused: {response.status_code}"
        if method == "POST":
            after = (project_state(app, project_id), target_state(app, target_id))
            assert after != before, "an allowed change changed nothing"
    else:
        assert response.status_code == refusal
        assert (project_state(app, project_id), target_state(app, target_id)) == before


@pytest.mark.parametrize(("role", "scope"), ACTORS, ids=[f"{r}-{s}" for r, s in ACTORS])
@pytest.mark.parametrize("endpoint", sorted(PROJECT_ROUTES))
def test_project_routes_allow_exactly_their_roles(app, auth, client, endpoint, role, scope):
    method, path, allowed = PROJECT_ROUTES[endpoint]
    auth.login(role=role, scope=scope)
    response = client.open(path, method=method)
    assert response.status_code in ((200, 302) if role in allowed else (403,))


def test_bulk_reassignment_of_projects_is_all_or_nothing(app, auth, client):
    auth.login(role="head", scope="全市")
    nanhu = make_user(app, role="officer", scope="南湖区")
    jiashan = make_user(app, role="officer", scope="嘉善县")
    new_owner = make_user(app, role="officer", scope="南湖区")
    ids = [make_project(app, nanhu), make_project(app, nanhu), make_project(app, jiashan, region="嘉善县")]
    data = {"ids": ids, "owner_id": new_owner, "note": "分工调整"}
    html = client.post("/projects/bulk-assign", data=data, follow_redirects=True).get_data(as_text=True)
    assert "未改派任何项目" in html
    assert [project_state(app, i)[2] for i in ids] == [nanhu, nanhu, jiashan]
    data["ids"] = ids[:2]
    html = client.post("/projects/bulk-assign", data=data, follow_redirects=True).get_data(as_text=True)
    assert "已将 2 个项目改派给" in html
    assert [project_state(app, i)[2] for i in ids] == [new_owner, new_owner, jiashan]
