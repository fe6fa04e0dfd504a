"""黄灯/红灯 badges for the items on a page: one rules query and one calendar for all of them."""

from collections.abc import Iterable
from datetime import UTC, datetime

from crm.core.timeutil import local_zone
from crm.extensions import db
from crm.models import Item
from crm.stall.rules import Rules, Stall, calendar_for, evaluate


def stalls_for(items: Iterable[Item], as_of: datetime | None = None) -> dict[tuple[str, int], Stall]:
    """{(entity_type, id): Stall} for items (target companies and projects) at as_of (default now)."""
    items = list(items)
    if not items:
        return {}
    as_of = as_of or datetime.now(UTC)
    zone = local_zone()
    rules = Rules.load(db.session)
    calendar = calendar_for(items, as_of, zone)
    return {(item.entity_type, item.id): evaluate(item, as_of, rules, calendar, zone) for item in items}
