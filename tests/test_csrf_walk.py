"""Every POST route refuses a form without its CSRF token, or with another session's (issue 14, point 7).

A second app on the suite's database has CSRF protection on (WTF_CSRF_ENABLED=True, as in production;
the suite's own app has it off so tests can post forms). An admin, who may use every POST route, signs
in to it and posts a plausible form to every POST rule of the URL map — for every record the route
walk builds — once without a token and once with a token that belongs to another session. Each must
answer 400 with the Chinese CSRF message and change no table. Routes are read from app.url_map, so a
new route is covered the day it is added, and a view or blueprint exempted with csrf.exempt fails.
"""

import pytest

from crm.core.timeutil import local_today
from crm.extensions import db
from tests.factories import PASSWORD, build_app, cluster_id, csrf_token_of, digest
from tests.test_route_walk import SKIPPED, build_world, url_variants

CSRF_MESSAGE = "页面已过期或表单校验失败，请刷新页面后重新提交。"


@pytest.fixture
def csrf_app(app, database_url):
    strict = build_app(database_url, csrf=True)
    yield strict
    with strict.app_context():
        db.engine.dispose()


def plausible_form(app, username: str) -> dict[str, str]:
    """Fields a form of this app might carry, filled with values that would pass (were the token there)."""
    with app.app_context():
        today, cluster = local_today(), cluster_id("南湖区微电子")
    return {
        "username": username,
        "password": PASSWORD,
        "name": "跨站请求测试企业有限公司",
        "company_name": "跨站请求测试有限公司",
        "cluster_id": str(cluster),
        "source": "展会",
        "priority": "高",
        "country": "中国",
        "status": "已接触",
        "to": "拟建",
        "signed_on": today.isoformat(),
        "signed_investment": "8.00",
        "note": "跨站请求",
        "reason": "跨站请求",
        "version": "1",
        "method": "走访",
        "content": "跨站请求",
        "occurred_on": today.isoformat(),
        "next_follow_up_on": today.isoformat(),
        "category": "用地",
        "description": "跨站请求",
        "responsible_unit": "市自然资源和规划局",
        "raised_on": today.isoformat(),
        "title": "跨站请求节点",
        "due_on": today.isoformat(),
        "text": "跨站请求督办",
        "instruction": "跨站请求督办",
        "role": "officer",
        "scope": "全市",
        "limit_days": "3",
        "escalation_days": "2",
    }


def test_every_post_route_refuses_a_missing_or_foreign_csrf_token_and_changes_nothing(app, csrf_app):
    world = build_world(csrf_app, "admin", "全市")
    admin = world.actor
    client, stranger = csrf_app.test_client(), csrf_app.test_client()
    login = {"username": admin.username, "password": PASSWORD, "csrf_token": csrf_token_of(client)}
    assert client.post("/login", data=login).status_code == 302
    foreign = csrf_token_of(stranger)  # a valid token, of another session
    form = plausible_form(csrf_app, admin.username)
    with csrf_app.app_context():
        before = digest()
    failures, posts = [], 0
    for rule in sorted(csrf_app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED or "POST" not in rule.methods:
            continue
        for name, url, _ in url_variants(rule, world):
            for token in (None, foreign):
                data = form | ({"csrf_token": token} if token else {})
                response = client.post(url, data=data)
                posts += 1
                where = f"POST {url} [{rule.endpoint}, {name}, {'foreign' if token else 'no'} token]"
                if response.status_code != 400 or CSRF_MESSAGE not in response.get_data(as_text=True):
                    failures.append(f"{where}: answered {response.status_code}")
                with csrf_app.app_context():
                    after = digest()
                changed = sorted(t for t in after if after[t] != before[t])
                if changed:
                    failures.append(f"{where}: changed {changed}")
                    before = after
    post_rules = [
        r for r in csrf_app.url_map.iter_rules() if "POST" in r.methods and r.endpoint not in SKIPPED
    ]
    assert len(post_rules) >= 25 and posts >= 2 * len(post_rules)
    assert client.get("/").status_code == 200  # still signed in: the refused logout changed nothing either
    assert not failures, f"{len(failures)} of {posts} posts:\n" + "\n".join(failures)
