"""要素保障: the city-wide list of problems to coordinate, raising a problem and moving it along."""

from collections.abc import Iterable

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import joinedload

from crm.core.forms import FAILED, commit_or_report, safe_back
from crm.core.listing import paginate
from crm.core.permissions import authorize, require
from crm.core.timeutil import local_today
from crm.core.validation import Invalid
from crm.extensions import db
from crm.models import Problem, ProblemCategory, ProblemStatus, Project
from crm.projects import bp, services
from crm.projects.forms import ProblemForm, ProblemStatusForm
from crm.projects.queries import ALL_PROBLEMS, ProblemFilters, problem_query, problem_units


@bp.get("/problems")
@require("problem.view")
def problems():
    filters = ProblemFilters.from_args(request.args)
    page = paginate(problem_query(current_user, filters))
    return render_template(
        "projects/problems.html",
        page=page,
        filters=filters,
        units=problem_units(current_user),
        categories=[c.value for c in ProblemCategory],
        statuses=[ALL_PROBLEMS, *(s.value for s in ProblemStatus)],
        today=local_today(),
    )


def _flash_errors(messages: Iterable[str]) -> None:
    flash("；".join(messages), "danger")


def _problems_anchor(project_id: int) -> str:
    return url_for("projects.detail", project_id=project_id, _anchor="problems")


@bp.post("/<int:project_id>/problems")
@require("project.view")
def raise_problem(project_id: int) -> ResponseReturnValue:
    project = authorize("project.problem", db.session.get(Project, project_id))
    form = ProblemForm()
    if not form.validate_on_submit():
        _flash_errors(e for errors in form.errors.values() for e in errors)
        return redirect(_problems_anchor(project.id))
    data = services.ProblemInput(
        category=form.category.data,
        description=form.description.data or "",
        responsible_unit=form.responsible_unit.data or "",
        raised_on=form.raised_on.data,
    )
    landing = _problems_anchor(project.id)
    raised = commit_or_report(
        form,
        lambda: services.raise_problem(project, data, current_user, local_today()),
        landing=lambda _raised: landing,
    )
    if raised is FAILED:
        _flash_errors(e for errors in form.errors.values() for e in errors)
    else:
        flash("问题已提交。", "success")
    return redirect(landing)


@bp.post("/problems/<int:problem_id>/status")
@require("project.view")
def move_problem(problem_id: int) -> ResponseReturnValue:
    problem = db.session.scalar(
        sa.select(Problem).options(joinedload(Problem.project)).where(Problem.id == problem_id)
    )
    if problem is None:
        abort(404)
    authorize("project.problem", problem.project)
    form = ProblemStatusForm()
    back = safe_back() or _problems_anchor(problem.project_id)
    if not form.validate_on_submit():
        _flash_errors(e for errors in form.errors.values() for e in errors)
        return redirect(back)
    try:
        services.move_problem(
            problem, form.status.data, form.resolution.data or "", current_user, local_today()
        )
        db.session.commit()
    except Invalid as error:
        db.session.rollback()
        _flash_errors(error.problems.values())
    else:
        flash(f"问题状态已更新为“{form.status.data}”。", "success")
    return redirect(back)
