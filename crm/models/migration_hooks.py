"""How Alembic writes and compares the app's own column types (used by migrations/env.py)."""

from typing import Any, Literal

import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.runtime.migration import MigrationContext


def render_item(type_: str, obj: Any, _autogen_context: AutogenContext) -> str | Literal[False]:
    """Write the app's column types as their plain SQLAlchemy types.

    Revisions must not import application code (it changes; revisions don't). Money and
    UTCDateTime only convert values in Python; their DDL is that of their impl.
    """
    if type_ == "type" and isinstance(obj, sa.types.TypeDecorator):
        return "sa." + repr(obj.impl)
    return False


def compare_type(
    _context: MigrationContext,
    _inspected_column: sa.Column[Any],
    _metadata_column: sa.Column[Any],
    inspected_type: Any,
    metadata_type: sa.types.TypeEngine[Any],
) -> bool | None:
    """Compare the app's TypeDecorators by their impl, as render_item writes them."""
    if not isinstance(metadata_type, sa.types.TypeDecorator):
        return None  # Alembic's own comparison
    impl = metadata_type.impl
    if inspected_type._type_affinity is not impl._type_affinity:
        return True
    if isinstance(impl, sa.Numeric):
        return (inspected_type.precision, inspected_type.scale) != (impl.precision, impl.scale)
    return False
