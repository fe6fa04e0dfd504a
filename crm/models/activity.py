"""What happens to records: follow-ups, the change history, and in-app notifications."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, UTCDateTime, utcnow
from crm.models.enums import FollowUpMethod, enum_column
from crm.models.users import User


class FollowUp(Base):
    """跟进记录 on exactly one item: a target company or a project."""

    __tablename__ = "follow_up"
    __table_args__ = (
        sa.Index("ix_follow_up_target_occurred", "target_id", "occurred_on"),
        sa.Index("ix_follow_up_project_occurred", "project_id", "occurred_on"),
        sa.CheckConstraint("(target_id IS NULL) != (project_id IS NULL)", name="one_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int | None] = mapped_column(sa.ForeignKey("target_company.id"))
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("project.id"))
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    method: Mapped[FollowUpMethod] = mapped_column(enum_column(FollowUpMethod, "method"))
    participants: Mapped[str] = mapped_column(sa.Text, default="")
    content: Mapped[str] = mapped_column(sa.Text)
    next_step: Mapped[str] = mapped_column(sa.Text, default="")
    next_follow_up_on: Mapped[date | None] = mapped_column(sa.Date)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class HistoryEntry(Base):
    """One recorded change: who, when, which field, old → new, and why.

    Field edits write one row per field; status changes, reassignments and follow-ups write one
    row each. Reports for a past week are rebuilt from these rows, never from today's values.
    """

    __tablename__ = "history_entry"
    __table_args__ = (
        sa.Index("ix_history_entry_entity", "entity_type", "entity_id", "id"),
        sa.Index("ix_history_entry_field_created", "field", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(sa.String(16))
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(sa.String(16))
    field: Mapped[str | None] = mapped_column(sa.String(32))
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)
    # Ids behind the values when they name a record (e.g. the owners of a reassignment).
    old_ref: Mapped[int | None]
    new_ref: Mapped[int | None]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class Notification(Base):
    """An in-app message to one user (消息中心)."""

    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
