"""到资台账: which entries stand at a moment, and (services added with the pages) recording them.

An entry is never edited in place. A correction is a new entry that replaces the old one (the old
one's replaced_at is set); a deletion marks the entry (deleted_at, by whom, why). So what the ledger
said at any moment T is exactly the entries recorded by T that were neither replaced nor deleted by
T — a past week's figures don't move when an entry is corrected later.
"""

from datetime import datetime

import sqlalchemy as sa

from crm.models import FundEntry


def standing_at(moment: datetime) -> sa.ColumnElement[bool]:
    """The entries that stood at moment (recorded by then, neither replaced nor deleted by then)."""
    return sa.and_(
        FundEntry.recorded_at <= moment,
        sa.or_(FundEntry.replaced_at.is_(None), FundEntry.replaced_at > moment),
        sa.or_(FundEntry.deleted_at.is_(None), FundEntry.deleted_at > moment),
    )


def standing_now() -> sa.ColumnElement[bool]:
    """The entries that stand today (the project page, lists, exports of current figures)."""
    return sa.and_(FundEntry.replaced_at.is_(None), FundEntry.deleted_at.is_(None))
