"""Page timings: who logs in, which pages, and the measurement of one page.

Server time is the wall clock around the test client's GET, in-process (no network). Statements are
counted by a listener on the app's engine; a profiled request also keeps each statement's duration.
"""

import cProfile
import os
import pstats
import re
import statistics
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from crm.core.timeutil import local_today, local_zone
from crm.extensions import db
from crm.models import Cluster, Project, ProjectStage, Role, TargetCompany, TargetStatus, User
from crm.reports.weeks import IsoWeek

WARMUP = 3
BASELINE = "account"  # the page every other page is compared with
HEAD = "city-head"  # the demo's city-level head (role head, scope 全市)
TOP_STATEMENTS = 5
TOP_FUNCTIONS = 12
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    path: str


@dataclass(frozen=True)
class People:
    """Whom and what the pages are about, chosen once at the main scale and reused at scale 1."""

    officer: str
    officer_open_items: int
    cluster: str


def choose_people(app: Flask) -> People:
    """The demo officer owning the most open items, and the cluster with the most target companies."""
    with app.app_context():
        counts: dict[str, int] = {}
        for model, column, closed in (
            (TargetCompany, TargetCompany.status, [s for s in TargetStatus if s.is_closed]),
            (Project, Project.stage, [s for s in ProjectStage if s.is_closed]),
        ):
            rows = db.session.execute(
                sa.select(User.username, sa.func.count())
                .join(model, model.owner_id == User.id)
                .where(User.role == Role.OFFICER, column.not_in(closed))
                .group_by(User.username)
            )
            for username, count in rows:
                counts[username] = counts.get(username, 0) + count
        officer = max(sorted(counts), key=counts.__getitem__)
        cluster = db.session.scalar(
            sa.select(Cluster.name)
            .join(TargetCompany, TargetCompany.cluster_id == Cluster.id)
            .group_by(Cluster.name)
            .order_by(sa.func.count().desc(), Cluster.name)
            .limit(1)
        )
    return People(officer, counts[officer], cluster)


def page_list(app: Flask, people: People, username: str) -> list[Page]:
    """Every page measured for username, with ids looked up in this database."""
    with app.app_context():
        cluster = db.session.scalar(sa.select(Cluster).where(Cluster.name == people.cluster))
        user = db.session.scalar(sa.select(User).where(User.username == username))
        region = user.region_id or cluster.region_id  # a filter inside the reader's scope
        this_week = IsoWeek.of(local_today(), local_zone())
        week = this_week.shifted(-1).code
    c = cluster.id
    return [
        Page("healthz", "健康检查（框架，无登录）", "/healthz"),
        Page(BASELINE, "修改密码（基线：登录后的空页面）", "/account/password"),
        Page("desk", "我的工作台", "/"),
        Page("board", "项目看板", "/projects/board"),
        Page("projects", "项目清单", "/projects/"),
        Page(
            "projects_filtered",
            "项目清单 在谈·红灯·按下次跟进",
            "/projects/?stage=在谈&warning=red&sort=next",
        ),
        Page("projects_search", "项目清单 搜索“芯片”", "/projects/?q=芯片"),
        Page("targets", "招商清单", "/targets/"),
        Page(
            "targets_filtered",
            "招商清单 已接触·预警·地区",
            f"/targets/?status=已接触&warning=any&region={region}",
        ),
        Page("targets_search", "招商清单 搜索“科技”", "/targets/?q=科技"),
        Page("cluster", "集群页（产业链图谱）", f"/clusters/{c}"),
        Page("cluster_targets", "集群 招商清单", f"/clusters/{c}/targets"),
        Page("warnings", "预警", "/warnings"),
        Page("dashboard", "招商看板", "/reports/dashboard"),
        Page("weekly", f"周调度 {week}", f"/reports/weekly?week={week}"),
        Page(
            "weekly_warnings",
            f"周调度 {week} 通报第 2 页",
            f"/reports/weekly?week={week}&part=warnings&page=2",
        ),
        Page(
            "weekly_current",
            f"周调度 本周 {this_week.code}（进行中）",
            f"/reports/weekly?week={this_week.code}",
        ),
        Page("notifications", "消息中心", "/notifications"),
    ]


def login(app: Flask, username: str, password: str) -> FlaskClient:
    """A client signed in through the real login form (CSRF token included)."""
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    data = {"username": username, "password": password, "csrf_token": token[1] if token else ""}
    response = client.post("/login", data=data)
    if response.status_code != 302 or "/account/password" in response.location:
        raise RuntimeError(f"login as {username} failed ({response.status_code})")
    return client


class StatementLog:
    """Counts the statements an engine executes; while `timings` is a list, also their durations."""

    def __init__(self, engine: sa.Engine):
        self.count = 0
        self.timings: list[tuple[str, float]] | None = None
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.count += 1
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        started = conn.info.pop("bench_started", None)
        if self.timings is not None and started is not None:
            self.timings.append((statement, time.perf_counter() - started))


def measure(client: FlaskClient, path: str, requests: int, log: StatementLog) -> dict:
    """p50/p95 server time (ms) and statements per request of GET path."""
    for _ in range(WARMUP):
        _get(client, path)
    times, counts = [], []
    for _ in range(requests):
        before = log.count
        started = time.perf_counter()
        _get(client, path)
        times.append((time.perf_counter() - started) * 1000)
        counts.append(log.count - before)
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "statements": max(counts),
        "statements_vary": min(counts) != max(counts),
        "requests": requests,
    }


def profile(client: FlaskClient, path: str, log: StatementLog) -> dict:
    """One request with every statement timed: total SQL time, the slowest statements, and how many
    times each statement ran (abbreviated), to tell which ones a growing count comes from."""
    log.timings = []
    started = time.perf_counter()
    _get(client, path)
    total = (time.perf_counter() - started) * 1000
    timings, log.timings = log.timings, None
    by_text: dict[str, list[float]] = {}
    for statement, seconds in timings:
        by_text.setdefault(" ".join(statement.split()), []).append(seconds * 1000)
    top = sorted(by_text.items(), key=lambda pair: -sum(pair[1]))[:TOP_STATEMENTS]
    return {
        "request_ms": round(total, 1),
        "sql_ms": round(sum(seconds for _, seconds in timings) * 1000, 1),
        "top_statements": [
            {"ms": round(sum(ms), 1), "times": len(ms), "sql": abbreviate(text, 800)} for text, ms in top
        ],
        "statement_counts": {abbreviate(text, 240): len(ms) for text, ms in by_text.items()},
    }


def abbreviate(sql: str, limit: int = 400) -> str:
    """A statement without its long column list, cut at limit characters."""
    start = sql.find(" FROM ")
    if sql.startswith("SELECT ") and start > 80:
        sql = "SELECT … " + sql[start + 1 :]
    return sql if len(sql) <= limit else sql[:limit] + " …"


def python_profile(client: FlaskClient, path: str) -> dict:
    """One request under cProfile: the functions with the most time of their own, and the app's
    (crm/ and its templates) functions with the most time in total (ms, calls).

    For SQLite most of a query's work happens while its rows are fetched, so it shows up here as
    sqlite3's fetch methods rather than in the statement timings.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    _get(client, path)
    profiler.disable()
    # (file, line, function) -> (primitive calls, calls, own time, cumulative time, callers)
    rows = [
        (_short(file), line, name, *figures[1:4])
        for (file, line, name), figures in pstats.Stats(profiler).stats.items()
    ]
    own = sorted(rows, key=lambda row: -row[4])[:TOP_FUNCTIONS]
    app = sorted((row for row in rows if row[0].startswith("crm/")), key=lambda row: -row[5])
    return {
        "self": [_function(row) for row in own],
        "app_cumulative": [_function(row) for row in app[:TOP_FUNCTIONS]],
    }


def _function(row: tuple) -> dict:
    file, line, name, calls, own, cumulative = row
    return {
        "function": f"{name} ({file}:{line})",
        "self_ms": round(own * 1000, 1),
        "cumulative_ms": round(cumulative * 1000, 1),
        "calls": calls,
    }


def _short(file: str) -> str:
    if "site-packages/" in file:
        return file.split("site-packages/", 1)[1]
    return os.path.relpath(file, ROOT) if file.startswith(ROOT) else file


def percentile(values: list[float], pct: int) -> float:
    """The pct-th percentile, interpolated between the nearest ranks."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def _get(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
