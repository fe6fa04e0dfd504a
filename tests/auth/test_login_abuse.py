"""Login abuse (issue 14, points 4 and 5): locks per account *and* source, a retry-after instead of a
sleeping worker, an admin who sees and lifts locks, every lock and unlock audited; a password policy
from a well-kept library; server-side sessions that a logout, a password change, a deactivation or an
admin's 结束会话 make useless even as a copied cookie."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.auth import throttle
from crm.auth.services import password_problems
from crm.extensions import db
from crm.models import AuditEvent, LoginLock, LoginSession, User
from tests.factories import PASSWORD, make_user

ATTACKER, OWNER = "203.0.113.66", "10.20.30.40"
WRONG = "wrong-password-1"


def attempt(client, name, password, ip=OWNER):
    return client.post(
        "/login", data={"username": name, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def events(app, action) -> list[AuditEvent]:
    with app.app_context():
        found = db.session.scalars(
            sa.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return found


def later(monkeypatch, **delta) -> None:
    """Every clock of the login path moves forward by delta."""
    moved = datetime.now(UTC) + timedelta(**delta)
    monkeypatch.setattr("crm.auth.views.utcnow", lambda: moved)


@pytest.fixture
def officer(app):
    user_id = make_user(app, "officer", "南湖区")
    with app.app_context():
        return db.session.get(User, user_id).username


@pytest.fixture(autouse=True)
def no_sleeping(monkeypatch):
    """Nothing on the login path may hold the worker."""

    def refuse(_seconds):
        raise AssertionError("a request slept")

    monkeypatch.setattr(time, "sleep", refuse)


# --- locks per account and source -----------------------------------------------------------------------


@pytest.mark.parametrize("exists", [True, False], ids=["existing", "unknown"])
def test_five_failures_from_one_address_lock_that_address_only(app, client, officer, exists):
    name = officer if exists else "ghost"
    for _ in range(4):
        assert "用户名或密码错误" in attempt(client, name, WRONG, ATTACKER).get_data(as_text=True)
    fifth = attempt(client, name, WRONG, ATTACKER).get_data(as_text=True)
    assert "用户名或密码错误" in fifth and "已暂时锁定" in fifth
    refused = attempt(client, name, PASSWORD, ATTACKER)  # even the right password, from there
    assert refused.status_code == 429 and "已暂时锁定" in refused.get_data(as_text=True)
    assert 14 * 60 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert [(e.username, e.ip) for e in events(app, "login.failure")] == [(name, ATTACKER)] * 5
    lock_event = events(app, "login.lock")
    assert len(lock_event) == 1 and lock_event[0].username == name and ATTACKER in lock_event[0].changes
    assert events(app, "login.refused")[-1].username == name
    # The owner, from their own address, is not locked out by the attacker's failures.
    owner = app.test_client()
    response = attempt(owner, name, PASSWORD, OWNER)
    assert response.status_code == (302 if exists else 200)


def test_a_lock_ends_after_fifteen_minutes(app, client, officer, monkeypatch):
    for _ in range(5):
        attempt(client, officer, WRONG, ATTACKER)
    assert attempt(client, officer, PASSWORD, ATTACKER).status_code == 429
    later(monkeypatch, minutes=15, seconds=5)
    assert attempt(client, officer, PASSWORD, ATTACKER).status_code == 302


def test_failures_count_per_account_and_address_and_restart_after_a_success(app, client, officer):
    for _ in range(4):
        attempt(client, officer, WRONG, ATTACKER)
    for _ in range(4):
        attempt(client, officer, WRONG, OWNER)  # 8 failures for the name, but 4 per address
    for _ in range(4):
        attempt(client, "someone-else", WRONG, ATTACKER)  # 8 from the address, but 4 per name
    assert events(app, "login.lock") == []
    assert attempt(client, officer, PASSWORD, OWNER).status_code == 302
    client.post("/logout")
    for _ in range(4):
        attempt(client, officer, WRONG, OWNER)  # the success started the count afresh there
    assert events(app, "login.lock") == []
    attempt(client, officer, WRONG, OWNER)
    assert [e.ip for e in events(app, "login.lock")] == [OWNER]


def test_failures_older_than_the_window_do_not_count(app):
    now = datetime.now(UTC)
    with app.app_context():
        for minutes in (40, 30, 20, 3, 2):  # spread out: never 5 within 15 minutes
            db.session.add(
                AuditEvent(
                    action="login.failure", username="counted", ip=OWNER, at=now - timedelta(minutes=minutes)
                )
            )
        db.session.commit()
        assert throttle.refusal("counted", OWNER, now) is None
        assert throttle._count_since("counted", OWNER, now) == 2


def test_an_address_with_many_failures_must_wait_and_is_told_how_long(app, client, officer, monkeypatch):
    for number in range(throttle.SOURCE_SLOW_AFTER):
        attempt(client, f"guess-{number}", WRONG, ATTACKER)
    refused = attempt(client, officer, PASSWORD, ATTACKER)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
    assert "登录尝试过于频繁，请 2 秒后再试" in refused.get_data(as_text=True)
    assert len(events(app, "login.failure")) == throttle.SOURCE_SLOW_AFTER  # not even checked
    # Other addresses are not slowed down; the slowed one may try again once the wait is over.
    assert attempt(app.test_client(), officer, PASSWORD, OWNER).status_code == 302
    later(monkeypatch, seconds=3)
    assert attempt(client, officer, PASSWORD, ATTACKER).status_code == 302


def test_an_admin_sees_and_lifts_a_lock_and_both_are_audited(app, auth, client, officer):
    stranger = app.test_client()
    for _ in range(5):
        attempt(stranger, officer, WRONG, ATTACKER)
    admin_id = auth.login(role="admin")
    page = client.get("/admin/logins").get_data(as_text=True)
    current = page.split('id="current-locks"')[1].split("</table>")[0]
    assert officer in current and ATTACKER in current and "解除锁定" in current
    with app.app_context():
        lock_id = db.session.scalar(sa.select(LoginLock.id).where(LoginLock.username == officer))
    response = client.post(f"/admin/logins/locks/{lock_id}/lift", follow_redirects=True)
    assert f"已解除账号 {officer} 在 {ATTACKER} 的登录锁定" in response.get_data(as_text=True)
    assert "当前没有生效中的登录锁定" in response.get_data(as_text=True)
    unlock = events(app, "login.unlock")
    assert len(unlock) == 1 and unlock[0].username == officer and unlock[0].actor_id == admin_id
    assert ATTACKER in unlock[0].changes
    assert attempt(stranger, officer, PASSWORD, ATTACKER).status_code == 302


# --- password policy ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "woaini1314",
        "a123456789",
        "1qaz2wsx3edc",
        "qwertyuiop1",
        "Password2026!",
        "abcdefghij1",
        "aaaaaaaaaa1",
        "jiaxing2026",
    ],
)
def test_common_and_patterned_passwords_are_refused(password):
    assert any("太容易被猜到" in p for p in password_problems(password, "li.wei"))


@pytest.mark.parametrize("password", ["Lx9#vQ2mTp", "river-lantern-87", PASSWORD])
def test_unpredictable_passwords_pass(password):
    assert password_problems(password, "li.wei") == []


# --- server-side sessions ---------------------------------------------------------------------------------


def logged_in_pair(app, client, username):
    """client logged in as username, and a second client holding a copy of its cookie."""
    assert attempt(client, username, PASSWORD).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/clusters/").status_code == 200
    return thief


def test_a_copied_cookie_is_useless_after_logout(app, client, officer):
    thief = logged_in_pair(app, client, officer)
    client.post("/logout")
    assert thief.get("/clusters/").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(LoginSession.end_reason)) == "退出登录"


def test_a_copied_cookie_is_useless_after_a_password_change(app, client, officer):
    thief = logged_in_pair(app, client, officer)
    new = "Brand-new-pass-2026"
    client.post("/account/password", data={"current_password": PASSWORD, "new_password": new, "confirm": new})
    assert client.get("/clusters/").status_code == 200  # the one who changed it goes on
    assert thief.get("/clusters/").status_code == 302


@pytest.mark.parametrize("action", ["active", "end-sessions"])
def test_a_copied_cookie_is_useless_after_deactivation_or_end_sessions(app, auth, client, officer, action):
    thief = logged_in_pair(app, app.test_client(), officer)
    auth.login(role="admin")
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == officer))
    client.post(f"/admin/users/{user_id}/{action}")
    assert thief.get("/clusters/").status_code == 302
    if action == "end-sessions":
        assert events(app, "session.ended")[-1].username == officer


def test_an_admin_ends_one_session_and_the_others_go_on(app, auth, client, officer):
    laptop, phone = app.test_client(), app.test_client()
    attempt(laptop, officer, PASSWORD, "10.0.0.1")
    attempt(phone, officer, PASSWORD, "10.0.0.2")
    auth.login(role="admin")
    page = client.get("/admin/logins").get_data(as_text=True)
    assert "10.0.0.1" in page and "10.0.0.2" in page
    with app.app_context():
        row = db.session.scalar(sa.select(LoginSession).where(LoginSession.ip == "10.0.0.1"))
        row_id = row.id
    client.post(f"/admin/logins/sessions/{row_id}/end")
    assert laptop.get("/clusters/").status_code == 302
    assert phone.get("/clusters/").status_code == 200
    assert events(app, "session.ended")[-1].username == officer


def test_the_database_keeps_only_a_hash_of_the_session_token(app, client, officer):
    attempt(client, officer, PASSWORD)
    token = client.get_cookie("session").value
    with client.session_transaction() as session:
        sid = session["sid"]
    with app.app_context():
        stored = db.session.scalar(sa.select(LoginSession.token_hash))
    assert sid not in stored and stored not in token and len(stored) == 64
