"""Errors reach users as Chinese pages, never as stack traces."""

from crm import create_app
from crm.core.permissions import require
from crm.extensions import db
from tests.factories import AuthActions


def test_an_unexpected_error_shows_a_chinese_page_without_details(app):
    failing = create_app(dict(app.config))

    @failing.get("/__boom")
    @require("account.self")
    def boom():
        raise RuntimeError("secret internals")

    client = failing.test_client()
    AuthActions(failing, client).login()
    response = client.get("/__boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统错误" in html
    assert "secret internals" not in html and "Traceback" not in html
    with failing.app_context():
        db.engine.dispose()


def test_not_found_and_method_not_allowed_are_chinese(auth, client):
    auth.login()
    assert "页面不存在" in client.get("/no-such-page").get_data(as_text=True)
    response = client.get("/logout")
    assert response.status_code == 405 and "请求方式不允许" in response.get_data(as_text=True)


def test_forbidden_is_chinese(auth, client):
    auth.login(role="viewer")
    response = client.get("/admin/users")
    assert response.status_code == 403 and "没有权限" in response.get_data(as_text=True)
