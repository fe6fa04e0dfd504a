"""Text with <script> or quotes is shown as text on every page and kept as plain text in exports.

Every text field of targets, projects, follow-ups, problems, milestones, 督办 instructions and users
holds a payload. Each payload carries its own number (alert(n)), so a failure names the field.
"""

import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa

from crm.core.timeutil import local_today, local_zone
from crm.extensions import db
from crm.followups.services import FollowUpInput, log_follow_up
from crm.models import Notification, Project, TargetCompany, User
from crm.projects.services import ProblemInput, add_milestone, move_problem, raise_problem
from crm.reminders import services as reminders
from crm.reports import records
from crm.reports.weeks import IsoWeek
from crm.targets.services import change_status
from tests.factories import PASSWORD, cluster_id, make_project, make_target, make_user


def script(n: int) -> str:
    return f"<script>alert({n})</script>"


def breakout(n: int) -> str:
    """Closes a quoted attribute and its tag, then opens an element with a handler."""
    return f"\"'><img src=x onerror=alert({n})>"


TARGET_FIELDS = {
    "name": script(101),
    "foreign_registration": breakout(102),
    "country": script(103),  # short columns get the shorter payload
    "hq_city": breakout(104),
    "industry_note": breakout(105) + script(105),
    "contact_name": breakout(106),
    "contact_title": script(107),
    "contact_phone": script(108),
    "contact_email": script(109) + "@x.cn",  # passes the e-mail check: no space, one @
}
PROJECT_FIELDS = {
    "name": breakout(201),
    "company_name": script(202),
    "leader_name": breakout(203),
    "responsible_unit": script(204),
    "action_plan": breakout(205) + script(205),
    "description": script(206) + breakout(206),
}
FOLLOW_UP = {"content": script(301), "participants": breakout(302), "next_step": script(303)}
PROBLEM = {"description": breakout(401), "responsible_unit": script(402), "resolution": breakout(403)}
OFFICER_NAME = breakout(501)
ABANDON_REASON = script(601)
ABANDONED_NAME = "放弃测试" + script(603)
STALE_NAME = breakout(602)  # a stalled target: in reminders, 预警 and the weekly 通报
MILESTONE = breakout(701)
INSTRUCTION = script(801)
PAYLOADS = [
    *TARGET_FIELDS.values(),
    *PROJECT_FIELDS.values(),
    *FOLLOW_UP.values(),
    *PROBLEM.values(),
    OFFICER_NAME,
    ABANDON_REASON,
    ABANDONED_NAME,
    STALE_NAME,
    MILESTONE,
    INSTRUCTION,
]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Records:
    officer: int
    head: int
    admin: int
    target: int
    abandoned: int
    stale: int
    project: int


class PageReader(HTMLParser):
    """What a browser would build from the page: elements a payload injected, and the visible text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.injected: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script" and not values.get("src"):
            self.injected.append(f"<{tag}> without src")
        if tag == "img" and values.get("src") == "x":
            self.injected.append("<img src=x>")
        self.injected += [f"<{tag} {name}=…>" for name, _ in attrs if name.startswith("on")]
        self.text += [value for _, value in attrs if value]

    def handle_data(self, data):
        self.text.append(data)


def read(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    reader.close()
    return reader


def assert_escaped(html: str, shown: list[str] = ()) -> None:
    """No payload is live markup; the ones in shown are there as text."""
    for payload in PAYLOADS:
        assert payload not in html, f"raw payload in page: {payload}"
    page = read(html)
    assert page.injected == []
    text = "\n".join(page.text)
    for payload in shown:
        assert payload in text, f"not shown: {payload}"


def _set_stalled(app, target_id: int) -> None:
    """Missed its follow-up two weeks ago, in a status begun months before: 红灯 now."""
    with app.app_context():
        today = local_today()
        db.session.execute(
            sa.update(TargetCompany)
            .where(TargetCompany.id == target_id)
            .values(
                status_since=datetime.combine(today - timedelta(days=90), time(9), tzinfo=SHANGHAI),
                next_follow_up_on=today - timedelta(days=14),
                last_follow_up_on=today - timedelta(days=17),
            )
        )
        db.session.commit()


def _activity(app, rec: "Records") -> None:
    """Follow-ups, problems, a milestone, an abandonment and a 督办 instruction, all with payloads."""
    with app.app_context():
        actor, today = db.session.get(User, rec.officer), local_today()
        project = db.session.get(Project, rec.project)
        for item in (db.session.get(TargetCompany, rec.target), project):
            data = FollowUpInput(today, "走访", next_follow_up_on=today + timedelta(days=5), **FOLLOW_UP)
            log_follow_up(item, actor, data)
        raised = ProblemInput("用地", PROBLEM["description"], PROBLEM["responsible_unit"], today)
        raise_problem(project, raised, actor, today)
        solved = raise_problem(project, ProblemInput("其他", "已解决的问题", "发改局", today), actor, today)
        move_problem(solved, "已解决", PROBLEM["resolution"], actor, today)
        add_milestone(project, MILESTONE, today + timedelta(days=10), actor)
        gone = db.session.get(TargetCompany, rec.abandoned)
        change_status(gone, "已放弃", actor, ABANDON_REASON, gone.version)
        week = IsoWeek.of(today, local_zone()).code
        head = db.session.get(User, rec.head)
        records.set_instruction(db.session.get(TargetCompany, rec.stale), week, INSTRUCTION, head)
        db.session.commit()


@pytest.fixture
def rec(app) -> Records:
    officer = make_user(app, role="officer", scope="南湖区", display_name=OFFICER_NAME)
    rec = Records(
        officer=officer,
        head=make_user(app, role="head", scope="全市"),
        admin=make_user(app, role="admin", scope="全市"),
        target=make_target(app, officer, **TARGET_FIELDS),
        abandoned=make_target(app, officer, name=ABANDONED_NAME),
        stale=make_target(app, officer, name=STALE_NAME),
        project=make_project(app, officer, stage="在建", **PROJECT_FIELDS),
    )
    _activity(app, rec)
    _set_stalled(app, rec.stale)
    with app.app_context():  # the reminder run: in-app digests name the stalled target
        reminders.run(datetime.now(SHANGHAI))
    return rec


def login_as(app, client, user_id: int) -> None:
    with app.app_context():
        username = db.session.get(User, user_id).username
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302


def test_the_officers_pages_show_every_payload_as_text(app, client, rec):
    login_as(app, client, rec.officer)
    with app.app_context():
        cluster = cluster_id("南湖区微电子")
    target_fields = list(TARGET_FIELDS.values())
    project_fields = list(PROJECT_FIELDS.values())
    pages = {
        "/": [OFFICER_NAME, TARGET_FIELDS["name"]],
        "/targets/": [TARGET_FIELDS["name"], STALE_NAME],
        f"/targets/{rec.target}": [*target_fields, *FOLLOW_UP.values(), OFFICER_NAME],
        f"/targets/{rec.target}/edit": target_fields,
        f"/targets/{rec.abandoned}": [ABANDONED_NAME, ABANDON_REASON],
        f"/targets/{rec.target}/convert": [TARGET_FIELDS["name"]],
        f"/targets/{rec.stale}": [INSTRUCTION],
        "/projects/": [PROJECT_FIELDS["name"], PROJECT_FIELDS["company_name"]],
        "/projects/board": [PROJECT_FIELDS["name"], PROJECT_FIELDS["company_name"]],
        # the 项目简介 (description) is on the edit form, not the detail page
        f"/projects/{rec.project}": [*project_fields[:-1], *FOLLOW_UP.values(), *PROBLEM.values(), MILESTONE],
        f"/projects/{rec.project}/edit": project_fields,
        f"/projects/{rec.project}/stage": [PROJECT_FIELDS["name"]],
        "/projects/problems": [PROBLEM["description"], PROBLEM["responsible_unit"], PROJECT_FIELDS["name"]],
        "/notifications": [STALE_NAME],
        "/warnings": [OFFICER_NAME],
        f"/clusters/{cluster}/targets": [TARGET_FIELDS["name"]],
        "/reports/dashboard": [PROBLEM["responsible_unit"]],  # in a chart's SVG labels
    }
    for path, shown in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert_escaped(response.get_data(as_text=True), shown)


def test_a_reminder_names_the_stalled_target_as_text(app, client, rec):
    login_as(app, client, rec.officer)
    with app.app_context():
        note_id = db.session.scalar(sa.select(Notification.id).where(Notification.user_id == rec.officer))
    assert note_id is not None, "the stalled target gave no reminder"
    assert_escaped(client.get(f"/notifications/{note_id}").get_data(as_text=True), [STALE_NAME])


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/targets/",
        "/projects/",
        "/projects/board",
        "/projects/problems",
        "/warnings",
        "/warnings?level=red",
        "/reports/dashboard",
        "/reports/weekly",
        "/clusters/",
    ],
)
def test_the_city_heads_pages_show_payloads_as_text(app, client, rec, path):
    login_as(app, client, rec.head)
    response = client.get(path)
    assert response.status_code == 200
    assert_escaped(response.get_data(as_text=True))


def this_week(app) -> str:
    with app.app_context():
        return IsoWeek.of(local_today(), local_zone()).code


def test_the_weekly_report_and_its_html_document_show_payloads_as_text(app, client, rec):
    login_as(app, client, rec.head)
    shown = [PROBLEM["description"], STALE_NAME]  # (the instruction only shows in 通报, rebuilt from history)
    for part in (None, "problems"):  # the overview counts problems by unit; their table lists them
        page = client.get("/reports/weekly", query_string={"week": this_week(app), "part": part})
        html = page.get_data(as_text=True)
        assert_escaped(html, [STALE_NAME] if part is None else [PROBLEM["description"]])
    document = client.get("/reports/weekly/export", query_string={"week": this_week(app), "format": "html"})
    assert document.status_code == 200
    assert_escaped(document.get_data(as_text=True), shown)


def test_admin_pages_show_a_users_name_as_text(app, client, rec):
    login_as(app, client, rec.admin)
    for path, shown in {
        "/admin/users": [OFFICER_NAME],
        f"/admin/users/{rec.officer}/edit": [OFFICER_NAME],
        "/admin/messages": [],
    }.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert_escaped(response.get_data(as_text=True), shown)


def test_a_search_term_is_echoed_as_text(auth, client):
    auth.login(role="head")
    for path in ("/targets/", "/projects/", "/projects/problems", "/warnings"):
        response = client.get(path, query_string={"q": breakout(901)})
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert breakout(901) not in html and read(html).injected == []


def _cells(content: bytes) -> set[str]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return {c.value for sheet in workbook for r in sheet.iter_rows() for c in r if isinstance(c.value, str)}


def test_exports_keep_payloads_as_plain_text(app, client, rec):
    login_as(app, client, rec.officer)
    targets = _cells(client.get("/targets/export.xlsx").data)
    for payload in (*TARGET_FIELDS.values(), STALE_NAME):
        assert payload in targets
    projects = _cells(client.get("/projects/export.xlsx").data)
    for payload in (PROJECT_FIELDS["name"], PROJECT_FIELDS["company_name"], PROJECT_FIELDS["leader_name"]):
        assert payload in projects
    login_as(app, client, rec.head)
    weekly = _cells(client.get("/reports/weekly/export", query_string={"week": this_week(app)}).data)
    for payload in (PROBLEM["description"], STALE_NAME):
        assert payload in weekly
