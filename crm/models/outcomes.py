"""招商 outcomes: funds actually arrived (到资台账), the yearly exchange rate and the annual targets."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, Money, Rate, UTCDateTime, utcnow
from crm.models.clusters import Region
from crm.models.enums import Currency, FundKind, Indicator, enum_column
from crm.models.projects import Project
from crm.models.users import User


class FundEntry(Base):
    """One dated arrival of funds on a project (到资). Never edited in place: a correction is a new
    entry that replaces this one (replaced_at set, the original kept); a deletion only marks the entry
    (deleted_at, by whom, why). So the 到资 known at any past moment can be read back exactly: the
    entries recorded by then and neither replaced nor deleted by then."""

    __tablename__ = "fund_entry"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("deleted_at IS NULL OR delete_reason <> ''", name="deleted_has_reason"),
        sa.Index("ix_fund_entry_project", "project_id", "arrived_on"),
        sa.Index("ix_fund_entry_arrived", "arrived_on", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"))
    arrived_on: Mapped[date] = mapped_column(sa.Date)
    currency: Mapped[Currency] = mapped_column(enum_column(Currency, "currency"))
    amount: Mapped[Decimal] = mapped_column(Money)  # 万元 (人民币) or 万美元 (美元)
    kind: Mapped[FundKind] = mapped_column(enum_column(FundKind, "kind"))  # 口径
    note: Mapped[str] = mapped_column(sa.Text, default="")  # 来源或凭证
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fund_entry.id"))  # the entry corrected
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when a correction replaced this one
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    delete_reason: Mapped[str] = mapped_column(sa.Text, default="")

    project: Mapped[Project] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])
    replaces: Mapped["FundEntry | None"] = relationship(remote_side=[id])

    entity_type = "fund_entry"

    @property
    def is_current(self) -> bool:
        return self.replaced_at is None and self.deleted_at is None


class ExchangeRate(Base):
    """人民币 per 美元 for a year, kept by an admin: required before a USD figure is summed with RMB
    (实际使用外资 entered in 人民币, 超亿美元 of a project whose 总投资 is in 亿元 only)."""

    __tablename__ = "exchange_rate"
    __table_args__ = (sa.CheckConstraint("cny_per_usd > 0", name="rate_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    cny_per_usd: Mapped[Decimal] = mapped_column(Rate)
    note: Mapped[str] = mapped_column(sa.String(200), default="")  # 来源，如 国家外汇管理局 年平均汇率
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    updated_by: Mapped[User | None] = relationship()


class AnnualTarget(Base):
    """年度目标: one indicator's target for a year in one scope (region_id None = 全市). A missing
    row is "未设", never 0."""

    __tablename__ = "annual_target"
    __table_args__ = (
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year_in_range"),
        # one row per (year, scope, indicator); NULL (全市) needs its own index, NULLs being distinct
        sa.Index(
            "uq_annual_target_region",
            "year",
            "region_id",
            "indicator",
            unique=True,
            sqlite_where=sa.text("region_id IS NOT NULL"),
            postgresql_where=sa.text("region_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_annual_target_city",
            "year",
            "indicator",
            unique=True,
            sqlite_where=sa.text("region_id IS NULL"),
            postgresql_where=sa.text("region_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"))
    indicator: Mapped[Indicator] = mapped_column(enum_column(Indicator, "indicator"))
    value: Mapped[Decimal] = mapped_column(Money)  # 个, 亿元 or 亿美元 (Indicator.unit)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    region: Mapped[Region | None] = relationship()
    updated_by: Mapped[User | None] = relationship()

    entity_type = "annual_target"
