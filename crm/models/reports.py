"""What the weekly 调度会 adds to its summary: 督办 instructions, and the archive of exports of record."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, UTCDateTime, utcnow
from crm.models.users import User


class SupervisionNote(Base):
    """A head's one-line 督办 instruction on an item of a week's 通报 list (kept; edits go to history)."""

    __tablename__ = "supervision_note"
    __table_args__ = (
        sa.UniqueConstraint("item_type", "item_id", "week", name="uq_supervision_note_item_week"),
        sa.Index("ix_supervision_note_week", "week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_type: Mapped[str] = mapped_column(sa.String(8))  # target | project
    item_id: Mapped[int]
    week: Mapped[str] = mapped_column(sa.String(8))  # ISO week, e.g. 2026-W48
    text: Mapped[str] = mapped_column(sa.String(200))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    author: Mapped[User] = relationship()


class ReportArchive(Base):
    """An export saved as a document of record: who, when, which week and scope, and the file itself."""

    __tablename__ = "report_archive"
    __table_args__ = (sa.Index("ix_report_archive_week", "week", "scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(sa.String(8))
    scope_key: Mapped[str] = mapped_column(sa.String(32))  # city, region-3, cluster-5
    scope_label: Mapped[str] = mapped_column(sa.String(80))
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"))  # whose scope may read it
    fmt: Mapped[str] = mapped_column(sa.String(8))  # xlsx | docx | html
    filename: Mapped[str] = mapped_column(sa.String(160))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User] = relationship()


class ReportCache(Base):
    """A built weekly summary, kept while what it was built from is unchanged (crm.reports.cache).

    Not a record of anything: it can be deleted at any time and is rebuilt on the next reading."""

    __tablename__ = "report_cache"
    __table_args__ = (sa.UniqueConstraint("week", "scope_key", name="uq_report_cache_week_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(sa.String(8))
    scope_key: Mapped[str] = mapped_column(sa.String(48))  # ReportScope.key @ the reader's scope
    stamp: Mapped[str] = mapped_column(sa.String(64))  # what it was built from (crm.reports.cache)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[bytes] = mapped_column(sa.LargeBinary)
