"""Accounts: role, scope (whole city or one region) and login state."""

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
    # Bumped on password change or deactivation: sessions carrying an older value end.
    session_generation: Mapped[int] = mapped_column(default=0)
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

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"

    def end_sessions(self) -> None:
        """Sessions issued before this call stop working at their next request."""
        self.session_generation = (self.session_generation or 0) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
