"""The audit log (安全审计): logins, logouts, refused access, and every change to a record."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base, UTCDateTime, utcnow

ACTIONS = {
    "login.success": "登录成功",
    "login.failure": "登录失败",
    "login.locked": "登录被锁定",  # before issue 14: an attempt refused during a lock
    "login.refused": "登录被拒绝（锁定或过于频繁）",
    "login.lock": "登录锁定",
    "login.unlock": "解除登录锁定",
    "session.ended": "会话被结束",
    "logout": "退出登录",
    "session.expired": "会话超时",
    "access.denied": "越权访问被拒绝",
    "record.create": "新建",
    "record.update": "修改",
    "record.delete": "删除",
}


class AuditEvent(Base):
    """One audited event. Append-only: the application never updates or deletes a row (a trigger
    refuses updates); `flask prune-audit` removes only rows older than the retention period."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_action_username_at", "action", "username", "at"),
        sa.Index("ix_audit_event_action_ip_at", "action", "ip", "at"),
        sa.Index("ix_audit_event_entity", "entity_type", "entity_id"),
        sa.Index("ix_audit_event_actor_at", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None]  # no foreign key: the log outlives and never blocks its subjects
    username: Mapped[str] = mapped_column(sa.String(64), default="")  # as typed at login, or the actor's
    action: Mapped[str] = mapped_column(sa.String(24))
    entity_type: Mapped[str | None] = mapped_column(sa.String(32))
    entity_id: Mapped[int | None]
    changes: Mapped[str] = mapped_column(sa.Text, default="")  # JSON {field: [old, new]} or a note
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    method: Mapped[str] = mapped_column(sa.String(8), default="")
    path: Mapped[str] = mapped_column(sa.String(255), default="")

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)
