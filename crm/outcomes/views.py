"""到资台账 pages: the ledger in the reader's scope, recording, correcting and deleting an entry, and the
到资 import. The ledger of one project is a section of the project page (crm.projects.views reads
crm.outcomes.funds.ledger_of); its forms post here and come back to it."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import joinedload

from crm.core.forms import FAILED, commit_or_report
from crm.core.listing import paginate
from crm.core.permissions import authorize, require, scope_clause
from crm.core.timeutil import local_today
from crm.extensions import db
from crm.imports.views import add_routes
from crm.models import FundEntry, Project
from crm.outcomes.forms import FundCorrectForm, FundDeleteForm, FundEntryForm
from crm.outcomes.funds import correct_entry, delete_entry, describe, record_entry, standing_now
from crm.outcomes.imports import FUND_IMPORT

bp = Blueprint("funds", __name__)


def ledger_url(project_id: int) -> str:
    """The 到资台账 section of the project page."""
    return url_for("projects.detail", project_id=project_id, _anchor="funds")


def _entry(entry_id: int) -> FundEntry:
    """The entry with its project, once the current user may record on that project (else 403/404)."""
    entry = db.session.scalar(
        sa.select(FundEntry).options(joinedload(FundEntry.project)).where(FundEntry.id == entry_id)
    )
    if entry is None:
        abort(404)
    authorize("project.funds", entry.project)
    return entry


@bp.get("/")
@require("project.view")
def index() -> ResponseReturnValue:
    """Standing entries of the projects in the reader's scope, latest arrival first."""
    stmt = (
        sa.select(FundEntry)
        .join(FundEntry.project)
        .options(joinedload(FundEntry.project).joinedload(Project.region), joinedload(FundEntry.recorded_by))
        .where(standing_now(), scope_clause(current_user, Project.region_id))
        .order_by(FundEntry.arrived_on.desc(), FundEntry.id.desc())
    )
    return render_template("outcomes/index.html", page=paginate(stmt))


@bp.route("/projects/<int:project_id>/new", methods=["GET", "POST"])
@require("project.view")
def new(project_id: int) -> ResponseReturnValue:
    project = authorize("project.funds", db.session.get(Project, project_id))
    form = FundEntryForm()
    if request.method == "GET":
        form.arrived_on.data = local_today()
    if form.validate_on_submit():
        landing = ledger_url(project.id)
        entry = commit_or_report(
            form,
            lambda: record_entry(project, form.as_input(), current_user, local_today()),
            landing=lambda _entry: landing,
        )
        if entry is not FAILED:
            flash(
                f"已登记到资：{describe(entry.arrived_on, entry.kind, entry.amount, entry.currency)}。",
                "success",
            )
            return redirect(landing)
    status = 422 if request.method == "POST" else 200
    return render_template("outcomes/entry_form.html", form=form, project=project, entry=None), status


@bp.route("/<int:entry_id>/correct", methods=["GET", "POST"])
@require("project.view")
def correct(entry_id: int) -> ResponseReturnValue:
    entry = _entry(entry_id)
    project = entry.project
    form = FundCorrectForm(obj=entry if request.method == "GET" else None)
    if form.validate_on_submit():
        landing = ledger_url(project.id)
        new = commit_or_report(
            form,
            lambda: correct_entry(entry, form.as_input(), current_user, local_today()),
            landing=lambda _new: landing,
        )
        if new is not FAILED:
            flash(
                f"已更正为：{describe(new.arrived_on, new.kind, new.amount, new.currency)}（原记录保留）。",
                "success",
            )
            return redirect(landing)
    status = 422 if request.method == "POST" else 200
    return render_template("outcomes/entry_form.html", form=form, project=project, entry=entry), status


@bp.post("/<int:entry_id>/delete")
@require("project.view")
def delete(entry_id: int) -> ResponseReturnValue:
    entry = _entry(entry_id)
    form = FundDeleteForm()
    if form.validate_on_submit():
        deleted = commit_or_report(
            form, lambda: delete_entry(entry, form.reason.data or "", current_user), field="reason"
        )
        if deleted is not FAILED:
            flash("已删除该笔到资（原记录保留在“更正与删除记录”中）。", "success")
            return redirect(ledger_url(entry.project_id))
    errors = [e for errors in form.errors.values() for e in errors]
    flash("未删除：" + "；".join(dict.fromkeys(errors)), "danger")
    return redirect(ledger_url(entry.project_id))


add_routes(bp, FUND_IMPORT)
