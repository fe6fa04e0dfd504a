"""In-app notifications (消息中心): the channel every message goes through at least."""

import sqlalchemy as sa

from crm.core.dml import execute_dml
from crm.extensions import db
from crm.models import Notification, User, utcnow


def notify(user: User, kind: str, title: str, body: str = "", link: str = "") -> Notification:
    """Queue an in-app message for user (the caller commits)."""
    message = Notification(user_id=user.id, kind=kind, title=title, body=body, link=link)
    db.session.add(message)
    return message


def unread_count(user: User) -> int:
    count = sa.select(sa.func.count()).select_from(Notification)
    return db.session.execute(
        count.where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar_one()


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one (or, with None, every) unread message of user as read; returns how many."""
    stmt = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return execute_dml(stmt.values(read_at=utcnow()))
