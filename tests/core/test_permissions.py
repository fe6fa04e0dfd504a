"""The permission mechanism, walked as a route × role × scope matrix."""

import pytest
import sqlalchemy as sa

from crm.auth.throttle import LOCK
from crm.core.notifications import notify
from crm.core.permissions import RULES, can, in_scope, scope_clause
from crm.extensions import db
from crm.models import Cluster, LoginLock, LoginSession, Region, User, utcnow
from tests.factories import make_user
from tests.routes import ACTORS, MATRICES, PUBLIC, ROUTES


def test_every_route_is_in_a_matrix(app):
    covered = {endpoint.split("#")[0] for matrix in MATRICES for endpoint in matrix}
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - PUBLIC == covered, "a route without a row in a permission matrix: add it"


def test_every_view_declares_its_permission(app):
    for endpoint, view in app.view_functions.items():
        if endpoint in {"static", "bootstrap.static"}:
            continue
        declared = getattr(view, "public", False) or getattr(view, "permission", None) in RULES
        assert declared, f"{endpoint} has neither @require(...) nor @public"


def _snapshot(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        sessions = db.session.scalars(sa.select(LoginSession.ended_at).where(LoginSession.user_id == user_id))
        locks = db.session.scalars(sa.select(LoginLock.lifted_at).where(LoginLock.username == user.username))
        return (user.active, user.password_hash, user.role, user.region_id, list(sessions), list(locks))


@pytest.mark.parametrize(("role", "scope"), ACTORS, ids=[f"{r}-{s}" for r, s in ACTORS])
@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_route_allows_exactly_its_roles(app, auth, client, endpoint, role, scope):
    method, template, allowed = ROUTES[endpoint]
    actor_id = auth.login(role=role, scope=scope)
    target_id = make_user(app, role="officer", scope="嘉善县")
    with app.app_context():
        cluster_id = db.session.scalar(sa.select(Cluster.id).where(Cluster.name == "嘉善县集成电路"))
        note = notify(db.session.get(User, actor_id), "test", "测试消息")
        target = db.session.get(User, target_id)
        lock = LoginLock(username=target.username, ip="10.0.0.9", failures=5, locked_until=utcnow() + LOCK)
        live = LoginSession(user_id=target_id, token_hash="0" * 64, ip="10.0.0.9")
        db.session.add_all([lock, live])
        db.session.commit()
        note_id, lock_id, session_id = note.id, lock.id, live.id
    before = _snapshot(app, target_id)
    path = template.format(
        cluster=cluster_id, user=target_id, notification=note_id, lock=lock_id, session=session_id
    )
    response = client.open(path, method=method)
    if role in allowed:
        assert response.status_code in (200, 302), f"{role}/{scope} refused {method} {path}"
        if endpoint != "auth.logout":
            assert response.location is None or not response.location.startswith("/login")
    else:
        assert response.status_code == 403, f"{role}/{scope} got {response.status_code} on {path}"
        assert _snapshot(app, target_id) == before, "a refused request changed data"


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_anonymous_users_are_sent_to_login(client, endpoint):
    method, template, _ = ROUTES[endpoint]
    response = client.open(
        template.format(cluster=1, user=1, notification=1, lock=1, session=1), method=method
    )
    if method == "GET":
        assert response.status_code == 302 and response.location.startswith("/login")
    else:
        assert response.status_code == 401


def test_missing_records_are_404_not_errors(auth, client):
    auth.login(role="admin")
    assert client.get("/clusters/999999").status_code == 404
    assert client.get("/admin/users/999999/edit").status_code == 404
    assert client.post("/admin/users/999999/active").status_code == 404


def test_scope_helpers(app):
    with app.app_context():
        nanhu = db.session.scalar(sa.select(Region).where(Region.name == "南湖区"))
        jiashan = db.session.scalar(sa.select(Region).where(Region.name == "嘉善县"))
        city = User(username="c", role="head", region_id=None, active=True)
        local = User(username="n", role="head", region_id=nanhu.id, active=True)
        assert in_scope(city, jiashan.id) and in_scope(city, None)
        assert in_scope(local, nanhu.id)
        assert not in_scope(local, jiashan.id)
        visible = db.session.scalars(
            sa.select(Cluster.name).where(scope_clause(local, Cluster.region_id))
        ).all()
        assert set(visible) == {"南湖区微电子"}
        assert (
            len(db.session.scalars(sa.select(Cluster).where(scope_clause(city, Cluster.region_id))).all())
            == 12
        )


def test_inactive_or_anonymous_users_can_do_nothing(app):
    from flask_login import AnonymousUserMixin

    assert not can(AnonymousUserMixin(), "cluster.view")
    assert not can(User(username="x", role="admin", active=False), "admin.users")


def test_an_unknown_action_is_a_programming_error():
    from crm.core.permissions import require

    with pytest.raises(KeyError):
        require("no.such.action")
