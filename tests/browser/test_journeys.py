"""User journeys through a real browser: first login, failed logins, an admin creating a user."""

import os
import re

import pytest
from playwright.sync_api import Page, expect

from crm.auth.services import ensure_first_admin
from crm.extensions import db
from tests.factories import DESK_URL, LOGIN_URL, PASSWORD, fill_login, log_in, log_out, make_user, nav_link

pytestmark = pytest.mark.browser

CHANGE_PASSWORD_URL = re.compile(r"/account/password$")
CLUSTERS_URL = re.compile(r"/clusters/?$")
SHOTS_DIR = "/tmp/shots"


def change_password(page: Page, current: str, new: str) -> None:
    """Fill and submit the change-password form."""
    page.get_by_label("当前密码").fill(current)
    page.get_by_label("新密码", exact=True).fill(new)
    page.get_by_label("再次输入新密码").fill(new)
    page.get_by_role("button", name="修改密码").click()


def save_screenshots(page: Page, name: str) -> None:
    """Full-page screenshots at phone and desktop widths, for a person to look at."""
    os.makedirs(SHOTS_DIR, exist_ok=True)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=f"{SHOTS_DIR}/{name}-{width}.png", full_page=True)


def test_first_admin_signs_in_changes_password_and_reads_a_cluster(app, page):
    """The journey after `make run`: one-time password, forced change, clusters, log out, log in."""
    with app.app_context():
        _, one_time_password = ensure_first_admin()
        db.session.commit()
    new_password = "Nanhu-Lake-2026!"

    page.goto("/")
    expect(page).to_have_url(LOGIN_URL)
    fill_login(page, "admin", one_time_password)

    expect(page).to_have_url(CHANGE_PASSWORD_URL)
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    expect(page.get_by_text("请先设置新密码")).to_be_visible()
    change_password(page, one_time_password, new_password)
    expect(page.get_by_role("alert")).to_contain_text("密码已修改")

    nav_link(page, "集群").click()
    expect(page).to_have_url(CLUSTERS_URL)
    table = page.get_by_role("table")
    expect(table).to_be_visible()
    expect(table).to_contain_text("桐乡市新材料")
    table.get_by_role("link", name="桐乡市新材料").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("桐乡市新材料")
    expect(page.get_by_text("430.00", exact=True)).to_be_visible()
    expect(page.get_by_text("华友钴业", exact=True)).to_be_visible()
    expect(page.locator("#chain-map")).to_contain_text("高性能动力电池材料")
    save_screenshots(page, "cluster-detail")
    page.set_viewport_size({"width": 1280, "height": 800})  # the navbar collapses when narrow

    log_out(page)
    log_in(page, "admin", new_password)
    expect(page).to_have_url(DESK_URL)
    expect(page.get_by_role("heading", name="我的工作台")).to_be_visible()


def test_wrong_password_and_unknown_user_get_the_same_answer(app, page):
    """A failed login stays on /login and does not reveal whether the username exists."""
    make_user(app, username="zhang.san")

    log_in(page, "zhang.san", "Not-the-password-1")
    expect(page).to_have_url(LOGIN_URL)
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("用户名或密码错误。")
    wrong_password_message = alert.inner_text()

    log_in(page, "nobody", PASSWORD)
    expect(page).to_have_url(LOGIN_URL)
    expect(alert).to_have_text(wrong_password_message)
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def test_admin_creates_a_user_who_must_change_the_one_time_password(app, page):
    """管理 → 新建用户 issues a one-time password; the new user must change it before anything else."""
    make_user(app, role="admin", username="chief")
    log_in(page, "chief", PASSWORD)
    expect(page).to_have_url(DESK_URL)

    nav_link(page, "管理").click()
    expect(page.get_by_role("heading", name="用户管理")).to_be_visible()
    page.get_by_role("link", name="新建用户").click()
    expect(page.get_by_role("heading", name="新建用户")).to_be_visible()
    page.get_by_label("用户名").fill("li.si")
    page.get_by_label("姓名").fill("李四")
    page.get_by_label("电子邮箱").fill("lisi@zs.jiaxing.example")
    page.get_by_label("角色").select_option("officer")
    page.get_by_label("范围").select_option("南湖区")
    page.get_by_role("button", name="保存").click()

    one_time_password = page.locator("#one-time-password").inner_text().strip()
    assert len(one_time_password) >= 10
    log_out(page)

    log_in(page, "li.si", one_time_password)
    expect(page).to_have_url(CHANGE_PASSWORD_URL)
    expect(page.get_by_text("请先设置新密码")).to_be_visible()
    page.goto("/clusters/")
    expect(page).to_have_url(CHANGE_PASSWORD_URL)  # nothing else until the password changes
    change_password(page, one_time_password, "Meihu-Lake-2026!")
    expect(page.get_by_role("alert")).to_contain_text("密码已修改")
    expect(page).to_have_url(DESK_URL)
    expect(page.locator("nav.navbar")).to_contain_text("李四")
    expect(page.locator("nav.navbar")).to_contain_text("南湖区")


def test_deactivating_a_user_asks_for_confirmation(app, page):
    """停用 opens a confirm dialog: dismissing it changes nothing, accepting it deactivates."""
    make_user(app, role="admin", username="chief")
    make_user(app, username="wang.wu")
    log_in(page, "chief", PASSWORD)
    page.goto("/admin/users")
    row = page.get_by_role("row").filter(has_text="wang.wu")
    expect(row.locator(".badge", has_text="启用")).to_be_visible()

    dialogs = []
    posts = []

    def record_post(request):
        if request.method == "POST":
            posts.append(request.url)

    page.on("request", record_post)

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    row.get_by_role("button", name="停用").click()
    assert posts == []  # dismissed: the form was never sent
    page.reload()
    expect(row.locator(".badge", has_text="启用")).to_be_visible()
    expect(row.locator(".badge", has_text="已停用")).to_have_count(0)

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    row.get_by_role("button", name="停用").click()
    expect(page.get_by_role("alert")).to_contain_text("已停用用户 wang.wu。")
    expect(row.locator(".badge", has_text="已停用")).to_be_visible()
    assert dialogs == ["确定要停用用户 wang.wu 吗？"] * 2


def test_served_app_enforces_csrf(app, page):
    """The browser tests run against CSRF protection: a POST without the token is refused."""
    make_user(app, username="zhao.liu")
    log_in(page, "zhao.liu", PASSWORD)
    expect(page).to_have_url(DESK_URL)

    response = page.request.post("/logout")
    assert response.status == 400
    assert "页面已过期或表单校验失败" in response.text()
    page.goto("/clusters/")
    expect(page).to_have_url(CLUSTERS_URL)  # still signed in
