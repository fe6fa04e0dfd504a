"""黄灯/红灯 as a SQL expression: filter, count and scan stalled items in the database.

crm.stall.rules.evaluate() decides an item's stall in Python. Lists filtered by warning level,
counts per region or cluster and the reminder scan need the same answer for thousands of rows
inside one query. Every stall condition compares one of the item's dates with a threshold that
depends only on today, the item's status/stage rule and the working-day calendar, and each is
monotone in that date ("no follow-up for more than 15 working days" holds for every last
follow-up on or before some day c). So the thresholds are found once per status in Python, by
bisection over the calendar, and the SQL is plain date comparisons. tests/stall/test_stall_query.py
checks the expression against evaluate() on generated items.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from crm.core.timeutil import local_date, utc_moment
from crm.core.workdays import WorkCalendar
from crm.models import Item, Project, ProjectStage, TargetCompany, TargetStatus
from crm.stall.rules import MISSED_START_RED_MONTHS, RED, YELLOW, Rule, Rules, add_months

# The admin's largest limit + escalation (crm.admin.calendar_views.RuleForm) fits well inside.
LOOKBACK_DAYS = 3 * (250 + 60) + 90


class local_day(FunctionElement):
    """The local calendar day of a UTC timestamp column (the configured zone)."""

    type = sa.Date()
    inherit_cache = True
    name = "local_day"


@compiles(local_day)
def _local_day_sqlite(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores the naive UTC time; Asia/Shanghai has had a fixed offset since 1991.
    column, _zone, modifier = element.clauses
    return f"date({compiler.process(column, **kw)}, {compiler.process(modifier, **kw)})"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    column, zone, _modifier = element.clauses
    return f"CAST(({compiler.process(column, **kw)} AT TIME ZONE {compiler.process(zone, **kw)}) AS DATE)"


def local_day_of(column: QueryableAttribute[datetime], zone: ZoneInfo, moment: datetime) -> local_day:
    offset = moment.astimezone(zone).utcoffset() or timedelta()  # None only for a naive moment
    minutes = int(offset.total_seconds() // 60)
    return local_day(column, sa.literal(zone.key), sa.literal(f"{minutes:+d} minutes"))


@dataclass(frozen=True)
class Start:
    """When an item's status or stage began (a UTC timestamp column), for comparing with days."""

    column: QueryableAttribute[datetime]
    day: local_day  # its local calendar day, for comparing with another column
    zone: ZoneInfo

    def on_or_before(self, day: date) -> sa.ColumnElement[bool]:
        """Began on day or earlier (local time): a plain comparison with the next local midnight
        in UTC, so the database does no time-zone arithmetic per row for it."""
        return self.column < utc_moment(day + timedelta(days=1), zone=self.zone)


@dataclass(frozen=True)
class Thresholds:
    """For one status/stage at one today: the last dates for which each condition holds."""

    quiet: date | None  # last reference day with more than limit working days since (超期未跟进)
    red: date  # last deadline with more than escalation working days since (红灯)
    quiet_red: date | None  # last reference day whose 超期未跟进 deadline is on or before `red`


def _largest(low: date, high: date, holds: Callable[[date], bool]) -> date | None:
    """The largest day in [low, high] for which holds (true up to some day, false after)."""
    if not holds(low):
        return None
    while low < high:
        middle = low + timedelta(days=((high - low).days + 1) // 2)
        if holds(middle):
            low = middle
        else:
            high = middle - timedelta(days=1)
    return low


def thresholds(today: date, rule: Rule, calendar: WorkCalendar) -> Thresholds:
    low = calendar.first
    now = calendar.count(today)
    red = _largest(low, today, lambda d: now - calendar.count(d) > rule.escalation_days)
    if red is None:  # LOOKBACK_DAYS covers the largest escalation an admin can set
        raise ValueError(
            f"escalation_days {rule.escalation_days} exceeds the lookback of {LOOKBACK_DAYS} days"
        )
    if rule.limit_days is None:
        return Thresholds(None, red, None)
    limit = rule.limit_days
    quiet = _largest(low, today, lambda r: now - calendar.count(r) > limit)
    red_count = calendar.count(red)
    quiet_red = _largest(low, today, lambda r: calendar.count(r) + limit <= red_count)
    return Thresholds(quiet, red, quiet_red)


def _on_or_before(value: QueryableAttribute[date | None], day: date | None) -> sa.ColumnElement[bool]:
    return value <= day if day is not None else sa.false()


def stall_level(
    model: type[Item], as_of: datetime, rules: Rules, zone: ZoneInfo
) -> sa.ColumnElement[str | None]:
    """'red', 'yellow' or NULL for each row of model (TargetCompany or Project) at as_of."""
    today = local_date(as_of, zone)
    calendar = WorkCalendar(today - timedelta(days=LOOKBACK_DAYS), today)
    is_project = model is Project
    status = Project.stage if is_project else TargetCompany.status
    since = Project.stage_since if is_project else TargetCompany.status_since
    started = Start(since, local_day_of(since, zone, as_of), zone)
    missed = _largest(calendar.first, today, lambda p: add_months(p, MISSED_START_RED_MONTHS) <= today)
    stalled, red = [], []
    for value in ProjectStage if is_project else TargetStatus:
        if value.is_closed:
            continue
        limits = thresholds(today, rules.for_status(value.value), calendar)
        yellow_parts, red_parts = _conditions(model, started, today, limits)
        planned = MILESTONES.get(value)
        if planned is not None:
            # 签约未开工 / 在建未竣工: the deadline is max(planned day, the day before the stage began).
            yellow_parts.append(sa.and_(planned < today, started.on_or_before(today)))
            red_parts.append(
                sa.and_(planned <= limits.red, started.on_or_before(limits.red + timedelta(days=1)))
            )
            if value == ProjectStage.SIGNED:  # 红灯 once the planned start is missed by three months
                red_parts.append(sa.and_(_on_or_before(planned, missed), started.on_or_before(today)))
        stalled.append(sa.and_(status == value, sa.or_(*yellow_parts)))
        red.append(sa.and_(status == value, sa.or_(*red_parts)))
    return sa.case((sa.or_(*red), RED), (sa.or_(*stalled), YELLOW), else_=sa.null())


MILESTONES: dict[ProjectStage | TargetStatus, QueryableAttribute[date | None]] = {
    ProjectStage.SIGNED: Project.planned_start_on,
    ProjectStage.BUILDING: Project.planned_completion_on,
}


def _conditions(
    model: type[Item], started: Start, today: date, limits: Thresholds
) -> tuple[list[sa.ColumnElement[bool]], list[sa.ColumnElement[bool]]]:
    """跟进逾期 and 超期未跟进 as (stalled, red) conditions."""
    nxt, last = model.next_follow_up_on, model.last_follow_up_on
    overdue = sa.and_(nxt.is_not(None), nxt >= started.day)
    return (
        [sa.and_(overdue, nxt < today), _quiet(started, last, limits.quiet)],
        [sa.and_(overdue, nxt <= limits.red), _quiet(started, last, limits.quiet_red)],
    )


def _quiet(started: Start, last: QueryableAttribute[date | None], day: date | None) -> sa.ColumnElement[bool]:
    """超期未跟进 by day: max(last follow-up, stage start) on or before day (never without a limit)."""
    if day is None:
        return sa.false()
    return sa.and_(started.on_or_before(day), sa.or_(last.is_(None), last <= day))
