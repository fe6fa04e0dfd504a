"""我的工作台: the signed-in user's items, most urgent first.

An officer sees everything they own; a head, admin or reader sees what needs attention in their
scope: its 红灯 and 黄灯 items (crm.reminders), then what is due this week.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.orm import joinedload

from crm.core.permissions import scope_clause
from crm.core.timeutil import local_zone
from crm.extensions import db
from crm.models import Item, Project, ProjectStage, Role, TargetCompany, TargetStatus, User
from crm.stall.badges import stalls_for
from crm.stall.rules import RED, YELLOW, Rules, Stall
from crm.stall.sql import stall_level

# Items per kind, most urgent first: a desk is a to-do list; the full lists are one click away.
OFFICER_LIMIT = 100
OVERSIGHT_LIMIT = 30
OPEN_TARGET = [s for s in TargetStatus if not s.is_closed]
OPEN_PROJECT = [s for s in ProjectStage if not s.is_closed]
ItemT = TypeVar("ItemT", TargetCompany, Project)
GROUPS = {0: "红灯（已督办）", 1: "黄灯（停滞）", 2: "本周待跟进", 3: "其他在办"}


@dataclass
class DeskItem:
    item: TargetCompany | Project
    group: int  # 0 red, 1 yellow, 2 due this week, 3 later
    stall: Stall

    @property
    def kind(self) -> str:
        return self.item.entity_type


def week_end(today: date) -> date:
    """Sunday of today's ISO week."""
    return today + timedelta(days=6 - today.weekday())


@dataclass
class Desk:
    items: list[DeskItem]
    limit: int  # items per kind at most
    cut: set[str]  # the kinds ("target", "project") that had more than the limit


def desk_items(user: User, today: date) -> Desk:
    """Open items of (or, for heads and readers, in the scope of) user, most urgent first."""
    as_of, rules, zone = datetime.now(UTC), Rules.load(db.session), local_zone()
    target_level, project_level = (stall_level(m, as_of, rules, zone) for m in (TargetCompany, Project))
    limit = OFFICER_LIMIT if user.role == Role.OFFICER else OVERSIGHT_LIMIT
    kinds: tuple[Sequence[Item], ...] = (
        _most_urgent(TargetCompany, TargetCompany.status.in_(OPEN_TARGET), target_level, user, today, limit),
        _most_urgent(Project, Project.stage.in_(OPEN_PROJECT), project_level, user, today, limit),
    )
    found: list[Item] = []
    cut: set[str] = set()
    for rows in kinds:
        if len(rows) > limit:
            cut.add(rows[0].entity_type)
        found += rows[:limit]
    stalls = stalls_for(found)
    items = [
        DeskItem(
            item,
            _urgency_group(item, stalls[(item.entity_type, item.id)], today),
            stalls[(item.entity_type, item.id)],
        )
        for item in found
    ]
    items.sort(
        key=lambda d: (
            d.group,
            -d.stall.working_days_stalled,
            d.item.next_follow_up_on or date.max,
            d.kind,
            d.item.id,
        )
    )
    return Desk(items, limit, cut)


def _most_urgent(
    model: type[ItemT],
    is_open: ColumnElement[bool],
    level: ColumnElement[str | None],
    user: User,
    today: date,
    limit: int,
) -> list[ItemT]:
    """Up to limit + 1 of the desk's open items of one kind, red and yellow first (one more: are there more?)."""
    stmt = (
        sa.select(model)
        .options(joinedload(model.owner), joinedload(model.cluster))
        .where(is_open)
        # red and yellow first, so the limit never cuts a warning off for a later due date
        .order_by(sa.case((level == RED, 0), (level == YELLOW, 1), else_=2))
        .order_by(model.next_follow_up_on.is_(None), model.next_follow_up_on, model.id)
    )
    if user.role == Role.OFFICER:
        stmt = stmt.where(model.owner_id == user.id)
    else:
        due = sa.or_(model.next_follow_up_on <= week_end(today), level.is_not(None))
        stmt = stmt.where(scope_clause(user, model.region_id), due)
    return list(db.session.scalars(stmt.limit(limit + 1)))


def _urgency_group(item: Item, stall: Stall, today: date) -> int:
    if stall.level == RED:
        return 0
    if stall.level == YELLOW:
        return 1
    due = item.next_follow_up_on
    if due is not None and due <= week_end(today):
        return 2
    return 3
