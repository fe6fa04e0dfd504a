"""Reading the clusters and their chain segments."""

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import ChainSegment, Cluster, ClusterStatus


def list_clusters() -> list[Cluster]:
    """Every cluster, formal ones first in the annex order, with region and segments loaded."""
    stmt = (
        sa.select(Cluster)
        .options(selectinload(Cluster.region), selectinload(Cluster.segments))
        .order_by(Cluster.status != ClusterStatus.FORMAL, Cluster.sort_order)
    )
    return list(db.session.scalars(stmt))


def formal_target_total(clusters: list[Cluster]) -> Decimal:
    """Sum of the 2025 added-value targets of the formal clusters (the plan's 1400 亿元)."""
    return sum(
        (c.value_2025 for c in clusters if c.status == ClusterStatus.FORMAL and c.value_2025),
        Decimal("0.00"),
    )


@dataclass
class SegmentNode:
    segment: ChainSegment
    children: list["SegmentNode"] = field(default_factory=list)


def segment_tree(cluster_id: int) -> list[SegmentNode]:
    """The cluster's segments as a tree, loaded in one query."""
    segments = db.session.scalars(
        sa.select(ChainSegment)
        .where(ChainSegment.cluster_id == cluster_id)
        .order_by(ChainSegment.sort_order, ChainSegment.id)
    ).all()
    nodes = {s.id: SegmentNode(s) for s in segments}
    roots = []
    for s in segments:
        if s.parent_id is None:
            roots.append(nodes[s.id])
        else:
            nodes[s.parent_id].children.append(nodes[s.id])
    return roots
