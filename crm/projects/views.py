"""项目清单 pages for one project: detail, create, edit, stage moves, follow-ups, assignment."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload, selectinload

from crm.core import history
from crm.core.forms import FAILED, AssignForm, FollowUpForm, attach_problems, commit_or_report, safe_back
from crm.core.ownership import reassign_all
from crm.core.permissions import authorize, require
from crm.core.timeutil import local_today
from crm.core.validation import check_version
from crm.extensions import db
from crm.followups.services import follow_up_limit, follow_ups_for, save_from_form
from crm.models import Problem, User
from crm.models.projects import Milestone, Project
from crm.outcomes.forms import FundDeleteForm, FundEntryForm
from crm.outcomes.funds import ledger_of
from crm.outcomes.rates import size_labels
from crm.projects import bp
from crm.projects.forms import MilestoneForm, ProblemForm, ProblemStatusForm, ProjectForm, StageForm
from crm.projects.services import ProjectInput, add_milestone, create_project, update_project
from crm.projects.stages import EVIDENCE, StageMove, offered_moves
from crm.projects.stages import move_stage as apply_move
from crm.stall.badges import stalls_for

INPUT_FIELDS = [
    "name", "company_name", "cluster_id", "region_id", "segment_id", "is_landmark", "total_investment",
    "fixed_asset_investment", "foreign_capital", "expected_output", "expected_added_value", "land_area",
    "planned_start_on", "planned_completion_on", "leader_name", "responsible_unit", "action_plan", "description",
    "total_investment_usd", "registered_capital", "capital_type", "investor_origin", "project_type", "sector", "tags",
]  # fmt: skip


def load_project(project_id: int) -> Project:
    """The project with what its pages show; 404 when there is none."""
    project = db.session.scalar(
        sa.select(Project)
        .options(
            joinedload(Project.cluster),
            joinedload(Project.segment),
            joinedload(Project.region),
            joinedload(Project.owner),
            joinedload(Project.target),
            selectinload(Project.milestones),
        )
        .where(Project.id == project_id)
    )
    if project is None:
        abort(404)
    return project


def _input_from(form: ProjectForm, owner_id: int | None = None) -> ProjectInput:
    values = {name: getattr(form, name).data for name in INPUT_FIELDS}
    for name in ("name", "company_name", "leader_name", "responsible_unit", "action_plan", "description"):
        values[name] = values[name] or ""
    values["tags"] = values["tags"] or []
    return ProjectInput(owner_id=owner_id, **values)


@bp.route("/new", methods=["GET", "POST"])
@require("project.create")
def new():
    form = ProjectForm(current_user)
    if request.method == "GET":
        form.owner_id.data = current_user.id
    if form.validate_on_submit():
        project = commit_or_report(
            form,
            lambda: create_project(_input_from(form, owner_id=form.owner_id.data), current_user),
            landing=lambda made: url_for("projects.detail", project_id=made.id),
        )
        if project is not FAILED:
            flash(f"已新建项目“{project.name}”（在谈）。", "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/form.html", form=form, project=None)


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@require("project.view")
def edit(project_id: int) -> ResponseReturnValue:
    project = authorize("project.edit", load_project(project_id))
    form = ProjectForm(current_user, obj=project)
    del form.owner_id  # the owner changes only by reassignment, with a handover note
    if request.method == "GET":
        form.version.data = str(project.version)
    if form.validate_on_submit():
        changed = commit_or_report(
            form,
            lambda: update_project(project, _input_from(form), current_user, form.version.data),
            landing=lambda _changed: url_for("projects.detail", project_id=project.id),
        )
        if changed is not FAILED:
            flash(f"已保存（修改 {len(changed)} 项）。" if changed else "没有修改任何内容。", "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/form.html", form=form, project=project)


def render_detail(project: Project, status: int = 200, **forms: FlaskForm) -> tuple[str, int]:
    entries = history.entries_for(project, current_user)
    problems = db.session.scalars(
        sa.select(Problem)
        .where(Problem.project_id == project.id)
        .order_by(Problem.status, Problem.raised_on.desc())
    ).all()
    return (
        render_template(
            "projects/detail.html",
            project=project,
            history=entries,
            stage_moves=[e for e in entries if e.action == "stage"],
            follow_ups=follow_ups_for(project),
            problems=problems,
            follow_up_form=forms.get("follow_up_form") or FollowUpForm(occurred_on=local_today()),
            assign_form=forms.get("assign_form") or AssignForm(current_user),
            milestone_form=forms.get("milestone_form") or MilestoneForm(),
            problem_form=ProblemForm(raised_on=local_today()),
            problem_status_form=ProblemStatusForm(),
            funds=ledger_of(project),
            fund_form=FundEntryForm(arrived_on=local_today()),
            fund_delete_form=FundDeleteForm(),
            next_stages=offered_moves(project, current_user),
            follow_up_limit=follow_up_limit(project),
            stall=stalls_for([project]).get(("project", project.id)),
            size=size_labels([project], local_today())[project.id],
            today=local_today(),
        ),
        status,
    )


@bp.get("/<int:project_id>")
@require("project.view")
def detail(project_id: int) -> ResponseReturnValue:
    return render_detail(authorize("project.view", load_project(project_id)))


@bp.route("/<int:project_id>/stage", methods=["GET", "POST"])
@require("project.view")
def move_stage(project_id: int) -> ResponseReturnValue:
    """The evidence form: every stage move, from the page or from a board card, goes through it."""
    project = authorize("project.stage", load_project(project_id))
    form = StageForm()
    if request.method == "GET":
        form.to.data = request.args.get("to") or project.stage.value
        form.version.data = str(project.version)
    if form.validate_on_submit():
        move = StageMove(
            to=form.to.data,
            note=form.note.data or "",
            evidence={name: getattr(form, name).data for fields in EVIDENCE.values() for name, _ in fields},
        )

        def move_checked():
            check_version(project, form.version.data)
            apply_move(project, move, current_user, local_today())

        landing = url_for("projects.detail", project_id=project.id)
        if commit_or_report(form, move_checked, landing=lambda _moved: landing) is not FAILED:
            flash(f"项目已转入“{project.stage.value}”。", "success")
            return redirect(url_for("projects.detail", project_id=project.id))
        project = load_project(project_id)
    status = 422 if request.method == "POST" else 200
    return render_template("projects/stage.html", form=form, project=project, evidence=EVIDENCE), status


@bp.post("/<int:project_id>/follow-ups")
@require("project.view")
def add_follow_up(project_id: int) -> ResponseReturnValue:
    project = authorize("project.follow_up", load_project(project_id))
    form = FollowUpForm()
    if form.validate_on_submit():
        reload = lambda: authorize("project.follow_up", load_project(project_id))  # noqa: E731 (checked again on a retry)
        landing = safe_back() or url_for("projects.detail", project_id=project_id, _anchor="follow-ups")
        project, problems = save_from_form(reload, current_user, form, local_today(), landing)
        if not problems:
            flash("跟进记录已保存。", "success")
            return redirect(landing)
        attach_problems(form, problems)
    return render_detail(project, 422, follow_up_form=form)


@bp.post("/<int:project_id>/assign")
@require("project.view")
def assign(project_id: int) -> ResponseReturnValue:
    project = authorize("project.assign", load_project(project_id))
    form = AssignForm(current_user)
    if form.validate_on_submit():
        new_owner = db.session.get(User, form.owner_id.data or 0)
        note = form.note.data or ""
        owner = commit_or_report(
            form, lambda: reassign_all([project], new_owner, current_user, note), field="owner_id"
        )
        if owner is not FAILED:
            flash(f"已改派给 {owner.display_name}，并已通知本人。", "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_detail(load_project(project_id), 422, assign_form=form)


@bp.post("/<int:project_id>/milestones")
@require("project.view")
def add_project_milestone(project_id: int) -> ResponseReturnValue:
    project = authorize("project.edit", load_project(project_id))
    form = MilestoneForm()
    landing = url_for("projects.detail", project_id=project.id, _anchor="plan")
    if form.validate_on_submit():
        added = commit_or_report(
            form,
            lambda: add_milestone(project, form.title.data or "", form.due_on.data, current_user),
            landing=lambda _added: landing,
        )
        if added is not FAILED:
            flash("已添加工作方案节点。", "success")
            return redirect(landing)
        project = load_project(project_id)
    return render_detail(project, 422, milestone_form=form)


@bp.post("/milestones/<int:milestone_id>/done")
@require("project.view")
def complete_milestone(milestone_id: int) -> ResponseReturnValue:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None:
        abort(404)
    project = authorize("project.edit", load_project(milestone.project_id))
    if milestone.done_on is None:
        milestone.done_on = local_today()
        history.record(project, "updated", current_user, field="milestone", new=f"完成：{milestone.title}")
        db.session.commit()
        flash(f"节点“{milestone.title}”已完成。", "success")
    return redirect(url_for("projects.detail", project_id=project.id, _anchor="plan"))
