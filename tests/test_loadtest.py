"""The load test's own pieces, checked without any load (`make loadtest` itself is not part of the suite):
reading forms off real pages, filling them as its users do, and the verification of the writes."""

import random
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.models import AuditEvent, FollowUp, Project
from loadtest import forms
from loadtest.verify import verify
from tests.factories import make_project, make_target

RUN = "t1"


@pytest.fixture
def today(app) -> date:
    with app.app_context():
        return local_today()


@pytest.fixture
def enable_csrf(app):
    """Call after logging in: from then on forms carry and check CSRF tokens, as in production."""
    yield lambda: app.config.update(WTF_CSRF_ENABLED=True)
    app.config["WTF_CSRF_ENABLED"] = False


def test_parser_reads_hidden_fields_selects_and_textareas():
    html = """<form method="post" action="/x"><input type="hidden" name="csrf_token" value="abc">
    <input name="version" type="hidden" value="3"><select name="to"><option value="在谈">在谈</option>
    <option selected value="拟建">拟建</option></select><textarea name="note">
第一行</textarea><input type="checkbox" name="flag"><input type="submit" name="submit" value="保存"></form>"""
    (form,) = forms.parse_forms(html)
    assert (form.action, form.method) == ("/x", "post")
    assert form.fields == {"csrf_token": "abc", "version": "3", "to": "拟建", "note": "第一行"}
    assert form.options["to"] == ["在谈", "拟建"]
    with pytest.raises(KeyError):
        form.data(unknown="1")


def test_stage_form_gives_csrf_token_and_version_and_the_move_it_fills_is_accepted(
    app, client, auth, enable_csrf, today
):
    officer = auth.login("officer", "南湖区")
    project_id = make_project(app, officer)
    enable_csrf()
    detail = client.get(f"/projects/{project_id}").get_data(as_text=True)
    url, to = forms.stage_links(detail)[0]
    assert to == "拟建" and url.startswith(f"/projects/{project_id}/stage?to=")

    form = forms.find_form(client.get(url).get_data(as_text=True), None, "version")
    assert form.fields["csrf_token"] and form.fields["version"] == "1" and form.fields["to"] == "拟建"
    assert forms.server_today(detail) == today
    data = forms.stage_move_data(form, to, today, f"LT-{RUN}-1", random.Random(1))
    response = client.post(url, data=data)
    assert response.status_code == 302 and response.location.endswith(f"/projects/{project_id}")
    page = client.get(response.location).get_data(as_text=True)
    assert ("success", "项目已转入“拟建”。") in forms.flashes(page)
    with app.app_context():
        assert db.session.get(Project, project_id).stage.value == "拟建"


def test_follow_up_form_is_filled_within_the_stage_limit_and_saved(app, client, auth, enable_csrf, today):
    officer = auth.login("officer", "南湖区")
    target_id = make_target(app, officer)
    enable_csrf()
    page = client.get(f"/targets/{target_id}").get_data(as_text=True)
    form = forms.find_form(page, f"/targets/{target_id}/follow-ups")
    assert form.fields["csrf_token"] and forms.follow_up_limit(page) == 10  # 待接触: 10 working days

    data = forms.follow_up_data(form, page, f"LT-{RUN}-1", random.Random(2))
    assert today < date.fromisoformat(data["next_follow_up_on"])
    assert data["next_follow_up_on"] <= (today + timedelta(days=10)).isoformat()
    response = client.post(form.action, data=data)
    assert response.status_code == 302
    assert ("success", "跟进记录已保存。") in forms.flashes(
        client.get(response.location).get_data(as_text=True)
    )


def _save_writes(app, client, officer: int, today: date) -> list[dict]:
    """Three writes through the app, as the locust users make them: two follow-ups and a stage move."""
    target_id, project_id = make_target(app, officer), make_project(app, officer)
    writes = []
    for n, (kind, item_id) in enumerate((("targets", target_id), ("projects", project_id)), start=1):
        page = client.get(f"/{kind}/{item_id}").get_data(as_text=True)
        form = forms.find_form(page, f"/{kind}/{item_id}/follow-ups")
        marker = f"LT-{RUN}-{n}"
        response = client.post(form.action, data=forms.follow_up_data(form, page, marker, random.Random(n)))
        assert response.status_code == 302
        writes.append(
            {"kind": "follow_up", "item_id": item_id, "item_kind": kind, "marker": marker, "outcome": "ok"}
        )
    url = f"/projects/{project_id}/stage?to=拟建"
    form = forms.find_form(client.get(url).get_data(as_text=True), None, "version")
    data = forms.stage_move_data(form, "拟建", today, f"LT-{RUN}-3", random.Random(3))
    assert client.post(url, data=data).status_code == 302
    writes.append(
        {"kind": "stage", "item_id": project_id, "to": "拟建", "marker": f"LT-{RUN}-3", "outcome": "ok"}
    )
    return writes


def test_verification_passes_when_every_reported_write_is_saved_once_and_audited(app, client, auth, today):
    writes = _save_writes(app, client, auth.login("officer", "南湖区"), today)
    with app.app_context():
        result = verify(writes, RUN)
    assert result["ok"], result["problems"]
    assert (result["reported"], result["found"], result["audited"]) == (3, 3, 3)
    assert (result["missing"], result["not_audited"], result["duplicates"]) == (0, 0, 0)


def test_verification_finds_a_missing_write_a_missing_audit_row_and_a_duplicate(app, client, auth, today):
    officer = auth.login("officer", "南湖区")
    writes = _save_writes(app, client, officer, today)
    writes.append(
        {"kind": "follow_up", "item_id": 1, "item_kind": "targets", "marker": f"LT-{RUN}-4", "outcome": "ok"}
    )
    with app.app_context():
        first = db.session.scalar(sa.select(FollowUp).where(FollowUp.target_id == writes[0]["item_id"]))
        db.session.execute(
            sa.delete(AuditEvent).where(
                AuditEvent.entity_type == "follow_up", AuditEvent.entity_id == first.id
            )
        )
        second = db.session.scalar(sa.select(FollowUp).where(FollowUp.project_id == writes[1]["item_id"]))
        copy = {name: getattr(second, name) for name in ("project_id", "occurred_on", "method", "content")}
        db.session.add(FollowUp(**copy, author_id=officer))  # the same marker saved twice
        db.session.commit()
        result = verify(writes, RUN)
    assert not result["ok"]
    assert (result["reported"], result["found"], result["missing"]) == (4, 3, 1)
    assert (result["audited"], result["not_audited"], result["duplicates"]) == (2, 1, 1)
    assert any(f"LT-{RUN}-4" in problem for problem in result["problems"])


def test_verification_flags_a_refused_write_that_was_saved(app, client, auth, today):
    writes = _save_writes(app, client, auth.login("officer", "南湖区"), today)
    writes[2]["outcome"] = "conflict"  # reported as refused, yet the stage move is in the database
    with app.app_context():
        result = verify(writes, RUN)
    assert (result["conflicts"], result["refused_but_saved"], result["ok"]) == (1, 1, False)


def test_a_save_on_a_stale_stage_form_is_recognised_as_refused_because_someone_else_saved(
    app, client, auth, today
):
    officer = auth.login("officer", "南湖区")
    project_id = make_project(app, officer)
    url = f"/projects/{project_id}/stage?to=拟建"
    stale, fresh = (forms.find_form(client.get(url).get_data(as_text=True), None, "version") for _ in "12")
    move = forms.stage_move_data(fresh, "拟建", today, f"LT-{RUN}-1", random.Random(4))
    assert client.post(url, data=move).status_code == 302

    response = client.post(
        url, data=forms.stage_move_data(stale, "拟建", today, f"LT-{RUN}-2", random.Random(5))
    )
    assert response.status_code == 422
    assert forms.refused_as_stale(response.get_data(as_text=True))
    assert not forms.refused_as_stale(client.get(url).get_data(as_text=True))
