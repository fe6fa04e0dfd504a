"""The production setup as child processes: gunicorn with its workers, and the one scheduler process.

Children get a session of their own, so a Ctrl-C in the terminal reaches only loadtest.run, which
then stops them in order (SIGTERM, a grace period, SIGKILL) — never anything it did not start.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
STOP_GRACE_SECONDS = 20
# How each stops cleanly: gunicorn's master finishes the requests in progress on SIGTERM; the
# scheduler command ends on Ctrl-C ("调度器已停止", exit 0), so a non-zero code means it failed.
STOP_SIGNALS = {"gunicorn": signal.SIGTERM, "scheduler": signal.SIGINT}


def free_port() -> int:
    """A loopback port nobody listens on now (gunicorn binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(url: str, port: int, workers: int, secret: str) -> dict[str, str]:
    """The app's configuration for the children: the temporary database, nothing sent outside."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            # CRM_* comes after instance/config.py: a developer's local settings can't redirect the run
            "CRM_SQLALCHEMY_DATABASE_URI": url,
            "CRM_SECRET_KEY": secret,  # never instance/secret_key
            "CRM_MAIL_SERVER": "",  # reminder e-mail goes to the outbox table
            "CRM_WEBHOOK_URL": "",
            "CRM_BASE_URL": f"http://127.0.0.1:{port}",
            "CRM_WEB_WORKERS": str(workers),  # what the config file reads; --workers says the same
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def gunicorn_command(port: int, workers: int, logs: Path) -> list[str]:
    """gunicorn as deployed (deploy/gunicorn.conf.py), on a loopback port with the given workers.

    The command line wins over the config file: bind, workers and the log files are the run's own.
    """
    return [
        *(str(BIN / "gunicorn"), "--config", str(GUNICORN_CONF)),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
        *("--access-logfile", str(logs / "gunicorn-access.log")),
        *("--error-logfile", str(logs / "gunicorn-error.log")),
        "wsgi:app",
    ]


class Servers:
    """Start with start(); always stop() (a finally), which is safe to call twice."""

    def __init__(self, url: str, workers: int, logs: Path, secret: str):
        self.port = free_port()
        self.workers = workers
        self.logs = logs
        self.env = environment(url, self.port, workers, secret)
        self.children: dict[str, subprocess.Popen] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        self._spawn("gunicorn", gunicorn_command(self.port, self.workers, self.logs))
        self._spawn("scheduler", [str(BIN / "flask"), "--app", "wsgi", "scheduler"])
        self.wait_healthy(timeout)

    def _spawn(self, name: str, command: list[str]) -> None:
        out = (self.logs / f"{name}.out").open("w")
        self.children[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()  # the child holds its own copy

    def wait_healthy(self, timeout: float) -> dict:
        """/healthz's answer once it says ok; RuntimeError if a child died or time ran out."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_running()
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=5) as response:
                    answer = json.load(response)
                if answer.get("status") == "ok":
                    return answer
            except (OSError, urllib.error.URLError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.base_url}/healthz did not answer ok within {timeout:.0f} s")
            time.sleep(0.5)

    def check_running(self) -> None:
        for name, child in self.children.items():
            if child.poll() is not None:
                raise RuntimeError(f"{name} exited with {child.returncode}; its logs are in {self.logs}")

    def stop(self) -> dict[str, int | None]:
        """Stop every child (gunicorn's master stops its workers); their exit codes."""
        for name, child in self.children.items():
            if child.poll() is None:
                child.send_signal(STOP_SIGNALS[name])
        codes = {}
        for name, child in self.children.items():
            try:
                codes[name] = child.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                codes[name] = child.wait()
        self.children.clear()
        return codes
