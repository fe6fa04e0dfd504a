"""Production serving (issue 8): X-Forwarded-* behind nginx (PROXY_FIX), and deploy/'s gunicorn config.

The gunicorn test starts the real server with deploy/gunicorn.conf.py on a free loopback port, on a
migrated temporary SQLite file, and asks /healthz; it never reads DATABASE_URL or instance/ data.
"""

import json
import os
import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import ModuleType

import flask_migrate
import pytest
import sqlalchemy as sa
from gunicorn.config import Config

from crm import create_app
from crm.config import Defaults
from crm.extensions import db
from crm.models import AuditEvent
from tests.factories import build_app
from tests.test_server_banner import assert_names_no_versions

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
GUNICORN = Path(sys.executable).with_name("gunicorn")
FORWARDED = {
    "X-Forwarded-For": "198.51.100.9, 203.0.113.7",  # a forged first entry, then what nginx saw
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "crm.jiaxing.internal",
}


@pytest.fixture
def proxied_app(app, monkeypatch):
    """The suite's database served as behind nginx: CRM_PROXY_FIX=1 in the environment."""
    monkeypatch.setenv("CRM_PROXY_FIX", "1")
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "test-secret-key",
            "WTF_CSRF_ENABLED": False,
        }
    )
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def failed_login_address(app, username: str) -> str:
    """The address the audit log recorded for a failed login by username."""
    with app.app_context():
        query = sa.select(AuditEvent.ip).where(AuditEvent.action == "login.failure")
        return db.session.scalar(query.where(AuditEvent.username == username))


def test_behind_a_proxy_the_forwarded_client_address_and_https_are_used(proxied_app):
    client = proxied_app.test_client()
    response = client.post("/login", data={"username": "proxied", "password": "wrong"}, headers=FORWARDED)
    assert response.status_code == 200
    assert (
        failed_login_address(proxied_app, "proxied") == "203.0.113.7"
    )  # the entry the one trusted proxy added
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get("/healthz", headers=FORWARDED).headers["Strict-Transport-Security"]


def test_without_proxy_fix_forwarded_headers_are_ignored(app, client):
    assert app.config["PROXY_FIX"] == 0
    response = client.post("/login", data={"username": "direct", "password": "wrong"}, headers=FORWARDED)
    assert response.status_code == 200
    assert failed_login_address(app, "direct") == "127.0.0.1"
    assert "Strict-Transport-Security" not in response.headers
    assert "Strict-Transport-Security" not in client.get("/healthz", headers=FORWARDED).headers


def load_gunicorn_config() -> dict:
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_the_gunicorn_config_is_valid(monkeypatch):
    monkeypatch.delenv("CRM_WEB_WORKERS", raising=False)
    monkeypatch.delenv("RUNTIME_DIRECTORY", raising=False)
    settings = load_gunicorn_config()
    config = Config()
    names = {
        k
        for k, v in settings.items()
        if k.islower() and not k.startswith("_") and not callable(v) and not isinstance(v, ModuleType)
    }
    assert names <= set(config.settings), names - set(config.settings)  # no misspelt setting
    for name in names:
        config.set(name, settings[name])  # gunicorn's own validation
    assert config.bind == ["127.0.0.1:8000"] and config.forwarded_allow_ips == ["127.0.0.1"]
    assert config.worker_class_str == "sync" and config.accesslog == "-"
    cores = len(os.sched_getaffinity(0))
    assert config.workers == min(2 * cores + 1, 9)
    assert config.control_socket_disable is True  # no socket left in the home directory

    monkeypatch.setenv("CRM_WEB_WORKERS", "3")
    assert load_gunicorn_config()["workers"] == 3
    monkeypatch.setenv("CRM_WEB_WORKERS", "three")
    with pytest.raises(SystemExit, match="CRM_WEB_WORKERS 必须是正整数"):
        load_gunicorn_config()


def test_nginx_accepts_uploads_as_large_as_the_app_does():
    conf = (DEPLOY / "nginx-crm.conf").read_text()
    (megabytes,) = re.findall(r"client_max_body_size (\d+)m;", conf)
    assert int(megabytes) * 1024 * 1024 == Defaults.MAX_CONTENT_LENGTH


def test_the_example_environment_names_only_real_settings():
    text = (DEPLOY / "crm.env.example").read_text()
    names = set(re.findall(r"^#?(CRM_[A-Z_]+)=", text, re.MULTILINE))
    assert {"CRM_SECRET_KEY", "CRM_PROXY_FIX", "CRM_MAIL_SERVER", "CRM_WEBHOOK_URL"} <= names
    not_app_settings = {
        "CRM_SECRET_KEY",
        "CRM_WEB_WORKERS",
    }  # the key is made in create_app; workers: gunicorn
    unknown = {n for n in names - not_app_settings if not hasattr(Defaults, n.removeprefix("CRM_"))}
    assert not unknown
    assert re.search(r"^DATABASE_URL=postgresql\+psycopg://crm@127\.0\.0\.1/crm$", text, re.MULTILINE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_health(port: int) -> tuple[int, dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
        return response.status, json.load(response)


def wait_for_health(port: int, server: subprocess.Popen, seconds: float = 120) -> tuple[int, dict]:
    """The first answer to /healthz; a slow start (a busy machine) only makes this wait longer."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return get_health(port)
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_gunicorn_serves_the_app_with_the_deploy_config(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    migrated = build_app(url)
    with migrated.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    # CRM_SQLALCHEMY_DATABASE_URI wins over a developer's instance/config.py; DATABASE_URL as in production
    env = os.environ | {
        "DATABASE_URL": url,
        "CRM_SQLALCHEMY_DATABASE_URI": url,
        "CRM_SECRET_KEY": "gunicorn-test-key",
        "CRM_WEB_WORKERS": "1",
    }
    env.pop("RUNTIME_DIRECTORY", None)
    port = free_port()
    command = [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            status, body = wait_for_health(port, server)
            assert_names_no_versions(port)  # "Server: gunicorn", and no version on its own error pages
        finally:
            server.terminate()
            server.wait(timeout=60)
    output = log.read_text()
    assert (status, body) == (200, {"status": "ok", "database": "ok"}), output
    assert "Booting worker" in output and "sync" in output
    assert re.search(r'"GET /healthz HTTP/1\.1" 200 ', output)  # the access log on stdout
