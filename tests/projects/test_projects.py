"""Projects: conversion from a target, edits and stage moves racing, follow-ups, reassignment, desk."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crm.core import history
from crm.extensions import db
from crm.main import desk
from crm.models import Notification, Project, ProjectStage, TargetCompany, TargetStatus, User
from crm.projects.services import convert_target
from tests.factories import make_project, make_target, make_user


def today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _project(app, project_id) -> Project:
    with app.app_context():
        project = db.session.get(Project, project_id)
        db.session.expunge(project)
        return project


def test_converting_a_target_creates_a_project_in_talks_and_closes_the_target(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    target_id = make_target(app, officer, name="南湖芯光科技有限公司", intended_investment=Decimal("6.50"))
    page = client.get(f"/targets/{target_id}/convert").get_data(as_text=True)
    assert "南湖芯光科技有限公司投资项目" in page
    response = client.post(
        f"/targets/{target_id}/convert",
        data={"name": "芯光功率器件项目", "total_investment": "6.50", "version": 1},
    )
    assert response.status_code == 302
    with app.app_context():
        project = db.session.scalar(sa.select(Project))
        target = db.session.get(TargetCompany, target_id)
        assert (project.name, project.stage, project.owner_id, project.target_id) == (
            "芯光功率器件项目",
            ProjectStage.TALKS,
            officer,
            target_id,
        )
        assert project.company_name == "南湖芯光科技有限公司" and project.total_investment == Decimal("6.50")
        assert target.status == TargetStatus.CONVERTED and target.next_follow_up_on is None
    assert "查看项目" in client.get(f"/targets/{target_id}").get_data(as_text=True)
    again = client.post(f"/targets/{target_id}/convert", data={"name": "再转一次", "version": 2})
    assert again.status_code == 403 or "不能再转为项目" in again.get_data(as_text=True)


def test_conversion_is_all_or_nothing(app, monkeypatch):
    officer = make_user(app, role="officer", scope="南湖区")
    target_id = make_target(app, officer)
    real_record = history.record

    def fail_on_target_status(entity, action, *args, **kwargs):
        if entity.entity_type == "target" and action == "status":
            raise RuntimeError("disk full")
        return real_record(entity, action, *args, **kwargs)

    monkeypatch.setattr(history, "record", fail_on_target_status)
    with app.app_context():
        target = db.session.get(TargetCompany, target_id)
        with pytest.raises(RuntimeError):
            convert_target(target, db.session.get(User, officer), "项目", None, target.version)
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0
        assert db.session.get(TargetCompany, target_id).status == TargetStatus.UNCONTACTED


def test_a_stage_move_racing_an_edit_loses_neither_silently(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = make_project(app, officer, name="旧项目名")
    edit = client.get(f"/projects/{project_id}/edit")
    assert edit.status_code == 200  # the form was opened on version 1
    moved = client.post(
        f"/projects/{project_id}/stage",
        data={
            "to": "拟建",
            "note": "签约",
            "version": 1,
            "signed_on": "2026-03-02",
            "signed_investment": "5",
        },
    )
    assert moved.status_code == 302
    with app.app_context():
        cluster_id = db.session.get(Project, project_id).cluster_id
    saved = client.post(
        f"/projects/{project_id}/edit",
        data={"name": "新项目名", "company_name": "测试投资有限公司", "cluster_id": cluster_id, "version": 1},
    )
    assert saved.status_code == 200 and "该记录已被他人修改" in saved.get_data(as_text=True)
    project = _project(app, project_id)
    assert (project.name, project.stage) == ("旧项目名", ProjectStage.SIGNED)  # the move kept, edit refused


def test_a_follow_up_on_a_project_uses_the_shared_rules(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = make_project(app, officer, stage="在建")
    day = today()
    response = client.post(
        f"/projects/{project_id}/follow-ups",
        data={"occurred_on": day.isoformat(), "method": "考察", "content": "现场查看桩基施工",
              "next_follow_up_on": (day + timedelta(days=120)).isoformat()},
    )  # fmt: skip
    assert response.status_code == 422 and "30 个工作日内再次跟进" in response.get_data(as_text=True)
    response = client.post(
        f"/projects/{project_id}/follow-ups",
        data={"occurred_on": day.isoformat(), "method": "考察", "content": "现场查看桩基施工",
              "next_follow_up_on": (day + timedelta(days=10)).isoformat()},
    )  # fmt: skip
    assert response.status_code == 302
    assert _project(app, project_id).next_follow_up_on == day + timedelta(days=10)
    assert "现场查看桩基施工" in client.get(f"/projects/{project_id}").get_data(as_text=True)


def test_head_reassigns_a_project_and_the_new_officer_sees_it_on_the_desk(app, auth, client):
    auth.login(role="head", scope="南湖区")
    first = make_user(app, role="officer", scope="南湖区", display_name="周一")
    second = make_user(app, role="officer", scope="南湖区", display_name="吴二", username="wu.er")
    project_id = make_project(app, first, name="氢能重卡示范项目")
    response = client.post(f"/projects/{project_id}/assign", data={"owner_id": second, "note": "周一借调"})
    assert response.status_code == 302 and _project(app, project_id).owner_id == second
    with app.app_context():
        assert db.session.scalar(sa.select(Notification.title).where(Notification.user_id == second))
    officer_client = app.test_client()
    officer_client.post("/login", data={"username": "wu.er", "password": "Test-password-2026"})
    assert "氢能重卡示范项目" in officer_client.get("/").get_data(as_text=True)


def test_desk_puts_overdue_items_first_and_logs_a_follow_up_in_one_click(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    later = make_target(app, officer, name="以后再说企业")
    late = make_project(app, officer, name="逾期项目")
    with app.app_context():
        project = db.session.get(Project, late)
        project.stage_since = datetime.now(ZoneInfo("UTC")) - timedelta(days=10)  # in talks for ten days
        project.next_follow_up_on = today() - timedelta(days=4)  # and the agreed follow-up is four days late
        db.session.get(TargetCompany, later).next_follow_up_on = today() + timedelta(days=40)
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "跟进逾期" in html  # the reason beside the 黄灯
    assert (
        html.index("黄灯（停滞）")
        < html.index("逾期项目")
        < html.index("其他在办")
        < html.index("以后再说企业")
    )
    day = today()
    response = client.post(
        f"/projects/{late}/follow-ups",
        data={"occurred_on": day.isoformat(), "method": "电话", "content": "电话确认进度",
              "next_follow_up_on": (day + timedelta(days=3)).isoformat(), "back": "/"},
    )  # fmt: skip
    assert response.status_code == 302 and response.location == "/"
    assert "黄灯（停滞）" not in client.get("/").get_data(as_text=True)


def test_desk_has_one_follow_up_form_aimed_by_each_items_link(app, auth, client):
    """Hundreds of items don't mean hundreds of forms: each item's 记录跟进 names its own address."""
    officer = auth.login(role="officer", scope="南湖区")
    targets = [make_target(app, officer) for _ in range(3)]
    project = make_project(app, officer)
    html = client.get("/").get_data(as_text=True)
    assert html.count('name="content"') == 1 and html.count('id="desk-follow-up"') == 1
    for action in [f"/targets/{t}/follow-ups" for t in targets] + [f"/projects/{project}/follow-ups"]:
        assert f'data-follow-up="{action}"' in html
    # without script the link leads to the item's page, whose form the anchor points at
    assert f'href="/projects/{project}#follow-up"' in html
    assert 'id="follow-up"' in client.get(f"/projects/{project}").get_data(as_text=True)


def test_an_officers_long_desk_lists_the_most_urgent_and_links_to_the_rest(app, auth, client, monkeypatch):
    monkeypatch.setattr(desk, "OFFICER_LIMIT", 2)
    officer = auth.login(role="officer", scope="南湖区")
    names = [f"排序企业{n}" for n in range(3)]
    ids = [make_target(app, officer, name=name) for name in names]
    make_project(app, officer, name="唯一项目")
    with app.app_context():
        for n, target_id in enumerate(ids):  # the first is the most urgent: its follow-up is due first
            db.session.get(TargetCompany, target_id).next_follow_up_on = today() + timedelta(days=20 + n)
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "排序企业0" in html and "排序企业1" in html and "排序企业2" not in html
    assert "唯一项目" in html
    assert "最紧急的 2 家企业；全部见" in html
    assert f"/targets/?owner={officer}&amp;sort=next" in html


def test_head_desk_shows_only_items_due_this_week_in_scope(app, auth, client):
    auth.login(role="head", scope="南湖区")
    nanhu = make_user(app, role="officer", scope="南湖区")
    jiashan = make_user(app, role="officer", scope="嘉善县")
    due = make_project(app, nanhu, name="本周到期项目")
    outside = make_project(app, jiashan, region="嘉善县", name="嘉善到期项目")
    relaxed = make_project(app, nanhu, name="下月再跟项目")
    with app.app_context():
        for project_id, days in ((due, -1), (outside, -1), (relaxed, 30)):
            db.session.get(Project, project_id).next_follow_up_on = today() + timedelta(days=days)
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "本周到期项目" in html and "嘉善到期项目" not in html and "下月再跟项目" not in html


def test_a_user_with_an_open_project_cannot_be_deactivated(app, auth, client):
    auth.login(role="admin")
    officer = make_user(app, role="officer", scope="南湖区", display_name="郑三")
    make_project(app, officer)
    response = client.post(f"/admin/users/{officer}/active", follow_redirects=True)
    assert "郑三 仍负责 1 个未关闭的条目" in response.get_data(as_text=True)


def test_the_database_refuses_a_project_owner_out_of_scope(app):
    officer = make_user(app, role="officer", scope="南湖区")
    jiashan = make_user(app, role="officer", scope="嘉善县")
    project_id = make_project(app, officer)
    with app.app_context():
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.update(Project).where(Project.id == project_id).values(owner_id=jiashan))
            db.session.flush()
        db.session.rollback()


def test_project_page_shows_the_four_ones_and_stage_history(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = make_project(
        app,
        officer,
        stage="在建",
        leader_name="王副市长",
        responsible_unit="南湖区经信局",
        action_plan="年底前主体封顶",
    )
    html = client.get(f"/projects/{project_id}").get_data(as_text=True)
    for text in ("王副市长", "南湖区经信局", "年底前主体封顶", "在谈 → 在建", "签约日期 2026-03-02"):
        assert text in html, text


def test_milestones_are_added_and_completed(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = make_project(app, officer)
    response = client.post(
        f"/projects/{project_id}/milestones", data={"title": "完成环评批复", "due_on": "2026-12-31"}
    )
    assert response.status_code == 302
    with app.app_context():
        milestone = db.session.get(Project, project_id).milestones[0]
        milestone_id = milestone.id
    assert client.post(f"/projects/milestones/{milestone_id}/done").status_code == 302
    assert "完成" in client.get(f"/projects/{project_id}").get_data(as_text=True)


def test_two_sessions_moving_the_same_project_at_once_cannot_both_win(app):
    """Both read version 1; the database lets only the first write through (PostgreSQL and SQLite)."""
    from crm.projects.stages import StageMove, move_stage

    officer = make_user(app, role="officer", scope="南湖区")
    project_id = make_project(app, officer)
    with app.app_context():
        project = db.session.get(Project, project_id)
        user = db.session.get(User, officer)
        with db.engine.begin() as other:  # the other session's move commits first
            other.execute(
                sa.text("UPDATE project SET stage = '暂缓', version = version + 1 WHERE id = :i"),
                {"i": project_id},
            )
        move_stage(project, StageMove("终止", "企业撤资"), user, today())
        with pytest.raises(sa.orm.exc.StaleDataError):
            db.session.commit()
        db.session.rollback()
    assert _project(app, project_id).stage == ProjectStage.PAUSED


def test_chain_map_counts_projects_by_stage(app, auth, client):
    from tests.factories import cluster_id

    officer = auth.login(role="officer", scope="桐乡市")
    with app.app_context():
        from crm.models import ChainSegment

        segment = db.session.scalar(sa.select(ChainSegment.id).where(ChainSegment.name == "玻纤"))
        tongxiang = cluster_id("桐乡市新材料")
    make_project(app, officer, region="桐乡市", segment_id=segment, stage="在建")
    make_project(app, officer, region="桐乡市", segment_id=segment, stage="在建")
    html = client.get(f"/clusters/{tongxiang}").get_data(as_text=True)
    row = html[html.index(">玻纤<") :]
    row = row[: row.index("</tr>")]
    assert f'segment={segment}&amp;stage=%E5%9C%A8%E5%BB%BA">2</a>' in row
