"""Reminder channels against real local servers: SMTP (aiosmtpd), the outbox, and a signed group robot."""

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from contextlib import contextmanager
from datetime import date, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller

from crm.extensions import db
from crm.models import Notification, OutgoingMessage, Project, ReminderDelivery, TargetCompany
from crm.reminders import channels, services
from tests.factories import (
    AS_OF,
    RED,
    YELLOW,
    follow_ups,
    jiaxing_at,
    make_project,
    make_target,
    make_user,
    remind,
    rows,
)

BASE_URL = "https://zs.jiaxing.example"
ROBOT_SECRET = "SEC-robot-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every envelope it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    def mails(self):
        return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


@contextmanager
def smtp_server(port: int):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def mail(app, monkeypatch) -> int:
    """SMTP configured at 127.0.0.1 on a free port (nothing listens there until a test starts it)."""
    port = free_port()
    for key, value in {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_USE_TLS": False,
        "MAIL_SENDER": "crm@zs.jiaxing.example",
        "BASE_URL": BASE_URL + "/",
        "WEBHOOK_URL": "",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return port


@pytest.fixture
def officer_items(app):
    """张伟 (with e-mail) and his red project and yellow target."""
    officer = make_user(app, "officer", "南湖区", display_name="张伟", email="zhang.wei@example.cn")
    red = make_project(app, officer, name="红灯在谈项目")
    follow_ups(app, Project, red, **RED)
    yellow = make_target(app, officer, name="黄灯待接触企业有限公司")
    follow_ups(app, TargetCompany, yellow, **YELLOW)
    return {"officer": officer, "red": red, "yellow": yellow}


def email_message(app) -> OutgoingMessage:
    [message] = rows(app, OutgoingMessage, OutgoingMessage.channel == "email")
    return message


def test_email_digest_reaches_the_smtp_server_with_subject_body_and_absolute_links(app, mail, officer_items):
    with smtp_server(mail) as inbox:
        remind(app, AS_OF)
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "crm@zs.jiaxing.example"
    assert envelope.rcpt_tos == ["zhang.wei@example.cn"]
    [sent] = inbox.mails()
    assert sent["To"] == "zhang.wei@example.cn"
    assert sent["Subject"] == "【嘉兴招商】停滞提醒（2026-12-01）：红灯 1 项，黄灯 1 项"
    assert sent["From"].addresses[0].display_name == "嘉兴招商 CRM"
    assert sent.get_content_charset() == "utf-8"
    body = sent.get_content()
    assert body.startswith("张伟，您好：")
    assert (
        f"红灯在谈项目 — 跟进逾期；停滞 11 个工作日（自 2026-11-17 起）；责任人 张伟；南湖区\n   {BASE_URL}/projects/{officer_items['red']}\n"
        in body
    )
    assert "黄灯待接触企业有限公司 — 跟进逾期" in body
    assert f"   {BASE_URL}/targets/{officer_items['yellow']}\n" in body
    message = email_message(app)
    assert (message.status, message.attempts, message.last_error, message.address) == (
        "sent",
        1,
        "",
        "zhang.wei@example.cn",
    )
    assert message.sent_at is not None and message.next_attempt_at is None
    assert len(rows(app, Notification)) == 1  # the 站内消息 goes as well


def test_mail_server_down_leaves_the_digest_pending_and_a_later_run_delivers_it_once(
    app, mail, officer_items
):
    remind(app, AS_OF)  # nothing listens on the port
    message = email_message(app)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.last_error.startswith("邮件发送失败：ConnectionRefusedError")
    assert message.next_attempt_at == AS_OF + timedelta(minutes=5)
    with smtp_server(mail) as inbox:
        early = remind(app, AS_OF + timedelta(minutes=2))
        assert (early["retried"], early["claimed"], inbox.envelopes) == (0, [], [])
        assert email_message(app).attempts == 1
        later = remind(app, AS_OF + timedelta(minutes=10))
        assert (later["retried"], later["claimed"]) == (1, [])
        assert len(inbox.envelopes) == 1
        assert remind(app, jiaxing_at(date(2026, 12, 2)))["retried"] == 0
        assert len(inbox.envelopes) == 1
    assert inbox.mails()[0]["Subject"] == message.subject
    message = email_message(app)
    assert (message.status, message.attempts, message.next_attempt_at) == ("sent", 2, None)
    assert len(rows(app, Notification)) == 1


def test_after_max_attempts_a_digest_is_failed_until_an_admin_requeues_it(app, mail, officer_items):
    remind(app, AS_OF)
    waits = [email_message(app).next_attempt_at - AS_OF]
    moment = AS_OF
    for _ in range(services.MAX_ATTEMPTS - 1):
        moment = email_message(app).next_attempt_at or moment
        with app.app_context():
            assert services.retry_due(moment) == 1
        message = email_message(app)
        if message.next_attempt_at:
            waits.append(message.next_attempt_at - moment)
    assert [w // timedelta(minutes=1) for w in waits] == [5, 10, 20, 40, 80, 160, 320]
    assert (message.status, message.attempts, message.next_attempt_at) == (
        "failed",
        services.MAX_ATTEMPTS,
        None,
    )
    assert "邮件发送失败" in message.last_error
    later = moment + timedelta(days=3)
    with app.app_context():
        assert services.retry_due(later) == 0  # failed is not retried by itself
    with smtp_server(mail) as inbox, app.app_context():
        services.requeue(db.session.get(OutgoingMessage, message.id), later)
        assert db.session.get(OutgoingMessage, message.id).status == "pending"
        assert services.retry_due(later) == 1
        assert services.retry_due(later + timedelta(hours=1)) == 0
    assert len(inbox.envelopes) == 1
    assert email_message(app).status == "sent"


def test_without_a_mail_server_email_waits_in_the_outbox_with_its_full_body(
    app, mail, officer_items, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    attempts = []
    monkeypatch.setattr(channels.smtplib, "SMTP", lambda *args, **kwargs: attempts.append(args))
    report = remind(app, AS_OF)
    assert report["claimed"] == [("email", "outbox"), ("inapp", "sent")]
    message = email_message(app)
    assert (message.status, message.attempts, message.sent_at, message.next_attempt_at) == (
        "outbox",
        0,
        None,
        None,
    )
    assert message.address == "zhang.wei@example.cn"
    assert message.subject == "【嘉兴招商】停滞提醒（2026-12-01）：红灯 1 项，黄灯 1 项"
    assert "红灯在谈项目" in message.body and "黄灯待接触企业有限公司" in message.body
    assert f"{BASE_URL}/projects/{officer_items['red']}" in message.body
    assert message.body.endswith("嘉兴市先进制造业集群招商管理系统")
    assert remind(app, jiaxing_at(date(2026, 12, 2)))["retried"] == 0
    assert email_message(app).status == "outbox"
    assert attempts == []


class Robot(ThreadingHTTPServer):
    """A DingTalk-style group robot: checks access_token, timestamp and sign, keeps every post."""

    daemon_threads = True

    def __init__(self, secret: str):
        super().__init__(("127.0.0.1", 0), RobotHandler)
        self.secret, self.answer, self.posts = secret, None, []


class RobotHandler(BaseHTTPRequestHandler):
    server: Robot

    def do_POST(self):
        query = parse_qs(urlsplit(self.path).query)
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.posts.append({"query": query, "payload": payload, "type": self.headers["Content-Type"]})
        timestamp, sign = query.get("timestamp", ["0"])[0], query.get("sign", [""])[0]
        secret = self.server.secret
        expected = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
        if query.get("access_token") != ["robot-token"]:
            answer = {"errcode": 300001, "errmsg": "token is not exist"}
        elif sign != base64.b64encode(expected).decode() or abs(time.time() * 1000 - int(timestamp)) > 3.6e6:
            answer = {"errcode": 310000, "errmsg": "sign not match"}
        else:
            answer = self.server.answer or {"errcode": 0, "errmsg": "ok"}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def robot(app, monkeypatch):
    server = Robot(ROBOT_SECRET)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1")
    host, port = server.server_address
    for key, value in {
        "WEBHOOK_URL": f"http://{host}:{port}/robot/send?access_token=robot-token",
        "WEBHOOK_SECRET": ROBOT_SECRET,
        "MAIL_SERVER": "",
        "BASE_URL": BASE_URL,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def webhook_message(app) -> OutgoingMessage:
    [message] = rows(app, OutgoingMessage, OutgoingMessage.channel == "webhook")
    return message


def test_the_group_robot_gets_one_signed_markdown_post_per_run_listing_the_new_items(
    app, robot, officer_items
):
    other = make_user(app, "officer", "嘉善县", display_name="李娜")
    odd = make_target(app, other, region="嘉善县", name="ABC(嘉兴)_精密*有限公司")
    follow_ups(app, TargetCompany, odd, **YELLOW)
    remind(app, AS_OF)
    [post] = robot.posts
    assert post["type"] == "application/json; charset=utf-8"
    message = webhook_message(app)
    assert (message.status, message.attempts, message.recipient_id) == ("sent", 1, None)
    assert message.address == f"127.0.0.1:{robot.server_address[1]}"
    assert post["payload"]["msgtype"] == "markdown"
    markdown = post["payload"]["markdown"]
    assert markdown["title"] == message.subject == "【嘉兴招商】停滞提醒（2026-12-01）：红灯 1 项，黄灯 2 项"
    text = markdown["text"]
    assert markdown["content"] == text == message.body
    assert text.startswith("#### 停滞提醒（2026-12-01）")
    red_line = f"- [红灯在谈项目]({BASE_URL}/projects/{officer_items['red']}) · 跟进逾期 · 停滞 11 个工作日"
    assert red_line in text
    assert f"[黄灯待接触企业有限公司]({BASE_URL}/targets/{officer_items['yellow']})" in text
    assert f"[ABC（嘉兴）＿精密＊有限公司]({BASE_URL}/targets/{odd}) · 跟进逾期" in text
    assert "责任人 李娜 · 嘉善县" in text
    assert text.index("**红灯 1 项**") < text.index("红灯在谈项目") < text.index("**黄灯 2 项**")
    group = rows(app, ReminderDelivery, ReminderDelivery.recipient == "group")
    assert sorted((d.item_type, d.item_id) for d in group) == [
        ("project", officer_items["red"]),
        ("target", officer_items["yellow"]),
        ("target", odd),
    ]
    remind(app, AS_OF)
    assert len(robot.posts) == 1
    fresh = make_target(app, other, region="嘉善县", name="新停滞企业有限公司")
    follow_ups(app, TargetCompany, fresh, next_on=date(2026, 12, 1), last_on=date(2026, 11, 30))
    remind(app, jiaxing_at(date(2026, 12, 2)))
    assert len(robot.posts) == 2
    second = robot.posts[1]["payload"]["markdown"]
    assert second["title"] == "【嘉兴招商】停滞提醒（2026-12-02）：黄灯 1 项"
    assert "新停滞企业有限公司" in second["text"] and "红灯在谈项目" not in second["text"]


def test_a_robot_refusal_leaves_the_post_pending_with_the_robots_answer(app, robot, officer_items):
    robot.answer = {"errcode": 310000, "errmsg": "keywords not in content"}
    remind(app, AS_OF)
    message = webhook_message(app)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.last_error.startswith("群机器人拒收：")
    assert '"errcode": 310000' in message.last_error and "keywords not in content" in message.last_error
    assert message.next_attempt_at == AS_OF + timedelta(minutes=5)
    robot.answer = None
    remind(app, AS_OF + timedelta(minutes=6))
    assert len(robot.posts) == 2
    assert robot.posts[0]["payload"] == robot.posts[1]["payload"]
    message = webhook_message(app)
    assert (message.status, message.attempts) == ("sent", 2)


def test_a_wrong_signing_secret_is_recorded_as_a_failed_attempt(app, robot, officer_items, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_SECRET", "SEC-not-the-robots")
    remind(app, AS_OF)
    [post] = robot.posts
    assert set(post["query"]) == {"access_token", "timestamp", "sign"}
    message = webhook_message(app)
    assert (message.status, message.attempts) == ("pending", 1)
    assert "sign not match" in message.last_error


def test_an_unreachable_robot_is_a_pending_post_with_a_chinese_error(app, robot, officer_items, monkeypatch):
    monkeypatch.setitem(
        app.config, "WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/robot/send?access_token=x"
    )
    remind(app, AS_OF)
    message = webhook_message(app)
    assert (message.status, message.attempts, robot.posts) == ("pending", 1, [])
    assert message.last_error.startswith("群机器人推送失败：")


def test_a_malformed_robot_address_is_a_pending_post_and_the_runs_go_on(
    app, robot, officer_items, monkeypatch
):
    monkeypatch.setitem(app.config, "WEBHOOK_URL", "oapi.dingtalk.com/robot/send?access_token=x")  # no scheme
    first = remind(app, AS_OF)
    assert first["claimed"] == [("email", "outbox"), ("inapp", "sent"), ("webhook", "pending")]
    message = webhook_message(app)
    assert message.last_error.startswith("群机器人推送失败：ValueError")
    fresh = make_target(app, officer_items["officer"], name="新停滞企业有限公司")
    follow_ups(app, TargetCompany, fresh, next_on=date(2026, 12, 1), last_on=date(2026, 11, 30))
    second = remind(app, jiaxing_at(date(2026, 12, 2)))
    assert second["retried"] == 1
    assert second["claimed"] == [("email", "outbox"), ("inapp", "sent"), ("webhook", "pending")]
    assert len(rows(app, OutgoingMessage, OutgoingMessage.channel == "webhook")) == 2


def test_a_mail_port_that_is_not_a_number_is_a_pending_mail_not_a_crashed_run(
    app, mail, officer_items, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_PORT", "25x")
    assert remind(app, AS_OF)["claimed"] == [("email", "pending"), ("inapp", "sent")]
    assert email_message(app).last_error.startswith("邮件发送失败：ValueError")
