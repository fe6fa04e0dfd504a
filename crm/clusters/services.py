"""Reading the clusters and their chain segments."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute, selectinload

from crm.core.permissions import scope_clause
from crm.extensions import db
from crm.models import (
    ChainSegment,
    Cluster,
    ClusterStatus,
    Item,
    Project,
    ProjectStage,
    TargetCompany,
    TargetStatus,
    User,
)


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
    counts: Counter  # target status → companies attached directly to this segment
    projects: Counter  # project stage → projects attached directly to this segment
    total: int = 0  # target companies on this segment and its sub-segments

    @property
    def is_gap(self) -> bool:
        """补链: no target company on this segment or below it."""
        return self.total == 0


def _counts(
    model: type[Item],
    column: QueryableAttribute[TargetStatus] | QueryableAttribute[ProjectStage],
    cluster: Cluster,
    user: User,
) -> dict[int | None, Counter[str]]:
    """{segment id: Counter(status or stage → n)} for one kind of item, in the user's scope."""
    rows = db.session.execute(
        sa.select(model.segment_id, column, sa.func.count())
        .where(model.cluster_id == cluster.id, scope_clause(user, model.region_id))
        .group_by(model.segment_id, column)
    ).all()
    counts: dict[int | None, Counter] = defaultdict(Counter)
    for segment_id, value, n in rows:
        counts[segment_id][value.value] += n
    return counts


def chain_map(cluster: Cluster, user: User) -> tuple[list[ChainRow], Counter, Counter]:
    """Segments (depth-first) with target and project counts; plus the counts without a segment."""
    targets = _counts(TargetCompany, TargetCompany.status, cluster, user)
    projects = _counts(Project, Project.stage, cluster, user)
    result: list[ChainRow] = []

    def walk(nodes: list[SegmentNode], depth: int) -> int:
        subtotal = 0
        for node in nodes:
            row = ChainRow(node, depth, targets[node.segment.id], projects[node.segment.id])
            result.append(row)
            row.total = sum(row.counts.values()) + walk(node.children, depth + 1)
            subtotal += row.total
        return subtotal

    walk(segment_tree(cluster.id), 0)
    return result, targets[None], projects[None]
