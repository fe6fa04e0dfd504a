"""Admin: search and export the audit log (no edit or delete here or anywhere)."""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import render_template, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from crm.admin import bp
from crm.core.exports import Column, Sheet, write_xlsx, xlsx_response
from crm.core.listing import paginate, query_day, record_id
from crm.core.permissions import require, visible_changes
from crm.core.timeutil import local_zone, utc_moment
from crm.extensions import db
from crm.models import AUDIT_ACTIONS, AuditEvent

EXPORT_LIMIT = 100_000


@dataclass
class AuditFilters:
    user: str = ""
    entity_type: str = ""
    entity_id: int | None = None
    action: str = ""
    start: date | None = None
    end: date | None = None

    @classmethod
    def from_args(cls, args: MultiDict) -> "AuditFilters":
        return cls(
            user=args.get("user", "").strip()[:64],
            entity_type=args.get("entity_type", "").strip()[:32],
            entity_id=args.get("entity_id", type=record_id),
            action=args.get("action", "") if args.get("action") in AUDIT_ACTIONS else "",
            start=args.get("start", type=query_day),
            end=args.get("end", type=query_day),
        )

    def as_args(self) -> dict:
        values = {
            "user": self.user,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "action": self.action,
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
        }
        return {k: v for k, v in values.items() if v not in (None, "")}

    def query(self) -> sa.Select:
        stmt = sa.select(AuditEvent)
        if self.user:
            stmt = stmt.where(AuditEvent.username == self.user)
        if self.entity_type:
            stmt = stmt.where(AuditEvent.entity_type == self.entity_type)
        if self.entity_id is not None:
            stmt = stmt.where(AuditEvent.entity_id == self.entity_id)
        if self.action:
            stmt = stmt.where(AuditEvent.action == self.action)
        zone = local_zone()
        if self.start:
            stmt = stmt.where(AuditEvent.at >= utc_moment(self.start, zone=zone))
        if self.end:
            stmt = stmt.where(AuditEvent.at < utc_moment(self.end + timedelta(days=1), zone=zone))
        return stmt.order_by(AuditEvent.id.desc())


@bp.get("/audit")
@require("admin.audit")
def audit_log():
    filters = AuditFilters.from_args(request.args)
    page = paginate(filters.query())
    entity_types = db.session.scalars(
        sa.select(AuditEvent.entity_type).where(AuditEvent.entity_type.is_not(None)).distinct()
    ).all()
    return render_template(
        "admin/audit.html",
        page=page,
        filters=filters,
        actions=AUDIT_ACTIONS,
        entity_types=sorted(entity_types),
        changes_of=_changes_of,
    )


def _changes_of(event: AuditEvent) -> str:
    """What the page and the export show of a row's changes: only the fields the reader may see."""
    return visible_changes(current_user, event.entity_type, event.changes)


@bp.get("/audit/export")
@require("admin.audit")
def export_audit_log():
    filters = AuditFilters.from_args(request.args)
    rows = (
        (
            e.at,
            e.username,
            e.action_label,
            e.entity_type,
            e.entity_id,
            _changes_of(e),
            e.ip,
            f"{e.method} {e.path}".strip(),
        )
        for e in db.session.scalars(filters.query().limit(EXPORT_LIMIT))
    )
    columns = [
        Column("时间（北京时间）", 18, "datetime"),
        Column("用户", 14),
        Column("事件", 12),
        Column("对象类型", 14),
        Column("对象编号", 10, "int"),
        Column("内容（旧值 → 新值）", 60),
        Column("地址", 16),
        Column("请求", 30),
    ]
    content = write_xlsx([Sheet("审计日志", columns, rows)], local_zone())
    return xlsx_response(content, f"审计日志_{date.today():%Y%m%d}.xlsx")
