"""The 招商清单 routes as a matrix: role × scope × whose record (own / colleague's / other region)."""

from datetime import timedelta

import pytest

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.models import TargetCompany
from tests.factories import make_target, make_user, target_state
from tests.routes import ACTORS, RELATIONS, TARGET_RECORD_ROUTES, TARGET_ROUTES, expected


def _post_data(app, endpoint: str, target_id: int, other_owner: int) -> dict:
    with app.app_context():
        t = db.session.get(TargetCompany, target_id)
        today = local_today()
        return {
            "targets.edit#post": {
                "name": "改过的名字有限公司",
                "cluster_id": t.cluster_id,
                "source": t.source.value,
                "priority": "高",
                "country": "中国",
                "version": t.version,
            },
            "targets.add_follow_up": {
                "occurred_on": today.isoformat(),
                "method": "电话",
                "content": "电话沟通投资意向",
                "next_follow_up_on": (today + timedelta(days=3)).isoformat(),
            },
            "targets.set_status": {"status": "已接触", "reason": "", "version": t.version},
            "targets.assign": {"owner_id": other_owner, "note": "工作调整"},
        }.get(endpoint, {})


def _cases():
    for endpoint in TARGET_RECORD_ROUTES:
        for role, scope in ACTORS:
            for relation in RELATIONS:
                if relation == "own" and role not in ("officer", "head"):
                    continue  # only officers and heads can own items
                yield pytest.param(
                    endpoint, role, scope, relation, id=f"{endpoint}-{role}-{scope}-{relation}"
                )


@pytest.mark.parametrize(("endpoint", "role", "scope", "relation"), list(_cases()))
def test_target_record_route_matrix(app, auth, client, endpoint, role, scope, relation):
    method, template, kind = TARGET_RECORD_ROUTES[endpoint]
    actor_id = auth.login(role=role, scope=scope)
    region = "嘉善县" if relation == "outside" else "南湖区"
    colleague = make_user(app, role="officer", scope=region)
    other_owner = make_user(app, role="officer", scope=region)
    target_id = make_target(app, actor_id if relation == "own" else colleague, region=region)
    before = target_state(app, target_id)
    response = client.open(
        template.format(target=target_id),
        method=method,
        data=_post_data(app, endpoint, target_id, other_owner),
    )
    refusal = expected(kind, role, scope, relation)
    if refusal is None:
        assert response.status_code in (200, 302), f"refused: {response.status_code}"
        if method == "POST":
            assert target_state(app, target_id) != before, "an allowed change changed nothing"
    else:
        assert response.status_code == refusal
        assert target_state(app, target_id) == before, "a refused request changed the record"


@pytest.mark.parametrize(("role", "scope"), ACTORS, ids=[f"{r}-{s}" for r, s in ACTORS])
@pytest.mark.parametrize("endpoint", sorted(TARGET_ROUTES))
def test_target_list_routes_allow_exactly_their_roles(app, auth, client, endpoint, role, scope):
    method, template, allowed = TARGET_ROUTES[endpoint]
    auth.login(role=role, scope=scope)
    with app.app_context():
        from tests.factories import cluster_id

        cluster = cluster_id("南湖区微电子")
    response = client.open(template.format(cluster=cluster), method=method)
    if role in allowed:
        assert response.status_code in (200, 302)
        assert not (response.location or "").startswith("/login")
    else:
        assert response.status_code == 403


def test_lists_show_only_records_in_scope(app, auth, client):
    nanhu = make_user(app, role="officer", scope="南湖区")
    jiashan = make_user(app, role="officer", scope="嘉善县")
    make_target(app, nanhu, name="南湖可见电子有限公司")
    make_target(app, jiashan, region="嘉善县", name="嘉善隐藏芯片有限公司")
    auth.login(role="viewer", scope="南湖区")
    html = client.get("/targets/").get_data(as_text=True)
    assert "南湖可见电子" in html and "嘉善隐藏芯片" not in html
    client.post("/logout")
    auth.login(role="head", scope="全市")
    html = client.get("/targets/").get_data(as_text=True)
    assert "南湖可见电子" in html and "嘉善隐藏芯片" in html


def test_bulk_assign_refuses_records_outside_scope_and_changes_nothing(app, auth, client):
    auth.login(role="head", scope="南湖区")
    jiashan = make_user(app, role="officer", scope="嘉善县")
    nanhu = make_user(app, role="officer", scope="南湖区")
    outside = make_target(app, jiashan, region="嘉善县")
    before = target_state(app, outside)
    response = client.post("/targets/bulk-assign", data={"ids": [outside], "owner_id": nanhu, "note": "调整"})
    assert response.status_code == 404
    assert target_state(app, outside) == before


def test_viewers_do_not_see_contact_details(app, auth, client):
    owner = make_user(app, role="officer", scope="南湖区")
    target_id = make_target(app, owner, contact_name="王经理", contact_phone="13900000000")
    auth.login(role="viewer", scope="南湖区")
    html = client.get(f"/targets/{target_id}").get_data(as_text=True)
    assert "13900000000" not in html and "王经理" not in html
    client.post("/logout")
    auth.login(role="head", scope="南湖区")
    assert "13900000000" in client.get(f"/targets/{target_id}").get_data(as_text=True)
