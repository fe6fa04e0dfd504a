"""What a desk and a list *contain*, beside other people's items (issue 14, point 7).

An officer's 我的工作台 lists exactly the open items they own — red, yellow, due and later — and none
of a colleague's in the same region or of another region's officer, however urgent those are. A
南湖区 head's or reader's desk lists exactly the 南湖区 items that need attention (red, yellow, due
this week), none of 嘉善县's; and the lists' exports of a 南湖区 head hold exactly 南湖区's rows.
Names are read from the page and the files, not from the code that chose them.
"""

import io
import re
from datetime import timedelta

import openpyxl
import pytest

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.models import Project, TargetCompany
from tests.factories import make_user, warned_project, warned_target

LEVELS = {"red": "red", "yellow": "yellow", "due": None, "later": None}


def dated(app, model, item_id: int, days_ahead: int) -> None:
    with app.app_context():
        db.session.get(model, item_id).next_follow_up_on = local_today() + timedelta(days=days_ahead)
        db.session.commit()


def items_of(app, owner: int, who: str, region: str = "南湖区") -> dict[str, set[str]]:
    """A target and a project of owner in each urgency: red, yellow, due today, due in 40 days."""
    names: dict[str, set[str]] = {}
    for urgency, level in LEVELS.items():
        target_name, project_name = f"{who}{urgency}企业有限公司", f"{who}{urgency}项目"
        target = warned_target(app, owner, target_name, level, region)
        project = warned_project(app, owner, project_name, level, region)
        if urgency in ("due", "later"):
            for model, item_id in ((TargetCompany, target), (Project, project)):
                dated(app, model, item_id, 0 if urgency == "due" else 40)
        names[urgency] = {target_name, project_name}
    return names


@pytest.fixture
def office(app):
    """Two 南湖区 officers (me and a colleague) and one in 嘉善县, each with items of every urgency."""
    me = make_user(app, "officer", "南湖区", username="desk-me")
    colleague = make_user(app, "officer", "南湖区")
    jiashan = make_user(app, "officer", "嘉善县")
    return {
        "me": me,
        "mine": items_of(app, me, "本人"),
        "colleague": items_of(app, colleague, "同事"),
        "jiashan": items_of(app, jiashan, "嘉善", region="嘉善县"),
    }


def desk_names(client) -> set[str]:
    html = client.get("/").get_data(as_text=True)
    items = re.findall(r'<div class="list-group-item desk-item">(.*?)</div>\s*</div>', html, re.S)
    assert items, "the desk lists nothing"
    names = [re.search(r'class="fw-semibold">([^<]+)</a>', item).group(1) for item in items]
    assert len(names) == len(set(names)), "an item listed twice"
    return set(names)


def every(names: dict[str, set[str]], *urgencies: str) -> set[str]:
    return set().union(*(names[u] for u in urgencies or LEVELS))


def test_an_officers_desk_lists_exactly_their_own_open_items(app, client, office):
    response = client.post("/login", data={"username": "desk-me", "password": "Test-password-2026"})
    assert response.status_code == 302
    assert desk_names(client) == every(office["mine"])


@pytest.mark.parametrize("role", ["head", "viewer"])
def test_a_regional_desk_lists_exactly_its_regions_items_that_need_attention(app, auth, client, office, role):
    auth.login(role=role, scope="南湖区")
    urgent = ("red", "yellow", "due")
    assert desk_names(client) == every(office["mine"], *urgent) | every(office["colleague"], *urgent)


def test_a_city_heads_desk_lists_every_regions_items_that_need_attention(app, auth, client, office):
    auth.login(role="head", scope="全市")
    urgent = ("red", "yellow", "due")
    assert desk_names(client) == set().union(
        *(every(office[w], *urgent) for w in ("mine", "colleague", "jiashan"))
    )


def exported_names(client, path: str) -> set[str]:
    response = client.get(path)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and row[0] in ("企业名称", "项目名称"))
    return {row[0] for row in rows[header + 1 :] if row and row[0]}


@pytest.mark.parametrize(
    ("scope", "whose"), [("南湖区", ("mine", "colleague")), ("全市", ("mine", "colleague", "jiashan"))]
)
def test_a_heads_list_exports_hold_exactly_the_rows_of_their_scope(app, auth, client, office, scope, whose):
    auth.login(role="head", scope=scope)
    names = set().union(*(every(office[w]) for w in whose))
    assert exported_names(client, "/targets/export.xlsx") == {n for n in names if n.endswith("企业有限公司")}
    assert exported_names(client, "/projects/export.xlsx") == {n for n in names if n.endswith("项目")}
