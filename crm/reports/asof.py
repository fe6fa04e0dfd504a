"""As-of reporting: the state of items at a moment T, and what moved between T1 and T2, from history.

A report for a past week must come out the same whenever it is produced, whatever changed since.
So nothing here reads today's values where history knows better:

- fields an edit or a move can change (name, stage/status, owner, planned dates, investment, 联系领导,
  标志性, region, cluster …) are today's value *rewound*: the old value of the first history entry
  after T, when there is one (every change writes one: crm.core.history);
- when the current status/stage began is the last status/stage entry recorded by T;
- the last follow-up, the next follow-up date and the next step come from the follow-ups recorded
  by T (a follow-up entered on Monday belongs to the next week, whatever date it reports);
- an item exists from its created_at on; problems' status is rewound like the fields.

Events count by the time they were recorded (created_at of the history row), as SPEC §5 says; the
evidence dates (签约日期, 开工日期 …) are shown beside them.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute

from crm.extensions import db
from crm.models import (
    PROJECT_TAGS,
    CapitalType,
    Cluster,
    FollowUp,
    FundEntry,
    HistoryEntry,
    InvestorOrigin,
    Item,
    Problem,
    ProblemStatus,
    Project,
    ProjectStage,
    ProjectType,
    Region,
    Sector,
    TargetCompany,
    TargetStatus,
)
from crm.models.enums import bits_to_tags, tags_to_bits
from crm.reports.scope import ReportScope

MODELS: dict[str, type[Item]] = {"target": TargetCompany, "project": Project}
STATUS_FIELD = {"target": "status", "project": "stage"}
CLASSIFICATION_FIELDS = {
    "capital_type": CapitalType,
    "investor_origin": InvestorOrigin,
    "project_type": ProjectType,
    "sector": Sector,
}
PROJECT_AMOUNTS = ("total_investment_usd", "foreign_capital", "registered_capital")
# Stages a project "reaches" for the weekly progress: first signing, first start, completion.
REACHED = {
    "signed": ("拟建", "在建", "建成投产"),
    "started": ("在建", "建成投产"),
    "completed": ("建成投产",),
}


@dataclass
class ItemState:
    """A target company or project as it stood at a moment (duck-types what evaluate() reads)."""

    entity_type: str
    id: int
    name: str
    status: TargetStatus | ProjectStage
    since: datetime  # when the status/stage began
    owner_id: int | None
    region_id: int
    cluster_id: int
    created_at: datetime
    last_follow_up_on: date | None = None
    next_follow_up_on: date | None = None
    next_step: str = ""
    company_name: str = ""
    leader_name: str = ""
    responsible_unit: str = ""
    is_landmark: bool = False
    total_investment: Decimal | None = None
    signed_investment: Decimal | None = None
    intended_investment: Decimal | None = None
    signed_on: date | None = None
    planned_start_on: date | None = None
    actual_start_on: date | None = None
    planned_completion_on: date | None = None
    actual_completion_on: date | None = None
    # Classification and the amounts size classes and 超亿美元 read (issue 15), rewound like the rest.
    capital_type: CapitalType | None = None
    investor_origin: InvestorOrigin | None = None
    project_type: ProjectType | None = None
    sector: Sector | None = None
    tag_bits: int = 0
    total_investment_usd: Decimal | None = None
    foreign_capital: Decimal | None = None
    registered_capital: Decimal | None = None

    @property
    def tags(self) -> list[str]:
        return bits_to_tags(self.tag_bits or 0, PROJECT_TAGS)

    @property
    def status_since(self) -> datetime:
        return self.since

    @property
    def is_closed(self) -> bool:
        return self.status.is_closed


@dataclass
class ProblemState:
    id: int
    project_id: int
    category: str
    description: str
    responsible_unit: str
    raised_on: date
    status: ProblemStatus


@dataclass
class Snapshot:
    """Every item of one kind in a scope at a moment, by id."""

    at: datetime
    items: dict[int, ItemState] = field(default_factory=dict)

    def __iter__(self) -> Iterator[ItemState]:
        return iter(self.items.values())


def snapshot(kind: str, at: datetime, scope: ReportScope) -> Snapshot:
    """The state at `at` of every target company ("target") or project ("project") in scope."""
    model = MODELS[kind]
    names = {"region": _ids_by_name(Region), "cluster": _ids_by_name(Cluster)}
    rows = db.session.execute(sa.select(*_columns(model)).where(_candidates(kind, at, scope))).mappings()
    states = {row["id"]: dict(row) for row in rows}
    _rewind(kind, states, at, names)
    _stage_starts(kind, states, at)
    _follow_ups(kind, states, at, scope)
    result = Snapshot(at)
    for values in states.values():
        state = ItemState(entity_type=kind, **values)
        if scope.covers(state.region_id, state.cluster_id):
            result.items[state.id] = state
    return result


EVENT_DATES = ("signed_on", "actual_start_on", "actual_completion_on")


@dataclass
class ProjectFigures:
    """What the outcome indicators read of a project at a moment (crm.reports.outcomes)."""

    id: int
    region_id: int
    cluster_id: int
    signed_on: date | None
    actual_start_on: date | None
    actual_completion_on: date | None
    total_investment: Decimal | None
    total_investment_usd: Decimal | None
    tag_bits: int
    capital_type: Any
    status: Any = None  # rewound with the rest, not read


FIGURES = [getattr(Project, f.name) for f in fields(ProjectFigures) if f.name != "status"]


def projects_at(at: datetime, scope: ReportScope, since: date | None = None) -> dict[int, ProjectFigures]:
    """The projects in scope at `at`, the few fields the outcome indicators read rewound from history:
    a few statements however many projects there are, and no more columns than needed.

    With since, only the projects that may matter to a year from that day: a 签约/开工/竣工 date on or
    after it (now, or as it stood at `at` — a date changed later is in the history), or 到资 arriving
    on or after it. Everything else is left unread."""
    names = {"region": _ids_by_name(Region), "cluster": _ids_by_name(Cluster)}
    which = _candidates("project", at, scope)
    if since is not None:
        redated = sa.select(HistoryEntry.entity_id).where(
            HistoryEntry.entity_type == "project",
            HistoryEntry.field.in_(EVENT_DATES),
            HistoryEntry.created_at > at,
        )
        funded = sa.select(FundEntry.project_id).where(FundEntry.arrived_on >= since)
        dated = [getattr(Project, name) >= since for name in EVENT_DATES]
        which = sa.and_(which, sa.or_(*dated, Project.id.in_(redated), Project.id.in_(funded)))
    rows = db.session.execute(sa.select(*FIGURES).where(which)).tuples()
    keys = [column.key for column in FIGURES]
    states = {row[0]: dict(zip(keys, row, strict=True)) for row in rows}
    _rewind("project", states, at, names)
    found = (ProjectFigures(**values) for values in states.values())
    return {state.id: state for state in found if scope.covers(state.region_id, state.cluster_id)}


def _candidates(kind: str, at: datetime, scope: ReportScope) -> sa.ColumnElement[bool]:
    """Items that existed at `at` and may have been in scope then: in it now, or moved since."""
    model = MODELS[kind]
    relocated = sa.select(HistoryEntry.entity_id).where(
        HistoryEntry.entity_type == kind,
        HistoryEntry.field.in_(("region", "cluster")),
        HistoryEntry.created_at > at,
    )
    return sa.and_(model.created_at <= at, sa.or_(scope.clause(model), model.id.in_(relocated)))


def _columns(model: type[Item]) -> list[sa.ColumnElement[Any] | QueryableAttribute[Any]]:
    common = ["id", "name", "owner_id", "region_id", "cluster_id", "created_at"]
    common += ["last_follow_up_on", "next_follow_up_on"]  # kept only for items never followed up
    if model is Project:
        extra = [
            "company_name",
            "leader_name",
            "responsible_unit",
            "is_landmark",
            "total_investment",
            "signed_investment",
            "signed_on",
            "planned_start_on",
            "actual_start_on",
            "planned_completion_on",
            "actual_completion_on",
            *CLASSIFICATION_FIELDS,
            "tag_bits",
            *PROJECT_AMOUNTS,
        ]
        return [getattr(model, n) for n in common + extra] + [
            Project.stage.label("status"),
            Project.stage_since.label("since"),
        ]
    return [getattr(model, n) for n in [*common, "intended_investment"]] + [
        TargetCompany.status.label("status"),
        TargetCompany.status_since.label("since"),
    ]


def _ids_by_name(model: type[Cluster] | type[Region]) -> dict[str, int]:
    return dict(db.session.execute(sa.select(model.name, model.id)).tuples().all())


def _value_from_history(
    field_name: str, text: str | None, ref: int | None, kind: str, names: dict[str, dict[str, int]]
) -> object:
    """A history value (text, as crm.core.history.as_text wrote it) back to the attribute's value."""
    if field_name == "owner_id":
        return ref
    if text is None:
        if field_name in ("tags", "tag_bits"):
            return 0
        return "" if field_name in ("name", "leader_name", "responsible_unit", "company_name") else None
    if field_name == "status":
        return TargetStatus(text)
    if field_name == "stage":
        return ProjectStage(text)
    if field_name == "is_landmark":
        return text == "True"
    if field_name in ("region", "cluster"):
        return names[field_name].get(text)
    if field_name in CLASSIFICATION_FIELDS:
        return CLASSIFICATION_FIELDS[field_name](text)
    if field_name == "tags":
        return tags_to_bits([t for t in text.split("、") if t in PROJECT_TAGS], PROJECT_TAGS)
    if field_name in PROJECT_AMOUNTS:
        return Decimal(text)
    if field_name.endswith("_on"):
        return date.fromisoformat(text)
    if field_name.endswith("investment"):
        return Decimal(text)
    if field_name == "tag_bits":
        return int(text)
    return text


REWOUND_FIELDS = (
    "name",
    "status",
    "stage",
    "owner_id",
    "region",
    "cluster",
    "company_name",
    "leader_name",
    "responsible_unit",
    "is_landmark",
    "total_investment",
    "signed_investment",
    "intended_investment",
    "signed_on",
    "planned_start_on",
    "actual_start_on",
    "planned_completion_on",
    "actual_completion_on",
    *CLASSIFICATION_FIELDS,
    "tags",
    "tag_bits",
    *PROJECT_AMOUNTS,
)


def _rewind(kind: str, states: dict[int, dict], at: datetime, names: dict) -> None:
    """Undo every change recorded after `at`: each field takes the old value of its first later change."""
    later = db.session.execute(
        sa.select(HistoryEntry.entity_id, HistoryEntry.field, HistoryEntry.old_value, HistoryEntry.old_ref)
        .where(
            HistoryEntry.entity_type == kind,
            HistoryEntry.created_at > at,
            HistoryEntry.field.in_(REWOUND_FIELDS),
        )
        .order_by(HistoryEntry.created_at, HistoryEntry.id)
    )
    seen = set()
    for entity_id, field_name, old_value, old_ref in later:
        state = states.get(entity_id)
        if state is None or (entity_id, field_name) in seen:
            continue
        if field_name in ("tags", "tag_bits") and kind != "project":
            continue
        seen.add((entity_id, field_name))
        value = _value_from_history(field_name, old_value, old_ref, kind, names)
        if field_name in ("status", "stage"):
            state["status"] = value
        elif field_name == "cluster":
            state["cluster_id"] = value
        elif field_name == "region":
            state["region_id"] = value
        elif field_name in ("tags", "tag_bits"):
            state["tag_bits"] = value or 0
        elif field_name in state:
            state[field_name] = value
    if kind == "target":  # a target company's region is its cluster's
        regions = dict(db.session.execute(sa.select(Cluster.id, Cluster.region_id)).tuples().all())
        for state in states.values():
            state["region_id"] = regions.get(state["cluster_id"], state["region_id"])


def _stage_starts(kind: str, states: dict[int, dict], at: datetime) -> None:
    """When each item's status/stage at `at` began: its last move recorded by then, else its creation."""
    last_move = db.session.execute(
        sa.select(HistoryEntry.entity_id, sa.func.max(HistoryEntry.created_at))
        .where(
            HistoryEntry.entity_type == kind,
            HistoryEntry.field == STATUS_FIELD[kind],
            HistoryEntry.action.in_(("stage", "status")),
            HistoryEntry.created_at <= at,
        )
        .group_by(HistoryEntry.entity_id)
    )
    moved = {entity_id: _aware(moment) for entity_id, moment in last_move}
    for item_id, state in states.items():
        state["since"] = moved.get(item_id, state["created_at"])


def _follow_ups(kind: str, states: dict[int, dict], at: datetime, scope: ReportScope) -> None:
    """Last follow-up date, next date and next step from the follow-ups recorded by `at`.

    An item never followed up keeps the dates it was created or imported with.
    """
    model = MODELS[kind]
    key = FollowUp.target_id if kind == "target" else FollowUp.project_id
    recorded = (
        sa.select(
            key.label("item_id"),
            FollowUp.occurred_on,
            FollowUp.next_follow_up_on,
            FollowUp.next_step,
            sa.func.max(FollowUp.occurred_on).over(partition_by=key).label("last_on"),
            sa.func.row_number()
            .over(partition_by=key, order_by=(FollowUp.created_at.desc(), FollowUp.id.desc()))
            .label("rank"),
        )
        .join(model, model.id == key)
        .where(FollowUp.created_at <= at, _candidates(kind, at, scope))
    )
    # An item first followed up after `at` had no follow-up then.
    later = sa.select(key).where(FollowUp.created_at > at, key.is_not(None)).distinct()
    for (item_id,) in db.session.execute(later):
        state = states.get(item_id)
        if state is not None:
            state["last_follow_up_on"], state["next_follow_up_on"] = None, None
    latest = recorded.subquery()
    rows = db.session.execute(
        sa.select(latest.c.item_id, latest.c.last_on, latest.c.next_follow_up_on, latest.c.next_step).where(
            latest.c.rank == 1
        )
    )
    for item_id, last_on, next_on, next_step in rows:
        state = states.get(item_id)
        if state is not None:
            state["last_follow_up_on"], state["next_follow_up_on"] = last_on, next_on
            state["next_step"] = next_step or ""


def reached(scope_ids: set[int], until: datetime) -> dict[str, dict[int, datetime]]:
    """For each project id: when it first reached 拟建 (or beyond), 在建 (or beyond), 建成投产."""
    columns = [
        sa.func.min(sa.case((HistoryEntry.new_value.in_(values), HistoryEntry.created_at))).label(name)
        for name, values in REACHED.items()
    ]
    rows = db.session.execute(
        sa.select(HistoryEntry.entity_id, *columns)
        .where(
            HistoryEntry.entity_type == "project",
            HistoryEntry.field == "stage",
            HistoryEntry.created_at < until,
        )
        .group_by(HistoryEntry.entity_id)
    ).mappings()
    found: dict[str, dict[int, datetime]] = {name: {} for name in REACHED}
    for row in rows:
        if row["entity_id"] not in scope_ids:
            continue
        for name in REACHED:
            if row[name] is not None:
                found[name][row["entity_id"]] = _aware(row[name])
    return found


def problems_at(at: datetime, project_ids: set[int]) -> list[ProblemState]:
    """需协调问题 raised by `at` on these projects, with their status at `at` (rewound)."""
    rows = db.session.execute(
        sa.select(
            Problem.id,
            Problem.project_id,
            Problem.category,
            Problem.description,
            Problem.responsible_unit,
            Problem.raised_on,
            Problem.status,
        ).where(Problem.created_at <= at)
    ).all()
    later = db.session.execute(
        sa.select(HistoryEntry.new_ref, HistoryEntry.old_value)
        .where(
            HistoryEntry.entity_type == "project",
            HistoryEntry.field == "problem_status",
            HistoryEntry.created_at > at,
            HistoryEntry.new_ref.is_not(None),
        )
        .order_by(HistoryEntry.created_at, HistoryEntry.id)
    )
    status_then: dict[int, ProblemStatus] = {}
    for problem_id, old_value in later:
        status_then.setdefault(problem_id, ProblemStatus(old_value))
    return [
        ProblemState(
            row.id,
            row.project_id,
            row.category.value,
            row.description,
            row.responsible_unit,
            row.raised_on,
            status_then.get(row.id, row.status),
        )
        for row in rows
        if row.project_id in project_ids
    ]


def _aware(moment: datetime) -> datetime:
    """Aggregates (max/min) bypass the UTCDateTime type on SQLite: make them aware UTC again."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
