"""Reading the 招商清单: filtered, sorted, scoped lists and the chain map counts."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from crm.core.identity import name_key
from crm.core.listing import ListFilters, record_id
from crm.core.permissions import scope_clause
from crm.extensions import db
from crm.models import COMPANY_TYPES, HONOURS, TargetCompany, TargetStatus, User
from crm.stall.filters import WARNING_FILTERS, warning_clause

OPEN_STATUSES = [s for s in TargetStatus if not s.is_closed]
SORTS = {
    "updated": (TargetCompany.updated_at.desc(),),
    "name": (TargetCompany.name_key,),
    "status": (TargetCompany.status, TargetCompany.name_key),
    "priority": (
        sa.case({"高": 0, "中": 1, "低": 2}, value=TargetCompany.priority),
        TargetCompany.name_key,
    ),
    "next": (TargetCompany.next_follow_up_on.is_(None), TargetCompany.next_follow_up_on),
    "investment": (TargetCompany.intended_investment.is_(None), TargetCompany.intended_investment.desc()),
}
SORT_LABELS = {
    "updated": "最近更新",
    "name": "名称",
    "status": "状态",
    "priority": "优先级",
    "next": "下次跟进日期",
    "investment": "意向投资额",
}


@dataclass
class TargetFilters(ListFilters):
    q: str = ""
    cluster: int | None = None
    segment: int | None = None
    type_tag: str = ""
    honour: str = ""
    status: str = ""
    region: int | None = None
    owner: int | None = None
    priority: str = ""
    country: str = ""
    overdue: bool = False
    warning: str = ""  # red, yellow or any (crm.stall.filters.WARNING_FILTERS)

    @classmethod
    def from_args(cls, args: MultiDict) -> "TargetFilters":
        """Read filters from a query string; anything unrecognised is ignored, never an error."""
        return cls(
            q=args.get("q", "").strip()[:100],
            cluster=args.get("cluster", type=record_id),
            segment=args.get("segment", type=record_id),
            type_tag=args.get("type_tag", "") if args.get("type_tag") in COMPANY_TYPES else "",
            honour=args.get("honour", "") if args.get("honour") in HONOURS else "",
            status=args.get("status", "") if args.get("status") in {s.value for s in TargetStatus} else "",
            region=args.get("region", type=record_id),
            owner=args.get("owner", type=record_id),
            priority=args.get("priority", "") if args.get("priority") in ("高", "中", "低") else "",
            country=args.get("country", "").strip()[:32],
            overdue=args.get("overdue") == "1",
            warning=args.get("warning", "") if args.get("warning") in WARNING_FILTERS else "",
            sort=args.get("sort", "updated") if args.get("sort") in SORTS else "updated",
        )


def target_query(user: User, filters: TargetFilters, today: date) -> sa.Select:
    """The user's visible target companies matching filters, sorted (relations loaded)."""
    stmt = filtered_targets(user, filters, today).options(
        joinedload(TargetCompany.cluster),
        joinedload(TargetCompany.segment),
        joinedload(TargetCompany.owner),
    )
    return stmt.order_by(*SORTS[filters.sort], TargetCompany.id.desc())


def filtered_targets(user: User, filters: TargetFilters, today: date) -> sa.Select:
    """The user's visible target companies matching every filter except the sort (no loading)."""
    stmt = sa.select(TargetCompany).where(scope_clause(user, TargetCompany.region_id))
    if filters.q:
        key = name_key(filters.q)
        stmt = stmt.where(
            sa.or_(
                TargetCompany.name_key.contains(key, autoescape=True),
                TargetCompany.credit_code == filters.q.upper(),
            )
        )
    for column, value in (
        (TargetCompany.cluster_id, filters.cluster),
        (TargetCompany.segment_id, filters.segment),
        (TargetCompany.status, filters.status),
        (TargetCompany.region_id, filters.region),
        (TargetCompany.owner_id, filters.owner),
        (TargetCompany.priority, filters.priority),
        (TargetCompany.country, filters.country),
    ):
        if value:
            stmt = stmt.where(column == value)
    if filters.type_tag:
        stmt = stmt.where(TargetCompany.type_bits.op("&")(1 << COMPANY_TYPES.index(filters.type_tag)) != 0)
    if filters.honour:
        stmt = stmt.where(TargetCompany.honour_bits.op("&")(1 << HONOURS.index(filters.honour)) != 0)
    if filters.overdue:
        stmt = stmt.where(overdue_clause(today))
    if filters.warning:
        stmt = stmt.where(warning_clause(TargetCompany, filters.warning))
    return stmt


def overdue_clause(today: date) -> sa.ColumnElement[bool]:
    """Open items whose next follow-up date has passed."""
    return sa.and_(TargetCompany.next_follow_up_on < today, TargetCompany.status.in_(OPEN_STATUSES))


def country_choices(user: User) -> list[str]:
    stmt = (
        sa.select(TargetCompany.country)
        .where(scope_clause(user, TargetCompany.region_id))
        .distinct()
        .order_by(TargetCompany.country)
    )
    return list(db.session.scalars(stmt))
