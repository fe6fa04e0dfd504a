import sqlalchemy as sa
from flask import render_template
from sqlalchemy.orm import joinedload

from crm.clusters import bp
from crm.clusters.services import formal_target_total, list_clusters, segment_tree
from crm.extensions import db
from crm.models import Cluster
from crm.permissions import authorize, require


@bp.get("/")
@require("cluster.view")
def index():
    clusters = list_clusters()
    return render_template(
        "clusters/index.html", clusters=clusters, target_total=formal_target_total(clusters)
    )


@bp.get("/<int:cluster_id>")
@require("cluster.view")
def detail(cluster_id: int):
    cluster = db.session.scalar(
        sa.select(Cluster).options(joinedload(Cluster.region)).where(Cluster.id == cluster_id)
    )
    authorize("cluster.view", cluster)
    return render_template("clusters/detail.html", cluster=cluster, tree=segment_tree(cluster.id))
