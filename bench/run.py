"""make bench: build the demo data into temporary databases, measure, write bench/results.{json,md}.

Options (environment): BENCH_SCALE (default 10), BENCH_REQUESTS (timed requests per page, default 30),
BENCH_DATABASES (default "sqlite postgresql"; PostgreSQL is skipped when the server doesn't answer),
BENCH_POSTGRES_URL (the server's maintenance database). See bench/__init__.py for the method.
"""

import gc
import os
import platform
import sys
from datetime import datetime
from pathlib import Path

from flask import Flask

from bench import databases, jobs, pages, report
from crm.auth.services import generate_password
from crm.extensions import db

HERE = Path(__file__).parent
SMALL_SCALE = 1


def options() -> dict:
    return {
        "scale": int(os.environ.get("BENCH_SCALE", "10")),
        "requests": int(os.environ.get("BENCH_REQUESTS", "30")),
        "databases": os.environ.get("BENCH_DATABASES", "sqlite postgresql").split(),
    }


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def main() -> int:
    opts = options()
    results = {"environment": environment(opts), "targets": report.TARGETS, "databases": {}}
    for kind in opts["databases"]:
        if kind == "postgresql" and not databases.postgres_reachable():
            say("PostgreSQL is not reachable: skipped")
            results["databases"][kind] = {"skipped": "PostgreSQL 未连接（127.0.0.1:5432 无响应）"}
            continue
        results["databases"][kind] = bench_database(kind, opts)
    results["environment"]["load_average_end"] = os.getloadavg()
    report.write(results, HERE / "results.json", HERE / "results.md")
    say(f"written {HERE / 'results.md'} and results.json")
    return 0


def bench_database(kind: str, opts: dict) -> dict:
    """The main scale with its jobs, then scale 1 for the statement comparison."""
    password = generate_password()
    main = measure_scale(kind, opts["scale"], opts["requests"], password, people=None, with_jobs=True)
    if opts["scale"] == SMALL_SCALE:
        return report.combine(main, main)
    requests = max(5, opts["requests"] // 3)  # only the statement counts matter here
    small = measure_scale(kind, SMALL_SCALE, requests, password, people=main["people"], with_jobs=False)
    return report.combine(main, small)


def measure_scale(kind: str, scale: int, requests: int, password: str, people, with_jobs: bool) -> dict:
    """Load a temporary database at scale and measure its pages, then (with_jobs) the jobs.

    people: chosen in this database when None, else the main scale's choice (the same names exist).
    """
    with databases.temporary_database(kind, f"scale{scale}") as url:
        app = databases.bench_app(url)
        try:
            say(f"{kind} scale {scale}: loading demo data")
            loaded = databases.load_demo(app, scale, password)
            say(f"{kind} scale {scale}: loaded in {loaded:.0f} s")
            people = people or pages.choose_people(app)
            result = {"scale": scale, "load_s": round(loaded, 1), "people": people}
            result["version"] = databases.server_version(app)
            result["pages"] = measure_pages(app, people, password, requests, kind, scale)
            if with_jobs:
                say(f"{kind} scale {scale}: reminder scan and exports")
                result["jobs"] = jobs.measure_jobs(app)
            return result
        finally:
            databases.dispose(app)


def measure_pages(app: Flask, people, password: str, requests: int, kind: str, scale: int) -> dict:
    """role -> page key -> figures, for the city head and the officer."""
    with app.app_context():
        log = pages.StatementLog(db.engine)
    # As each gunicorn worker does once the app is loaded (deploy/gunicorn.conf.py, post_worker_init).
    gc.collect()
    gc.freeze()
    by_role = {}
    for role, username in (("head", pages.HEAD), ("officer", people.officer)):
        client = pages.login(app, username, password)
        by_role[role] = {"username": username, "pages": {}}
        for page in pages.page_list(app, people, username):
            figures = pages.measure(client, page.path, requests, log)
            figures |= {
                "label": page.label,
                "path": page.path,
                "profile": pages.profile(client, page.path, log),
            }
            if figures["p95_ms"] >= report.TARGETS["page_p95_ms"]:
                figures["python_profile"] = pages.python_profile(client, page.path)
            by_role[role]["pages"][page.key] = figures
            say(
                f"{kind} s{scale} {role:7} {page.key:18} p50 {figures['p50_ms']:7.1f}  p95 {figures['p95_ms']:7.1f}  {figures['statements']} st"
            )
    gc.unfreeze()
    return by_role


def environment(opts: dict) -> dict:
    import sqlite3

    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "load_average_start": os.getloadavg(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "scale": opts["scale"],
        "requests_per_page": opts["requests"],
        "warmup_requests": pages.WARMUP,
        "job_runs": jobs.RUNS,
    }


if __name__ == "__main__":
    sys.exit(main())
