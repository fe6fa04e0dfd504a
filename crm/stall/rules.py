"""Stall rules (SPEC §4): is an item stalled, since when, and is it 黄灯 or 红灯?

Pure functions of an item (TargetCompany or Project), an aware `as_of` moment, the rules and a
working-day calendar; nothing here needs a request. An item is stalled for any of these reasons:

- 跟进逾期: its next follow-up date has passed;
- 超期未跟进: no follow-up for more than its status/stage limit in working days, counted from the
  later of the last follow-up and the day the current status/stage began;
- 签约未开工: a 拟建 project past its planned start (计划开工);
- 在建未竣工: an 在建 project past its planned completion (计划竣工).

Every reason has a deadline: the last day that is still fine. The reason holds from the day after
it (its `since`); a stall's `since` is the earliest `since` of its reasons and its working days
stalled are the working days after that deadline up to today. Milestone reasons count from the
later of the milestone and the stage's start (a project that entered 拟建 after its planned start
is stalled from that day on).

Level: 黄灯 (yellow) while stalled; 红灯 (red) once the stall has lasted more than the rule's
escalation_days working days (so with the default 5: yellow through the 5th stalled working day,
red from the 6th — "still stalled after 5 more working days"), or as soon as a planned start is
missed by 3 calendar months or more.

Episodes: `since` identifies a stall episode. Logging a follow-up moves last_follow_up_on and
next_follow_up_on, and a stage move resets status_since/stage_since, which ends the follow-up
reasons; a stall that comes back later has a later `since`, so it is a new episode. A next
follow-up date set before the current status/stage began no longer counts as 跟进逾期 (the move
ended it; the limit, counted from the move, takes over). Milestone reasons last until the stage
moves or the planned date is changed.

Closed items (已转项目, 已放弃, 建成投产, 终止) never stall. 暂缓 projects have no follow-up
limit (SPEC §4 defines none) and no milestone reason, so they are never 超期未跟进; but a next
follow-up date an officer set still has to be kept, so 跟进逾期 applies to them (escalating with
the default escalation_days).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, scoped_session

from crm.core.timeutil import BUREAU_ZONE, local_date
from crm.core.workdays import WorkCalendar
from crm.models.enums import ProjectStage, TargetStatus
from crm.models.reminders import StallRule

# SPEC §4 defaults: working days without a follow-up per status/stage, then more until red.
DEFAULT_LIMITS = {"待接触": 10, "已接触": 15, "有意向": 15, "在谈": 15, "拟建": 20, "在建": 30}
DEFAULT_ESCALATION_DAYS = 5
MISSED_START_RED_MONTHS = 3

OVERDUE = "overdue"
NO_FOLLOW_UP = "no_follow_up"
NOT_STARTED = "not_started"
NOT_COMPLETED = "not_completed"
REASON_LABELS = {
    OVERDUE: "跟进逾期",
    NO_FOLLOW_UP: "超期未跟进",
    NOT_STARTED: "签约未开工",
    NOT_COMPLETED: "在建未竣工",
}
YELLOW, RED = "yellow", "red"
LEVEL_LABELS = {YELLOW: "黄灯", RED: "红灯"}


class Tracked(Protocol):
    """What the rules read of an item: a TargetCompany or Project, or one as it stood (crm.reports.asof).

    A project also has planned_start_on and planned_completion_on, read where present.
    """

    @property
    def id(self) -> int: ...

    @property
    def status(self) -> TargetStatus | ProjectStage: ...

    @property
    def status_since(self) -> datetime: ...

    @property
    def is_closed(self) -> bool: ...

    @property
    def last_follow_up_on(self) -> date | None: ...

    @property
    def next_follow_up_on(self) -> date | None: ...


@dataclass(frozen=True)
class Rule:
    limit_days: int | None  # None: no follow-up limit (暂缓)
    escalation_days: int = DEFAULT_ESCALATION_DAYS


@dataclass(frozen=True)
class Rules:
    """The rule of every status/stage: StallRule rows over the SPEC defaults."""

    by_key: dict[str, Rule] = field(
        default_factory=lambda: {key: Rule(days) for key, days in DEFAULT_LIMITS.items()}
    )

    @classmethod
    def load(cls, session: Session | scoped_session[Any]) -> "Rules":
        """One query: the admin's StallRule rows, SPEC defaults for any status without one."""
        by_key = {key: Rule(days) for key, days in DEFAULT_LIMITS.items()}
        for row in session.scalars(sa.select(StallRule)):
            by_key[row.status_or_stage] = Rule(row.limit_days, row.escalation_days)
        return cls(by_key)

    def for_status(self, status: str) -> Rule:
        return self.by_key.get(status, Rule(None))


@dataclass(frozen=True)
class Reason:
    code: str
    since: date  # the first day it held
    deadline: date  # the last day that was still fine (since - 1 day)

    @property
    def label(self) -> str:
        return REASON_LABELS[self.code]


@dataclass(frozen=True)
class Stall:
    level: str | None  # None, "yellow" or "red"
    reasons: tuple[Reason, ...] = ()
    since: date | None = None  # the episode: the day the stall began
    working_days_stalled: int = 0

    @property
    def is_stalled(self) -> bool:
        return self.level is not None

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, "") if self.level else ""

    @property
    def labels(self) -> list[str]:
        return [reason.label for reason in self.reasons]


NOT_STALLED = Stall(None)


def add_months(day: date, months: int) -> date:
    """The same day months later, clamped to the month's end (11-30 + 3 months = 02-28/29)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for last_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def status_start(item: Tracked, zone: ZoneInfo = BUREAU_ZONE) -> date:
    """The local day the item's current status (target) or stage (project) began."""
    return local_date(item.status_since, zone)


def earliest_relevant_day(item: Tracked, zone: ZoneInfo = BUREAU_ZONE) -> date:
    """The first day a calendar for evaluating item must cover."""
    days = [status_start(item, zone) - timedelta(1)]
    for name in ("next_follow_up_on", "last_follow_up_on", "planned_start_on", "planned_completion_on"):
        value = getattr(item, name, None)
        if value is not None:
            days.append(value)
    return min(days)


def calendar_for(items: Iterable[Tracked], as_of: datetime, zone: ZoneInfo = BUREAU_ZONE) -> WorkCalendar:
    """One calendar (one overrides query) that covers evaluating every item at as_of."""
    today = local_date(as_of, zone)
    first = min((earliest_relevant_day(item, zone) for item in items), default=today)
    return WorkCalendar(min(first, today), today)


def stall_reasons(
    item: Tracked, today: date, rule: Rule, calendar: WorkCalendar, zone: ZoneInfo = BUREAU_ZONE
) -> list[Reason]:
    status = item.status.value
    started = status_start(item, zone)
    deadlines: list[tuple[str, date]] = []
    nxt = item.next_follow_up_on
    if nxt is not None and nxt >= started:
        deadlines.append((OVERDUE, nxt))
    if rule.limit_days is not None:
        reference = max(item.last_follow_up_on or started, started)
        if calendar.between(reference, today) > rule.limit_days:
            deadlines.append((NO_FOLLOW_UP, calendar.add(reference, rule.limit_days)))
    before_stage = started - timedelta(1)
    planned_start = getattr(item, "planned_start_on", None)
    if status == "拟建" and planned_start is not None:
        deadlines.append((NOT_STARTED, max(planned_start, before_stage)))
    planned_completion = getattr(item, "planned_completion_on", None)
    if status == "在建" and planned_completion is not None:
        deadlines.append((NOT_COMPLETED, max(planned_completion, before_stage)))
    reasons = [
        Reason(code, deadline + timedelta(1), deadline) for code, deadline in deadlines if today > deadline
    ]
    return sorted(reasons, key=lambda r: (r.since, list(REASON_LABELS).index(r.code)))


def evaluate(
    item: Tracked,
    as_of: datetime,
    rules: Rules | None = None,
    calendar: WorkCalendar | None = None,
    zone: ZoneInfo = BUREAU_ZONE,
) -> Stall:
    """The item's stall at as_of (aware): level, reasons, since (the episode), working days stalled.

    Pass one Rules (Rules.load) and one calendar (calendar_for) when evaluating many items.
    """
    if item.is_closed:
        return NOT_STALLED
    rules = rules or Rules()
    today = local_date(as_of, zone)
    if calendar is None:
        calendar = calendar_for([item], as_of, zone)
    rule = rules.for_status(item.status.value)
    reasons = stall_reasons(item, today, rule, calendar, zone)
    if not reasons:
        return NOT_STALLED
    first = reasons[0]
    stalled = calendar.between(first.deadline, today)
    red = stalled > rule.escalation_days
    planned_start = getattr(item, "planned_start_on", None)
    if (
        planned_start is not None
        and any(r.code == NOT_STARTED for r in reasons)
        and today >= add_months(planned_start, MISSED_START_RED_MONTHS)
    ):
        red = True
    return Stall(RED if red else YELLOW, tuple(reasons), first.since, stalled)


def episode_key(item: Tracked, stall: Stall) -> str | None:
    """A stable key of the item's current stall episode (e.g. for exactly-once delivery)."""
    if stall.since is None:  # not stalled
        return None
    kind = "project" if hasattr(item, "stage") else "target"
    return f"{kind}:{item.id}:{stall.since.isoformat()}"
