"""The server names no versions (issue 14, point 6): neither in its Server header nor on an error page.

Werkzeug's development server (`flask --app wsgi run`, what `make run` serves) is started here on a
free loopback port and asked for a page, an error page of the app, and an error the server answers by
itself (a 414 for an over-long request line, a 505 for HTTP/2.0). gunicorn is checked by
tests/test_deploy.py's real start with deploy/gunicorn.conf.py, through assert_names_no_versions.
"""

import importlib.metadata
import os
import platform
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).with_name("flask")
VERSIONS = {
    "Werkzeug": importlib.metadata.version("werkzeug"),
    "Flask": importlib.metadata.version("flask"),
    "gunicorn": importlib.metadata.version("gunicorn"),
    "Python": platform.python_version(),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_answer(port: int, request: bytes) -> str:
    """What the server sends back for request bytes, headers and body, until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode("latin-1")


def answers(port: int) -> dict[str, str]:
    """Each probe's whole answer (status line, headers, body) as text."""
    probes = {
        "page": b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "404": b"GET /static/no-such-file.css HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "405": b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        "414": b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "bad version": b"GET / HTTP/2.0\r\n\r\n",
    }
    return {name: raw_answer(port, request) for name, request in probes.items()}


def assert_names_no_versions(port: int) -> None:
    """No answer of the server on port carries a product version, in a header or on a page."""
    found = answers(port)
    assert found["page"].startswith("HTTP/1.1 200"), found["page"][:200]
    assert re.match(r"HTTP/1\.[01] 404", found["404"]), found["404"][:200]
    for name, answer in found.items():
        head = answer.split("\r\n\r\n", 1)[0]
        for server in re.findall(r"^Server:(.*)$", head, re.MULTILINE | re.IGNORECASE):
            assert not re.search(r"\d|/", server), f"{name}: Server:{server}"
        for product, version in VERSIONS.items():
            assert f"{product}/" not in answer, f"{name} names {product}: {answer[:300]}"
            assert version not in answer, f"{name} carries {product}'s version {version}: {answer[:300]}"


def wait_for(port: int, server: subprocess.Popen, seconds: float = 120) -> None:
    """Until the server answers; a slow start on a busy machine only makes this wait longer."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_development_server_names_no_versions(tmp_path):
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'crm.sqlite3'}",
        "CRM_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'crm.sqlite3'}",
        "CRM_SECRET_KEY": "banner-test-key",
    }
    port = free_port()
    command = [str(FLASK), "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port)]
    log = tmp_path / "flask.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(port, server)
            assert_names_no_versions(port)
        finally:
            server.terminate()
            server.wait(timeout=60)
