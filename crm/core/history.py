"""The change history: one function records what changed, who did it, and why."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

import sqlalchemy as sa

from crm.core.permissions import hidden_fields
from crm.extensions import db
from crm.models import HistoryEntry, User


class Entity(Protocol):
    """Anything with a history: its kind and id (a target, project or problem; a stall rule)."""

    @property
    def entity_type(self) -> str: ...

    @property
    def id(self) -> int: ...


def as_text(value: Any) -> str | None:
    """How a value is kept in the history: readable text, None for empty."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, User):
        return value.display_name
    if hasattr(value, "__table__") and hasattr(value, "name"):  # a record: its name (集群, 环节)
        return value.name
    return str(value)


def record(
    entity: Entity,
    action: str,
    actor: User | None,
    *,
    field: str | None = None,
    old: object = None,
    new: object = None,
    note: str = "",
) -> HistoryEntry:
    """Add one history row for entity (anything with entity_type and id)."""
    entry = HistoryEntry(
        entity_type=entity.entity_type,
        entity_id=entity.id,
        action=action,
        field=field,
        old_value=as_text(old),
        new_value=as_text(new),
        old_ref=old.id if isinstance(old, User) else None,
        new_ref=new.id if isinstance(new, User) else None,
        note=note or "",
        actor=actor,
    )
    db.session.add(entry)
    return entry


def apply_changes(entity: Entity, values: dict[str, Any], actor: User, note: str = "") -> list[str]:
    """Set each attribute that differs, recording old → new; returns the names of changed fields."""
    changed = []
    for name, new in values.items():
        old = getattr(entity, name)
        if as_text(old) == as_text(new):
            continue
        setattr(entity, name, new)
        record(entity, "updated", actor, field=name, old=old, new=new, note=note)
        changed.append(name)
    return changed


def entries_for(entity: Entity, reader: User) -> list[HistoryEntry]:
    """The entity's history as reader may see it, newest first, with actors loaded.

    Edits of a field reader may not see (crm.core.permissions.hidden_fields: a viewer and a target's
    contacts) are left out: their old → new values are the field's values.
    """
    stmt = (
        sa.select(HistoryEntry)
        .options(sa.orm.joinedload(HistoryEntry.actor))
        .where(HistoryEntry.entity_type == entity.entity_type, HistoryEntry.entity_id == entity.id)
        .order_by(HistoryEntry.id.desc())
    )
    hidden = hidden_fields(reader, entity.entity_type, entity)
    if hidden:
        stmt = stmt.where(sa.or_(HistoryEntry.field.is_(None), HistoryEntry.field.not_in(sorted(hidden))))
    return list(db.session.scalars(stmt))
