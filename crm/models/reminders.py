"""Stall rules (停滞规则) and the admin's working-day calendar overrides (节假日/调休)."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base, UTCDateTime, utcnow

# Statuses and stages that have a follow-up limit (SPEC §4); 暂缓 and the closed ones have none.
STALL_RULE_KEYS = ("待接触", "已接触", "有意向", "在谈", "拟建", "在建")


class StallRule(Base):
    """The follow-up limit of one status (target companies) or stage (projects), admin-editable."""

    __tablename__ = "stall_rule"
    __table_args__ = (
        sa.CheckConstraint("limit_days > 0", name="limit_positive"),
        sa.CheckConstraint("escalation_days > 0", name="escalation_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status_or_stage: Mapped[str] = mapped_column(sa.String(8), unique=True)
    limit_days: Mapped[int]  # working days without a follow-up before the item is stalled
    escalation_days: Mapped[int] = mapped_column(default=5)  # further working days until red
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    def __repr__(self) -> str:
        return f"<StallRule {self.status_or_stage} {self.limit_days}+{self.escalation_days}>"


class CalendarDay(Base):
    """An admin-entered day: a holiday (is_working false) or a 调休 working weekend (true).

    Always wins over chinese-calendar; needed for the years the package has no data for.
    """

    __tablename__ = "calendar_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, unique=True)
    is_working: Mapped[bool]
    note: Mapped[str] = mapped_column(sa.String(100), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<CalendarDay {self.day} {'班' if self.is_working else '休'}>"
