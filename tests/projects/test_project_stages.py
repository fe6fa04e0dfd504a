"""Stage rules (SPEC §3.3), table-driven: every allowed and refused move, with its Chinese reason."""

from datetime import date
from decimal import Decimal

import pytest

from crm.core.validation import Invalid
from crm.extensions import db
from crm.models import HistoryEntry, Project, ProjectStage, User
from crm.projects.stages import StageMove, move_problems, move_stage
from tests.factories import make_project, make_user

TODAY = date(2026, 11, 20)
SIGNED = {"signed_on": date(2026, 3, 2), "signed_investment": Decimal("8.00")}
STARTED = {"actual_start_on": date(2026, 6, 1)}
DONE = {"actual_completion_on": date(2026, 10, 9)}
ALL = {**SIGNED, **STARTED, **DONE}

# (from, to, evidence, note, role, refusal fragment or None when allowed)
CASES = [
    ("在谈", "拟建", SIGNED, "签约", "officer", None),
    ("在谈", "拟建", {}, "签约", "officer", "转入“拟建”需要：签约日期、签约投资额（亿元）"),
    ("在谈", "拟建", {"signed_on": date(2026, 3, 2)}, "签约", "officer", "签约投资额（亿元）"),
    ("在谈", "拟建", SIGNED, "", "officer", "请填写说明"),
    ("在谈", "在建", STARTED, "跳过", "officer", "转入“拟建”需要"),
    ("在谈", "在建", {**SIGNED, **STARTED}, "一步到位", "officer", None),
    ("在谈", "建成投产", {**SIGNED, **DONE}, "跳过", "officer", "转入“在建”需要：实际开工日期"),
    ("在谈", "建成投产", ALL, "跳过三步", "officer", None),
    ("拟建", "在建", {}, "开工", "officer", "转入“在建”需要：实际开工日期"),
    ("拟建", "在建", STARTED, "开工", "officer", None),
    (
        "拟建",
        "在建",
        {"actual_start_on": date(2026, 1, 1)},
        "开工",
        "officer",
        "实际开工日期不能早于签约日期",
    ),
    ("拟建", "在建", {"actual_start_on": date(2026, 12, 1)}, "开工", "officer", "实际开工日期不能晚于今天"),
    ("在建", "建成投产", DONE, "投产", "officer", None),
    ("在建", "建成投产", {}, "投产", "officer", "实际竣工投产日期"),
    (
        "在建",
        "建成投产",
        {"actual_completion_on": date(2026, 5, 1)},
        "投产",
        "officer",
        "不能早于实际开工日期",
    ),
    ("在建", "拟建", {}, "", "officer", "请填写说明"),
    ("在建", "拟建", {}, "开工手续被撤回", "officer", None),
    ("在建", "在谈", {}, "投资方重新谈判", "officer", None),
    ("在谈", "暂缓", {}, "", "officer", "请填写说明"),
    ("在谈", "暂缓", {}, "企业资金链紧张", "officer", None),
    ("拟建", "终止", {}, "企业放弃投资", "officer", None),
    ("在谈", "在谈", {}, "x", "officer", "项目已处于“在谈”阶段"),
    ("建成投产", "在建", {}, "竣工验收未通过", "officer", "只能由局领导重新启用"),
    ("建成投产", "在建", {}, "竣工验收未通过", "head", None),
    ("终止", "在谈", {}, "企业重启谈判", "officer", "只能由局领导重新启用"),
    ("终止", "在谈", {}, "企业重启谈判", "head", None),
    ("在谈", "未知阶段", {}, "x", "officer", "请选择目标阶段"),
]


def _at_stage(app, stage: str, owner_id: int) -> int:
    if stage in ("建成投产", "终止"):
        project_id = make_project(app, owner_id, stage="在建" if stage == "建成投产" else "在谈")
        with app.app_context():
            project = db.session.get(Project, project_id)
            owner = db.session.get(User, owner_id)
            move_stage(project, StageMove(stage, "到达", DONE), owner, TODAY)
            db.session.commit()
        return project_id
    return make_project(app, owner_id, stage=stage)


@pytest.mark.parametrize(
    ("start", "to", "evidence", "note", "role", "refusal"),
    CASES,
    ids=[f"{c[0]}→{c[1]}-{c[4]}-{'ok' if c[5] is None else 'refused'}-{i}" for i, c in enumerate(CASES)],
)
def test_stage_move(app, start, to, evidence, note, role, refusal):
    owner = make_user(app, role="officer", scope="南湖区")
    actor = owner if role == "officer" else make_user(app, role="head", scope="南湖区")
    project_id = _at_stage(app, start, owner)
    with app.app_context():
        project = db.session.get(Project, project_id)
        before = (project.stage, project.version, project.signed_on, project.actual_start_on)
        user = db.session.get(User, actor)
        move = StageMove(to, note, dict(evidence))
        if refusal is None:
            move_stage(project, move, user, TODAY)
            db.session.commit()
            assert project.stage == ProjectStage(to)
            entry = db.session.scalars(
                db.select(HistoryEntry)
                .where(HistoryEntry.entity_id == project_id, HistoryEntry.action == "stage")
                .order_by(HistoryEntry.id.desc())
            ).first()
            assert (entry.old_value, entry.new_value) == (start, to)
            assert note in entry.note
        else:
            with pytest.raises(Invalid) as raised:
                move_stage(project, move, user, TODAY)
            assert refusal in str(raised.value)
            db.session.rollback()
            project = db.session.get(Project, project_id)
            assert (project.stage, project.version, project.signed_on, project.actual_start_on) == before


def test_a_paused_project_resumes_with_the_evidence_it_already_has(app):
    owner = make_user(app, role="officer", scope="南湖区")
    project_id = make_project(app, owner, stage="在建")
    with app.app_context():
        project = db.session.get(Project, project_id)
        user = db.session.get(User, owner)
        move_stage(project, StageMove("暂缓", "环评未过", {}), user, TODAY)
        assert project.paused_from == ProjectStage.BUILDING and project.stage_reason == "环评未过"
        assert move_problems(project, StageMove("在建", "环评通过，恢复施工"), user, TODAY) == []
        move_stage(project, StageMove("建成投产", "投产", DONE), user, TODAY)
        assert project.stage == ProjectStage.PRODUCING and project.paused_from is None
        assert project.next_follow_up_on is None  # closed: no more follow-ups due
        db.session.commit()


def test_the_stage_form_explains_what_is_missing(app, auth, client):
    owner = auth.login(role="officer", scope="南湖区")
    project_id = make_project(app, owner)
    response = client.post(
        f"/projects/{project_id}/stage", data={"to": "在建", "note": "直接开工", "version": 1}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "转入“拟建”需要：签约日期、签约投资额（亿元）" in html and "转入“在建”需要：实际开工日期" in html
    response = client.post(
        f"/projects/{project_id}/stage",
        data={
            "to": "在建",
            "note": "直接开工",
            "version": 1,
            "signed_on": "2026-03-02",
            "signed_investment": "8.50",
            "actual_start_on": "2026-06-01",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        project = db.session.get(Project, project_id)
        assert (project.stage, project.signed_investment, project.version) == (
            ProjectStage.BUILDING,
            Decimal("8.50"),
            2,
        )
