"""一对一: who may be an item's responsible officer, and handing an item over.

Used by target companies now and by projects later: one rule, one reassignment path.
"""

from crm import history
from crm.models import Role, User
from crm.notifications import notify
from crm.permissions import in_scope

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


def reassign(item, new_owner: User, actor: User, note: str, link: str) -> None:
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
        link,
    )
