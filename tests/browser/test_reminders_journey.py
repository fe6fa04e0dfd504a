"""A stalled item through a real browser: 红灯 on the desk, the reminder in 消息, a follow-up clears it."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import TargetCompany
from crm.reminders.services import run
from tests.factories import (
    DESK_URL,
    PASSWORD,
    log_in,
    make_target,
    make_user,
    nav_link,
    scripts_ran,
    shanghai_today,
)

pytestmark = pytest.mark.browser
COMPANY = "嘉兴久未跟进科技有限公司"


def test_officer_sees_the_red_badge_and_reminder_then_a_follow_up_clears_it(app, page, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app.config, "WEBHOOK_URL", "")
    officer = make_user(app, username="nh.stalled", scope="南湖区", display_name="李专员")
    target = make_target(app, officer, name=COMPANY)
    today = shanghai_today()
    with app.app_context():
        # Last contact 80 days ago and nothing planned: 超期未跟进, long past the escalation: 红灯.
        db.session.execute(
            sa.update(TargetCompany)
            .where(TargetCompany.id == target)
            .values(
                status_since=datetime.now(UTC) - timedelta(days=120),
                last_follow_up_on=today - timedelta(days=80),
                next_follow_up_on=None,
            )
        )
        db.session.commit()
        run(datetime.now(UTC))  # the scheduler's scan

    log_in(page, "nh.stalled", PASSWORD)
    expect(page).to_have_url(DESK_URL)
    red_group = page.get_by_role("heading", name="红灯（已督办）")
    expect(red_group).to_be_visible()
    item = page.locator(".desk-item", has_text=COMPANY)
    expect(item.locator(".badge", has_text="红灯")).to_be_visible()
    expect(item).to_contain_text("超期未跟进")

    # The reminder waits in 消息, with the unread count in the navigation.
    expect(page.locator("#unread-count")).to_contain_text("1")
    page.locator("nav.navbar a[href='/notifications']").click()
    reminder = page.locator(".list-group-item", has_text="停滞提醒")
    expect(reminder).to_contain_text("红灯 1 项")
    reminder.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("停滞提醒")
    row = page.get_by_role("row", name=COMPANY)
    expect(row.locator(".badge", has_text="红灯")).to_be_visible()
    expect(page.locator("#unread-count")).to_have_count(0)

    # One-click follow-up from the desk.
    nav_link(page, "工作台").click()
    expect(page).to_have_url(DESK_URL)
    scripts_ran(page)  # 记录跟进 opens the desk's form through static/js/app.js
    item = page.locator(".desk-item", has_text=COMPANY)
    item.get_by_role("link", name="记录跟进").click()
    form = item.locator("form")
    form.get_by_label("跟进方式").select_option("电话")
    form.get_by_label("跟进情况").fill("电话联系，对方确认下月来嘉考察。")
    form.get_by_label("下次跟进日期").fill((today + timedelta(days=10)).isoformat())
    form.get_by_role("button", name="保存跟进记录").click()
    expect(page).to_have_url(DESK_URL)
    item = page.locator(".desk-item", has_text=COMPANY)
    expect(item).to_be_visible()
    expect(item.locator(".badge", has_text="红灯")).to_have_count(0)
    expect(page.get_by_role("heading", name="红灯（已督办）")).to_have_count(0)

    # The digest now shows the stall as ended.
    page.locator("nav.navbar a[href='/notifications']").click()
    page.locator(".list-group-item", has_text="停滞提醒").get_by_role("button", name="查看").click()
    expect(page.get_by_role("row", name=COMPANY)).to_contain_text("已解除")
