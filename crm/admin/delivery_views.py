"""Admin: reminder messages — the outbox (no SMTP configured), the delivery log, failures and retry."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import joinedload

from crm.admin import bp
from crm.core.forms import ConfirmForm
from crm.core.listing import paginate
from crm.core.permissions import require
from crm.extensions import db
from crm.models import CHANNELS, MESSAGE_STATUSES, OutgoingMessage, ReminderDelivery
from crm.reminders.digest import KIND_LABELS
from crm.reminders.services import requeue, send, take
from crm.stall.rules import LEVEL_LABELS

# The tabs of the page: which statuses each shows.
VIEWS = {
    "": ("全部", None),
    "outbox": ("发件箱", ("outbox",)),
    "problems": ("失败与待重试", ("failed", "pending")),
    "sent": ("已发送", ("sent",)),
}


@bp.get("/messages")
@require("admin.deliveries")
def messages():
    view = request.args.get("view", "") if request.args.get("view") in VIEWS else ""
    channel = request.args.get("channel", "") if request.args.get("channel") in CHANNELS else ""
    stmt = sa.select(OutgoingMessage).options(joinedload(OutgoingMessage.recipient))
    statuses = VIEWS[view][1]
    if statuses:
        stmt = stmt.where(OutgoingMessage.status.in_(statuses))
    if channel:
        stmt = stmt.where(OutgoingMessage.channel == channel)
    page = paginate(stmt.order_by(OutgoingMessage.id.desc()))
    counts = dict(
        db.session.execute(
            sa.select(OutgoingMessage.status, sa.func.count()).group_by(OutgoingMessage.status)
        )
        .tuples()
        .all()
    )
    return render_template(
        "admin/messages.html",
        page=page,
        view=view,
        channel=channel,
        views=VIEWS,
        channels=CHANNELS,
        counts=counts,
        statuses=MESSAGE_STATUSES,
    )


@bp.get("/messages/<int:message_id>")
@require("admin.deliveries")
def message(message_id: int) -> ResponseReturnValue:
    found = db.get_or_404(OutgoingMessage, message_id)
    deliveries = db.session.scalars(
        sa.select(ReminderDelivery)
        .where(ReminderDelivery.message_id == found.id)
        .order_by(ReminderDelivery.id)
    ).all()
    return render_template(
        "admin/message.html",
        message=found,
        deliveries=deliveries,
        kinds=KIND_LABELS,
        levels=LEVEL_LABELS,
        form=ConfirmForm(),
    )


@bp.post("/messages/<int:message_id>/retry")
@require("admin.deliveries")
def retry_message(message_id: int) -> ResponseReturnValue:
    """Send a failed or waiting message again now (the scheduler would retry pending ones anyway)."""
    found = db.get_or_404(OutgoingMessage, message_id)
    if not ConfirmForm().validate_on_submit():
        flash("请求已过期，请重试。", "danger")
        return redirect(url_for("admin.message", message_id=found.id))
    now = datetime.now(UTC)
    try:
        requeue(found, now)
    except ValueError as error:
        flash(str(error), "warning")
        return redirect(url_for("admin.message", message_id=found.id))
    taken = take(found.id, now, OutgoingMessage.status == "pending")
    if taken is None:
        flash("该消息正由定时任务发送，请稍后刷新查看结果。", "info")
    elif send(taken, now):
        flash("已重新发送。", "success")
    else:
        flash(f"仍未发送成功：{taken.last_error}（系统将按退避时间自动重试）", "danger")
    return redirect(url_for("admin.message", message_id=found.id))
