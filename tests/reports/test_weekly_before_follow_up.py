"""A past week's summary is the week as it was (SPEC §5; issue 14, point 7): a 标志性项目 created in
W45 and first followed up in W46 appears in W45's summary without that follow-up — no last follow-up
date, no next step, no next date from it — and not at all in W44's, when it did not exist yet; W46's
summary shows the follow-up. Read from the summary page and its .xlsx, as a reader gets them."""

import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from crm.extensions import db
from crm.models import User
from crm.projects.services import ProjectInput, create_project
from tests.factories import backdate, cluster_id, follow_up, jiaxing_at_utc, make_user

NAME = "戊光刻胶标志性项目"
NEXT_STEP = "确认供地红线图"
LEADER = "周副市长"


@pytest.fixture
def landmark(app):
    """Created on Wednesday of W45 (2026-11-04), first followed up on Wednesday of W46 (11-11)."""
    owner_id = make_user(app, "officer", "南湖区", display_name="钱专员")
    with app.app_context():
        owner = db.session.get(User, owner_id)
        project = create_project(
            ProjectInput(
                name=NAME,
                company_name="戊材料",
                cluster_id=cluster_id("南湖区微电子"),
                owner_id=owner_id,
                is_landmark=True,
                total_investment=Decimal("30.00"),
                leader_name=LEADER,
            ),
            owner,
        )
        backdate(jiaxing_at_utc(date(2026, 11, 4)))
        follow_up(project, owner, date(2026, 11, 11), date(2026, 11, 27), NEXT_STEP)
        backdate(jiaxing_at_utc(date(2026, 11, 11)))
        return project.id


def landmark_row(html: str) -> str | None:
    """The 标志性项目 table's row of the project (the one naming its 联系领导), or None."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return next((row for row in rows if f"<td>{NAME}</td>" in row and f"<td>{LEADER}</td>" in row), None)


def test_the_week_before_the_first_follow_up_shows_the_project_without_it(app, auth, client, landmark):
    auth.login(role="head", scope="全市")
    html = client.get("/reports/weekly?week=2026-W45").get_data(as_text=True)
    row = landmark_row(html)
    assert row is not None, "the landmark existed in W45"
    assert NEXT_STEP not in html
    assert "11-11" not in row and "11-27" not in row  # neither the follow-up's date nor its next date


def test_the_week_before_the_project_existed_does_not_show_it(app, auth, client, landmark):
    auth.login(role="head", scope="全市")
    html = client.get("/reports/weekly?week=2026-W44").get_data(as_text=True)
    assert NAME not in html


def test_the_week_of_the_follow_up_shows_it(app, auth, client, landmark):
    auth.login(role="head", scope="全市")
    row = landmark_row(client.get("/reports/weekly?week=2026-W46").get_data(as_text=True))
    assert row is not None and NEXT_STEP in row and "11-11" in row and "11-27" in row


def workbook_text(content: bytes) -> str:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return "\n".join(
        "\t".join(str(v) for v in row if v is not None)
        for sheet in workbook
        for row in sheet.iter_rows(values_only=True)
    )


def test_the_exported_weeks_agree(app, auth, client, landmark):
    auth.login(role="head", scope="全市")
    w44, w45, w46 = (
        workbook_text(client.get(f"/reports/weekly/export?week=2026-W{n}&format=xlsx").data)
        for n in (44, 45, 46)
    )
    assert NAME not in w44
    assert NAME in w45 and NEXT_STEP not in w45
    assert NEXT_STEP in w46
