"""招商清单: the companies a cluster wants to attract, each worked by one responsible officer."""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, Money, UTCDateTime, utcnow
from crm.models.clusters import ChainSegment, Cluster, Region
from crm.models.enums import (
    COMPANY_TYPES,
    HONOURS,
    Priority,
    TargetSource,
    TargetStatus,
    bits_to_tags,
    enum_column,
    tags_to_bits,
)
from crm.models.users import User

CLOSED_TARGET_STATUSES = (TargetStatus.CONVERTED.value, TargetStatus.ABANDONED.value)


class TargetCompany(Base):
    __tablename__ = "target_company"
    __table_args__ = (
        # 一对一: an open item always has its one responsible officer.
        sa.CheckConstraint(
            f"owner_id IS NOT NULL OR status IN {CLOSED_TARGET_STATUSES!r}", name="open_has_owner"
        ),
        sa.CheckConstraint("status != '已放弃' OR abandon_reason IS NOT NULL", name="abandon_has_reason"),
        sa.Index("ix_target_company_region_status", "region_id", "status"),
        sa.Index("ix_target_company_owner_status", "owner_id", "status"),
        # The dashboard: counts and amounts by status and cluster read from the index alone, and
        # the 12-week trend of new companies.
        sa.Index("ix_target_company_status_cluster", "status", "cluster_id", "intended_investment"),
        sa.Index("ix_target_company_created_at", "created_at"),
        # The lists' default order (last changed first): the first page without sorting every row.
        sa.Index("ix_target_company_updated", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    # Name without 有限公司/股份/（中国）, width-folded: search and duplicate detection use it.
    name_key: Mapped[str] = mapped_column(sa.String(128), index=True)
    credit_code: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    foreign_registration: Mapped[str | None] = mapped_column(sa.String(64))
    country: Mapped[str] = mapped_column(sa.String(32), default="中国")
    hq_city: Mapped[str] = mapped_column(sa.String(64), default="")
    type_bits: Mapped[int] = mapped_column(default=0)
    honour_bits: Mapped[int] = mapped_column(default=0)
    cluster_id: Mapped[int] = mapped_column(sa.ForeignKey("cluster.id"), index=True)
    segment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("chain_segment.id"), index=True)
    # The cluster's region, kept here so scope filters need no join.
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"))
    source: Mapped[TargetSource] = mapped_column(enum_column(TargetSource, "source"))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, "priority"), default=Priority.MEDIUM)
    intended_investment: Mapped[Decimal | None] = mapped_column(Money)  # 亿元
    industry_note: Mapped[str] = mapped_column(sa.Text, default="")  # 主营业务 / 企业简介
    contact_name: Mapped[str] = mapped_column(sa.String(64), default="")
    contact_title: Mapped[str] = mapped_column(sa.String(64), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(32), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    status: Mapped[TargetStatus] = mapped_column(
        enum_column(TargetStatus, "status"), default=TargetStatus.UNCONTACTED
    )
    abandon_reason: Mapped[str | None] = mapped_column(sa.Text)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    last_follow_up_on: Mapped[date | None] = mapped_column(sa.Date)
    next_follow_up_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    # When the current status began (stall rules count from the later of this and the last follow-up).
    status_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(default=1)

    cluster: Mapped[Cluster] = relationship()
    segment: Mapped[ChainSegment | None] = relationship()
    region: Mapped[Region] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    # Optimistic locking: every UPDATE checks the version it read; edits, status moves and
    # reassignments bump it (services do), follow-ups do not, so they never collide with an edit.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    entity_type = "target"  # how history and notifications name this kind of record
    follow_up_key = "target_id"  # its column in follow_up (crm.followups.services)

    @property
    def type_tags(self) -> list[str]:
        return bits_to_tags(self.type_bits or 0, COMPANY_TYPES)

    @type_tags.setter
    def type_tags(self, tags: Iterable[str]) -> None:
        self.type_bits = tags_to_bits(tags, COMPANY_TYPES)

    @property
    def honours(self) -> list[str]:
        return bits_to_tags(self.honour_bits or 0, HONOURS)

    @honours.setter
    def honours(self, tags: Iterable[str]) -> None:
        self.honour_bits = tags_to_bits(tags, HONOURS)

    @property
    def is_closed(self) -> bool:
        return self.status.is_closed

    def __repr__(self) -> str:
        return f"<TargetCompany {self.name}>"
