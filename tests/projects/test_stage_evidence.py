"""A stage move's evidence (SPEC §3.3): 签约投资额 must be above zero, and each evidence field a move
sets is kept in the history as its own old → new entry (issue 14, point 7)."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.core.validation import Invalid
from crm.extensions import db
from crm.models import HistoryEntry, Project, ProjectStage, User
from crm.projects.stages import StageMove, move_stage
from tests.factories import make_project, make_user

TODAY = date(2026, 11, 20)
SIGNED_ON = date(2026, 3, 2)
REFUSAL = "签约投资额须大于 0"


def state(project: Project) -> tuple:
    return (project.stage, project.version, project.signed_on, project.signed_investment)


@pytest.mark.parametrize("amount", ["0", "0.00", "-0", "-3.00", "NaN", "-Infinity"])
@pytest.mark.parametrize("to", ["拟建", "在建"])
def test_a_signing_for_no_money_is_refused(app, amount, to):
    owner = make_user(app, "officer", "南湖区")
    project_id = make_project(app, owner)
    evidence = {"signed_on": SIGNED_ON, "signed_investment": Decimal(amount)}
    if to == "在建":
        evidence["actual_start_on"] = date(2026, 6, 1)
    with app.app_context():
        project, actor = db.session.get(Project, project_id), db.session.get(User, owner)
        before = state(project)
        with pytest.raises(Invalid) as refused:
            move_stage(project, StageMove(to, "签约", evidence), actor, TODAY)
        assert REFUSAL in str(refused.value)
        db.session.rollback()
        assert state(db.session.get(Project, project_id)) == before


def test_a_zero_amount_already_on_the_project_is_no_evidence_of_signing(app):
    """An edit may leave 0 in 签约投资额 of a project in talks; moving it to 拟建 with only a date must
    not take that 0 as the signed amount."""
    owner = make_user(app, "officer", "南湖区")
    project_id = make_project(app, owner)
    with app.app_context():
        project, actor = db.session.get(Project, project_id), db.session.get(User, owner)
        project.signed_investment = Decimal("0.00")
        db.session.commit()
        with pytest.raises(Invalid) as refused:
            move_stage(project, StageMove("拟建", "签约", {"signed_on": SIGNED_ON}), actor, TODAY)
        assert REFUSAL in str(refused.value)
        db.session.rollback()
        move_stage(
            project,
            StageMove("拟建", "签约", {"signed_on": SIGNED_ON, "signed_investment": Decimal("0.01")}),
            actor,
            TODAY,
        )
        assert project.stage == ProjectStage.SIGNED and project.signed_investment == Decimal("0.01")


def test_the_stage_form_refuses_a_zero_signing_with_its_reason(app, auth, client):
    owner = auth.login(role="officer", scope="南湖区")
    project_id = make_project(app, owner)
    data = {"to": "拟建", "note": "签约", "version": 1, "signed_on": "2026-03-02", "signed_investment": "0"}
    response = client.post(f"/projects/{project_id}/stage", data=data)
    assert response.status_code == 422
    assert REFUSAL in response.get_data(as_text=True)
    with app.app_context():
        project = db.session.get(Project, project_id)
        assert (project.stage, project.version, project.signed_investment) == (ProjectStage.TALKS, 1, None)


def history_of(project_id: int, after_id: int) -> list[tuple]:
    return [
        (e.action, e.field, e.old_value, e.new_value, e.note)
        for e in db.session.scalars(
            sa.select(HistoryEntry)
            .where(
                HistoryEntry.entity_type == "project",
                HistoryEntry.entity_id == project_id,
                HistoryEntry.id > after_id,
            )
            .order_by(HistoryEntry.id)
        )
    ]


def last_history_id() -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(HistoryEntry.id), 0)))


def test_a_move_keeps_each_evidence_field_it_sets_as_its_own_history_entry(app):
    owner = make_user(app, "officer", "南湖区", display_name="王强")
    project_id = make_project(app, owner)
    with app.app_context():
        project, actor = db.session.get(Project, project_id), db.session.get(User, owner)
        start = last_history_id()
        evidence = {
            "signed_on": SIGNED_ON,
            "signed_investment": Decimal("12.5"),
            "actual_start_on": date(2026, 6, 1),
        }
        move_stage(project, StageMove("在建", "签约即开工", evidence), actor, TODAY)
        db.session.commit()
        assert history_of(project_id, start) == [
            ("updated", "signed_on", None, "2026-03-02", "阶段证明"),
            ("updated", "signed_investment", None, "12.50", "阶段证明"),
            ("updated", "actual_start_on", None, "2026-06-01", "阶段证明"),
            (
                "stage",
                "stage",
                "在谈",
                "在建",
                "签约即开工（签约日期 2026-03-02；签约投资额（亿元） 12.50；实际开工日期 2026-06-01）",
            ),
        ]
        # back to 拟建, then forward again with a corrected start date: old → new of that field only
        move_stage(project, StageMove("拟建", "开工手续撤回", {}), actor, TODAY)
        db.session.commit()
        start = last_history_id()
        move_stage(
            project, StageMove("在建", "重新开工", {"actual_start_on": date(2026, 7, 1)}), actor, TODAY
        )
        db.session.commit()
        assert history_of(project_id, start) == [
            ("updated", "actual_start_on", "2026-06-01", "2026-07-01", "阶段证明"),
            ("stage", "stage", "拟建", "在建", "重新开工（实际开工日期 2026-07-01）"),
        ]


def test_the_project_page_shows_each_evidence_change(app, auth, client):
    owner = auth.login(role="officer", scope="南湖区")
    project_id = make_project(app, owner)
    data = {
        "to": "拟建",
        "note": "正式签约",
        "version": 1,
        "signed_on": "2026-03-02",
        "signed_investment": "8.50",
    }
    assert client.post(f"/projects/{project_id}/stage", data=data).status_code == 302
    page = client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert "修改 签约日期：（空） → 2026-03-02" in page
    assert "修改 签约投资额：（空） → 8.50" in page
    assert "阶段 阶段：在谈 → 拟建" in page
