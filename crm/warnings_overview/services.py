"""Counting 红灯/黄灯 items per region and per cluster, a fixed number of aggregate queries."""

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from crm.core.choices import region_choices
from crm.core.permissions import in_scope, scope_clause
from crm.extensions import db
from crm.models import Cluster, ClusterStatus, Item, Project, TargetCompany, User
from crm.stall.filters import LevelCounts, counted, current_level

NONE = LevelCounts()


@dataclass
class Row:
    """One line of the overview: a region, a cluster or the total, with the list filter it stands for."""

    label: str
    args: dict = field(default_factory=dict)  # e.g. {"region": 3}: what its links add to the lists
    targets: LevelCounts = NONE
    projects: LevelCounts = NONE


@dataclass
class Overview:
    regions: list[Row]
    total: Row
    clusters: list[Row]

    @property
    def is_empty(self) -> bool:
        return not (self.total.targets or self.total.projects)


def grouped_counts(model: type[Item], user: User) -> dict[tuple[int, int], LevelCounts]:
    """{(region id, cluster id): red/yellow counts} of model's items in the user's scope (one query)."""
    inner = (
        sa.select(model.region_id, model.cluster_id, current_level(model).label("level"))
        .where(scope_clause(user, model.region_id))
        .subquery()
    )
    rows = db.session.execute(
        sa.select(inner.c.region_id, inner.c.cluster_id, *counted(inner.c.level))
        .where(inner.c.level.is_not(None))
        .group_by(inner.c.region_id, inner.c.cluster_id)
    )
    return {(region_id, cluster_id): LevelCounts(red, yellow) for region_id, cluster_id, red, yellow in rows}


def _sum_by(counts: dict[tuple[int, int], LevelCounts], position: int) -> dict[int, LevelCounts]:
    sums: dict[int, LevelCounts] = defaultdict(LevelCounts)
    for key, value in counts.items():
        sums[key[position]] += value
    return sums


def warning_overview(user: User) -> Overview:
    """Red and yellow 招商企业 and 项目 in the user's scope, by region (with a total) and by cluster.

    Targets count under their cluster's region, projects under their 落地地区, as the lists filter.
    """
    targets = grouped_counts(TargetCompany, user)
    projects = grouped_counts(Project, user)
    target_regions, project_regions = _sum_by(targets, 0), _sum_by(projects, 0)
    target_clusters, project_clusters = _sum_by(targets, 1), _sum_by(projects, 1)
    regions = [
        Row(r.name, {"region": r.id}, target_regions.get(r.id, NONE), project_regions.get(r.id, NONE))
        for r in region_choices(user)
    ]
    total = Row(
        "全市" if user.region_id is None else "合计",
        targets=sum(target_regions.values(), NONE),
        projects=sum(project_regions.values(), NONE),
    )
    clusters = db.session.scalars(
        sa.select(Cluster).order_by(Cluster.status != ClusterStatus.FORMAL, Cluster.sort_order)
    )
    cluster_rows = [
        Row(c.name, {"cluster": c.id}, target_clusters.get(c.id, NONE), project_clusters.get(c.id, NONE))
        for c in clusters
        # a region's own clusters, and any other cluster with a project landing in the region
        if in_scope(user, c.region_id) or c.id in target_clusters or c.id in project_clusters
    ]
    return Overview(regions, total, cluster_rows)
