"""年度目标: the targets an admin (or a head, for their region) sets per year, scope and indicator.

A missing row is 未设 — never 0. Every change writes a history row (entity "annual_target", the year
as its id, the scope and indicator as its field), so the targets in force at any past moment can be
read back (targets_at): a past week's summary shows the targets of its own time.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from crm.core.history import record
from crm.core.validation import Amount, AmountError
from crm.extensions import db
from crm.models import AnnualTarget, HistoryEntry, Indicator, User

HISTORY_KIND = "annual_target"
# Far above any real target of the unit (Jiaxing signs a few hundred projects and uses about 30 亿美元 a year).
RULES = {
    "个": Amount("个", Decimal("100000")),
    "亿元": Amount("亿元", Decimal("100000")),
    "亿美元": Amount("亿美元", Decimal("10000")),
}
Key = tuple[int | None, Indicator]  # (region id, None = 全市; indicator)


@dataclass(frozen=True)
class HistoryScope:
    """What a history row of one year's targets names: the year (its id) and the kind."""

    id: int
    entity_type: str = HISTORY_KIND


def history_field(region_id: int | None, indicator: Indicator) -> str:
    """The history row's field: "0/SIGNED" for the city, "3/FOREIGN_CAPITAL" for region 3."""
    return f"{region_id or 0}/{indicator.name}"


def _key_of(field_name: str) -> Key:
    region, _, name = field_name.partition("/")
    return (int(region) or None, Indicator[name])


def parse_value(indicator: Indicator, text: str | None) -> Decimal | None:
    """A typed target: None for empty (未设); AmountError (Chinese) for anything not a sane value."""
    if text is None or not str(text).strip():
        return None
    value = RULES[indicator.unit].parse(text)
    if indicator.is_count and value != value.to_integral_value():
        raise AmountError("项目数须为整数。")
    return value


def targets_now(year: int) -> dict[Key, Decimal]:
    """Every target set for year, by (region id, indicator)."""
    rows = db.session.execute(
        sa.select(AnnualTarget.region_id, AnnualTarget.indicator, AnnualTarget.value).where(
            AnnualTarget.year == year
        )
    )
    return {(region_id, indicator): value for region_id, indicator, value in rows}


def targets_at(year: int, at: datetime) -> dict[Key, Decimal]:
    """The targets for year as they stood at `at`: today's, with every later change undone."""
    values: dict[Key, Decimal | None] = dict(targets_now(year))
    later = db.session.execute(
        sa.select(HistoryEntry.field, HistoryEntry.old_value)
        .where(
            HistoryEntry.entity_type == HISTORY_KIND,
            HistoryEntry.entity_id == year,
            HistoryEntry.created_at > at,
        )
        .order_by(HistoryEntry.created_at, HistoryEntry.id)
    )
    seen = set()
    for field_name, old_value in later:
        if field_name in seen or field_name is None:
            continue
        seen.add(field_name)
        values[_key_of(field_name)] = Decimal(old_value) if old_value is not None else None
    return {key: value for key, value in values.items() if value is not None}


def set_targets(
    year: int, region_id: int | None, values: dict[Indicator, Decimal | None], actor: User
) -> list[Indicator]:
    """Set one scope's targets for year (None deletes: 未设); returns the indicators changed.

    The caller checks the actor may set this scope's targets and commits.
    """
    rows = {
        row.indicator: row
        for row in db.session.scalars(
            sa.select(AnnualTarget).where(
                AnnualTarget.year == year,
                AnnualTarget.region_id.is_(None)
                if region_id is None
                else AnnualTarget.region_id == region_id,
            )
        )
    }
    changed = []
    for indicator, value in values.items():
        row = rows.get(indicator)
        old = row.value if row is not None else None
        if old == value:
            continue
        if value is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(
                AnnualTarget(
                    year=year, region_id=region_id, indicator=indicator, value=value, updated_by=actor
                )
            )
        else:
            row.value, row.updated_by = value, actor
        field_name = history_field(region_id, indicator)
        record(HistoryScope(year), "updated", actor, field=field_name, old=old, new=value)
        changed.append(indicator)
    return changed


@dataclass(frozen=True)
class LastChange:
    who: str
    at: datetime


def last_changes(year: int) -> dict[int | None, LastChange]:
    """Who last changed each scope's targets for year, and when (from the history: deletions too)."""
    rows = db.session.execute(
        sa.select(HistoryEntry.field, HistoryEntry.created_at, User.display_name)
        .outerjoin(User, User.id == HistoryEntry.actor_id)
        .where(HistoryEntry.entity_type == HISTORY_KIND, HistoryEntry.entity_id == year)
        .order_by(HistoryEntry.created_at, HistoryEntry.id)
    )
    found: dict[int | None, LastChange] = {}
    for field_name, at, who in rows:
        found[_key_of(field_name)[0]] = LastChange(who or "系统", at)
    return found
