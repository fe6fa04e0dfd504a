"""The audit log (安全审计): one mechanism for every kind of event.

- Record changes: a SQLAlchemy after_flush hook writes one row per created, updated or deleted object
  of every model (except the logs themselves), with old → new values of the changed columns, in the
  same transaction as the change — so a change and its audit row commit or roll back together.
- Logins, logouts and refused access: `event()` writes at once in its own transaction, so the row
  stays even when the request that caused it fails or rolls back.
Actor, address and path come from the request when there is one ("system" for commands).
"""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy.orm import Mapper, Session, UOWTransaction

from crm.core.dml import execute_dml
from crm.extensions import db
from crm.models import (
    AuditEvent,
    Base,
    HistoryEntry,
    LoginLock,
    LoginSession,
    Notification,
    OutgoingMessage,
    ReminderDelivery,
    ReportCache,
    utcnow,
)

# Logs and machine bookkeeping are not audited row by row: they are records of events themselves
# (or, for the report cache, a copy of what is computed from them).
# Sessions and login locks have events of their own (login.*, logout, session.*).
NOT_AUDITED = (
    AuditEvent,
    HistoryEntry,
    LoginLock,
    LoginSession,
    Notification,
    OutgoingMessage,
    ReminderDelivery,
    ReportCache,
)
SECRET_COLUMNS = {"password_hash"}
# Noise: every edit bumps updated_at; a login is its own event; an archived file's bytes stay in the archive.
SKIPPED_COLUMNS = {"updated_at", "last_login_at", "content"}
RETENTION_DAYS = 180  # 网络安全法 第二十一条: network logs kept at least six months


def _value(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} 字节>"
    return value


def _actor_and_place() -> dict[str, object]:
    """Who and where: the signed-in user and the request's address, or the command line."""
    if not has_request_context():
        return {"actor_id": None, "username": "system", "ip": "", "method": "", "path": ""}
    user = current_user if current_user and current_user.is_authenticated else None
    return {
        "actor_id": user.id if user else None,
        "username": user.username if user else "",
        "ip": (request.remote_addr or "")[:45],
        "method": request.method[:8],
        "path": request.path[:255],
    }


def _row(
    action: str,
    entity_type: str | None = None,
    entity_id: int | None = None,
    changes: str | dict[str, list[object]] = "",
    **context: object,
) -> dict[str, object]:
    values = _actor_and_place() | {k: v for k, v in context.items() if v is not None}
    return {
        "at": utcnow(),
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "changes": changes if isinstance(changes, str) else json.dumps(changes, ensure_ascii=False),
        **values,
    }


def event(
    action: str,
    *,
    username: str | None = None,
    entity: Base | None = None,
    note: str = "",
    actor_id: int | None = None,
) -> None:
    """Record a login, logout or refused access now, in its own transaction."""
    row = _row(
        action,
        getattr(entity, "entity_type", None) or (entity.__tablename__ if entity is not None else None),
        getattr(entity, "id", None),
        note,
        username=username,
        actor_id=actor_id,
    )
    try:
        with db.engine.begin() as connection:
            connection.execute(sa.insert(AuditEvent), [row])
    except sa.exc.SQLAlchemyError:
        current_app.logger.exception("audit event %s could not be written: %r", action, row)


def _changes(obj: Base, mapper: Mapper[Base], kind: str) -> dict[str, list[object]]:
    changes = {}
    for column in mapper.column_attrs:
        name = column.key
        if name in SKIPPED_COLUMNS:
            continue
        history = sa.inspect(obj).attrs[name].history
        if kind == "update" and not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = getattr(obj, name) if kind != "delete" else None
        if kind == "delete":
            old = getattr(obj, name)
        if kind == "create" and new is None:
            continue
        if name in SECRET_COLUMNS:
            old, new = ("***" if old else None), "***（已更改）" if new else None
        changes[name] = [_value(old), _value(new)]
    return changes


def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    rows = []
    for kind, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if isinstance(obj, NOT_AUDITED) or not isinstance(obj, Base):
                continue
            mapper = sa.inspect(obj).mapper
            changes = _changes(obj, mapper, kind)
            if kind == "update" and not changes:
                continue
            entity_type = getattr(obj, "entity_type", None) or obj.__tablename__
            rows.append(_row(f"record.{kind}", entity_type, getattr(obj, "id", None), changes))
    if rows:
        session.connection().execute(sa.insert(AuditEvent), rows)


def prune(before: datetime) -> int:
    """Delete entries older than `before`; refuses to touch anything younger than the retention period."""
    oldest_allowed = utcnow() - timedelta(days=RETENTION_DAYS)
    if before > oldest_allowed:
        raise ValueError(
            f"审计日志至少保留 {RETENTION_DAYS} 天，不能删除 {oldest_allowed:%Y-%m-%d} 之后的记录。"
        )
    return execute_dml(sa.delete(AuditEvent).where(AuditEvent.at < before))


def register(app: Flask) -> None:
    """Audit every session's flushes (once per process, however many apps are created)."""
    if not sa.event.contains(Session, "after_flush", _after_flush):
        sa.event.listen(Session, "after_flush", _after_flush)
