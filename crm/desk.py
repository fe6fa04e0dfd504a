"""我的工作台: the signed-in user's items, most urgent first.

An officer sees everything they own; a head, admin or reader sees what needs attention in their
scope (overdue follow-ups, then those due this week). Stall warnings (黄灯/红灯) slot in ahead of
these once the reminder rules exist.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Project, ProjectStage, Role, TargetCompany, TargetStatus, User
from crm.permissions import scope_clause

# Items per kind: a desk is a to-do list; the full lists (filtered by 跟进逾期) are one click away.
OFFICER_LIMIT = 200
OVERSIGHT_LIMIT = 30
OPEN_TARGET = [s for s in TargetStatus if not s.is_closed]
OPEN_PROJECT = [s for s in ProjectStage if not s.is_closed]
GROUPS = {0: "跟进已逾期", 1: "本周待跟进", 2: "其他在办"}


@dataclass
class DeskItem:
    item: TargetCompany | Project
    group: int  # 0 overdue, 1 due this week, 2 later

    @property
    def kind(self) -> str:
        return self.item.entity_type


def week_end(today: date) -> date:
    """Sunday of today's ISO week."""
    return today + timedelta(days=6 - today.weekday())


def desk_items(user: User, today: date) -> list[DeskItem]:
    """Open items of (or, for heads and readers, in the scope of) user, most urgent first."""
    items = []
    for model, open_values, column in (
        (TargetCompany, OPEN_TARGET, TargetCompany.status),
        (Project, OPEN_PROJECT, Project.stage),
    ):
        stmt = (
            sa.select(model)
            .options(joinedload(model.owner), joinedload(model.cluster))
            .where(column.in_(open_values))
            .order_by(model.next_follow_up_on.is_(None), model.next_follow_up_on, model.id)
        )
        if user.role == Role.OFFICER:
            stmt = stmt.where(model.owner_id == user.id).limit(OFFICER_LIMIT)
        else:
            stmt = stmt.where(scope_clause(user, model.region_id), model.next_follow_up_on <= week_end(today))
            stmt = stmt.limit(OVERSIGHT_LIMIT)
        items += [DeskItem(item, _group(item, today)) for item in db.session.scalars(stmt)]
    items.sort(key=lambda d: (d.group, d.item.next_follow_up_on or date.max, d.kind, d.item.id))
    return items


def _group(item, today: date) -> int:
    due = item.next_follow_up_on
    if due is not None and due < today:
        return 0
    if due is not None and due <= week_end(today):
        return 1
    return 2
