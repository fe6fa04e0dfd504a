"""Sending a digest: e-mail over SMTP and the group robot's webhook. Each raises SendError on failure.

Settings (SPEC §7): CRM_MAIL_SERVER / _PORT / _USERNAME / _PASSWORD / _USE_TLS / _SENDER and
CRM_WEBHOOK_URL / CRM_WEBHOOK_SECRET. The webhook speaks the DingTalk robot dialect, which 浙政钉
shares and WeCom accepts in its markdown form: {"msgtype": "markdown", "markdown": {...}}; with a
secret, the URL carries `timestamp` (ms) and `sign` = base64(HMAC-SHA256(secret, "timestamp\\nsecret")).
"""

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from crm.models import OutgoingMessage

TIMEOUT_SECONDS = 20


class SendError(Exception):
    """A delivery failed; the message (in Chinese where it is ours) is shown to admins."""


def mail_configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("MAIL_SERVER"))


def webhook_configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("WEBHOOK_URL"))


def send_email(message: OutgoingMessage, config: Mapping[str, Any]) -> None:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = formataddr(("嘉兴招商 CRM", config.get("MAIL_SENDER") or "crm@localhost"))
    mail["To"] = message.address
    mail.set_content(message.body)
    try:
        with smtplib.SMTP(
            config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=TIMEOUT_SECONDS
        ) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                # from_prefixed_env reads CRM_MAIL_PASSWORD=123456 as a number
                smtp.login(str(config["MAIL_USERNAME"]), str(config.get("MAIL_PASSWORD") or ""))
            smtp.send_message(mail)
    except (OSError, ValueError, smtplib.SMTPException) as error:  # ValueError: a bad CRM_MAIL_PORT
        raise SendError(f"邮件发送失败：{type(error).__name__}: {error}") from error


def signed_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """url with the robot's timestamp and HMAC-SHA256 signature appended."""
    timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    query = urllib.parse.urlencode({"timestamp": timestamp, "sign": base64.b64encode(digest).decode()})
    return f"{url}{'&' if '?' in url else '?'}{query}"


def post_webhook(message: OutgoingMessage, config: Mapping[str, Any]) -> None:
    url = config["WEBHOOK_URL"]
    if config.get("WEBHOOK_SECRET"):
        url = signed_url(url, config["WEBHOOK_SECRET"])
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": message.subject, "text": message.body, "content": message.body},
    }
    try:
        request = urllib.request.Request(
            url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer = response.read(65536)
    except (OSError, ValueError, urllib.error.URLError) as error:  # ValueError: a malformed CRM_WEBHOOK_URL
        raise SendError(f"群机器人推送失败：{type(error).__name__}: {error}") from error
    try:
        errcode = json.loads(answer or b"{}").get("errcode", 0)
    except (ValueError, AttributeError):
        errcode = 0  # not a robot's JSON answer; HTTP 2xx is success
    if errcode:
        raise SendError(f"群机器人拒收：{answer[:300].decode(errors='replace')}")
