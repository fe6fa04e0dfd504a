"""Reminder deliveries: what was sent to whom, once (SPEC §4 "exactly once").

A run of the stall scan writes, per recipient and channel, one OutgoingMessage (the digest) and
one ReminderDelivery per item it lists, in one transaction, before anything is sent. The unique
key of ReminderDelivery — (item, stall episode, level, recipient, channel) — is what makes two
scans at the same moment, in two processes, unable to both claim an item: the second one's insert
finds the row and claims nothing. Sending happens after the commit; a failed send leaves the
message pending with its error and the time of the next attempt.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, UTCDateTime, utcnow
from crm.models.users import User

CHANNELS = {"inapp": "站内消息", "email": "电子邮件", "webhook": "群机器人"}
MESSAGE_STATUSES = {
    "sending": "发送中",
    "pending": "待重试",
    "sent": "已发送",
    "outbox": "已存发件箱",
    "failed": "发送失败",
}
GROUP_RECIPIENT = "group"  # the webhook's chat group


class OutgoingMessage(Base):
    """One digest to one recipient on one channel (站内消息, 电子邮件 or 群机器人)."""

    __tablename__ = "outgoing_message"
    __table_args__ = (
        sa.Index("ix_outgoing_message_status_next", "status", "next_attempt_at"),
        sa.CheckConstraint(
            "status IN ('sending', 'pending', 'sent', 'outbox', 'failed')", name="known_status"
        ),
        sa.CheckConstraint("channel IN ('inapp', 'email', 'webhook')", name="known_channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(8))
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(254), default="")  # e-mail address or webhook host
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(8))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when a run took it to send
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the scan's moment ("as if at")
    notification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notification.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    recipient: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return MESSAGE_STATUSES[self.status]

    @property
    def channel_label(self) -> str:
        return CHANNELS[self.channel]

    def __repr__(self) -> str:
        return f"<OutgoingMessage {self.id} {self.channel} {self.status}>"


class ReminderDelivery(Base):
    """One item of one stall episode at one level, for one recipient on one channel: at most once."""

    __tablename__ = "reminder_delivery"
    __table_args__ = (
        sa.UniqueConstraint(
            "item_type",
            "item_id",
            "episode",
            "level",
            "recipient",
            "channel",
            name="uq_reminder_delivery_once",
        ),
        sa.Index("ix_reminder_delivery_message", "message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_type: Mapped[str] = mapped_column(sa.String(8))  # target | project
    item_id: Mapped[int]
    episode: Mapped[date] = mapped_column(sa.Date)  # the day the stall began
    level: Mapped[str] = mapped_column(sa.String(8))  # yellow | red
    recipient: Mapped[str] = mapped_column(sa.String(16))  # "user:<id>" or "group"
    channel: Mapped[str] = mapped_column(sa.String(8))
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("outgoing_message.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[OutgoingMessage] = relationship()
