"""make loadtest: the production setup under locust on loopback, then a check that nothing was lost.

Options (environment): LOADTEST_USERS (20), LOADTEST_SECONDS (60), LOADTEST_SCALE (1),
LOADTEST_WORKERS (gunicorn workers, 4), LOADTEST_OFFICERS (0: a demo officer per officer user; N: N
shared accounts); BENCH_POSTGRES_URL names the server's maintenance database (bench/databases.py).
See loadtest/__init__.py for the method. Exits non-zero when a reported write is missing, doubled or
unaudited, when a request failed (5xx or another unexpected answer), or when nothing was saved.
"""

import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from bench import databases
from crm.auth.services import generate_password
from crm.extensions import db
from crm.models import Project, ProjectStage, Role, TargetCompany, TargetStatus, User
from loadtest import report, verify
from loadtest.servers import BIN, GUNICORN_CONF, ROOT, Servers

HERE = Path(__file__).parent
WEIGHTS = {"officer": 6, "head": 1}  # as in locustfile.py (Officer.weight, Head.weight)
WAIT = "1–3"  # locustfile.py CrmUser.wait_time


def options() -> dict:
    users = int(os.environ.get("LOADTEST_USERS", "20"))
    return {
        "users": users,
        "seconds": int(os.environ.get("LOADTEST_SECONDS", "60")),
        "scale": int(os.environ.get("LOADTEST_SCALE", "1")),
        "workers": int(os.environ.get("LOADTEST_WORKERS", "4")),
        "spawn_rate": max(1, users // 5),  # everyone signed in within about 5 s
        # 0: every officer user is a different demo officer; N: only N officers, shared by the users
        # in turn, so that they edit the same rows at the same time (optimistic-lock refusals)
        "officers": int(os.environ.get("LOADTEST_OFFICERS", "0")),
    }


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def ensure_postgres() -> None:
    """Start the local cluster when nothing answers on 127.0.0.1:5432 (as .ci/run does)."""
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
        return
    say("PostgreSQL is not running: starting it")
    version_dir = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version_dir, "main", "start"], check=True)
    for _ in range(30):
        if databases.postgres_reachable():
            return
        time.sleep(1)
    raise RuntimeError("PostgreSQL did not start on 127.0.0.1:5432")


def choose_accounts(app: Flask) -> tuple[list[str], list[str]]:
    """Demo officers, those with the most projects to move first; then the heads, the city's first."""
    open_targets = [s for s in TargetStatus if not s.is_closed]
    movable = [ProjectStage.TALKS, ProjectStage.SIGNED, ProjectStage.BUILDING]
    with app.app_context():
        counts: dict[str, list[int]] = {}
        for index, (model, column, values) in enumerate(
            ((Project, Project.stage, movable), (TargetCompany, TargetCompany.status, open_targets))
        ):
            rows = db.session.execute(
                sa.select(User.username, sa.func.count())
                .join(model, model.owner_id == User.id)
                .where(User.role == Role.OFFICER, User.active, column.in_(values))
                .group_by(User.username)
            )
            for username, count in rows:
                counts.setdefault(username, [0, 0])[index] = count
        officers = sorted(counts, key=lambda name: ([-c for c in counts[name]], name))
        heads = list(
            db.session.scalars(
                sa.select(User.username)
                .where(User.role == Role.HEAD, User.active)
                .order_by(User.region_id.is_not(None), User.username)
            )
        )
    return officers, heads


def run_locust(opts: dict, base_url: str, env: dict) -> int:
    command = [
        str(BIN / "locust"),
        *("-f", str(HERE / "locustfile.py"), "--headless", "--only-summary"),
        *("-u", str(opts["users"]), "-r", str(opts["spawn_rate"]), "-t", f"{opts['seconds']}s"),
        *("--stop-timeout", "15", "--host", base_url),
        *("--loglevel", "WARNING", "--exit-code-on-error", "0"),
    ]
    child = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        return child.wait()
    finally:
        if child.poll() is None:  # interrupted: stop the users first
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def main() -> int:
    # Ctrl-C and a kill both unwind through the finally blocks: locust, gunicorn and the scheduler
    # are stopped and the database dropped (SIGINT is restored: a background shell ignores it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: signal.default_int_handler(signal.SIGINT, None))
    try:
        return run(options())
    except KeyboardInterrupt:
        say("interrupted: servers stopped, temporary database dropped; no results written")
        return 130
    except RuntimeError as error:  # a server that didn't come up or died: its log says why
        say(f"failed: {error}; servers stopped, temporary database dropped; no results written")
        return 1


def run(opts: dict) -> int:
    ensure_postgres()
    run_id = secrets.token_hex(3)
    work = Path(tempfile.mkdtemp(prefix=f"crm-loadtest-{run_id}-"))
    password = generate_password()
    results = {"environment": environment(), "settings": settings(opts), "run_id": run_id}
    say(f"run {run_id}; logs and locust's files in {work}")
    with databases.temporary_database("postgresql", f"loadtest_{run_id}") as url:
        app = databases.bench_app(url)
        try:
            say(f"loading demo data at scale {opts['scale']}")
            results["settings"]["load_s"] = round(databases.load_demo(app, opts["scale"], password), 1)
            results["environment"]["postgresql"] = databases.server_version(app)
            officers, heads = choose_accounts(app)
            officers = officers[: opts["officers"]] if opts["officers"] else officers
            servers = Servers(url, opts["workers"], work, secrets.token_hex(32))
            try:
                servers.start()
                say(f"gunicorn ({opts['workers']} workers) and the scheduler up on {servers.base_url}")
                env = servers.env | {
                    "PYTHONPATH": str(ROOT),
                    "LOADTEST_RUN_ID": run_id,
                    "LOADTEST_PASSWORD": password,
                    "LOADTEST_WRITES": str(work / "writes.jsonl"),
                    "LOADTEST_SUMMARY": str(work / "locust.json"),
                    "LOADTEST_OFFICER_ACCOUNTS": ",".join(officers),
                    "LOADTEST_HEAD_ACCOUNTS": ",".join(heads),
                }
                say(f"locust: {opts['users']} users for {opts['seconds']} s")
                results["locust_exit"] = run_locust(opts, servers.base_url, env)
                servers.check_running()  # a crashed server is a failed run, whatever locust saw
            finally:
                results["exit_codes"] = servers.stop()
            say("verifying the writes in the database")
            with app.app_context():
                results["writes"] = verify.verify(verify.read_writes(work / "writes.jsonl"), run_id)
        finally:
            databases.dispose(app)
    return finish(results, work)


def finish(results: dict, work: Path) -> int:
    results |= report.read_summary(work / "locust.json")
    results["server_errors"] = report.server_errors(results["failures"])
    results["environment"]["load_average_end"] = os.getloadavg()
    total, w = results["total"], results["writes"]
    # a run that saved nothing, or met unexpected answers, proves nothing either way
    results["ok"] = bool(
        w["ok"]
        and w["reported"]
        and total.get("count")
        and not total.get("failures")
        and not results["server_errors"]
    )
    report.write(results, HERE / "results.json", HERE / "results.md")
    say(
        f"{total.get('count', 0)} requests, {total.get('rps', 0)} req/s, {total.get('failures', 0)} failed "
        f"({results['server_errors']} 5xx); writes reported {w['reported']}, found {w['found']}, "
        f"missing {w['missing']}, audited {w['audited']}, not audited {w['not_audited']}, "
        f"refused as stale {w['conflicts']}"
    )
    say(f"{'OK' if results['ok'] else 'FAILED'}: written {HERE / 'results.md'} and results.json")
    return 0 if results["ok"] else 1


def environment() -> dict:
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "load_average_start": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "locust": version("locust"),
        "gunicorn": version("gunicorn"),
    }


def settings(opts: dict) -> dict:
    return opts | {
        "officer_weight": WEIGHTS["officer"],
        "head_weight": WEIGHTS["head"],
        "wait": WAIT,
        "gunicorn_config": str(GUNICORN_CONF.relative_to(ROOT)),
    }


if __name__ == "__main__":
    sys.exit(main())
