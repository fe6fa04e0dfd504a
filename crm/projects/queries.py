"""Reading the 项目清单: filtered, sorted, scoped lists, the stage board and the 要素保障 list."""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from crm.core.identity import name_key
from crm.core.listing import ListFilters, clamped_page, record_id
from crm.core.permissions import scope_clause
from crm.core.validation import YI_YUAN, AmountError
from crm.extensions import db
from crm.models import (
    PROJECT_TAGS,
    CapitalType,
    Problem,
    ProblemCategory,
    ProblemStatus,
    Project,
    ProjectStage,
    ProjectType,
    Sector,
    User,
)
from crm.models.enums import tags_to_bits
from crm.outcomes.rates import all_rates
from crm.outcomes.sizes import SIZE_LABELS, at_least_class_sql, over_100m_usd_sql, rate_year_sql
from crm.projects.stages import ORDER
from crm.stall.filters import WARNING_FILTERS, warning_clause

# 超亿美元 filter: value → (its label, the answer of over_100m_usd it selects)
USD_FILTERS: dict[str, tuple[str, bool | None]] = {
    "yes": ("是", True),
    "no": ("否", False),
    "unknown": ("未知（缺少汇率）", None),
}
OPEN_STAGES = [s for s in ProjectStage if not s.is_closed]
BOARD_STAGES = ORDER  # 在谈 拟建 在建 建成投产: one column each
COLLAPSED_STAGES = [ProjectStage.PAUSED, ProjectStage.STOPPED]  # shown as counts linking to the table
BOARD_PAGE_SIZE = 20
STAGE_RANK = sa.case({s.value: i for i, s in enumerate(ProjectStage)}, value=Project.stage)
SORTS = {
    "updated": (Project.updated_at.desc(),),
    "name": (Project.name_key,),
    "stage": (STAGE_RANK, Project.name_key),
    "investment": (Project.total_investment.is_(None), Project.total_investment.desc()),
    "next": (Project.next_follow_up_on.is_(None), Project.next_follow_up_on),
    "signed_on": (Project.signed_on.is_(None), Project.signed_on.desc()),
}
SORT_LABELS = {
    "updated": "最近更新",
    "name": "名称",
    "stage": "阶段",
    "investment": "总投资",
    "next": "下次跟进日期",
    "signed_on": "签约日期",
}


@dataclass
class ProjectFilters(ListFilters):
    q: str = ""
    cluster: int | None = None
    segment: int | None = None
    region: int | None = None
    owner: int | None = None
    stage: str = ""
    landmark: bool = False
    overdue: bool = False
    warning: str = ""  # red, yellow or any (crm.stall.filters.WARNING_FILTERS)
    # Outcomes (issue 15): 总投资 range in 亿元 as typed (read by the Amount rule), size class, 超亿美元,
    # classification and tags (every tag ticked must be on the project).
    inv_min: str = ""
    inv_max: str = ""
    size: str = ""  # a label of SIZE_LABELS: 总投资 ≥ its threshold
    usd: str = ""  # USD_FILTERS
    capital: str = ""
    ptype: str = ""
    sector: str = ""
    tag: list[str] = field(default_factory=list)

    def investment_range(self) -> tuple[Decimal | None, Decimal | None, list[str]]:
        """The 总投资 bounds that apply, and why any typed bound doesn't (then that filter is left out)."""
        bounds: list[Decimal | None] = []
        messages = []
        for text, name in ((self.inv_min, "总投资下限"), (self.inv_max, "总投资上限")):
            try:
                bounds.append(YI_YUAN.parse(text) if text else None)
            except AmountError as error:
                bounds.append(None)
                messages.append(f"{name}“{text}”：{error}该条件未使用。")
        low, high = bounds
        if low is not None and high is not None and low > high:
            messages.append(f"总投资下限 {low} 亿元大于上限 {high} 亿元，该条件未使用。")
            return None, None, messages
        return low, high, messages

    @classmethod
    def from_args(cls, args: MultiDict) -> "ProjectFilters":
        """Read filters from a query string; anything unrecognised is ignored, never an error."""
        stage = args.get("stage", "")
        return cls(
            q=args.get("q", "").strip()[:100],
            cluster=args.get("cluster", type=record_id),
            segment=args.get("segment", type=record_id),
            region=args.get("region", type=record_id),
            owner=args.get("owner", type=record_id),
            stage=stage if stage in {s.value for s in ProjectStage} else "",
            landmark=args.get("landmark") == "1",
            overdue=args.get("overdue") == "1",
            warning=args.get("warning", "") if args.get("warning") in WARNING_FILTERS else "",
            inv_min=args.get("inv_min", "").strip()[:30],
            inv_max=args.get("inv_max", "").strip()[:30],
            size=_one_of(args, "size", SIZE_LABELS),
            usd=_one_of(args, "usd", USD_FILTERS),
            capital=_one_of(args, "capital", [m.value for m in CapitalType]),
            ptype=_one_of(args, "ptype", [m.value for m in ProjectType]),
            sector=_one_of(args, "sector", [m.value for m in Sector]),
            tag=[t for t in PROJECT_TAGS if t in args.getlist("tag")],
            sort=args.get("sort", "updated") if args.get("sort") in SORTS else "updated",
        )


def _one_of(args: MultiDict, name: str, allowed: Iterable[str]) -> str:
    value = args.get(name, "")
    return value if value in allowed else ""


def _outcome_clauses(filters: ProjectFilters, today: date) -> list[sa.ColumnElement[bool]]:
    """The outcome filters (issue 15) as SQL: the size rules' SQL form (crm.outcomes.sizes)."""
    clauses = []
    low, high, _ = filters.investment_range()
    if low is not None:
        clauses.append(Project.total_investment >= low)
    if high is not None:
        clauses.append(Project.total_investment <= high)
    if filters.size:
        clauses.append(at_least_class_sql(Project.total_investment, filters.size))
    if filters.usd:
        year = rate_year_sql(Project.signed_on, today)
        answer = USD_FILTERS[filters.usd][1]
        clauses.append(
            over_100m_usd_sql(
                Project.total_investment, Project.total_investment_usd, year, all_rates(), answer
            )
        )
    for column, value in (
        (Project.capital_type, filters.capital),
        (Project.project_type, filters.ptype),
        (Project.sector, filters.sector),
    ):
        if value:
            clauses.append(column == value)
    if filters.tag:
        bits = tags_to_bits(filters.tag, PROJECT_TAGS)
        clauses.append(Project.tag_bits.op("&")(bits) == bits)
    return clauses


def _filtered(stmt: sa.Select, user: User, filters: ProjectFilters, today: date) -> sa.Select:
    """stmt limited to the user's scope and every filter except the sort."""
    stmt = stmt.where(scope_clause(user, Project.region_id))
    if filters.q:
        stmt = stmt.where(
            sa.or_(
                Project.name_key.contains(name_key(filters.q), autoescape=True),
                Project.company_name.contains(filters.q, autoescape=True),
            )
        )
    for column, value in (
        (Project.cluster_id, filters.cluster),
        (Project.segment_id, filters.segment),
        (Project.region_id, filters.region),
        (Project.owner_id, filters.owner),
        (Project.stage, filters.stage),
    ):
        if value:
            stmt = stmt.where(column == value)
    if filters.landmark:
        stmt = stmt.where(Project.is_landmark.is_(True))
    if filters.overdue:
        stmt = stmt.where(overdue_clause(today))
    if filters.warning:
        stmt = stmt.where(warning_clause(Project, filters.warning))
    return stmt.where(*_outcome_clauses(filters, today))


def filtered_projects(user: User, filters: ProjectFilters, today: date) -> sa.Select:
    """The user's visible projects matching every filter except the sort (no loading)."""
    return _filtered(sa.select(Project), user, filters, today)


def _with_relations(stmt: sa.Select) -> sa.Select:
    return stmt.options(joinedload(Project.cluster), joinedload(Project.region), joinedload(Project.owner))


def project_query(user: User, filters: ProjectFilters, today: date) -> sa.Select:
    """The user's visible projects matching filters, sorted (cluster, region and owner loaded)."""
    stmt = _filtered(_with_relations(sa.select(Project)), user, filters, today)
    return stmt.order_by(*SORTS[filters.sort], Project.id.desc())


def overdue_clause(today: date) -> sa.ColumnElement[bool]:
    """Open projects whose next follow-up date has passed."""
    return sa.and_(Project.next_follow_up_on < today, Project.stage.in_(OPEN_STAGES))


@dataclass
class BoardColumn:
    stage: ProjectStage
    count: int = 0
    total: Decimal = Decimal("0.00")
    page: int = 1
    cards: list[Project] = field(default_factory=list)

    @property
    def first(self) -> int:
        return (self.page - 1) * BOARD_PAGE_SIZE + 1 if self.cards else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * BOARD_PAGE_SIZE + len(self.cards)

    @property
    def has_more(self) -> bool:
        return self.last < self.count


@dataclass
class Board:
    columns: list[BoardColumn]
    collapsed: list[BoardColumn]


def board_data(
    user: User, filters: ProjectFilters, today: date, pages: dict[str, int] | None = None
) -> Board:
    """Counts and totals of every stage (one GROUP BY) and a page of cards per main column.

    The statements issued are 1 + len(BOARD_STAGES), however many projects there are.
    """
    pages = pages or {}
    base = replace(filters, stage="", sort="updated")  # the board shows every stage
    totals = db.session.execute(
        _filtered(
            sa.select(Project.stage, sa.func.count(), sa.func.sum(Project.total_investment)),
            user,
            base,
            today,
        ).group_by(Project.stage)
    ).all()
    by_stage = {ProjectStage(stage): (count, total or Decimal("0.00")) for stage, count, total in totals}
    columns = []
    for stage in [*BOARD_STAGES, *COLLAPSED_STAGES]:
        count, total = by_stage.get(stage, (0, Decimal("0.00")))
        page = clamped_page(pages.get(stage.value, 1), count, BOARD_PAGE_SIZE)  # past the end: the last
        columns.append(BoardColumn(stage, count, total, page))
    for column in columns[: len(BOARD_STAGES)]:
        column.cards = _cards(user, base, today, column)
    return Board(columns[: len(BOARD_STAGES)], columns[len(BOARD_STAGES) :])


def _cards(user: User, filters: ProjectFilters, today: date, column: BoardColumn) -> list[Project]:
    stmt = (
        _filtered(_with_relations(sa.select(Project)), user, filters, today)
        .where(Project.stage == column.stage)
        .order_by(
            Project.is_landmark.desc(),
            Project.next_follow_up_on.is_(None),
            Project.next_follow_up_on,
            Project.id,
        )
        .offset((column.page - 1) * BOARD_PAGE_SIZE)
        .limit(BOARD_PAGE_SIZE)
    )
    return list(db.session.scalars(stmt))


# 要素保障: problems on projects in the reader's scope.
OPEN_PROBLEM_STATUSES = [ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS]
ALL_PROBLEMS = "全部"


@dataclass
class ProblemFilters:
    q: str = ""
    unit: str = ""
    category: str = ""
    status: str = ""  # "" = still open (待协调 and 协调中); 全部; or one status

    @classmethod
    def from_args(cls, args: MultiDict) -> "ProblemFilters":
        status = args.get("status", "")
        category = args.get("category", "")
        return cls(
            q=args.get("q", "").strip()[:100],
            unit=args.get("unit", "").strip()[:128],
            category=category if category in {c.value for c in ProblemCategory} else "",
            status=status if status in {ALL_PROBLEMS, *(s.value for s in ProblemStatus)} else "",
        )

    def as_args(self) -> dict:
        values = {"q": self.q, "unit": self.unit, "category": self.category, "status": self.status}
        return {k: v for k, v in values.items() if v}


def problem_query(user: User, filters: ProblemFilters) -> sa.Select:
    """Problems on projects the user can see, matching filters, oldest open ones first."""
    stmt = (
        sa.select(Problem)
        .join(Problem.project)
        .options(joinedload(Problem.project))
        .where(scope_clause(user, Project.region_id))
    )
    if filters.status == ALL_PROBLEMS:
        pass
    elif filters.status:
        stmt = stmt.where(Problem.status == filters.status)
    else:
        stmt = stmt.where(Problem.status.in_(OPEN_PROBLEM_STATUSES))
    if filters.unit:
        stmt = stmt.where(Problem.responsible_unit == filters.unit)
    if filters.category:
        stmt = stmt.where(Problem.category == filters.category)
    if filters.q:
        stmt = stmt.where(
            sa.or_(
                Problem.description.contains(filters.q, autoescape=True),
                Project.name.contains(filters.q, autoescape=True),
            )
        )
    status_rank = sa.case({s.value: i for i, s in enumerate(ProblemStatus)}, value=Problem.status)
    return stmt.order_by(status_rank, Problem.raised_on, Problem.id)


def problem_units(user: User) -> list[str]:
    """The responsible units named on problems the user can see."""
    stmt = (
        sa.select(Problem.responsible_unit)
        .join(Problem.project)
        .where(scope_clause(user, Project.region_id))
        .distinct()
        .order_by(Problem.responsible_unit)
    )
    return list(db.session.scalars(stmt))
