"""Accounts: role, scope (whole city or one region), their sessions and login locks."""

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash

from crm.models.base import Base, UTCDateTime, utcnow
from crm.models.clusters import CITY_SCOPE, Region
from crm.models.enums import Role, enum_column


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(64))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    # None means the whole city (全市).
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    region: Mapped[Region | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def scope_name(self) -> str:
        return self.region.name if self.region else CITY_SCOPE

    @property
    def role_label(self) -> str:
        return self.role.label

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class LoginSession(Base):
    """One signed-in browser. The cookie carries a random token; the server keeps only its SHA-256,
    and a session is valid only while its row is open: logout, a password change, deactivation and an
    admin's 结束会话 close rows, so a copied cookie stops working at its next request."""

    __tablename__ = "login_session"
    __table_args__ = (sa.Index("ix_login_session_user_open", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # refreshed every few minutes
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(255), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(sa.String(64), default="")

    user: Mapped[User] = relationship()


class LoginLock(Base):
    """An account name locked for logins from one source address after repeated failures.

    Counting is per account *and* source, so failures from an attacker's address don't lock the owner
    out from theirs. An admin may lift a lock early (lifted_at, lifted_by); rows are kept as history.
    """

    __tablename__ = "login_lock"
    __table_args__ = (sa.Index("ix_login_lock_username_ip", "username", "ip", "locked_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64))  # as typed: locks exist for unknown names too
    ip: Mapped[str] = mapped_column(sa.String(45))
    failures: Mapped[int]
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    lifted_by: Mapped[User | None] = relationship()
