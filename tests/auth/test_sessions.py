"""Sessions: idle timeout, absolute lifetime, a fresh session at login, revocation, cookies, CSRF."""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.models import AuditEvent, FollowUp, TargetCompany, TargetStatus, User
from crm.security import LOGIN_AT, SEEN_AT
from tests.factories import PASSWORD, build_app, cluster_id, csrf_token_of, make_target, make_user

TIMEOUT = "登录已超时，请重新登录。"
CSRF_MESSAGE = "页面已过期或表单校验失败，请刷新页面后重新提交。"
MINUTE, HOUR = 60, 3600


def set_clock(client, *, login_ago: int | None = None, seen_ago: int | None = None) -> None:
    """Move the session's login and last-seen times into the past (seconds ago)."""
    now = int(time.time())
    with client.session_transaction() as session:
        if login_ago is not None:
            session[LOGIN_AT] = now - login_ago
        if seen_ago is not None:
            session[SEEN_AT] = now - seen_ago


def clock(client) -> tuple:
    with client.session_transaction() as session:
        return session.get(LOGIN_AT), session.get(SEEN_AT)


def assert_timed_out(client, response, next_path: str | None) -> None:
    assert response.status_code == 302
    assert response.location == "/login" + (f"?next={next_path}" if next_path else "")
    assert TIMEOUT in client.get(response.location).get_data(as_text=True)
    assert client.get("/clusters/").status_code == 302  # logged out, not just redirected once


def expiries(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(AuditEvent.actor_id, AuditEvent.changes).where(AuditEvent.action == "session.expired")
        )
        return [tuple(row) for row in rows]


def test_a_session_idle_for_31_minutes_is_ended(app, auth, client):
    user_id = auth.login()
    set_clock(client, seen_ago=31 * MINUTE)
    assert_timed_out(client, client.get("/clusters/"), "/clusters/")
    assert expiries(app) == [(user_id, "空闲超过 30 分钟")]  # the audit log says whose and why


def test_a_session_idle_for_29_minutes_goes_on_and_its_clock_is_refreshed(auth, client):
    auth.login()
    set_clock(client, seen_ago=29 * MINUTE)
    asked = int(time.time())
    assert client.get("/clusters/").status_code == 200
    assert asked <= clock(client)[1] <= time.time()  # refreshed by that request, however long it took
    set_clock(client, seen_ago=29 * MINUTE)  # another 29 minutes: still active
    assert client.get("/clusters/").status_code == 200


def test_a_session_ends_12_hours_after_login_however_active(app, auth, client):
    user_id = auth.login()
    set_clock(client, login_ago=12 * HOUR + MINUTE, seen_ago=MINUTE)
    assert_timed_out(client, client.get("/projects/"), "/projects/")
    assert expiries(app) == [(user_id, "登录已超过 12 小时")]


def test_a_session_just_under_12_hours_old_goes_on(auth, client):
    auth.login()
    set_clock(client, login_ago=12 * HOUR - MINUTE, seen_ago=MINUTE)
    assert client.get("/projects/").status_code == 200


def test_both_limits_are_configurable(app, auth, client, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_HOURS", 1)
    auth.login()
    set_clock(client, seen_ago=4 * MINUTE)
    assert client.get("/clusters/").status_code == 200
    set_clock(client, seen_ago=6 * MINUTE)
    assert_timed_out(client, client.get("/clusters/"), "/clusters/")
    auth.login()
    set_clock(client, login_ago=HOUR + MINUTE, seen_ago=MINUTE)
    assert_timed_out(client, client.get("/clusters/"), "/clusters/")


def test_a_form_posted_after_the_timeout_changes_nothing(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    target_id = make_target(app, officer)
    set_clock(client, seen_ago=31 * MINUTE)
    with app.app_context():
        today = local_today()
    response = client.post(
        f"/targets/{target_id}/follow-ups",
        data={
            "occurred_on": today.isoformat(),
            "method": "走访",
            "content": "超时后提交的跟进",
            "next_follow_up_on": (today + timedelta(days=5)).isoformat(),
        },
    )
    assert_timed_out(client, response, None)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUp)) == 0


def test_a_signed_in_session_without_a_clock_is_ended(auth, client):
    auth.login()
    with client.session_transaction() as session:
        del session[LOGIN_AT]
    assert_timed_out(client, client.get("/clusters/"), "/clusters/")


def test_the_login_page_after_a_timeout_is_shown_to_the_signed_out_visitor(auth, client):
    auth.login()
    set_clock(client, seen_ago=31 * MINUTE)
    response = client.get("/login")
    assert response.status_code == 200
    assert TIMEOUT in response.get_data(as_text=True)
    assert client.get("/clusters/").status_code == 302


def test_static_files_neither_check_nor_refresh_the_clock(auth, client):
    auth.login()
    set_clock(client, seen_ago=10 * MINUTE)
    before = clock(client)
    client.get("/static/css/app.css").close()
    assert clock(client) == before


def test_login_starts_a_fresh_session(app, client):
    make_user(app, username="li")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["csrf_token"] = "attacker-known-token"
        session["sid"] = "attacker-known-session"
        session[LOGIN_AT] = session[SEEN_AT] = int(time.time()) - 13 * HOUR
    asked = int(time.time())
    response = client.post("/login", data={"username": "li", "password": PASSWORD})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session and "csrf_token" not in session
        assert asked <= session[LOGIN_AT] <= time.time() and session[SEEN_AT] == session[LOGIN_AT]
        assert session["_user_id"] == str(_user_id(app, "li"))
        assert session["sid"] != "attacker-known-session" and len(session["sid"]) >= 40
    assert client.get("/clusters/").status_code == 200


def _user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.username == username))


def test_changing_the_password_does_not_extend_the_session(auth, client):
    auth.login(username="li")
    set_clock(client, login_ago=11 * HOUR, seen_ago=MINUTE)
    login_at = clock(client)[0]
    new = "Brand-new-pass-2026"
    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": new, "confirm": new}
    )
    assert response.status_code == 302
    assert clock(client)[0] == login_at
    set_clock(client, login_ago=12 * HOUR + MINUTE, seen_ago=MINUTE)
    assert_timed_out(client, client.get("/clusters/"), "/clusters/")


@pytest.mark.parametrize("action", ["end-sessions", "active", "reset-password"])
def test_an_admin_action_ends_the_users_live_session(app, auth, client, action):
    user_id = make_user(app, username="li")
    theirs = app.test_client()
    assert theirs.post("/login", data={"username": "li", "password": PASSWORD}).status_code == 302
    assert theirs.get("/clusters/").status_code == 200
    auth.login(role="admin")
    response = client.post(f"/admin/users/{user_id}/{action}")
    assert response.status_code in (200, 302)  # a reset shows the new password on a page
    assert theirs.get("/clusters/").status_code == 302


def test_session_cookie_is_httponly_and_lax_and_secure_when_configured(app, client, monkeypatch):
    make_user(app, username="li")
    cookie = client.post("/login", data={"username": "li", "password": PASSWORD}).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    https = app.test_client()
    response = https.post(
        "/login", data={"username": "li", "password": PASSWORD}, base_url="https://localhost"
    )
    assert "Secure" in response.headers["Set-Cookie"]


# CSRF, with a second app on the session's database that checks tokens as production does.


@pytest.fixture(scope="module")
def strict_app(app, database_url):
    strict = build_app(database_url, csrf=True)
    yield strict
    with strict.app_context():
        db.engine.dispose()


def strict_login(app, strict_app, role="officer", scope="南湖区"):
    user_id = make_user(app, role=role, scope=scope, username=f"strict-{role}")
    client = strict_app.test_client()
    refused = client.post("/login", data={"username": f"strict-{role}", "password": PASSWORD})
    assert refused.status_code == 400 and CSRF_MESSAGE in refused.get_data(as_text=True)
    token = csrf_token_of(client, "/login")
    data = {"username": f"strict-{role}", "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302
    return client, user_id


def test_logout_needs_the_csrf_token(app, strict_app):
    client, _ = strict_login(app, strict_app)
    response = client.post("/logout")
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)
    assert client.get("/clusters/").status_code == 200  # still signed in
    response = client.post("/logout", data={"csrf_token": csrf_token_of(client, "/clusters/")})
    assert response.status_code == 302 and response.location == "/login"
    assert client.get("/clusters/").status_code == 302


def test_a_form_without_the_csrf_token_changes_nothing(app, strict_app):
    client, officer = strict_login(app, strict_app)
    with app.app_context():
        data = {
            "name": "跨站提交测试有限公司",
            "country": "中国",
            "cluster_id": cluster_id("南湖区微电子"),
            "source": "展会",
            "priority": "高",
            "owner_id": officer,
        }
    response = client.post("/targets/new", data=data)
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TargetCompany)) == 0
    data["csrf_token"] = csrf_token_of(client, "/targets/new")
    assert client.post("/targets/new", data=data).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(TargetCompany.name)) == "跨站提交测试有限公司"


def test_a_token_from_another_session_is_refused(app, strict_app):
    client, officer = strict_login(app, strict_app)
    target_id = make_target(app, officer)
    stranger = strict_app.test_client()
    foreign_token = csrf_token_of(stranger, "/login")
    response = client.post(
        f"/targets/{target_id}/status", data={"status": "已放弃", "reason": "x", "csrf_token": foreign_token}
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(TargetCompany, target_id).status == TargetStatus.UNCONTACTED
