"""Login throttling kept in the database (the audit log), so it holds across every worker.

- An account name with 5 failed logins within 15 minutes is locked for 15 minutes from the 5th,
  whether or not such a user exists (so a lock tells an attacker nothing). A successful login
  starts the count afresh.
- An address with many failures in the last 15 minutes is slowed down: each attempt waits a little
  longer, up to a few seconds.
"""

import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from crm.extensions import db
from crm.models import AuditEvent

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
SLOW_AFTER = 10  # failures from one address in WINDOW before each attempt is delayed
DELAY_STEP_SECONDS = 0.25
MAX_DELAY_SECONDS = 3.0


def locked_until(username: str, now: datetime) -> datetime | None:
    """When the account name's lock ends, or None when it is not locked."""
    last_success = (
        sa.select(sa.func.max(AuditEvent.at))
        .where(AuditEvent.action == "login.success", AuditEvent.username == username)
        .scalar_subquery()
    )
    failures = db.session.scalars(
        sa.select(AuditEvent.at)
        .where(
            AuditEvent.action == "login.failure",
            AuditEvent.username == username,
            AuditEvent.at > now - WINDOW - LOCK,
            AuditEvent.at > sa.func.coalesce(last_success, datetime(2000, 1, 1, tzinfo=UTC)),
        )
        .order_by(AuditEvent.at)
    ).all()
    until = None
    for index in range(MAX_FAILURES - 1, len(failures)):
        if failures[index] - failures[index - MAX_FAILURES + 1] <= WINDOW:
            until = failures[index] + LOCK
    return until if until is not None and until > now else None


def delay_for(ip: str, now: datetime) -> float:
    """Seconds to wait before answering a login attempt from ip."""
    failures = db.session.execute(
        sa.select(sa.func.count()).where(
            AuditEvent.action.in_(("login.failure", "login.locked")),
            AuditEvent.ip == ip,
            AuditEvent.at > now - WINDOW,
        )
    ).scalar_one()
    if failures <= SLOW_AFTER:
        return 0.0
    return min(MAX_DELAY_SECONDS, DELAY_STEP_SECONDS * (failures - SLOW_AFTER))


def slow_down(ip: str, now: datetime) -> None:
    seconds = delay_for(ip, now)
    if seconds:
        time.sleep(seconds)
