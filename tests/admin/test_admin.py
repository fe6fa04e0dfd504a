"""Administrators manage accounts: create, edit role and scope, deactivate, reset, end sessions."""

import re

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Role, User
from tests.factories import PASSWORD, make_user


def _user(app, username):
    with app.app_context():
        return db.session.scalar(
            sa.select(User).options(joinedload(User.region)).where(User.username == username)
        )


def _new_user_form(**overrides):
    form = {
        "username": "zhang.san",
        "display_name": "张三",
        "email": "zhang.san@zs.jiaxing.example",
        "phone": "13805730000",
        "role": "officer",
        "scope": "南湖区",
    }
    form.update(overrides)
    return form


def test_admin_creates_a_user_who_gets_a_one_time_password(app, auth, client):
    auth.login(role="admin")
    response = client.post("/admin/users/new", data=_new_user_form())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    password = re.search(r'id="one-time-password">([^<]+)<', html).group(1)
    user = _user(app, "zhang.san")
    assert (user.role, user.region.name, user.must_change_password) == (Role.OFFICER, "南湖区", True)
    assert response.headers["Cache-Control"] == "no-store"
    client.post("/logout")
    response = client.post("/login", data={"username": "zhang.san", "password": password})
    assert response.location == "/account/password"


def test_bad_user_form_input_is_explained_and_changes_nothing(app, auth, client):
    auth.login(role="admin")
    cases = [
        (_new_user_form(username="bad name!"), "用户名只能包含字母"),
        (_new_user_form(email="not-an-email"), "电子邮箱格式不正确"),
        (_new_user_form(display_name=""), "请输入姓名"),
        (_new_user_form(scope="上海市"), "不是有效的选择"),
    ]
    for form, message in cases[:3]:
        html = client.post("/admin/users/new", data=form).get_data(as_text=True)
        assert message in html, message
    response = client.post("/admin/users/new", data=cases[3][0])
    assert response.status_code == 200 and "one-time-password" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_duplicate_username_is_refused(app, auth, client):
    auth.login(role="admin")
    make_user(app, username="zhang.san")
    html = client.post("/admin/users/new", data=_new_user_form()).get_data(as_text=True)
    assert "用户名“zhang.san”已存在" in html


def test_admin_changes_role_and_scope(app, auth, client):
    auth.login(role="admin")
    user_id = make_user(app, username="zhang.san", scope="南湖区")
    response = client.post(
        f"/admin/users/{user_id}/edit", data=_new_user_form(role="head", scope="全市", display_name="张三丰")
    )
    assert response.status_code == 302
    user = _user(app, "zhang.san")
    assert (user.role, user.region_id, user.display_name) == (Role.HEAD, None, "张三丰")


def test_username_cannot_be_changed_and_admin_cannot_demote_self(app, auth, client):
    admin_id = auth.login(role="admin", username="root")
    user_id = make_user(app, username="zhang.san")
    html = client.post(f"/admin/users/{user_id}/edit", data=_new_user_form(username="li.si")).get_data(
        as_text=True
    )
    assert "用户名创建后不能修改" in html
    html = client.post(
        f"/admin/users/{admin_id}/edit", data=_new_user_form(username="root", role="officer")
    ).get_data(as_text=True)
    assert "不能取消自己的管理员角色" in html
    assert _user(app, "root").role == Role.ADMIN


def test_deactivating_ends_the_users_sessions_and_reactivating_restores_login(app, auth, client):
    auth.login(role="admin")
    user_id = make_user(app, username="zhang.san")
    theirs = app.test_client()
    theirs.post("/login", data={"username": "zhang.san", "password": PASSWORD})
    assert theirs.get("/clusters/").status_code == 200
    client.post(f"/admin/users/{user_id}/active")
    assert _user(app, "zhang.san").active is False
    assert theirs.get("/clusters/").status_code == 302
    client.post(f"/admin/users/{user_id}/active")
    assert _user(app, "zhang.san").active is True
    assert theirs.post("/login", data={"username": "zhang.san", "password": PASSWORD}).status_code == 302


def test_admin_cannot_deactivate_self(app, auth, client):
    admin_id = auth.login(role="admin", username="root")
    response = client.post(f"/admin/users/{admin_id}/active", follow_redirects=True)
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    assert _user(app, "root").active is True


def test_reset_password_issues_a_new_one_time_password_and_ends_sessions(app, auth, client):
    auth.login(role="admin")
    make_user(app, username="zhang.san")
    theirs = app.test_client()
    theirs.post("/login", data={"username": "zhang.san", "password": PASSWORD})
    user_id = _user(app, "zhang.san").id
    html = client.post(f"/admin/users/{user_id}/reset-password").get_data(as_text=True)
    password = re.search(r'id="one-time-password">([^<]+)<', html).group(1)
    assert theirs.get("/clusters/").status_code == 302
    assert _user(app, "zhang.san").must_change_password is True
    assert theirs.post("/login", data={"username": "zhang.san", "password": password}).status_code == 302


def test_end_sessions_logs_the_user_out_everywhere(app, auth, client):
    auth.login(role="admin")
    user_id = make_user(app, username="zhang.san")
    theirs = app.test_client()
    theirs.post("/login", data={"username": "zhang.san", "password": PASSWORD})
    client.post(f"/admin/users/{user_id}/end-sessions")
    assert theirs.get("/clusters/").status_code == 302
    assert theirs.post("/login", data={"username": "zhang.san", "password": PASSWORD}).status_code == 302


def test_user_list_searches_and_paginates(app, auth, client):
    auth.login(role="admin", username="root")
    for n in range(35):
        make_user(app, username=f"officer{n:02d}", display_name=f"专员{n:02d}")
    first = client.get("/admin/users").get_data(as_text=True)
    assert "共 36 个用户" in first and "下一页" in first
    found = client.get("/admin/users?q=专员07").get_data(as_text=True)
    assert "officer07" in found and "officer08" not in found
    assert "没有符合条件的用户" in client.get("/admin/users?q=nobody").get_data(as_text=True)


def test_a_user_with_open_items_cannot_be_deactivated_or_moved_out_of_their_scope(app, auth, client):
    from tests.factories import make_target

    auth.login(role="admin")
    officer = make_user(app, username="zhang.san", scope="南湖区", display_name="张三")
    make_target(app, officer)
    response = client.post(f"/admin/users/{officer}/active", follow_redirects=True)
    assert "张三 仍负责 1 个未关闭的条目" in response.get_data(as_text=True)
    assert _user(app, "zhang.san").active is True
    html = client.post(
        f"/admin/users/{officer}/edit",
        data=_new_user_form(role="viewer", scope="南湖区", display_name="张三"),
    ).get_data(as_text=True)
    assert "仍负责 1 个未关闭的条目" in html and _user(app, "zhang.san").role == Role.OFFICER
    html = client.post(
        f"/admin/users/{officer}/edit", data=_new_user_form(scope="嘉善县", display_name="张三")
    ).get_data(as_text=True)
    assert "仍负责 1 个未关闭的条目" in html
    # widening the scope to the whole city keeps every item covered
    response = client.post(
        f"/admin/users/{officer}/edit", data=_new_user_form(scope="全市", display_name="张三")
    )
    assert response.status_code == 302 and _user(app, "zhang.san").region_id is None
