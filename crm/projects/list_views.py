"""项目清单 pages: the table, the stage board and the export of the filtered list."""

import sqlalchemy as sa
from flask import render_template, request
from flask_login import current_user

from crm.core.bulk import bulk_reassign
from crm.core.choices import owner_choices_for_filter, region_choices
from crm.core.exports import xlsx_response
from crm.core.forms import BulkAssignForm
from crm.core.listing import paginate, requested_page
from crm.core.permissions import can, require
from crm.core.timeutil import local_today
from crm.extensions import db
from crm.models import PROJECT_TAGS, CapitalType, Cluster, Project, ProjectStage, ProjectType, Sector
from crm.outcomes.rates import missing_rate_years, size_labels
from crm.outcomes.sizes import SIZE_LABELS
from crm.projects import bp
from crm.projects.export import export_projects
from crm.projects.queries import (
    BOARD_STAGES,
    SORT_LABELS,
    USD_FILTERS,
    ProjectFilters,
    board_data,
    filtered_projects,
    project_query,
)
from crm.projects.stages import NEXT_STAGE
from crm.stall.badges import stalls_for
from crm.stall.filters import WARNING_FILTERS, level_counts


def _filter_choices(filters: ProjectFilters) -> dict:
    """What the filter form offers: clusters, regions and officers inside the user's scope; the
    outcome filters, why a typed 总投资 bound is not used, and which years' rates 超亿美元 lacks."""
    return {
        "size_options": [(label, label) for label in SIZE_LABELS],
        "usd_options": [(value, label) for value, (label, _) in USD_FILTERS.items()],
        "capital_options": [(m.value, m.value) for m in CapitalType],
        "ptype_options": [(m.value, m.value) for m in ProjectType],
        "sector_options": [(m.value, m.value) for m in Sector],
        "tag_options": PROJECT_TAGS,
        "investment_problems": filters.investment_range()[2],
        "missing_rate_years": missing_rate_years(local_today()) if filters.usd else [],
        "clusters": db.session.scalars(sa.select(Cluster).order_by(Cluster.status, Cluster.sort_order)).all(),
        "regions": region_choices(current_user),
        "owners": owner_choices_for_filter(current_user, Project),
        "sort_labels": SORT_LABELS,
        "stage_options": [(s.value, s.value) for s in ProjectStage],
        "warning_options": WARNING_FILTERS.items(),
    }


@bp.get("/")
@require("project.view")
def index():
    filters = ProjectFilters.from_args(request.args)
    today = local_today()
    page = paginate(project_query(current_user, filters, today))
    bulk_form = BulkAssignForm(current_user) if can(current_user, "project.assign") else None
    return render_template(
        "projects/list.html",
        page=page,
        filters=filters,
        today=today,
        bulk_form=bulk_form,
        warnings=stalls_for(page.items),
        sizes=size_labels(page.items, today),
        level_counts=level_counts(Project, filtered_projects(current_user, filters, today)),
        **_filter_choices(filters),
    )


@bp.post("/bulk-assign")
@require("project.assign")
def bulk_assign():
    return bulk_reassign(Project)


@bp.get("/board")
@require("project.view")
def board():
    filters = ProjectFilters.from_args(request.args)
    today = local_today()
    column = request.args.get("col", "")
    page = requested_page()
    pages = {column: page} if column in {s.value for s in BOARD_STAGES} else {}
    data = board_data(current_user, filters, today, pages)
    return render_template(
        "projects/board.html",
        board=data,
        sizes=size_labels([card for column in data.columns for card in column.cards], today),
        warnings=stalls_for(card for column in data.columns for card in column.cards),
        filters=filters,
        today=today,
        next_stage=NEXT_STAGE,
        **_filter_choices(filters),
    )


@bp.get("/export.xlsx")
@require("project.view")
def export():
    filters = ProjectFilters.from_args(request.args)
    today = local_today()
    content = export_projects(project_query(current_user, filters, today), today)
    return xlsx_response(content, f"项目清单-{local_today():%Y%m%d}.xlsx")
