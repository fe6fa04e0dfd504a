import sqlalchemy as sa
from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from crm.clusters import bp
from crm.clusters.services import chain_map, formal_target_total, list_clusters
from crm.core.permissions import authorize, require
from crm.extensions import db
from crm.models import Cluster, ProjectStage, TargetStatus
from crm.targets.queries import TargetFilters
from crm.targets.views import render_target_list


@bp.get("/")
@require("cluster.view")
def index():
    clusters = list_clusters()
    return render_template(
        "clusters/index.html", clusters=clusters, target_total=formal_target_total(clusters)
    )


@bp.get("/<int:cluster_id>")
@require("cluster.view")
def detail(cluster_id: int) -> ResponseReturnValue:
    cluster = authorize("cluster.view", _load(cluster_id))
    rows, unsegmented, unsegmented_projects = chain_map(cluster, current_user)
    return render_template(
        "clusters/detail.html",
        cluster=cluster,
        chain_rows=rows,
        unsegmented=unsegmented,
        unsegmented_projects=unsegmented_projects,
        statuses=[s.value for s in TargetStatus],
        stages=[s.value for s in ProjectStage],
    )


@bp.get("/<int:cluster_id>/targets")
@require("target.view")
def targets(cluster_id: int) -> ResponseReturnValue:
    """The cluster's 招商清单 tab: the one target list, filtered to this cluster."""
    cluster = authorize("cluster.view", _load(cluster_id))
    filters = TargetFilters.from_args(request.args)
    filters.cluster = cluster.id
    return render_target_list(filters, cluster=cluster, template="clusters/targets.html")


def _load(cluster_id: int) -> Cluster | None:
    return db.session.scalar(
        sa.select(Cluster)
        .options(joinedload(Cluster.region), selectinload(Cluster.segments))
        .where(Cluster.id == cluster_id)
    )
