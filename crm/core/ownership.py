"""一对一: who may be an item's responsible officer, and handing an item over.

Used by target companies now and by projects later: one rule, one reassignment path.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import url_for

from crm.core import history
from crm.core.notifications import notify
from crm.core.permissions import in_scope
from crm.core.validation import Invalid
from crm.extensions import db
from crm.models import Item, Project, ProjectStage, Role, TargetCompany, TargetStatus, User

OWNER_ROLES = (Role.OFFICER, Role.HEAD)


def owner_problem(user: User | None, region_id: int) -> str | None:
    """Why user can't be responsible for an item in region_id, or None when they can."""
    if user is None:
        return "必须指定一名责任人。"
    if not user.active:
        return f"{user.display_name} 的账号已停用，不能作为责任人。"
    if user.role not in OWNER_ROLES:
        return f"{user.display_name} 是{user.role.label}，责任人须为招商专员或局领导。"
    if not in_scope(user, region_id):
        return f"{user.display_name} 的范围（{user.scope_name}）不覆盖该条目所在地区。"
    return None


def new_owner_problem(owner_id: int | None, region_id: int, actor: User, noun: str) -> str | None:
    """Why owner_id can't own a new item (noun: 企业, 项目) in region_id; officers create for themselves."""
    owner = db.session.get(User, owner_id) if owner_id else None
    problem = owner_problem(owner, region_id)
    if problem is None and owner is not None and actor.role == Role.OFFICER and owner.id != actor.id:
        return f"招商专员新建的{noun}由本人负责；如需指派他人，请联系局领导。"
    return problem


def detail_url(item: Item) -> str:
    """The page of an item: targets.detail(target_id=…), projects.detail(project_id=…)."""
    values: dict[str, Any] = {f"{item.entity_type}_id": item.id}
    return url_for(f"{item.entity_type}s.detail", **values)


def reassign(item: Item, new_owner: User, actor: User, note: str) -> None:
    """Hand item to new_owner with a handover note; history and the new owner's inbox record it."""
    if not note.strip():
        raise ValueError("请填写交接说明。")
    problem = owner_problem(new_owner, item.region_id)
    if problem:
        raise ValueError(problem)
    if item.owner_id == new_owner.id:
        raise ValueError(f"{new_owner.display_name} 已是该条目的责任人。")
    old_owner = item.owner
    item.owner = new_owner
    history.record(item, "reassigned", actor, field="owner_id", old=old_owner, new=new_owner, note=note)
    notify(
        new_owner,
        "assigned",
        f"{actor.display_name} 将“{item.name}”交由您负责",
        f"交接说明：{note}",
        detail_url(item),
    )


def reassign_all(items: Sequence[Item], new_owner: User | None, actor: User, note: str) -> User:
    """Hand every item to new_owner, or none of them (Invalid lists each refusal); the new owner."""
    if new_owner is None:
        raise Invalid({"owner_id": "请选择新责任人。"})
    problems = {}
    for item in items:
        try:
            reassign(item, new_owner, actor, note)
        except ValueError as error:
            problems[f"{item.entity_type}-{item.id}"] = f"“{item.name}”：{error}"
        else:
            item.version += 1  # a form opened before the handover must not overwrite it
    if problems:
        raise Invalid(problems)
    return new_owner


def open_item_count(user: User) -> int:
    """How many open items user is responsible for (they block deactivation and scope changes)."""
    targets = db.session.execute(
        sa.select(sa.func.count())
        .select_from(TargetCompany)
        .where(
            TargetCompany.owner_id == user.id,
            TargetCompany.status.in_([s for s in TargetStatus if not s.is_closed]),
        )
    ).scalar_one()
    projects = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Project)
        .where(Project.owner_id == user.id, Project.stage.in_([s for s in ProjectStage if not s.is_closed]))
    ).scalar_one()
    return targets + projects


def owner_change_problem(user: User, *, active: bool, role: Role, region_id: int | None) -> str | None:
    """Why user can't become (active, role, region) while owning open items, or None."""
    count = open_item_count(user)
    if not count:
        return None
    still_fits = active and role in OWNER_ROLES and (region_id is None or region_id == user.region_id)
    if still_fits:
        return None
    return (
        f"{user.display_name} 仍负责 {count} 个未关闭的条目。"
        "请先在招商清单、项目清单中按责任人筛选并批量改派，再停用或调整其角色、范围。"
    )
