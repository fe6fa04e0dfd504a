"""黄灯/红灯 in list queries: the 预警 filter and red/yellow counts, over crm.stall.sql.

Lists filter by level and count levels inside SQL (crm.stall.sql.stall_level), so a filter
or a count costs one statement whatever the number of items.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request

from crm.core.timeutil import local_zone
from crm.extensions import db
from crm.models import Item
from crm.stall.rules import RED, YELLOW, Rules
from crm.stall.sql import stall_level

ANY = "any"
# value of the warning filter -> its label, in the order the select offers them
WARNING_FILTERS = {RED: "红灯", YELLOW: "黄灯", ANY: "红灯或黄灯"}


def current_level(model: type[Item]) -> sa.ColumnElement[str | None]:
    """stall_level(model) now: 'red', 'yellow' or NULL per row.

    Within a request it is built once (one rules query, one calendar), so a list's filter and its
    counts agree on "now". Kept in the request's environ rather than g: an application context
    can outlive many requests (a scheduler job, a test), and "now" must not go stale with it.
    """
    if not has_request_context():
        return _level_now(model)
    levels = request.environ.setdefault("crm.stall_levels", {})
    if model not in levels:
        levels[model] = _level_now(model)
    return levels[model]


def _level_now(model: type[Item]) -> sa.ColumnElement[str | None]:
    return stall_level(model, datetime.now(UTC), Rules.load(db.session), local_zone())


def warning_clause(model: type[Item], warning: str) -> sa.ColumnElement[bool]:
    """Rows of model at the warning filter's level (red, yellow, or any of the two)."""
    level = current_level(model)
    if warning == ANY:
        return level.is_not(None)
    return level == warning


@dataclass(frozen=True)
class LevelCounts:
    red: int = 0
    yellow: int = 0

    def __add__(self, other: "LevelCounts") -> "LevelCounts":
        return LevelCounts(self.red + other.red, self.yellow + other.yellow)

    def __bool__(self) -> bool:
        return bool(self.red or self.yellow)


def level_counts(model: type[Item], filtered: sa.Select[Any]) -> LevelCounts:
    """Red and yellow counts over the rows of filtered (a select of model with its WHERE clauses)."""
    inner = filtered.with_only_columns(current_level(model).label("level")).order_by(None).subquery()
    red, yellow = db.session.execute(sa.select(*counted(inner.c.level))).one()
    return LevelCounts(red, yellow)


def counted(level: sa.ColumnElement[str | None]) -> tuple[sa.ColumnElement[int], sa.ColumnElement[int]]:
    """count(red), count(yellow) over a level column (aggregates, 0 when there is no row)."""
    return (
        sa.func.count(sa.case((level == RED, 1))).label("red"),
        sa.func.count(sa.case((level == YELLOW, 1))).label("yellow"),
    )
