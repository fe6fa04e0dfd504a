"""The head dashboard's 要素保障 table and its 12-week trend: aggregate queries, as in crm.reports.dashboard."""

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute

from crm.extensions import db
from crm.models import HistoryEntry, Problem, ProblemCategory, ProblemStatus, Project, TargetCompany
from crm.reports.scope import ReportScope
from crm.reports.weeks import IsoWeek

TREND_WEEKS = 12


# --- 要素保障: open problems by responsible unit and category ---------------------------------------


@dataclass
class UnitRow:
    unit: str
    counts: dict[str, int] = field(default_factory=dict)  # category -> open problems

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class ProblemTable:
    categories: list[str]  # the categories that occur, in their usual order
    rows: list[UnitRow]  # most open problems first

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)

    def category_total(self, category: str) -> int:
        return sum(row.counts.get(category, 0) for row in self.rows)


def open_problems(scope: ReportScope) -> ProblemTable:
    """Problems not yet resolved on the scope's projects, by responsible unit and category."""
    rows = db.session.execute(
        sa.select(Problem.responsible_unit, Problem.category, sa.func.count())
        .join(Project, Project.id == Problem.project_id)
        .where(Problem.status != ProblemStatus.RESOLVED, scope.clause(Project))
        .group_by(Problem.responsible_unit, Problem.category)
    )
    units: dict[str, UnitRow] = {}
    for unit, category, n in rows:
        units.setdefault(unit, UnitRow(unit)).counts[category.value] = n
    present = {c for row in units.values() for c in row.counts}
    return ProblemTable(
        [c.value for c in ProblemCategory if c.value in present],
        sorted(units.values(), key=lambda row: (-row.total, row.unit)),
    )


# --- the 12-week trend --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    week: IsoWeek
    targets: int  # new target companies
    projects: int  # new projects
    stage_moves: int  # project stage changes


def trend_weeks(today: date, zone: ZoneInfo, count: int = TREND_WEEKS) -> list[IsoWeek]:
    """The last count ISO weeks, oldest first, the one holding today last."""
    current = IsoWeek.of(today, zone)
    return [current.shifted(n - count + 1) for n in range(count)]


def _weekly(
    column: QueryableAttribute[datetime], weeks: list[IsoWeek], *where: sa.ColumnElement[bool]
) -> list[int]:
    """Rows per week by a UTC timestamp column: one statement over the window, grouped by week."""
    week = sa.case(*((column < w.end, i) for i, w in enumerate(weeks))).label("week")
    inner = sa.select(week).where(column >= weeks[0].start, column < weeks[-1].end, *where).subquery()
    counts = dict(
        db.session.execute(sa.select(inner.c.week, sa.func.count()).group_by(inner.c.week)).tuples().all()
    )
    return [counts.get(i, 0) for i in range(len(weeks))]


def weekly_trend(scope: ReportScope, today: date, zone: ZoneInfo) -> list[Week]:
    """New targets, new projects and stage moves in each of the last 12 ISO weeks (this one included)."""
    weeks = trend_weeks(today, zone)
    targets = _weekly(TargetCompany.created_at, weeks, scope.clause(TargetCompany))
    projects = _weekly(Project.created_at, weeks, scope.clause(Project))
    moves = _weekly(
        HistoryEntry.created_at,
        weeks,
        HistoryEntry.entity_type == Project.entity_type,
        HistoryEntry.action == "stage",
        HistoryEntry.field == "stage",  # the (field, created_at) index
        HistoryEntry.entity_id == Project.id,
        scope.clause(Project),
    )
    return [Week(*values) for values in zip(weeks, targets, projects, moves, strict=True)]
