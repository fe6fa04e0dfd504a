"""Reading the clusters and their chain segments."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import ChainSegment, Cluster, ClusterStatus, TargetCompany, User
from crm.permissions import scope_clause


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


@dataclass
class ChainRow:
    node: SegmentNode
    depth: int
    counts: Counter  # status value → companies attached directly to this segment
    total: int  # this segment and its sub-segments

    @property
    def is_gap(self) -> bool:
        """补链: no target company on this segment or below it."""
        return self.total == 0


def chain_map(cluster: Cluster, user: User) -> tuple[list[ChainRow], Counter]:
    """Segments (depth-first) with target counts by status, and the counts of unsegmented ones."""
    rows = db.session.execute(
        sa.select(TargetCompany.segment_id, TargetCompany.status, sa.func.count())
        .where(TargetCompany.cluster_id == cluster.id, scope_clause(user, TargetCompany.region_id))
        .group_by(TargetCompany.segment_id, TargetCompany.status)
    ).all()
    counts: dict[int | None, Counter] = defaultdict(Counter)
    for segment_id, status, n in rows:
        counts[segment_id][status.value] += n
    result: list[ChainRow] = []

    def walk(nodes: list[SegmentNode], depth: int) -> int:
        subtotal = 0
        for node in nodes:
            row = ChainRow(node, depth, counts[node.segment.id], 0)
            result.append(row)
            row.total = sum(row.counts.values()) + walk(node.children, depth + 1)
            subtotal += row.total
        return subtotal

    walk(segment_tree(cluster.id), 0)
    return result, counts[None]
