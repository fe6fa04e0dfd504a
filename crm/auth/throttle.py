"""Login throttling, counted per account *and* source address, kept in the database so it holds
across every worker. Nothing here sleeps: a refused attempt is answered at once with a retry-after.

- An account name with MAX_FAILURES failed logins from one address within WINDOW is locked *for that
  address* for LOCK (a LoginLock row, audited as login.lock), whether or not such a user exists (a lock
  tells an attacker nothing). The owner, logging in from another address, is not locked out. A success
  from that address, the lock itself and an admin's lift (login.unlock) start the count afresh.
- An address with SOURCE_SLOW_AFTER failures (any account names) within WINDOW must wait a little
  longer after each further failure before it may try again (at most SOURCE_MAX_WAIT): refused with
  429 and Retry-After, never held in a sleeping worker.
Failures themselves are the audit log's login.failure rows (crm.core.audit).
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from crm.core import audit
from crm.extensions import db
from crm.models import AuditEvent, LoginLock, User, utcnow
from crm.templating import local_time

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
SOURCE_SLOW_AFTER = 20
SOURCE_STEP = timedelta(seconds=2)
SOURCE_MAX_WAIT = timedelta(seconds=60)
RECENT_LOCKS = 20  # how many ended locks an admin sees below the current ones


@dataclass(frozen=True)
class Refusal:
    """Why a login attempt is refused before its password is even checked, and for how long."""

    message: str
    retry_after: int  # seconds

    @property
    def retry_after_header(self) -> str:
        return str(max(1, self.retry_after))


def _seconds(span: timedelta) -> int:
    return math.ceil(span.total_seconds())


def active_lock(username: str, ip: str, now: datetime) -> LoginLock | None:
    return db.session.scalar(
        sa.select(LoginLock)
        .where(
            LoginLock.username == username,
            LoginLock.ip == ip,
            LoginLock.lifted_at.is_(None),
            LoginLock.locked_until > now,
        )
        .order_by(LoginLock.locked_until.desc())
        .limit(1)
    )


def _source_wait(ip: str, now: datetime) -> timedelta:
    count, last = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(AuditEvent.at)).where(
            AuditEvent.action == "login.failure", AuditEvent.ip == ip, AuditEvent.at > now - WINDOW
        )
    ).one()
    if count < SOURCE_SLOW_AFTER or last is None:
        return timedelta(0)
    wait = min(SOURCE_MAX_WAIT, SOURCE_STEP * (count - SOURCE_SLOW_AFTER + 1))
    return max(timedelta(0), last + wait - now)


def locked(lock: LoginLock, now: datetime) -> Refusal:
    until = local_time(lock.locked_until, "%H:%M")
    return Refusal(
        f"该账号在本地址连续登录失败次数过多，已暂时锁定，请于 {until} 后再试，或请系统管理员解除锁定。",
        _seconds(lock.locked_until - now),
    )


def refusal(username: str, ip: str, now: datetime) -> Refusal | None:
    """Why an attempt for username from ip is refused now, or None when it may be checked."""
    lock = active_lock(username, ip, now)
    if lock is not None:
        return locked(lock, now)
    wait = _source_wait(ip, now)
    if wait:
        return Refusal(f"登录尝试过于频繁，请 {_seconds(wait)} 秒后再试。", _seconds(wait))
    return None


def _count_since(username: str, ip: str, now: datetime) -> int:
    """Failures for username from ip in the window, since the last success, lock or lift there."""
    last_success = (
        sa.select(sa.func.max(AuditEvent.at))
        .where(AuditEvent.action == "login.success", AuditEvent.username == username, AuditEvent.ip == ip)
        .scalar_subquery()
    )
    last_lock = (
        sa.select(sa.func.max(sa.func.coalesce(LoginLock.lifted_at, LoginLock.locked_at)))
        .where(LoginLock.username == username, LoginLock.ip == ip)
        .scalar_subquery()
    )
    start = now - WINDOW
    return db.session.execute(
        sa.select(sa.func.count()).where(
            AuditEvent.action == "login.failure",
            AuditEvent.username == username,
            AuditEvent.ip == ip,
            AuditEvent.at > start,
            AuditEvent.at > sa.func.coalesce(last_success, start),
            AuditEvent.at > sa.func.coalesce(last_lock, start),
        )
    ).scalar_one()


def record_failure(username: str, ip: str, now: datetime) -> LoginLock | None:
    """Audit a failed attempt; lock username for ip when it is the one too many (committed)."""
    audit.event("login.failure", username=username)
    failures = _count_since(username, ip, now)
    if failures < MAX_FAILURES:
        return None
    lock = LoginLock(username=username, ip=ip, failures=failures, locked_at=now, locked_until=now + LOCK)
    db.session.add(lock)
    db.session.commit()
    audit.event("login.lock", username=username, note=_lock_note(lock))
    return lock


def _lock_note(lock: LoginLock) -> str:
    return (
        f"来源地址 {lock.ip}，连续失败 {lock.failures} 次，"
        f"锁定至 {local_time(lock.locked_until, '%Y-%m-%d %H:%M')}"
    )


def current_locks(now: datetime) -> list[LoginLock]:
    """Locks in force now, the soonest to end last (for an admin)."""
    return list(
        db.session.scalars(
            sa.select(LoginLock)
            .where(LoginLock.lifted_at.is_(None), LoginLock.locked_until > now)
            .order_by(LoginLock.locked_until.desc())
        )
    )


def recent_locks(now: datetime) -> list[LoginLock]:
    """The latest locks no longer in force (lifted or run out), newest first."""
    return list(
        db.session.scalars(
            sa.select(LoginLock)
            .where(sa.or_(LoginLock.lifted_at.is_not(None), LoginLock.locked_until <= now))
            .order_by(LoginLock.locked_at.desc())
            .limit(RECENT_LOCKS)
        )
    )


def lift(lock: LoginLock, admin: User) -> None:
    """An admin ends a lock now: audited as login.unlock (committed)."""
    lock.lifted_at, lock.lifted_by = utcnow(), admin
    db.session.commit()
    audit.event("login.unlock", username=lock.username, note=f"{_lock_note(lock)}；由 {admin.username} 解除")
