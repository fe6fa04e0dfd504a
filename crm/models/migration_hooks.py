"""How Alembic writes and compares the app's own column types (used by migrations/env.py)."""

import sqlalchemy as sa


def render_item(type_, obj, autogen_context):
    """Write the app's column types as their plain SQLAlchemy types.

    Revisions must not import application code (it changes; revisions don't). Money and
    UTCDateTime only convert values in Python; their DDL is that of their impl.
    """
    if type_ == "type" and isinstance(obj, sa.types.TypeDecorator):
        return "sa." + repr(obj.impl)
    return False


def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """Compare the app's TypeDecorators by their impl, as render_item writes them."""
    if not isinstance(metadata_type, sa.types.TypeDecorator):
        return None  # Alembic's own comparison
    impl = metadata_type.impl
    if inspected_type._type_affinity is not impl._type_affinity:
        return True
    if isinstance(impl, sa.Numeric):
        return (inspected_type.precision, inspected_type.scale) != (impl.precision, impl.scale)
    return False
