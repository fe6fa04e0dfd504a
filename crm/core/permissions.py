"""The one permission mechanism: roles, scope and per-record checks.

Every view declares what it needs with ``@require(action)``; views that load a record call
``authorize(action, record)``. Both go through ``can(user, action, record)``, so a rule lives in
exactly one place (RULES) and the route × role test matrix exercises it.
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, ParamSpec, TypeVar, overload

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm import QueryableAttribute

from crm.core import audit
from crm.models import Role, User

Rule = Callable[[User, Any], bool]
P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def in_scope(user: User, region_id: int | None) -> bool:
    """Whether a record in region_id lies inside the user's scope (None scope = whole city)."""
    return user.region_id is None or user.region_id == region_id


def scope_clause(user: User, region_column: QueryableAttribute[int | None]) -> sa.ColumnElement[bool]:
    """A WHERE clause limiting a query to the user's scope."""
    if user.region_id is None:
        return sa.true()
    return region_column == user.region_id


def _any_user(user: User, record: Any) -> bool:
    return True


def _admin(user: User, record: Any) -> bool:
    return user.role == Role.ADMIN


def _record_in_scope(user: User, record: Any) -> bool:
    """No record yet (a list, a blank form): scope is applied by the query or the service."""
    return record is None or in_scope(user, record.region_id)


def _manager(user: User, record: Any) -> bool:
    """A head or admin whose scope covers the record."""
    return user.role in (Role.HEAD, Role.ADMIN) and _record_in_scope(user, record)


def _owner_or_manager(user: User, record: Any) -> bool:
    """一对一: the responsible officer, or a head/admin in scope."""
    if _manager(user, record):
        return True
    return user.role == Role.OFFICER and record is not None and record.owner_id == user.id


def _worker(user: User, record: Any) -> bool:
    """Anyone who works items (not read-only viewers), inside their scope."""
    return user.role in (Role.OFFICER, Role.HEAD, Role.ADMIN) and _record_in_scope(user, record)


def _not_viewer(user: User, record: Any) -> bool:
    return user.role != Role.VIEWER and _record_in_scope(user, record)


RULES: dict[str, Rule] = {
    # The clusters and their figures are the published plan (此件公开发布): everyone reads them.
    "cluster.view": _any_user,
    "account.self": _any_user,
    "notification.view": _any_user,
    "admin.users": _admin,
    "admin.rules": _admin,  # stall rules and the working-day calendar
    "admin.deliveries": _admin,  # reminder messages: outbox, failures, retry
    "admin.audit": _admin,  # search and export the audit log
    "admin.rates": _admin,  # the yearly exchange rates (人民币/美元) 超亿美元 and USD sums need
    # 招商清单
    "target.view": _record_in_scope,
    "target.contacts": _not_viewer,  # contact person and phone are not for read-only readers
    "target.create": _worker,
    "target.edit": _owner_or_manager,
    "target.follow_up": _owner_or_manager,
    "target.status": _owner_or_manager,
    "target.assign": _manager,
    "target.import": _worker,
    "target.convert": _owner_or_manager,
    # 项目清单
    "project.view": _record_in_scope,
    "project.create": _worker,
    "project.edit": _owner_or_manager,
    "project.follow_up": _owner_or_manager,
    "project.stage": _owner_or_manager,
    "project.assign": _manager,
    "project.problem": _owner_or_manager,  # raise a problem and move it along
    "project.funds": _owner_or_manager,  # 到资台账: record, correct and delete entries
    "problem.view": _any_user,  # the list is limited to the reader's scope by its query
    "desk.view": _any_user,
    "warning.view": _any_user,  # 预警总览: its counts are limited to the reader's scope by its queries
    # 报表: dashboard and weekly summary, limited to the reader's scope (crm.reports.scope)
    "report.view": _any_user,
    "report.supervise": _manager,  # a 督办 instruction on an item of the 通报 list
    "report.archive": _manager,  # save an export to the archive of record
    # 年度目标: an admin or a head, for the scopes their own covers (a city head: the city and every
    # region; a region's head: that region). The record is the scope (region_id None = 全市).
    "targets.set": _manager,
}


# Fields of a record some of its readers may not see, with the rule that lets one see them. Every view
# that shows a record's fields by name — its change history, the audit log — asks hidden_fields(), so
# a value kept off the record's page never turns up as "old → new" somewhere else.
CONTACT_FIELDS = ("contact_name", "contact_title", "contact_phone", "contact_email")
FIELD_RULES: dict[str, dict[str, str]] = {
    "target": dict.fromkeys(CONTACT_FIELDS, "target.contacts"),
}
HIDDEN_VALUE = "（无权查看）"


def hidden_fields(user: User, entity_type: str | None, record: Any = None) -> frozenset[str]:
    """The fields of entity_type (on record, when given) whose values user may not see."""
    rules = FIELD_RULES.get(entity_type or "", {})
    return frozenset(name for name, action in rules.items() if not can(user, action, record))


def visible_changes(user: User, entity_type: str | None, changes: str) -> str:
    """An audit row's changes (JSON {field: [old, new]}) with the values user may not see withheld."""
    hidden = hidden_fields(user, entity_type)
    if not hidden:
        return changes
    try:
        values = json.loads(changes)
    except ValueError:
        return changes  # a note ("登录成功"), not field values
    if not isinstance(values, dict):
        return changes
    shown = {name: [HIDDEN_VALUE, HIDDEN_VALUE] if name in hidden else pair for name, pair in values.items()}
    return json.dumps(shown, ensure_ascii=False)


def can(user: User, action: str, record: Any = None) -> bool:
    """Whether user may perform action (on record, when given)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    rule = RULES[action]  # an unknown action is a programming error, not a refusal
    return rule(user, record)


def require(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """View decorator: 403 unless the current user may perform action."""
    if action not in RULES:
        raise KeyError(f"no permission rule named {action!r}")

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not can(current_user, action):
                refuse(403, action)
            return view(*args, **kwargs)

        _declare(wrapped, action)
        return wrapped

    return decorator


def public(view: Callable[P, R]) -> Callable[P, R]:
    """Mark a view as reachable without login (login page, health check)."""
    _declare(view, None, public=True)
    return view


def _declare(view: Callable[..., object], permission: str | None, public: bool = False) -> None:
    """What a view declares (the login guard and the route walk read it): its permission, or public."""
    view.__dict__["permission"] = permission
    if public:
        view.__dict__["public"] = True


@overload
def authorize(action: str, record: None) -> NoReturn: ...


@overload
def authorize(action: str, record: T) -> T: ...


def authorize(action: str, record: T | None) -> T:
    """Return record if the current user may perform action on it.

    A record the user may not even see (missing, or outside their scope) answers 404, so ids
    reveal nothing; one they see but may not change answers 403.
    """
    if record is None:
        abort(404)
    view_action = action.split(".")[0] + ".view"
    if view_action in RULES and not can(current_user, view_action, record):
        refuse(404, action, record)
    if not can(current_user, action, record):
        refuse(403, action, record)
    return record


def refuse(code: int, action: str, record: Any = None) -> NoReturn:
    """Refuse the request, and write the refusal to the audit log (失败的授权 are audited)."""
    audit.event("access.denied", entity=record, note=f"{action}（{code}）")
    abort(code)
