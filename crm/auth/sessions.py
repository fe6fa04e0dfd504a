"""Server-side sessions: every signed-in browser is a login_session row, and only an open row counts.

The signed cookie carries a random token (``sid``); the database keeps its SHA-256 only. Logout,
a password change, deactivation and an admin's 结束会话 close rows, so a copied cookie is useless at
its next request, whatever the cookie itself still says. The idle and absolute clocks stay in the
cookie (crm.security); an expired session's row is closed too.
"""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request, session

from crm.core.dml import execute_dml
from crm.extensions import db
from crm.models import LoginSession, User, utcnow

SESSION_KEY = "sid"
SEEN_EVERY = timedelta(minutes=5)  # how stale seen_at may get: one UPDATE per session every few minutes


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_for(user: User) -> None:
    """Start a server session for user in the current cookie session (the caller commits)."""
    token = secrets.token_urlsafe(32)
    row = LoginSession(user_id=user.id, token_hash=_digest(token), end_reason="")
    if has_request_context():
        row.ip = (request.remote_addr or "")[:45]
        row.user_agent = (request.user_agent.string or "")[:255]
    db.session.add(row)
    session[SESSION_KEY] = token


def load(user_id: str) -> User | None:
    """The active user whose open session this cookie carries, else None (one statement)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not user_id.isdigit():
        return None
    found = db.session.execute(
        sa.select(User, LoginSession)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            User.id == int(user_id),
            User.active.is_(True),
            LoginSession.token_hash == _digest(token),
            LoginSession.ended_at.is_(None),
        )
    ).first()
    if found is None:
        return None
    user, row = found
    if utcnow() - row.seen_at > SEEN_EVERY:
        row.seen_at = utcnow()
        db.session.commit()
    return user


def end_current(reason: str) -> None:
    """Close the row of the session this request carries (logout, timeout)."""
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        _end(LoginSession.token_hash == _digest(token), reason)


def end_all(user: User, reason: str) -> int:
    """Close every open session of user (the caller commits); how many were open."""
    if user.id is None:
        return 0  # a user being created has none
    return _end(LoginSession.user_id == user.id, reason)


def end_one(row: LoginSession, reason: str) -> None:
    """Close one session (an admin's choice on the sessions page; the caller commits)."""
    _end(LoginSession.id == row.id, reason)


def _end(which: sa.ColumnElement[bool], reason: str) -> int:
    return execute_dml(
        sa.update(LoginSession)
        .where(which, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason[:64])
    )


def live_sessions() -> list[LoginSession]:
    """Sessions that may still be in use, newest first (for an admin): open rows whose cookie clock
    (absolute lifetime, idle timeout) can't have run out yet. A browser closed without logging out
    leaves its row open; it drops off this list when its clock would have ended it."""
    now, config = utcnow(), current_app.config
    idle = timedelta(minutes=config["SESSION_IDLE_MINUTES"]) + SEEN_EVERY
    return list(
        db.session.scalars(
            sa.select(LoginSession)
            .where(
                LoginSession.ended_at.is_(None),
                LoginSession.started_at > now - timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
                LoginSession.seen_at > now - idle,
            )
            .order_by(LoginSession.started_at.desc())
        )
    )
