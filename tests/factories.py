"""Shared test helpers, the one module tests import them from (the route tables: tests/routes.py).

Users and logins, records made through the same services the app uses, the dated situations the
reminder and weekly-summary tests build on, statement counting, and the browser journeys' steps.
"""

import hashlib
import io
import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import TypeVar
from zoneinfo import ZoneInfo

import openpyxl
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from crm import create_app
from crm.auth.services import create_user, resolve_scope
from crm.core.ownership import reassign
from crm.core.timeutil import local_today
from crm.extensions import db
from crm.followups.services import FollowUpInput, log_follow_up
from crm.models import (
    Cluster,
    FollowUp,
    HistoryEntry,
    Notification,
    OutgoingMessage,
    Problem,
    ProblemCategory,
    Project,
    ReminderDelivery,
    TargetCompany,
    User,
)
from crm.projects.services import (
    ProblemInput,
    ProjectInput,
    create_project,
    move_problem,
    raise_problem,
)
from crm.projects.stages import StageMove, move_stage
from crm.reminders import services as reminders
from crm.reports.scope import ReportScope
from crm.reports.weeks import IsoWeek
from crm.stall.rules import evaluate
from crm.targets.services import TargetInput, create_target

PASSWORD = "Test-password-2026"
T = TypeVar("T")
SHANGHAI = ZoneInfo("Asia/Shanghai")
CLUSTER_OF_REGION = {
    "南湖区": "南湖区微电子",
    "嘉善县": "嘉善县集成电路",
    "桐乡市": "桐乡市新材料",
}
_user_numbers = iter(range(1, 1_000_000))
_names = iter(range(1, 10_000_000))


# --- users and logins ---------------------------------------------------------------------------------


def make_user(app, role="officer", scope="全市", username=None, password=PASSWORD, **fields) -> int:
    """Create an active user and return its id."""
    with app.app_context():
        region = resolve_scope(scope)
        username = username or f"{role}-{region.code if region else 'city'}-{next(_user_numbers)}"
        user = create_user(username, role, region, password, **fields)
        db.session.commit()
        return user.id


class AuthActions:
    def __init__(self, app, client):
        self._app = app
        self._client = client

    def login(self, role="officer", scope="全市", username=None, password=PASSWORD, **fields) -> int:
        """Create a user with this role and scope, log in as them, and return the user id."""
        user_id = make_user(self._app, role, scope, username, password, **fields)
        with self._app.app_context():
            name = db.session.get(User, user_id).username
        response = self._client.post("/login", data={"username": name, "password": password})
        assert response.status_code == 302, "login failed"
        return user_id

    def logout(self):
        return self._client.post("/logout")


# --- records ------------------------------------------------------------------------------------------


def cluster_id(name: str) -> int:
    return db.session.scalar(sa.select(Cluster.id).where(Cluster.name == name))


def jiaxing_today(app) -> date:
    with app.app_context():
        return local_today()


def make_target(app, owner_id: int, region: str = "南湖区", **fields) -> int:
    """Create a target company in region's cluster owned by owner_id; returns its id."""
    with app.app_context():
        owner = db.session.get(User, owner_id)
        values = {
            "name": f"测试企业{next(_names)}有限公司",
            "cluster_id": cluster_id(CLUSTER_OF_REGION[region]),
            "source": "招商地图",
            "owner_id": owner_id,
            "intended_investment": Decimal("5.00"),
        }
        values.update(fields)
        target = create_target(TargetInput(**values), owner)
        db.session.commit()
        return target.id


def target_state(app, target_id: int) -> tuple:
    """What a refused request must not change."""
    with app.app_context():
        t = db.session.get(TargetCompany, target_id)
        follow_ups = db.session.scalar(
            sa.text("SELECT count(*) FROM follow_up WHERE target_id = :i"), {"i": t.id}
        )
        history = db.session.scalar(
            sa.text("SELECT count(*) FROM history_entry WHERE entity_type = 'target' AND entity_id = :i"),
            {"i": t.id},
        )
        return (t.name, t.status, t.owner_id, t.version, t.next_follow_up_on, follow_ups, history)


def make_project(
    app, owner_id: int, region: str = "南湖区", stage: str = "在谈", next_follow_up_on=None, **fields
) -> int:
    """Create a project owned by owner_id and move it (with evidence) to stage; returns its id.

    next_follow_up_on, when given, is set afterwards, as a follow-up would set it.
    """
    with app.app_context():
        owner = db.session.get(User, owner_id)
        values = {
            "name": f"测试项目{next(_names)}",
            "company_name": "测试投资有限公司",
            "cluster_id": cluster_id(CLUSTER_OF_REGION[region]),
            "owner_id": owner_id,
            "total_investment": Decimal("10.00"),
        }
        values.update(fields)
        project = create_project(ProjectInput(**values), owner)
        evidence = {
            "signed_on": date(2026, 3, 2),
            "signed_investment": Decimal("8.00"),
            "actual_start_on": date(2026, 6, 1),
            "actual_completion_on": date(2026, 10, 9),
        }
        needed = {"拟建": 2, "在建": 3, "建成投产": 4}.get(stage, 0)  # only the evidence the stage needs
        evidence = dict(list(evidence.items())[:needed])
        if stage != "在谈":
            move_stage(project, StageMove(stage, "测试推进", evidence), owner, date(2026, 11, 20))
        if next_follow_up_on is not None:
            db.session.commit()
            project.next_follow_up_on = next_follow_up_on
        db.session.commit()
        return project.id


def project_state(app, project_id: int) -> tuple:
    with app.app_context():
        p = db.session.get(Project, project_id)
        counts = [
            db.session.scalar(sa.text(sql), {"i": p.id})
            for sql in (
                "SELECT count(*) FROM follow_up WHERE project_id = :i",
                "SELECT count(*) FROM history_entry WHERE entity_type = 'project' AND entity_id = :i",
                "SELECT count(*) FROM problem WHERE project_id = :i",
                "SELECT count(*) FROM milestone WHERE project_id = :i",
            )
        ]
        return (p.name, p.stage, p.owner_id, p.version, p.next_follow_up_on, *counts)


def add_problem(app, project_id: int, unit: str = "市自然资源和规划局", category="用地", **fields) -> int:
    """A 要素保障 problem on the project, raised ten days ago by its owner unless fields say otherwise."""
    with app.app_context():
        project = db.session.get(Project, project_id)
        problem = Problem(
            project=project,
            category=ProblemCategory(category),
            description=fields.pop("description", "土地指标待落实"),
            responsible_unit=unit,
            raised_on=fields.pop("raised_on", local_today() - timedelta(days=10)),
            raised_by_id=project.owner_id,
            **fields,
        )
        db.session.add(problem)
        db.session.commit()
        return problem.id


# --- items at a warning level now (黄灯/红灯) ----------------------------------------------------------

# How late the next follow-up is, in calendar days: a month late is long past the 5 working days of
# escalation (红灯); a day late is stalled but not escalated (黄灯); a date ahead is no stall.
LATE_DAYS = {"red": 30, "yellow": 1, None: -3}


def set_level(app, model, item_id: int, level: str | None) -> None:
    """Date the item so that it is red, yellow or not stalled now (checked with evaluate())."""
    with app.app_context():
        today = local_today()
        values = {
            "last_follow_up_on": today - timedelta(days=2),  # followed up lately: no 超期未跟进
            "next_follow_up_on": today - timedelta(days=LATE_DAYS[level]),
            "stage_since" if model is Project else "status_since": datetime.now(UTC) - timedelta(days=60),
        }
        db.session.execute(sa.update(model).where(model.id == item_id).values(**values))
        db.session.commit()
        item = db.session.get(model, item_id)
        assert evaluate(item, datetime.now(UTC)).level == level, (item.name, level)


def warned_target(app, owner: int, name: str, level: str | None, region: str = "南湖区", **fields) -> int:
    target_id = make_target(app, owner, region, name=name, **fields)
    set_level(app, TargetCompany, target_id, level)
    return target_id


def warned_project(app, owner: int, name: str, level: str | None, region: str = "南湖区", **fields) -> int:
    project_id = make_project(app, owner, region, name=name, **fields)
    set_level(app, Project, project_id, level)
    return project_id


# --- reminder runs at an explicit moment --------------------------------------------------------------


def jiaxing_at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in Jiaxing."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


AS_OF = jiaxing_at(date(2026, 12, 1))  # a Tuesday
# At AS_OF: next follow-up 11-16 missed → 跟进逾期 since 11-17, 11 working days: 红灯.
RED = {"next_on": date(2026, 11, 16), "last_on": date(2026, 11, 13)}
# Next follow-up 11-27 (a Friday) missed → since 11-28, 2 working days (11-30, 12-01): 黄灯.
YELLOW = {"next_on": date(2026, 11, 27), "last_on": date(2026, 11, 20)}


def follow_ups(app, model, item_id: int, next_on: date | None, last_on: date | None, begun=date(2026, 9, 1)):
    """Set the item's follow-up dates, in a status/stage begun long before them."""
    since = "stage_since" if model is Project else "status_since"
    with app.app_context():
        db.session.execute(
            sa.update(model)
            .where(model.id == item_id)
            .values({since: jiaxing_at(begun), "next_follow_up_on": next_on, "last_follow_up_on": last_on})
        )
        db.session.commit()


def remind(app, as_of: datetime, dry_run: bool = False) -> dict:
    """services.run as the scheduler calls it; a plain summary of the report."""
    with app.app_context():
        report = reminders.run(as_of, dry_run=dry_run)
        return {
            "stalled": report.stalled,
            "claimed": sorted((m.channel, m.status) for m in report.claimed),
            "skipped": report.skipped,
            "retried": report.retried,
        }


def rows(app, model, *where) -> list:
    with app.app_context():
        return list(db.session.scalars(sa.select(model).where(*where).order_by(model.id)))


def notes(app, user_id: int) -> list[Notification]:
    return rows(app, Notification, Notification.user_id == user_id)


def counts(app) -> tuple[int, int, int]:
    """Rows of outgoing_message, reminder_delivery and notification."""
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (OutgoingMessage, ReminderDelivery, Notification)
        )


# --- the weekly summary's fortnight -------------------------------------------------------------------
# Made through the real services (so history is what the app writes), then each step's rows are moved
# back to the moment the step happened. Weeks (Asia/Shanghai): W45 = 11-02..11-08, W46 = 11-09..11-15,
# W47 = 11-16..11-22.

W45, W46, W47 = (IsoWeek.parse(f"2026-W{n}", SHANGHAI) for n in (45, 46, 47))
STAMPED = [
    (TargetCompany, ("created_at", "updated_at", "status_since")),
    (Project, ("created_at", "updated_at", "stage_since")),
    (HistoryEntry, ("created_at",)),
    (FollowUp, ("created_at",)),
    (Problem, ("created_at", "updated_at")),
]


def jiaxing_at_utc(day: date, hour: int = 10) -> datetime:
    """A moment in Jiaxing, in UTC."""
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


def backdate(moment: datetime) -> None:
    """Move every timestamp written in the last minutes (this step's) back to the step's moment."""
    recent = datetime.now(UTC) - timedelta(minutes=10)
    for model, columns in STAMPED:
        for name in columns:
            column = getattr(model, name)
            db.session.execute(sa.update(model).where(column > recent).values({name: moment}))
    db.session.commit()


def follow_up(item, actor, occurred: date, next_on: date, next_step: str = "") -> None:
    log_follow_up(
        item,
        actor,
        FollowUpInput(occurred, "走访", "走访企业", next_step=next_step, next_follow_up_on=next_on),
    )


def city_scope() -> ReportScope:
    return ReportScope(None)


class Story:
    """The fortnight, and what happened after it (which the W46 summary must not see)."""

    def __init__(self, app):
        self.wang = make_user(app, "officer", "南湖区", display_name="王专员")
        self.zhao = make_user(app, "officer", "嘉善县", display_name="赵专员")
        self.li = make_user(app, "officer", "南湖区", display_name="李专员")
        self.head = make_user(app, "head", "全市", display_name="孙局长")
        with app.test_request_context():  # a reassignment's notice links to the item
            self._fortnight()
            self._afterwards()

    def _fortnight(self):
        wang, zhao, head = (db.session.get(User, i) for i in (self.wang, self.zhao, self.head))
        nanhu, jiashan = cluster_id("南湖区微电子"), cluster_id("嘉善县集成电路")
        # W45
        t1 = create_target(
            TargetInput(name="=嘉兴甲芯科技有限公司", cluster_id=nanhu, source="招商地图", owner_id=wang.id),
            wang,
        )
        backdate(jiaxing_at_utc(date(2026, 11, 2)))
        p1 = create_project(
            ProjectInput(
                name="甲芯晶圆项目",
                company_name="甲芯科技",
                cluster_id=nanhu,
                owner_id=wang.id,
                is_landmark=True,
                total_investment=Decimal("10.10"),
                leader_name="张副市长",
                planned_start_on=date(2026, 11, 20),
            ),
            wang,
        )
        backdate(jiaxing_at_utc(date(2026, 11, 3)))
        t2 = create_target(
            TargetInput(name="嘉善乙微电子有限公司", cluster_id=jiashan, source="展会", owner_id=zhao.id),
            zhao,
        )
        p2 = create_project(
            ProjectInput(
                name="乙封装测试项目",
                company_name="乙微电子",
                cluster_id=jiashan,
                owner_id=zhao.id,
                total_investment=Decimal("20.25"),
            ),
            zhao,
        )
        backdate(jiaxing_at_utc(date(2026, 11, 4)))
        evidence = {"signed_on": date(2026, 11, 4), "signed_investment": Decimal("8.00")}
        move_stage(p1, StageMove("拟建", "签约仪式", evidence), wang, date(2026, 11, 5))
        backdate(jiaxing_at_utc(date(2026, 11, 5)))
        problem = raise_problem(
            p1,
            ProblemInput("用地", "用地指标待落实", "南湖区自然资源和规划分局", date(2026, 11, 6)),
            wang,
            date(2026, 11, 6),
        )
        follow_up(p1, wang, date(2026, 11, 6), date(2026, 11, 13), "对接规划")
        backdate(jiaxing_at_utc(date(2026, 11, 6)))
        # W46
        follow_up(t1, wang, date(2026, 11, 9), date(2026, 11, 12))
        backdate(jiaxing_at_utc(date(2026, 11, 9)))
        t3 = create_target(
            TargetInput(name="南湖丙材料有限公司", cluster_id=nanhu, source="以商引商", owner_id=wang.id),
            wang,
        )
        backdate(jiaxing_at_utc(date(2026, 11, 10)))
        move_stage(
            p1, StageMove("在建", "开工", {"actual_start_on": date(2026, 11, 10)}), wang, date(2026, 11, 11)
        )
        backdate(jiaxing_at_utc(date(2026, 11, 11)))
        move_problem(problem, "已解决", "指标已调剂", head, date(2026, 11, 12))
        backdate(jiaxing_at_utc(date(2026, 11, 12)))
        follow_up(t2, zhao, date(2026, 11, 13), date(2026, 11, 18))
        backdate(jiaxing_at_utc(date(2026, 11, 13)))
        self.ids = {"t1": t1.id, "t2": t2.id, "t3": t3.id, "p1": p1.id, "p2": p2.id, "problem": problem.id}

    def _afterwards(self):
        """W47 and later: a signing dated in W46 but entered on Monday, and changes to W46's items."""
        wang, zhao, li = (db.session.get(User, i) for i in (self.wang, self.zhao, self.li))
        p1, p2 = (db.session.get(Project, self.ids[k]) for k in ("p1", "p2"))
        t1 = db.session.get(TargetCompany, self.ids["t1"])
        evidence = {"signed_on": date(2026, 11, 13), "signed_investment": Decimal("18.00")}
        move_stage(p2, StageMove("拟建", "补录签约", evidence), zhao, date(2026, 11, 16))
        backdate(jiaxing_at_utc(date(2026, 11, 16), 9))
        reassign(t1, li, wang, "工作调整")
        follow_up(t1, li, date(2026, 11, 17), date(2026, 11, 24), "再次走访")
        p1.name, p1.leader_name = (
            "甲芯晶圆二期项目",
            "陈副市长",
        )  # plain edits, as below: history records them
        db.session.add(
            HistoryEntry(
                entity_type="project",
                entity_id=p1.id,
                action="updated",
                field="name",
                old_value="甲芯晶圆项目",
                new_value="甲芯晶圆二期项目",
                actor_id=wang.id,
            )
        )
        db.session.add(
            HistoryEntry(
                entity_type="project",
                entity_id=p1.id,
                action="updated",
                field="leader_name",
                old_value="张副市长",
                new_value="陈副市长",
                actor_id=wang.id,
            )
        )
        move_stage(
            p1,
            StageMove("建成投产", "投产", {"actual_completion_on": date(2026, 11, 18)}),
            wang,
            date(2026, 11, 18),
        )
        problem = db.session.get(Problem, self.ids["problem"])
        move_problem(problem, "协调中", "指标调剂被收回", wang, date(2026, 11, 18))
        create_target(
            TargetInput(
                name="后来的企业有限公司",
                cluster_id=cluster_id("南湖区微电子"),
                source="展会",
                owner_id=wang.id,
            ),
            wang,
        )
        backdate(jiaxing_at_utc(date(2026, 11, 18)))


# --- forms as a page renders them (one-time form tokens) ----------------------------------------------


class _FormReader(HTMLParser):
    """Every <form> of a page: its action and the values a browser would send as the page stands."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str | None, dict[str, str]]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a.get("action"), {}))
        elif tag == "option" and self._select and self.forms:
            fields = self.forms[-1][1]
            if self._select not in fields or "selected" in a:  # the first option, unless one is selected
                fields[self._select] = a.get("value", "")
        elif not self.forms or "name" not in a:
            return
        elif tag == "input" and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.forms[-1][1][a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select = a["name"]
        elif tag == "textarea":
            self._textarea = a["name"]
            self.forms[-1][1][a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1][1][self._textarea] += data

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def page_form(html: str, action: str | None = None, first: bool = False) -> dict[str, str]:
    """The fields of the page's form posting to action (None: the form with no action, the page itself);
    the only such form, or with first the first of several."""
    reader = _FormReader()
    reader.feed(html)
    found = [fields for form_action, fields in reader.forms if form_action == action]
    assert len(found) == 1 or (first and found), f"{len(found)} forms with action {action!r}"
    return found[0]


def at_once(*requests: Callable[[], T]) -> list[T]:
    """Run each request in its own thread, all released together; their results, in order.

    Each thread must use its own test client (its own session cookie) and so its own app context,
    session and connection, as two browser tabs reaching two workers would."""
    start = threading.Barrier(len(requests), timeout=120)  # only a broken run waits this long
    results: list = [None] * len(requests)
    errors: list[BaseException] = []

    def run(index: int, request: Callable[[], T]) -> None:
        try:
            start.wait()
            results[index] = request()
        except BaseException as error:  # reported by the calling thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def log_in_again(app, user_id: int):
    """Another test client (another browser tab's session) signed in as the same user."""
    client = app.test_client()
    with app.app_context():
        name = db.session.get(User, user_id).username
    assert client.post("/login", data={"username": name, "password": PASSWORD}).status_code == 302
    return client


# --- statement counts ---------------------------------------------------------------------------------


# Not the page's work: connection settings, and the savepoints a transactional test wraps its sessions in
# (tests/conftest.py; the app itself never makes one).
UNCOUNTED = ("PRAGMA", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def count_statements(app, client, path: str) -> int:
    """SQL statements one (warmed-up) GET of path issues, PRAGMAs and the tests' savepoints aside."""
    with app.app_context():
        engine = db.engines[None]  # the engine, or the connection a transactional test runs on
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(UNCOUNTED) and not conn.info.get("replaying"):
            statements.append(statement)

    client.get(path)  # warm up: connection set-up and caches are not the page's work
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements)


# --- the suite's database, and apps on other databases (backup, copy-data, deploy) --------------------


def suite_url(app) -> sa.URL:
    return sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])


def kind_of(app) -> str:
    return suite_url(app).get_backend_name()


def build_app(url: str, csrf: bool = False):
    """The app as the suite configures it, on another database — or, with csrf, on any database with
    CSRF checked as in production (where refusal is what a test is about; the browser tests' server)."""
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret-key",
            "WTF_CSRF_ENABLED": csrf,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )


def csrf_token_of(client, path: str = "/login") -> str:
    """The CSRF token of the first form on path (a page of a build_app(csrf=True) app)."""
    html = client.get(path).get_data(as_text=True)
    field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
    return re.search(r'value="([^"]+)"', field).group(1)


def everything(app) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    with app.app_context():
        rows = {}
        for table in db.metadata.sorted_tables:
            query = sa.select(table).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(row) for row in db.session.execute(query)]
        rows["alembic_version"] = list(db.session.execute(sa.text("SELECT version_num FROM alembic_version")))
        db.session.remove()
        return rows


# --- browser journeys (tests/browser) -----------------------------------------------------------------

LOGIN_URL = re.compile(r"/login(\?.*)?$")
DESK_URL = re.compile(r"^https?://[^/]+/$")  # 我的工作台, the landing page after login
PHONE_WIDTH = 375


def shanghai_today() -> date:
    """Today as the bureau sees it (the app's TIMEZONE), whatever this machine's zone."""
    return datetime.now(SHANGHAI).date()


def fill_login(page: Page, username: str, password: str) -> None:
    """Fill and submit the login form on the current page."""
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


def log_in(page: Page, username: str, password: str) -> None:
    """Open the login page and sign in."""
    page.goto("/login")
    fill_login(page, username, password)


def scripts_ran(page: Page) -> None:
    """Wait for the current page's load event: by then its scripts (Bootstrap's, static/js/app.js) have
    run, so a click on what they drive (a dropdown, 记录跟进 on the desk, a data-confirm button) does
    what a person's would. Playwright clicks as soon as the element shows, which on a busy machine
    can be before the scripts at the end of the page are fetched."""
    page.wait_for_load_state("load")


def log_out(page: Page) -> None:
    """Sign out through the user dropdown and check the login page is back."""
    scripts_ran(page)
    page.locator(".navbar .dropdown-toggle").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_role("alert")).to_contain_text("您已退出登录。")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def nav_link(page: Page, name: str):
    """A link in the top navigation bar."""
    return page.locator("nav.navbar").get_by_role("link", name=name, exact=True)


# --- what a refused request must leave unchanged ----------------------------------------------------------

# A refusal is audited (the one change it may make); a weekly summary read may keep a built copy.
UNWATCHED_TABLES = frozenset({"audit_event", "report_cache"})


def digest() -> dict[str, object]:
    """Per table (but UNWATCHED_TABLES), something that changes whenever a row of it is written.

    SQLite: a hash of every row. PostgreSQL: the rows this transaction has inserted, updated and
    deleted so far (pg_stat_xact_user_tables) — one query instead of reading every table, and even
    a write a savepoint undid counts. That needs the test's one transaction (not real_commits).
    """
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            ongoing = conn.scalar(sa.text("SELECT now() < statement_timestamp()"))
            assert ongoing, "digest() on PostgreSQL needs the test's one transaction (not real_commits)"
            rows = conn.execute(
                sa.text("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables")
            )
            return {name: counts for name, *counts in rows if name not in UNWATCHED_TABLES}
        hashes: dict[str, object] = {}
        for table in db.metadata.sorted_tables:
            if table.name not in UNWATCHED_TABLES:
                found = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
                hashes[table.name] = hashlib.sha256(repr(found).encode()).hexdigest()
        return hashes


# --- import files ---------------------------------------------------------------------------------------

BOUNDARY = "crm-test-boundary"


def xlsx_bytes(headers: list, rows) -> bytes:
    """A one-sheet workbook: the headers, then the rows."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for cells in rows:
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload_import(client, list_path: str, content: bytes, filename: str):
    """POST a file to a list's import (e.g. "/projects/import").

    Encoded here: the test client spools bodies over 500 KB to a temporary file it never closes."""
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n\r\n'
    body = head.encode() + content + f"\r\n--{BOUNDARY}--\r\n".encode()
    return client.post(list_path, data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}")


def upload_import_ok(client, list_path: str, content: bytes, filename: str) -> int:
    """The id of the batch an accepted upload made."""
    response = upload_import(client, list_path, content, filename)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").split("/")[-1])
