"""The weekly 调度会 summary (SPEC §5): six sections for an ISO week and a scope, rebuilt from history.

Everything is as of the week's end (Sunday 24:00 Asia/Shanghai) — or now, for the week in progress —
through crm.reports.asof, so a past week's summary is the same whenever it is produced. Events count
in the week they were recorded in the system; their own dates (签约日期, 开工日期 …) stand beside them.
The renderers (page, .xlsx, .docx) read a WeeklySummary and compute nothing.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import groupby

import sqlalchemy as sa

from crm.core.timeutil import local_date
from crm.extensions import db
from crm.models import (
    Cluster,
    HistoryEntry,
    ProblemStatus,
    ProjectStage,
    Region,
    StallRule,
    SupervisionNote,
    TargetStatus,
    User,
)
from crm.outcomes.rates import all_rates
from crm.outcomes.sizes import breakdown, rate_year
from crm.reports import asof, outcomes
from crm.reports.asof import ItemState, Snapshot
from crm.reports.outcomes import IndicatorRow, OutcomeLine, RankRow
from crm.reports.scope import ReportScope
from crm.reports.weeks import IsoWeek
from crm.stall.rules import RED, YELLOW, Rule, Rules, calendar_for, evaluate

KIND_LABELS = {"target": "招商企业", "project": "项目"}
EVENT_KINDS = {
    "new_target": "新增招商企业",
    "new_project": "新增项目",
    "signed": "签约",
    "started": "开工",
    "completed": "竣工投产",
}
# The event's own date, shown beside it (the week it counts in is the week it was recorded).
EVENT_DATE_LABELS = {
    "new_target": "新增日期",
    "new_project": "新增日期",
    "signed": "签约日期",
    "started": "实际开工日期",
    "completed": "竣工投产日期",
}

# The summary's tables, each one a page can show by itself (crm.reports.weekly_views.Window).
PARTS = {
    **EVENT_KINDS,
    "landmarks": "标志性项目",
    "warnings": "通报",
    "problems": "要素保障",
    "next_week": "下周安排",
}


@dataclass(frozen=True)
class Figure:
    label: str
    value: int | Decimal
    unit: str = ""


@dataclass(frozen=True)
class Event:
    kind: str  # a key of EVENT_KINDS
    name: str
    region: str
    cluster: str
    officer: str
    on: date | None  # the event's own date: 签约日期, 实际开工, 实际竣工投产; creation day for new items
    investment: Decimal | None
    recorded_on: date  # the day it was entered (Asia/Shanghai), which puts it in this week
    # a project's size classes as it stood: "10亿元以上、超亿美元、世界500强" (any of them; 超亿美元未知
    # when the rate of its signing year is missing) — the 其中 of the week's counts
    sizes: str = ""

    @property
    def kind_label(self) -> str:
        return EVENT_KINDS[self.kind]


@dataclass(frozen=True)
class Landmark:
    project_id: int
    name: str
    stage: str
    leader: str
    officer: str
    last_follow_up_on: date | None
    next_step: str
    next_follow_up_on: date | None


@dataclass(frozen=True)
class Warning:
    item_type: str
    item_id: int
    name: str
    level: str  # red | yellow
    reasons: str
    since: date
    days: int  # working days stalled at the week's end
    officer: str
    leader: str
    instruction: str  # the 督办 instruction for this week, if any

    @property
    def level_label(self) -> str:
        return "红灯" if self.level == RED else "黄灯"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.item_type]


@dataclass(frozen=True)
class OpenProblem:
    unit: str
    project: str
    category: str
    description: str
    status: str
    raised_on: date


@dataclass(frozen=True)
class Upcoming:
    kind: str  # 待跟进 | 计划开工
    item_type: str
    name: str
    on: date
    officer: str


@dataclass
class WeeklySummary:
    week: IsoWeek
    scope: ReportScope
    as_of: datetime
    figures: list[Figure] = field(default_factory=list)
    # 目标任务进展 (crm.reports.outcomes), as of the week's end: section 一 opens with them
    indicators: list[IndicatorRow] = field(default_factory=list)
    outcome_lines: list[OutcomeLine] = field(default_factory=list)
    ranking: list[RankRow] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    landmarks: list[Landmark] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    problems: list[OpenProblem] = field(default_factory=list)
    next_week: list[Upcoming] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.scope.label}先进制造业集群招商工作周调度（{self.week.label}）"

    @property
    def complete(self) -> bool:
        """False for the week in progress: its figures are as of now."""
        return self.as_of >= self.week.end - timedelta(microseconds=1)

    event_kinds = EVENT_KINDS
    date_labels = EVENT_DATE_LABELS

    def events_of(self, kind: str) -> list[Event]:
        return [event for event in self.events if event.kind == kind]

    def rows_of(self, part: str) -> list:
        """The rows of one table (a key of PARTS), in the order the files list them."""
        if part in EVENT_KINDS:
            return self.events_of(part)
        if part == "problems":
            return [problem for _, rows in self.problems_by_unit for problem in rows]
        return getattr(self, part)

    def level_count(self, level: str) -> int:
        return sum(1 for w in self.warnings if w.level == level)

    @staticmethod
    def units(problems: list[OpenProblem]) -> list[tuple[str, list[OpenProblem]]]:
        """Consecutive problems of the same responsible unit, as (unit, problems), order kept."""
        return [(unit, list(rows)) for unit, rows in groupby(problems, key=lambda p: p.unit)]

    @property
    def problems_by_unit(self) -> list[tuple[str, list[OpenProblem]]]:
        """Open problems grouped by responsible unit, the unit with most first."""
        grouped: dict[str, list[OpenProblem]] = defaultdict(list)
        for problem in self.problems:
            grouped[problem.unit].append(problem)
        return sorted(grouped.items(), key=lambda pair: (-len(pair[1]), pair[0]))


def build(week: IsoWeek, scope: ReportScope, now: datetime | None = None) -> WeeklySummary:
    """The summary of week in scope; ValueError (Chinese) for a week that has not begun."""
    now = now or datetime.now(UTC)
    if week.start > now:
        raise ValueError(f"{week.label}（{week.dates}）尚未开始。")
    # Sunday 24:00 is the last instant of Sunday: "today" for the stall rules is Sunday, not Monday.
    at = min(week.end - timedelta(microseconds=1), now)
    targets = asof.snapshot("target", at, scope)
    projects = asof.snapshot("project", at, scope)
    people = dict(db.session.execute(sa.select(User.id, User.display_name)).tuples().all())
    places = _places()
    summary = WeeklySummary(week, scope, at)
    summary.events = _events(week, targets, projects, people, places)
    summary.landmarks = _landmarks(projects, people)
    summary.warnings = _warnings(week, at, [*targets, *projects], people)
    summary.problems = _problems(at, projects)
    summary.next_week = _next_week(week, targets, projects, people)
    summary.figures = _figures(summary, targets, projects)
    year_to_date = outcomes.build(scope, at, week.zone)
    summary.indicators, summary.outcome_lines = year_to_date.rows, year_to_date.lines
    summary.ranking = year_to_date.ranking
    return summary


def rules_at(at: datetime) -> Rules:
    """The stall rules in force at `at`: today's, with later admin edits undone (crm.core.history rows)."""
    rows = {row.id: row for row in db.session.scalars(sa.select(StallRule))}
    values = {
        row.id: {"limit_days": row.limit_days, "escalation_days": row.escalation_days}
        for row in rows.values()
    }
    later = db.session.execute(
        sa.select(HistoryEntry.entity_id, HistoryEntry.field, HistoryEntry.old_value)
        .where(HistoryEntry.entity_type == "stall_rule", HistoryEntry.created_at > at)
        .order_by(HistoryEntry.created_at, HistoryEntry.id)
    )
    seen = set()
    for rule_id, field_name, old_value in later:
        if rule_id in values and (rule_id, field_name) not in seen and old_value is not None:
            seen.add((rule_id, field_name))
            values[rule_id][field_name] = int(old_value)
    by_key = Rules().by_key | {
        rows[i].status_or_stage: Rule(v["limit_days"], v["escalation_days"]) for i, v in values.items()
    }
    return Rules(by_key)


People = dict[int, str]  # user id → display name


def _name(people: People, user_id: int | None) -> str:
    """A person's name as the summary shows it; — for nobody."""
    return people.get(user_id, "—") if user_id is not None else "—"


def _places() -> dict[str, dict[int, str]]:
    return {
        "region": dict(db.session.execute(sa.select(Region.id, Region.name)).tuples().all()),
        "cluster": dict(db.session.execute(sa.select(Cluster.id, Cluster.name)).tuples().all()),
    }


def _local_day(moment: datetime, week: IsoWeek) -> date:
    return local_date(moment, week.zone)


def _events(
    week: IsoWeek, targets: Snapshot, projects: Snapshot, people: People, places: dict[str, dict[int, str]]
) -> list[Event]:
    rates = all_rates()

    def event(
        kind: str, state: ItemState, on: date | None, investment: Decimal | None, recorded: datetime
    ) -> Event:
        return Event(
            kind,
            state.name,
            places["region"].get(state.region_id, ""),
            places["cluster"].get(state.cluster_id, ""),
            _name(people, state.owner_id),
            on,
            investment,
            _local_day(recorded, week),
            _sizes(state, rates, week.sunday) if state.entity_type == "project" else "",
        )

    found = []
    for kind, snapshot in (("new_target", targets), ("new_project", projects)):
        for state in snapshot:
            if week.start <= state.created_at < week.end:
                investment = state.intended_investment if kind == "new_target" else state.total_investment
                found.append(
                    event(kind, state, _local_day(state.created_at, week), investment, state.created_at)
                )
    reached = asof.reached(set(projects.items), week.end)
    evidence = {
        "signed": lambda s: (s.signed_on, s.signed_investment or s.total_investment),
        "started": lambda s: (s.actual_start_on, s.total_investment),
        "completed": lambda s: (s.actual_completion_on, s.total_investment),
    }
    for kind, moments in reached.items():
        for project_id, moment in moments.items():
            if week.start <= moment < week.end:
                state = projects.items[project_id]
                on, investment = evidence[kind](state)
                found.append(event(kind, state, on, investment, moment))
    order = list(EVENT_KINDS)
    return sorted(found, key=lambda e: (order.index(e.kind), e.recorded_on, e.name))


def _sizes(state: ItemState, rates: dict[int, Decimal], day: date) -> str:
    """The 其中 classes of a project (crm.outcomes.sizes.breakdown, as in 目标任务进展)."""
    own = rates.get(rate_year(state.signed_on, day))
    classes = breakdown(state.total_investment, state.total_investment_usd, own, state.tag_bits)
    found = [
        "10亿元以上" if classes.ten else "",
        "超亿美元" if classes.usd else "超亿美元未知" if classes.usd is None else "",
        "世界500强" if classes.fortune else "",
    ]
    return "、".join(label for label in found if label)


def _landmarks(projects: Snapshot, people: People) -> list[Landmark]:
    rows = [
        Landmark(
            s.id,
            s.name,
            s.status.value,
            s.leader_name or "—",
            _name(people, s.owner_id),
            s.last_follow_up_on,
            s.next_step,
            s.next_follow_up_on,
        )
        for s in projects
        if s.is_landmark and s.status != ProjectStage.STOPPED
    ]
    stage_order = list(ProjectStage)
    return sorted(rows, key=lambda r: (stage_order.index(ProjectStage(r.stage)), r.name))


def _warnings(week: IsoWeek, at: datetime, states: list[ItemState], people: People) -> list[Warning]:
    open_states = [s for s in states if not s.is_closed]
    if not open_states:
        return []
    rules = rules_at(at)
    calendar = calendar_for(open_states, at, week.zone)
    notes = {
        (n.item_type, n.item_id): n.text
        for n in db.session.scalars(sa.select(SupervisionNote).where(SupervisionNote.week == week.code))
    }
    found = []
    for state in open_states:
        stall = evaluate(state, at, rules, calendar, week.zone)
        if stall.level is None or stall.since is None:  # not stalled
            continue
        found.append(
            Warning(
                state.entity_type,
                state.id,
                state.name,
                stall.level,
                "、".join(stall.labels),
                stall.since,
                stall.working_days_stalled,
                _name(people, state.owner_id),
                state.leader_name,
                notes.get((state.entity_type, state.id), ""),
            )
        )
    return sorted(found, key=lambda w: (w.level != RED, -w.days, w.item_type, w.name))


def _problems(at: datetime, projects: Snapshot) -> list[OpenProblem]:
    names = {s.id: s.name for s in projects}
    rows = [
        OpenProblem(
            p.responsible_unit, names[p.project_id], p.category, p.description, p.status.value, p.raised_on
        )
        for p in asof.problems_at(at, set(names))
        if p.status != ProblemStatus.RESOLVED
    ]
    return sorted(rows, key=lambda p: (p.unit, p.raised_on, p.project))


def _next_week(week: IsoWeek, targets: Snapshot, projects: Snapshot, people: People) -> list[Upcoming]:
    following = week.shifted(1)
    first, last = following.monday, following.sunday
    found = [
        Upcoming("待跟进", s.entity_type, s.name, s.next_follow_up_on, _name(people, s.owner_id))
        for s in [*targets, *projects]
        if not s.is_closed and s.next_follow_up_on and first <= s.next_follow_up_on <= last
    ]
    found += [
        Upcoming("计划开工", "project", s.name, s.planned_start_on, _name(people, s.owner_id))
        for s in projects
        if s.status == ProjectStage.SIGNED and s.planned_start_on and first <= s.planned_start_on <= last
    ]
    return sorted(found, key=lambda u: (u.kind != "计划开工", u.on, u.name))


def _figures(summary: WeeklySummary, targets: Snapshot, projects: Snapshot) -> list[Figure]:
    statuses = Counter(s.status for s in targets)
    stages = Counter(s.status for s in projects)
    invested: defaultdict[TargetStatus | ProjectStage, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for s in projects:
        invested[s.status] += s.total_investment or Decimal("0.00")
    levels = Counter(w.level for w in summary.warnings)
    figures = [Figure("招商企业（在库）", sum(statuses[s] for s in TargetStatus if not s.is_closed), "家")]
    figures += [Figure(f"　其中{s.value}", statuses[s], "家") for s in TargetStatus if not s.is_closed]
    figures.append(Figure("已转项目", statuses[TargetStatus.CONVERTED], "家"))
    figures.append(
        Figure("项目（不含终止）", sum(stages[s] for s in ProjectStage if s != ProjectStage.STOPPED), "个")
    )
    for stage in (
        ProjectStage.TALKS,
        ProjectStage.SIGNED,
        ProjectStage.BUILDING,
        ProjectStage.PRODUCING,
        ProjectStage.PAUSED,
    ):
        figures.append(Figure(f"　{stage.value}项目", stages[stage], "个"))
        figures.append(Figure(f"　{stage.value}项目总投资", invested[stage], "亿元"))
    figures.append(Figure("本周新增招商企业", len(summary.events_of("new_target")), "家"))
    figures.append(Figure("本周新增项目", len(summary.events_of("new_project")), "个"))
    for kind in ("signed", "started", "completed"):  # each count with its investment and its 其中
        label, events = EVENT_KINDS[kind], summary.events_of(kind)
        figures.append(Figure(f"本周{label}", len(events), "个"))
        amount = sum((e.investment or Decimal(0) for e in events), Decimal("0.00"))
        figures.append(Figure("　签约投资额" if kind == "signed" else f"　{label}项目总投资", amount, "亿元"))
        for size in ("10亿元以上", "超亿美元", "世界500强"):
            figures.append(Figure(f"　其中{size}", sum(size in e.sizes.split("、") for e in events), "个"))
        if unknown := sum("超亿美元未知" in e.sizes.split("、") for e in events):
            figures.append(Figure("　超亿美元未知（缺少签约年度汇率）", unknown, "个"))
    figures.append(Figure("红灯", levels[RED], "项"))
    figures.append(Figure("黄灯", levels[YELLOW], "项"))
    figures.append(Figure("待协调的要素保障问题", len(summary.problems), "个"))
    return figures
