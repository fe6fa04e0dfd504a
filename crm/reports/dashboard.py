"""The head dashboard's figures for one report scope, as plain functions over aggregate queries.

Every function issues a fixed number of statements (GROUP BY or conditional counts), whatever the
number of items, and never loads the items themselves. Amounts are summed by the database in the
Money type, so they come back as exact Decimals on SQLite and PostgreSQL alike.
"""

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute, joinedload

from crm.core.choices import region_choices
from crm.core.timeutil import local_date
from crm.extensions import db
from crm.models import (
    Cluster,
    ClusterStatus,
    Item,
    Project,
    ProjectStage,
    Region,
    TargetCompany,
    TargetStatus,
    User,
)
from crm.reports import outcomes
from crm.reports.dashboard_tables import ProblemTable, Week, open_problems, weekly_trend
from crm.reports.scope import ReportScope
from crm.stall.filters import LevelCounts, current_level
from crm.stall.rules import RED
from crm.warnings_overview.services import NONE, Row

ZERO = Decimal("0.00")
SumT = TypeVar("SumT", "Figure", LevelCounts)


@dataclass(frozen=True)
class Figure:
    """How many items, and their amount in 亿元."""

    count: int = 0
    amount: Decimal = ZERO

    def __add__(self, other: "Figure") -> "Figure":
        return Figure(self.count + other.count, self.amount + other.amount)


NOTHING = Figure()


def _sum_by(
    cells: Mapping[tuple[Any, ...], SumT], position: int, start: Callable[[], SumT]
) -> dict[Any, SumT]:
    """Sums of the cells (Figures or LevelCounts) by one part of their key."""
    sums: dict[Any, SumT] = defaultdict(start)
    for key, value in cells.items():
        sums[key[position]] += value
    return sums


@dataclass
class Breakdown:
    """Items of the scope by (stage or status, cluster id, region id): count and amount per cell.

    Projects carry their 落地地区; target companies None (their region is their cluster's).
    """

    order: tuple[str, ...]  # the stages or statuses, in the order they are shown
    cells: dict[tuple[str, int, int | None], Figure]

    @cached_property
    def rows(self) -> list[tuple[str, Figure]]:
        sums = _sum_by(self.cells, 0, Figure)
        return [(key, sums.get(key, NOTHING)) for key in self.order]

    @cached_property
    def total(self) -> Figure:
        return sum(self.cells.values(), NOTHING)

    @cached_property
    def by_cluster(self) -> dict[int, Figure]:
        return _sum_by(self.cells, 1, Figure)

    @cached_property
    def by_region(self) -> dict[int | None, dict[str, Figure]]:
        table: dict[int | None, dict[str, Figure]] = defaultdict(lambda: defaultdict(Figure))
        for (key, _, region_id), figure in self.cells.items():
            table[region_id][key] += figure
        return table


def breakdown(model: type[Item], scope: ReportScope) -> Breakdown:
    """Projects by stage (total investment) or target companies by status (intended investment)."""
    order: type[ProjectStage] | type[TargetStatus]
    amount: QueryableAttribute[Decimal | None]
    groups: tuple[QueryableAttribute[Any], ...]
    if model is Project:
        order, amount = ProjectStage, Project.total_investment
        groups = (Project.stage, Project.cluster_id, Project.region_id)
    else:
        order, amount = TargetStatus, TargetCompany.intended_investment
        # status first: the (status, cluster_id, intended_investment) index answers it alone
        groups = (TargetCompany.status, TargetCompany.cluster_id)
    rows = db.session.execute(
        sa.select(*groups, sa.func.count(), sa.func.sum(amount)).where(scope.clause(model)).group_by(*groups)
    )
    cells: dict[tuple[str, int, int | None], Figure] = {}
    for row in rows:
        region_id = row[2] if model is Project else None
        cells[row[0].value, row[1], region_id] = Figure(row[-2], row[-1] or ZERO)
    return Breakdown(tuple(s.value for s in order), cells)


# --- signed, started and completed this year and this month ---------------------------------------

EVENTS = (
    ("签约", Project.signed_on),
    ("开工", Project.actual_start_on),
    ("竣工投产", Project.actual_completion_on),
)


@dataclass(frozen=True)
class EventRow:
    label: str
    year: Figure
    month: Figure


def events(scope: ReportScope, today: date) -> list[EventRow]:
    """Projects signed, started and completed (by their evidence dates) this year and this month."""
    year = (date(today.year, 1, 1), date(today.year + 1, 1, 1))
    month = (today.replace(day=1), (today.replace(day=28) + timedelta(days=4)).replace(day=1))
    columns = []
    for _, column in EVENTS:
        for start, end in (year, month):
            inside = sa.and_(column >= start, column < end)
            columns += [
                sa.func.count(sa.case((inside, 1))),
                sa.func.sum(sa.case((inside, Project.total_investment))),
            ]
    any_this_year = sa.or_(*(column >= year[0] for _, column in EVENTS))
    row = db.session.execute(sa.select(*columns).where(scope.clause(Project), any_this_year)).one()
    figures = [Figure(count, total or ZERO) for count, total in zip(row[::2], row[1::2], strict=True)]
    return [EventRow(label, figures[2 * i], figures[2 * i + 1]) for i, (label, _) in enumerate(EVENTS)]


# --- clusters: the scope picker and progress toward the 2025 target ----------------------------------


def all_clusters() -> list[Cluster]:
    """Every cluster, formal ones first in the annex order (one query)."""
    return list(
        db.session.scalars(
            sa.select(Cluster)
            .options(joinedload(Cluster.region))
            .order_by(Cluster.status != ClusterStatus.FORMAL, Cluster.sort_order)
        )
    )


def clusters_for_reader(user: User, clusters: list[Cluster]) -> list[Cluster]:
    """Clusters a reader can sensibly pick: all for the city; a region's own and those landing there."""
    if user.region_id is None:
        return clusters
    landing = set(
        db.session.scalars(
            sa.select(Project.cluster_id).where(Project.region_id == user.region_id).distinct()
        )
    )
    return [c for c in clusters if c.region_id == user.region_id or c.id in landing]


@dataclass(frozen=True)
class ClusterRow:
    cluster: Cluster
    projects: Figure  # projects of the scope in this cluster
    targets: int  # target companies of the scope in this cluster

    @property
    def progress(self) -> Decimal | None:
        """2021 added value as a percentage of the 2025 target (the cluster list's figure)."""
        return self.cluster.progress_2025


def cluster_rows(
    scope: ReportScope, clusters: list[Cluster], projects: Breakdown, targets: Breakdown
) -> list[ClusterRow]:
    """The clusters the scope is about, with the scope's projects and targets in each."""
    region = scope.region_id or scope.reader_region_id
    if scope.cluster_id is not None:
        chosen = [c for c in clusters if c.id == scope.cluster_id]
    elif region is not None:
        present = set(projects.by_cluster) | set(targets.by_cluster)
        chosen = [c for c in clusters if c.region_id == region or c.id in present]
    else:
        chosen = clusters
    return [
        ClusterRow(c, projects.by_cluster.get(c.id, NOTHING), targets.by_cluster.get(c.id, NOTHING).count)
        for c in chosen
    ]


# --- 黄灯/红灯 by region and by officer --------------------------------------------------------------


def level_cells(model: type[Item], scope: ReportScope) -> dict[tuple[int, int, int], LevelCounts]:
    """{(owner id, region id, cluster id): red/yellow counts} of model's items in scope (one query).

    Grouped by the level itself rather than counting each level (as 预警总览 does): SQLite then
    works out the level expression once per row, not three times, and one query serves both the
    by-officer and the by-region table (about 30 ms instead of 90 ms at 20,000 targets).
    """
    level = current_level(model).label("level")
    # grouped outside: PostgreSQL can't match the level's parameters twice
    inner = (
        sa.select(level, model.owner_id, model.region_id, model.cluster_id)
        .where(scope.clause(model))
        .subquery()
    )
    rows = db.session.execute(
        sa.select(inner.c.level, inner.c.owner_id, inner.c.region_id, inner.c.cluster_id, sa.func.count())
        .where(inner.c.level.is_not(None))
        .group_by(inner.c.level, inner.c.owner_id, inner.c.region_id, inner.c.cluster_id)
    )
    cells: dict[tuple[int, int, int], LevelCounts] = defaultdict(LevelCounts)
    for level_value, owner_id, region_id, cluster_id, n in rows:
        cells[owner_id, region_id, cluster_id] += (
            LevelCounts(n, 0) if level_value == RED else LevelCounts(0, n)
        )
    return cells


@dataclass
class Warnings:
    regions: list[Row]  # regions of the scope (a cluster scope: those with warnings)
    officers: list[Row]  # officers with red or yellow items, most red first

    @property
    def total(self) -> LevelCounts:
        return sum((row.targets + row.projects for row in self.regions), NONE)


def warnings(scope: ReportScope, regions: list[Region]) -> Warnings:
    """Red and yellow targets and projects of the scope, by region and by responsible officer."""
    targets, projects = level_cells(TargetCompany, scope), level_cells(Project, scope)
    region_rows = []
    t_regions, p_regions = _sum_by(targets, 1, LevelCounts), _sum_by(projects, 1, LevelCounts)
    for r in regions:
        row = Row(
            r.name, {**scope.as_args(), "region": r.id}, t_regions.get(r.id, NONE), p_regions.get(r.id, NONE)
        )
        # a cluster's items sit in one or two regions: the other regions' zeros say nothing
        if scope.covers(r.id, scope.cluster_id) and (row.targets or row.projects or not scope.cluster_id):
            region_rows.append(row)
    t_owners, p_owners = _sum_by(targets, 0, LevelCounts), _sum_by(projects, 0, LevelCounts)
    ids = set(t_owners) | set(p_owners)
    names = dict(
        db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids))).tuples().all()
    )
    officers = [
        Row(names.get(i, "—"), {**scope.as_args(), "owner": i}, t_owners.get(i, NONE), p_owners.get(i, NONE))
        for i in ids
    ]
    officers.sort(key=lambda r: (-(r.targets + r.projects).red, -(r.targets + r.projects).yellow, r.label))
    return Warnings(region_rows, officers)


# --- the whole page ------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    scope: ReportScope
    today: date
    projects: Breakdown
    targets: Breakdown
    events: list[EventRow]
    clusters: list[ClusterRow]
    regions: list[Region]  # the regions of the by-region tables
    warnings: Warnings
    problems: ProblemTable
    weeks: list[Week]
    outcomes: outcomes.Outcomes

    @property
    def spans_regions(self) -> bool:
        """Whether the scope covers more than one region (the by-region tables say something)."""
        return (self.scope.region_id or self.scope.reader_region_id) is None

    @property
    def is_reader_scope(self) -> bool:
        """Whether the scope is the reader's whole scope (lists filtered by scope only show the same)."""
        return self.scope.cluster_id is None and self.scope.region_id == self.scope.reader_region_id

    @property
    def region_rows(self) -> list[tuple[Region, list[Figure], Figure]]:
        """Projects per region and stage; a cluster scope lists only the regions its projects are in."""
        rows = []
        for region in self.regions:
            cells = self.projects.by_region.get(region.id, {})
            figures = [cells.get(stage, NOTHING) for stage in self.projects.order]
            total = sum(figures, NOTHING)
            if total.count or self.scope.cluster_id is None:
                rows.append((region, figures, total))
        return rows


def build(
    user: User, scope: ReportScope, now: datetime, zone: ZoneInfo, clusters: list[Cluster]
) -> Dashboard:
    """Every figure of the dashboard for scope, as of now (its day in Asia/Shanghai)."""
    today = local_date(now, zone)
    projects, targets = breakdown(Project, scope), breakdown(TargetCompany, scope)
    regions = region_choices(user)
    return Dashboard(
        scope=scope,
        today=today,
        projects=projects,
        targets=targets,
        events=events(scope, today),
        clusters=cluster_rows(scope, clusters, projects, targets),
        regions=regions,
        warnings=warnings(scope, regions),
        problems=open_problems(scope),
        weeks=weekly_trend(scope, today, zone),
        outcomes=outcomes.build(scope, now, zone),
    )
