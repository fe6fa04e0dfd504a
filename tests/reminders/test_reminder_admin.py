"""What people see of reminders: the digest page, the head's desk, and the admin's outbox and failures."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import OutgoingMessage, Project, TargetCompany
from crm.reminders import channels, services
from tests.factories import make_project, make_target, make_user
from tests.routes import ADMIN_DELIVERY_ROUTES, ROLE_ACTORS


def stall(app, model, item_id: int, quiet_days: int) -> None:
    """Make the item's last contact quiet_days calendar days ago, with no next date: 超期未跟进."""
    today = datetime.now(UTC).date()
    since_column = "stage_since" if model is Project else "status_since"
    with app.app_context():
        db.session.execute(
            sa.update(model)
            .where(model.id == item_id)
            .values(
                {
                    since_column: datetime.now(UTC) - timedelta(days=quiet_days + 30),
                    "last_follow_up_on": today - timedelta(days=quiet_days),
                    "next_follow_up_on": None,
                }
            )
        )
        db.session.commit()


@pytest.fixture
def no_mail(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app.config, "WEBHOOK_URL", "")


@pytest.fixture
def red_target(app, no_mail):
    """A 南湖区 officer (with e-mail) whose target has been quiet for 80 days: 红灯; one run done."""
    officer = make_user(app, "officer", "南湖区", display_name="王专员", email="wang@example.cn")
    target = make_target(app, officer, name="嘉兴红灯测试有限公司")
    stall(app, TargetCompany, target, 80)
    with app.app_context():
        services.run(datetime.now(UTC))
    return officer, target


@pytest.mark.parametrize(("role", "scope"), ROLE_ACTORS, ids=[f"{r}-{s}" for r, s in ROLE_ACTORS])
@pytest.mark.parametrize("endpoint", sorted(ADMIN_DELIVERY_ROUTES))
def test_only_admins_reach_the_delivery_log(app, auth, client, red_target, endpoint, role, scope):
    auth.login(role=role, scope=scope)
    with app.app_context():
        message = db.session.scalar(sa.select(OutgoingMessage).where(OutgoingMessage.channel == "email"))
        message.status, message_id = "failed", message.id
        db.session.commit()
    method, template = ADMIN_DELIVERY_ROUTES[endpoint]
    response = client.open(template.format(message=message_id), method=method)
    if role == "admin":
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403
        with app.app_context():
            assert db.session.get(OutgoingMessage, message_id).status == "failed"


def test_without_a_mail_server_admins_read_the_mail_in_the_outbox(app, auth, client, red_target):
    auth.login(role="admin")
    page = client.get("/admin/messages?view=outbox").get_data(as_text=True)
    assert "wang@example.cn" in page and "已存发件箱" in page and "红灯 1 项" in page
    with app.app_context():
        message_id = db.session.scalar(
            sa.select(OutgoingMessage.id).where(OutgoingMessage.channel == "email")
        )
    detail = client.get(f"/admin/messages/{message_id}").get_data(as_text=True)
    assert "嘉兴红灯测试有限公司" in detail and "超期未跟进" in detail and "王专员，您好" in detail
    assert f"/targets/{red_target[1]}" in detail
    assert "重新发送" not in detail  # nothing failed


def test_admin_resends_a_failed_message_and_sees_the_outcome(app, auth, client, red_target, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    with app.app_context():
        message = db.session.scalar(sa.select(OutgoingMessage).where(OutgoingMessage.channel == "email"))
        message.status, message.attempts, message.last_error = "failed", 8, "邮件发送失败：timeout"
        db.session.commit()
        message_id = message.id
    auth.login(role="admin")
    listing = client.get("/admin/messages?view=problems").get_data(as_text=True)
    assert "停止自动重试" in listing and "邮件发送失败：timeout" in listing
    sent = []
    monkeypatch.setattr(channels, "send_email", lambda message, config: sent.append(message.address))
    response = client.post(f"/admin/messages/{message_id}/retry", follow_redirects=True)
    assert "已重新发送" in response.get_data(as_text=True)
    assert sent == ["wang@example.cn"]
    with app.app_context():
        assert db.session.get(OutgoingMessage, message_id).status == "sent"
    again = client.post(f"/admin/messages/{message_id}/retry", follow_redirects=True)
    assert "只有发送失败或待重试的消息可以重新发送" in again.get_data(as_text=True)
    assert sent == ["wang@example.cn"]


def test_a_failed_resend_keeps_the_message_and_shows_the_error(app, auth, client, red_target, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")

    def refuse(message, config):
        raise channels.SendError("邮件发送失败：ConnectionRefusedError")

    monkeypatch.setattr(channels, "send_email", refuse)
    with app.app_context():
        message = db.session.scalar(sa.select(OutgoingMessage).where(OutgoingMessage.channel == "email"))
        message.status, message_id = "failed", message.id
        db.session.commit()
    auth.login(role="admin")
    page = client.post(f"/admin/messages/{message_id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "仍未发送成功：邮件发送失败：ConnectionRefusedError" in page
    with app.app_context():
        message = db.session.get(OutgoingMessage, message_id)
        assert message.status == "pending" and message.next_attempt_at is not None


def test_the_digest_page_lists_its_items_for_its_recipient_only(app, auth, client, red_target):
    officer, target = red_target
    with app.app_context():
        note_id = db.session.scalar(
            sa.select(OutgoingMessage.notification_id).where(OutgoingMessage.channel == "inapp")
        )
    stranger = make_user(app, "officer", "南湖区")
    with app.app_context():
        from crm.models import User

        owner_name = db.session.get(User, officer).username
        stranger_name = db.session.get(User, stranger).username
    client.post("/login", data={"username": stranger_name, "password": "Test-password-2026"})
    assert client.get(f"/notifications/{note_id}").status_code == 404
    client.post("/logout")
    client.post("/login", data={"username": owner_name, "password": "Test-password-2026"})
    inbox = client.get("/notifications").get_data(as_text=True)
    assert "停滞提醒" in inbox and "红灯 1 项" in inbox
    opened = client.post(f"/notifications/{note_id}/read")
    assert opened.location == f"/notifications/{note_id}"
    page = client.get(f"/notifications/{note_id}").get_data(as_text=True)
    assert "嘉兴红灯测试有限公司" in page and f'href="/targets/{target}"' in page and "红灯" in page
    # A follow-up ends the stall: the page says so.
    today = date.today()
    client.post(
        f"/targets/{target}/follow-ups",
        data={
            "occurred_on": today.isoformat(),
            "method": "电话",
            "content": "电话沟通投资意向",
            "next_follow_up_on": (today + timedelta(days=7)).isoformat(),
        },
    )
    assert "已解除" in client.get(f"/notifications/{note_id}").get_data(as_text=True)


def test_a_heads_desk_shows_red_items_in_scope_that_are_not_due_this_week(app, auth, client, no_mail):
    officer = make_user(app, "officer", "南湖区")
    quiet = make_project(app, officer, name="长期未跟进的项目")
    stall(app, Project, quiet, 80)
    elsewhere = make_project(app, make_user(app, "officer", "嘉善县"), region="嘉善县", name="嘉善的项目")
    stall(app, Project, elsewhere, 80)
    auth.login(role="head", scope="南湖区")
    desk = client.get("/").get_data(as_text=True)
    assert "长期未跟进的项目" in desk and "嘉善的项目" not in desk
    assert "红灯" in desk
