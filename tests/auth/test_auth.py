"""Login, logout, first-login password change, sessions and the password policy."""

import re

import pytest
import sqlalchemy as sa

from crm import create_app
from crm.auth.services import ensure_first_admin, generate_password, password_problems
from crm.extensions import db
from crm.models import User
from tests.factories import PASSWORD, make_user


def login(client, username, password, next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": password})


def test_pages_need_login_and_redirect_back_after_it(app, client):
    response = client.get("/clusters/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/clusters/")
    make_user(app, username="li")
    response = login(client, "li", PASSWORD, next_url="/clusters/")
    assert response.location == "/clusters/"


@pytest.mark.parametrize(
    "evil", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_never_leads_off_site(app, client, evil):
    make_user(app, username="li")
    response = login(client, "li", PASSWORD, next_url=evil)
    assert response.status_code == 302
    assert response.location == "/"


def test_unknown_user_and_wrong_password_get_the_same_answer(app, client):
    make_user(app, username="li")
    wrong = login(client, "li", "Not-the-password-1")
    unknown = login(client, "nobody", "Not-the-password-1")
    assert wrong.status_code == unknown.status_code == 200
    for response in (wrong, unknown):
        assert "用户名或密码错误。" in response.get_data(as_text=True)
    assert client.get("/clusters/").status_code == 302


def test_deactivated_user_cannot_log_in(app, client):
    user_id = make_user(app, username="li")
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    response = login(client, "li", PASSWORD)
    assert "用户名或密码错误。" in response.get_data(as_text=True)


def test_login_records_the_time_and_starts_a_fresh_session(app, client):
    user_id = make_user(app, username="li")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, "li", PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
    with app.app_context():
        assert db.session.get(User, user_id).last_login_at is not None


def test_logout_is_post_only(auth, client):
    auth.login()
    assert client.get("/logout").status_code == 405
    assert client.get("/clusters/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302 and response.location == "/login"
    assert client.get("/clusters/").status_code == 302


def test_first_admin_must_change_the_one_time_password(app, client):
    with app.app_context():
        user, password = ensure_first_admin()
        db.session.commit()
        assert ensure_first_admin() is None  # only when there is no user at all
    response = login(client, "admin", password)
    assert response.location == "/account/password"
    # every other page sends them back to the change form
    assert client.get("/clusters/").location == "/account/password"
    assert client.get("/admin/users").location == "/account/password"
    response = client.post(
        "/account/password",
        data={"current_password": password, "new_password": "short", "confirm": "short"},
    )
    assert "密码至少 10 位" in response.get_data(as_text=True)
    new = "Jiaxing-CRM-2026!"
    response = client.post(
        "/account/password", data={"current_password": password, "new_password": new, "confirm": new}
    )
    assert response.status_code == 302
    assert client.get("/clusters/").status_code == 200
    client.post("/logout")
    assert "用户名或密码错误" in login(client, "admin", password).get_data(as_text=True)
    assert login(client, "admin", new).status_code == 302


def test_change_password_refuses_a_wrong_current_password(auth, client, app):
    user_id = auth.login()
    new = "Another-pass-2026"
    response = client.post(
        "/account/password",
        data={"current_password": "Wrong-pass-2026", "new_password": new, "confirm": new},
    )
    assert "当前密码不正确。" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).check_password(PASSWORD)


def test_changing_password_ends_the_users_other_sessions(app, auth, client):
    auth.login(username="li")
    other = app.test_client()
    assert login(other, "li", PASSWORD).status_code == 302
    new = "Brand-new-pass-2026"
    client.post("/account/password", data={"current_password": PASSWORD, "new_password": new, "confirm": new})
    assert client.get("/clusters/").status_code == 200  # the session that changed it goes on
    assert other.get("/clusters/").status_code == 302  # the other one is over


def test_deactivating_a_user_ends_their_session(app, auth, client):
    user_id = auth.login()
    with app.app_context():
        user = db.session.get(User, user_id)
        user.active = False  # even before the sessions are closed, an inactive user has none
        db.session.commit()
    assert client.get("/clusters/").status_code == 302


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Short-1", "至少 10 位"),
        ("password123", "太容易被猜到"),
        ("li-wei-2026-secret", "不能包含用户名"),
        ("onlyletterslong", "字母和数字或符号"),
        ("1234567890123", "字母和数字或符号"),
    ],
)
def test_password_policy_explains_each_problem(password, problem):
    assert any(problem in p for p in password_problems(password, "li-wei"))


def test_a_good_password_passes_the_policy():
    assert password_problems("Jiaxing-CRM-2026!", "li-wei") == []


def test_csrf_token_is_required_when_csrf_is_on(app, database_url):
    strict = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "csrf-test",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    make_user(app, username="li")
    client = strict.test_client()
    response = client.post("/login", data={"username": "li", "password": PASSWORD})
    assert response.status_code == 400
    assert "表单校验失败" in response.get_data(as_text=True)
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"username": "li", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    with strict.app_context():
        db.session.remove()
        assert db.session.scalar(sa.select(User.username).where(User.username == "li")) == "li"
    with strict.app_context():
        db.engine.dispose()


def test_a_generated_one_time_password_never_contains_the_username_it_is_for():
    """The policy refuses a password containing the username; a generated one must pass it every time."""
    passwords = [generate_password("li") for _ in range(300)]
    assert all("li" not in p.lower() and not password_problems(p, "li") for p in passwords)
