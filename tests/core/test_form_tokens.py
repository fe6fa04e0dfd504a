"""One-time form tokens: every form that creates something, sent twice, saves once.

Each case opens the page as a browser would, fills in its form and sends it twice with the token the
page gave: the second time nothing more is saved, no error page is shown, and the user lands where
the first submission went, told "该表单已提交过，未重复保存。".
"""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import login_user
from itsdangerous import timed

from crm.core import form_tokens
from crm.extensions import db
from crm.models import (
    CalendarDay,
    FollowUp,
    FormToken,
    HistoryEntry,
    ImportBatch,
    Milestone,
    Problem,
    Project,
    ReportArchive,
    TargetCompany,
    User,
    utcnow,
)
from tests.factories import cluster_id, jiaxing_today, make_project, make_target, make_user, page_form

NOTICE = "该表单已提交过，未重复保存。"


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def _target_fill(app):
    with app.app_context():
        cluster = cluster_id("南湖区微电子")
    return {"name": "一次提交科技有限公司", "cluster_id": str(cluster), "source": "招商地图"}


def _project_fill(app):
    with app.app_context():
        cluster = cluster_id("南湖区微电子")
    return {"name": "一次提交项目", "company_name": "一次提交科技有限公司", "cluster_id": str(cluster)}


def _follow_up_fill(app):
    return {
        "content": "走访企业，确认设备采购进度",
        "next_follow_up_on": str(jiaxing_today(app) + timedelta(days=3)),
    }


# Each case: (role, scope) of the user, then a function of (app, user id) giving the page, the action
# of its form (None: the page itself), what the user types, and the rows that must be added only once.
CASES = {
    "新建企业": (
        ("officer", "南湖区"),
        lambda app, me: ("/targets/new", None, _target_fill(app), (TargetCompany,)),
    ),
    "新建项目": (
        ("officer", "南湖区"),
        lambda app, me: ("/projects/new", None, _project_fill(app), (Project,)),
    ),
    "企业跟进": (
        ("officer", "南湖区"),
        lambda app, me: (
            f"/targets/{(t := make_target(app, me))}",
            f"/targets/{t}/follow-ups",
            _follow_up_fill(app),
            (FollowUp, FollowUp.target_id == t),
        ),
    ),
    "项目跟进": (
        ("officer", "南湖区"),
        lambda app, me: (
            f"/projects/{(p := make_project(app, me))}",
            f"/projects/{p}/follow-ups",
            _follow_up_fill(app),
            (FollowUp, FollowUp.project_id == p),
        ),
    ),
    "工作台快速跟进": (
        ("officer", "南湖区"),
        lambda app, me: (
            "/",
            "",  # the desk's one form: its script sets the action of the item it is opened under
            _follow_up_fill(app) | {"_action": f"/targets/{(t := make_target(app, me))}/follow-ups"},
            (FollowUp, FollowUp.target_id == t),
        ),
    ),
    "要素保障问题": (
        ("officer", "南湖区"),
        lambda app, me: (
            f"/projects/{(p := make_project(app, me))}",
            f"/projects/{p}/problems",
            {"description": "二期用地指标待落实", "responsible_unit": "市自然资源和规划局"},
            (Problem, Problem.project_id == p),
        ),
    ),
    "工作方案节点": (
        ("officer", "南湖区"),
        lambda app, me: (
            f"/projects/{(p := make_project(app, me))}",
            f"/projects/{p}/milestones",
            {"title": "完成环评批复", "due_on": "2026-12-31"},
            (Milestone, Milestone.project_id == p),
        ),
    ),
    "转为项目": (
        ("officer", "南湖区"),
        lambda app, me: (
            f"/targets/{(t := make_target(app, me))}/convert",
            None,
            {},
            (Project, Project.target_id == t),
        ),
    ),
    "阶段变更": (
        ("officer", "南湖区"),
        lambda app, me: (
            f"/projects/{(p := make_project(app, me))}/stage?to=拟建",
            None,
            {"note": "已签约", "signed_on": "2026-03-02", "signed_investment": "5"},
            (HistoryEntry, HistoryEntry.entity_id == p, HistoryEntry.action == "stage"),
        ),
    ),
    "新建用户": (
        ("admin", "全市"),
        lambda app, me: (
            "/admin/users/new",
            "",  # render_form's
            {"username": "zhang.san", "display_name": "张三", "role": "officer", "scope": "南湖区"},
            (User,),
        ),
    ),
    "工作日历": (
        ("admin", "全市"),
        lambda app, me: ("/admin/calendar", None, {"day": "2031-02-03", "note": "春节"}, (CalendarDay,)),
    ),
    "周调度存档": (
        ("head", "全市"),
        lambda app, me: (
            "/reports/weekly?week=2026-W46",
            "/reports/weekly/archive?week=2026-W46",
            {"format": "xlsx"},
            (ReportArchive,),
        ),
    ),
}
# Two forms of the same page post to the same URL (存档 xlsx and docx): the first one is meant.
FIRST_OF_SEVERAL = {"周调度存档"}


def open_form(client, page: str, action: str | None, fill: dict, first: bool = False) -> tuple[str, dict]:
    """Where the page's form posts and what it sends, filled in as the user would."""
    html = client.get(page).get_data(as_text=True)
    fields = page_form(html, action, first=first)
    assert fields.get("form_token"), f"{page}: the form carries no token"
    fill = dict(fill)
    target = fill.pop("_action", None) or action or page
    return target, fields | fill


@pytest.mark.parametrize("case", CASES)
def test_a_form_sent_twice_saves_once_and_lands_where_the_first_went(app, auth, client, case):
    (role, scope), situation = CASES[case]
    me = auth.login(role=role, scope=scope)
    page, action, fill, (model, *where) = situation(app, me)
    before = count(app, model, *where)
    url, data = open_form(client, page, action, fill, first=case in FIRST_OF_SEVERAL)
    first = client.post(url, data=data)
    assert first.status_code in (200, 302), first.get_data(as_text=True)[:2000]
    assert count(app, model, *where) == before + 1
    flashes(client)  # the first submission's own message is shown by now
    again = client.post(url, data=data)
    assert again.status_code == 302
    assert count(app, model, *where) == before + 1
    assert NOTICE in flashes(client)
    if first.status_code == 302:
        assert again.location == first.location
    followed = client.get(again.location)
    assert followed.status_code == 200 and NOTICE in followed.get_data(as_text=True)


def test_a_new_users_form_sent_again_lands_on_the_user_in_the_list(app, auth, client):
    auth.login(role="admin")
    fill = {"username": "li.si", "display_name": "李四", "role": "officer", "scope": "南湖区"}
    url, data = open_form(client, "/admin/users/new", "", fill)
    assert "one-time-password" in client.post(url, data=data).get_data(as_text=True)
    again = client.post(url, data=data)
    assert again.location == "/admin/users?q=li.si"  # the password is shown once: reset it there if lost
    assert count(app, User, User.username == "li.si") == 1


def test_an_import_upload_sent_twice_makes_one_batch_and_lands_on_its_preview(app, auth, client):
    auth.login(role="officer", scope="全市")
    html = client.get("/targets/import").get_data(as_text=True)
    token = page_form(html, "")["form_token"]
    content = "企业名称*,所属集群*,招商渠道*\n一次上传公司,南湖区微电子,招商地图\n".encode()

    def send():
        data = {"form_token": token, "file": (io.BytesIO(content), "清单.csv")}
        return client.post("/targets/import", data=data, content_type="multipart/form-data")

    first = send()
    assert first.status_code == 302 and "/targets/import/" in first.location
    again = send()
    assert again.status_code == 302 and again.location == first.location
    assert count(app, ImportBatch) == 1 and NOTICE in flashes(client)


def test_a_refused_submission_claims_nothing_and_the_corrected_form_is_saved(app, auth, client):
    me = auth.login(role="officer", scope="南湖区")
    target = make_target(app, me)
    url, data = open_form(client, f"/targets/{target}", f"/targets/{target}/follow-ups", _follow_up_fill(app))
    refused = client.post(url, data=data | {"content": ""})
    assert refused.status_code == 422 and "请填写跟进情况。" in refused.get_data(as_text=True)
    assert count(app, FormToken) == 0
    # the page shown again keeps the same token, and the corrected form is saved with it
    assert page_form(refused.get_data(as_text=True), url)["form_token"] == data["form_token"]
    assert client.post(url, data=data).status_code == 302
    assert count(app, FollowUp, FollowUp.target_id == target) == 1


def test_each_showing_of_a_form_has_its_own_token(app, auth, client):
    me = auth.login(role="officer", scope="南湖区")
    target = make_target(app, me)
    fill = _follow_up_fill(app)
    action = f"/targets/{target}/follow-ups"
    for _ in range(2):  # two tabs, or the form opened again after saving: two follow-ups
        url, data = open_form(client, f"/targets/{target}", action, fill)
        assert client.post(url, data=data).status_code == 302
    assert count(app, FollowUp, FollowUp.target_id == target) == 2


def test_a_token_of_another_user_is_refused_and_saves_nothing(app, auth, client):
    me = auth.login(role="officer", scope="南湖区")
    target = make_target(app, me)
    colleague = make_user(app, role="officer", scope="南湖区")
    with app.test_request_context():
        login_user(db.session.get(User, colleague))
        foreign = form_tokens.issue("FollowUpForm")
    url, data = open_form(client, f"/targets/{target}", f"/targets/{target}/follow-ups", _follow_up_fill(app))
    response = client.post(url, data=data | {"form_token": foreign})
    assert response.status_code == 422 and form_tokens.FOREIGN in response.get_data(as_text=True)
    assert count(app, FollowUp) == 0 and count(app, FormToken) == 0


def test_a_token_of_another_form_is_refused_and_saves_nothing(app, auth, client):
    me = auth.login(role="officer", scope="南湖区")
    project = make_project(app, me)
    html = client.get(f"/projects/{project}").get_data(as_text=True)
    milestone_token = page_form(html, f"/projects/{project}/milestones")["form_token"]
    url, data = open_form(
        client, f"/projects/{project}", f"/projects/{project}/follow-ups", _follow_up_fill(app)
    )
    response = client.post(url, data=data | {"form_token": milestone_token})
    assert response.status_code == 422 and form_tokens.FOREIGN in response.get_data(as_text=True)
    assert count(app, FollowUp) == 0
    # the form shown again carries a new token of its own, which saves
    fresh = page_form(response.get_data(as_text=True), url)["form_token"]
    assert fresh != milestone_token
    assert client.post(url, data=data | {"form_token": fresh}).status_code == 302
    assert count(app, FollowUp) == 1


@pytest.mark.parametrize("token", ["", "forged", "WyJ4Il0.forged.sig"])
def test_a_missing_or_forged_token_never_gives_an_error_page(app, auth, client, token):
    me = auth.login(role="officer", scope="南湖区")
    target = make_target(app, me)
    url, data = open_form(client, f"/targets/{target}", f"/targets/{target}/follow-ups", _follow_up_fill(app))
    response = client.post(url, data=data | {"form_token": token})
    if token:  # forged: refused on the form, nothing saved
        assert response.status_code == 422 and form_tokens.FOREIGN in response.get_data(as_text=True)
        assert count(app, FollowUp) == 0
    else:  # sent without one (a script, a page from before the tokens): saved as before
        assert response.status_code == 302 and count(app, FollowUp) == 1


def test_a_token_older_than_its_lifetime_is_refused_with_a_message(app, auth, client, monkeypatch):
    me = auth.login(role="officer", scope="南湖区")
    target = make_target(app, me)
    url, data = open_form(client, f"/targets/{target}", f"/targets/{target}/follow-ups", _follow_up_fill(app))
    shown = timed.time.time() - app.config["FORM_TOKEN_HOURS"] * 3600 - 60  # the form was shown a day ago
    with app.test_request_context():
        login_user(db.session.get(User, me))
        with monkeypatch.context() as clock:
            clock.setattr(timed.time, "time", lambda: shown)
            old = form_tokens.issue("FollowUpForm")
    response = client.post(url, data=data | {"form_token": old})
    assert response.status_code == 422 and form_tokens.EXPIRED in response.get_data(as_text=True)
    assert count(app, FollowUp) == 0


def test_a_claim_prunes_claims_older_than_a_tokens_lifetime(app, auth, client):
    me = auth.login(role="officer", scope="南湖区")
    target = make_target(app, me)
    lifetime = timedelta(hours=app.config["FORM_TOKEN_HOURS"])
    with app.app_context():
        now = utcnow()
        for nonce, age in (
            ("old", lifetime + timedelta(minutes=1)),
            ("young", lifetime - timedelta(minutes=5)),
        ):
            db.session.add(FormToken(nonce=nonce, form="FollowUpForm", claimed_at=now - age))
        db.session.commit()
    url, data = open_form(client, f"/targets/{target}", f"/targets/{target}/follow-ups", _follow_up_fill(app))
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        kept = set(db.session.scalars(sa.select(FormToken.nonce)))
    assert "old" not in kept and "young" in kept and len(kept) == 2
