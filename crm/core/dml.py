"""Bulk UPDATE and DELETE through the session, with the number of rows they matched."""

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult

from crm.extensions import db


def execute_dml(statement: sa.Update | sa.Delete) -> int:
    """Run statement in the current session; how many rows it matched."""
    result = db.session.execute(statement)
    # Session.execute is typed for SELECTs; an UPDATE or DELETE gives a cursor result with a rowcount.
    assert isinstance(result, CursorResult)
    return result.rowcount
