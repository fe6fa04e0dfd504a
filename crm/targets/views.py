"""招商清单 pages: list, detail, create, edit, follow-up, status, assignment, export."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import joinedload

from crm.core import history
from crm.core.bulk import bulk_reassign
from crm.core.choices import owner_choices_for_filter, region_choices
from crm.core.exports import xlsx_response
from crm.core.forms import (
    FAILED,
    AssignForm,
    BulkAssignForm,
    FollowUpForm,
    attach_problems,
    commit_or_report,
    safe_back,
)
from crm.core.listing import paginate, record_id
from crm.core.ownership import reassign_all
from crm.core.permissions import authorize, can, require
from crm.core.timeutil import local_today
from crm.extensions import db
from crm.followups.services import follow_up_limit, follow_ups_for, save_from_form
from crm.models import Cluster, Project, TargetCompany, User
from crm.projects.forms import ConvertForm
from crm.projects.services import classification_from_target, convert_target
from crm.stall.badges import stalls_for
from crm.stall.filters import WARNING_FILTERS, level_counts
from crm.targets import bp
from crm.targets.export import export_targets
from crm.targets.forms import StatusForm, TargetForm
from crm.targets.queries import (
    SORT_LABELS,
    TargetFilters,
    country_choices,
    filtered_targets,
    target_query,
)
from crm.targets.services import (
    TargetInput,
    change_status,
    create_target,
    update_target,
)


def render_target_list(
    filters: TargetFilters, cluster: Cluster | None = None, template: str = "targets/list.html"
) -> str:
    """The list page, city-wide or as a cluster's tab: queries for the page, its count, its 红灯/黄灯."""
    today = local_today()
    page = paginate(target_query(current_user, filters, today))
    warnings = stalls_for(page.items)
    filtered_cluster = cluster or (db.session.get(Cluster, filters.cluster) if filters.cluster else None)
    return render_template(
        template,
        page=page,
        filters=filters,
        cluster=cluster,
        segments=filtered_cluster.segments if filtered_cluster else [],
        clusters=db.session.scalars(sa.select(Cluster).order_by(Cluster.status, Cluster.sort_order)).all(),
        regions=region_choices(current_user),
        owners=owner_choices_for_filter(current_user, TargetCompany),
        countries=country_choices(current_user),
        sort_labels=SORT_LABELS,
        warning_options=WARNING_FILTERS.items(),
        today=today,
        bulk_form=BulkAssignForm(current_user) if can(current_user, "target.assign") else None,
        warnings=warnings,
        level_counts=level_counts(TargetCompany, filtered_targets(current_user, filters, today)),
    )


@bp.get("/")
@require("target.view")
def index():
    return render_target_list(TargetFilters.from_args(request.args))


@bp.get("/export.xlsx")
@require("target.view")
def export():
    filters = TargetFilters.from_args(request.args)
    content = export_targets(current_user, target_query(current_user, filters, local_today()))
    return xlsx_response(content, f"招商清单-{local_today():%Y%m%d}.xlsx")


def _load(target_id: int) -> TargetCompany:
    """The target company with what its pages show; 404 when there is none."""
    target = db.session.scalar(
        sa.select(TargetCompany)
        .options(
            joinedload(TargetCompany.cluster),
            joinedload(TargetCompany.segment),
            joinedload(TargetCompany.owner),
            joinedload(TargetCompany.region),
        )
        .where(TargetCompany.id == target_id)
    )
    if target is None:
        abort(404)
    return target


def _input_from(form: TargetForm, owner_id: int | None = None) -> TargetInput:
    return TargetInput(
        name=form.name.data or "",
        cluster_id=form.cluster_id.data,
        source=form.source.data,
        owner_id=owner_id,
        segment_id=form.segment_id.data,
        credit_code=form.credit_code.data or "",
        foreign_registration=form.foreign_registration.data or "",
        country=form.country.data or "",
        hq_city=form.hq_city.data or "",
        type_tags=form.type_tags.data or [],
        honours=form.honours.data or [],
        priority=form.priority.data,
        intended_investment=form.intended_investment.data,
        industry_note=form.industry_note.data or "",
        contact_name=form.contact_name.data or "",
        contact_title=form.contact_title.data or "",
        contact_phone=form.contact_phone.data or "",
        contact_email=form.contact_email.data or "",
    )


@bp.route("/new", methods=["GET", "POST"])
@require("target.create")
def new():
    form = TargetForm(current_user)
    if request.method == "GET":
        form.cluster_id.data = request.args.get("cluster", type=record_id)
        form.owner_id.data = current_user.id
    if form.validate_on_submit():
        target = commit_or_report(
            form,
            lambda: create_target(_input_from(form, owner_id=form.owner_id.data), current_user),
            landing=lambda saved: url_for("targets.detail", target_id=saved.id),
        )
        if target is not FAILED:
            flash(f"已新建“{target.name}”。", "success")
            return redirect(url_for("targets.detail", target_id=target.id))
    return render_template("targets/form.html", form=form, target=None)


@bp.route("/<int:target_id>/edit", methods=["GET", "POST"])
@require("target.view")
def edit(target_id: int) -> ResponseReturnValue:
    target = authorize("target.edit", _load(target_id))
    form = TargetForm(current_user, obj=target)
    del form.owner_id  # the owner changes only by reassignment, with a handover note
    if request.method == "GET":
        form.version.data = str(target.version)
    if form.validate_on_submit():
        changed = commit_or_report(
            form,
            lambda: update_target(target, _input_from(form), current_user, form.version.data),
            landing=lambda _changed: url_for("targets.detail", target_id=target.id),
        )
        if changed is not FAILED:
            flash(f"已保存（修改 {len(changed)} 项）。" if changed else "没有修改任何内容。", "success")
            return redirect(url_for("targets.detail", target_id=target.id))
    return render_template("targets/form.html", form=form, target=target)


def render_detail(
    target: TargetCompany,
    follow_up_form: FollowUpForm | None = None,
    status_form: StatusForm | None = None,
    assign_form: AssignForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    if status_form is None:
        status_form = StatusForm(status=target.status.value, version=target.version)
    if follow_up_form is None:
        follow_up_form = FollowUpForm(occurred_on=local_today())
    limit = follow_up_limit(target)
    return (
        render_template(
            "targets/detail.html",
            target=target,
            follow_ups=follow_ups_for(target),
            history=history.entries_for(target, current_user),
            follow_up_form=follow_up_form,
            status_form=status_form,
            assign_form=assign_form or AssignForm(current_user),
            follow_up_limit=limit,
            today=local_today(),
            converted_project=_converted_project(target),
            stall=stalls_for([target]).get(("target", target.id)),
        ),
        status,
    )


def _converted_project(target: TargetCompany) -> Project | None:
    return db.session.scalar(sa.select(Project).where(Project.target_id == target.id))


@bp.get("/<int:target_id>")
@require("target.view")
def detail(target_id: int) -> ResponseReturnValue:
    return render_detail(authorize("target.view", _load(target_id)))


@bp.post("/<int:target_id>/follow-ups")
@require("target.view")
def add_follow_up(target_id: int) -> ResponseReturnValue:
    target = authorize("target.follow_up", _load(target_id))
    form = FollowUpForm()
    if form.validate_on_submit():
        reload = lambda: authorize("target.follow_up", _load(target_id))  # noqa: E731 (checked again on a retry)
        landing = safe_back() or url_for("targets.detail", target_id=target_id, _anchor="follow-ups")
        target, problems = save_from_form(reload, current_user, form, local_today(), landing)
        if not problems:
            flash("跟进记录已保存。", "success")
            return redirect(landing)
        attach_problems(form, problems)
    return render_detail(target, follow_up_form=form, status=422)


@bp.post("/<int:target_id>/status")
@require("target.view")
def set_status(target_id: int) -> ResponseReturnValue:
    target = authorize("target.status", _load(target_id))
    form = StatusForm()
    if form.validate_on_submit():
        moved = commit_or_report(
            form,
            lambda: change_status(
                target, form.status.data, current_user, form.reason.data or "", form.version.data
            ),
            landing=lambda _moved: url_for("targets.detail", target_id=target.id),
        )
        if moved is not FAILED:
            flash(f"状态已变更为“{target.status.value}”。", "success")
            return redirect(url_for("targets.detail", target_id=target.id))
    return render_detail(_load(target_id), status_form=form, status=422)


@bp.post("/<int:target_id>/assign")
@require("target.view")
def assign(target_id: int) -> ResponseReturnValue:
    target = authorize("target.assign", _load(target_id))
    form = AssignForm(current_user)
    if form.validate_on_submit():
        new_owner = db.session.get(User, form.owner_id.data or 0)
        note = form.note.data or ""
        owner = commit_or_report(
            form, lambda: reassign_all([target], new_owner, current_user, note), field="owner_id"
        )
        if owner is not FAILED:
            flash(f"已改派给 {owner.display_name}，并已通知本人。", "success")
            return redirect(url_for("targets.detail", target_id=target.id))
    return render_detail(_load(target_id), assign_form=form, status=422)


@bp.post("/bulk-assign")
@require("target.assign")
def bulk_assign():
    return bulk_reassign(TargetCompany)


@bp.route("/<int:target_id>/convert", methods=["GET", "POST"])
@require("target.view")
def convert(target_id: int) -> ResponseReturnValue:
    """转为项目: the company becomes 已转项目 and a 在谈 project starts, in one transaction."""
    target = authorize("target.convert", _load(target_id))
    form = ConvertForm()
    was_open = not target.is_closed
    if request.method == "GET":
        form.name.data = f"{target.name}投资项目"
        form.total_investment.data = target.intended_investment
        form.version.data = str(target.version)
    if form.validate_on_submit():
        project = commit_or_report(
            form,
            lambda: convert_target(
                target, current_user, form.name.data or "", form.total_investment.data, form.version.data
            ),
            landing=lambda made: url_for("projects.detail", project_id=made.id),
        )
        if project is not FAILED:
            flash(f"已转为项目“{project.name}”（在谈），企业状态改为“已转项目”。", "success")
            return redirect(url_for("projects.detail", project_id=project.id))
        if was_open and (converted := _converted_project(target)):  # converted meanwhile by another request
            flash(f"该企业已转为项目“{converted.name}”，未重复转换。", "info")
            return redirect(url_for("projects.detail", project_id=converted.id))
    carried = classification_from_target(target)
    return render_template("targets/convert.html", form=form, target=target, carried=carried)
