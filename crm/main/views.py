import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from crm.core.forms import ConfirmForm, FollowUpForm
from crm.core.listing import paginate
from crm.core.notifications import mark_read
from crm.core.permissions import public, refuse, require
from crm.core.timeutil import local_today
from crm.core.workdays import add_working_days
from crm.database import database_ok
from crm.extensions import db
from crm.main import bp
from crm.main.desk import GROUPS, desk_items
from crm.models import Notification
from crm.reminders.services import digest_items
from crm.stall.badges import stalls_for


@bp.get("/")
@require("desk.view")
def index():
    """我的工作台: the landing page after login."""
    today = local_today()
    desk = desk_items(current_user, today)
    form = FollowUpForm(occurred_on=today, next_follow_up_on=add_working_days(today, 5))
    return render_template(
        "main/desk.html", desk=desk, items=desk.items, groups=GROUPS, today=today, form=form
    )


@bp.get("/healthz")
@public
def healthz():
    ok = database_ok()
    body = {"status": "ok" if ok else "error", "database": "ok" if ok else "error"}
    return jsonify(body), 200 if ok else 503


@bp.get("/notifications")
@require("notification.view")
def notifications():
    page = paginate(
        sa.select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.read_at.is_not(None), Notification.id.desc())
    )
    return render_template("main/notifications.html", page=page, form=ConfirmForm())


def _own_notification(notification_id: int) -> Notification:
    """The signed-in user's message; anyone else's is refused (audited) as if it did not exist."""
    message = db.session.get(Notification, notification_id)
    if message is None:
        abort(404)
    if message.user_id != current_user.id:
        refuse(404, "notification.view", message)
    return message


@bp.get("/notifications/<int:notification_id>")
@require("notification.view")
def notification(notification_id: int) -> ResponseReturnValue:
    """A message in full; a reminder digest lists its items with their warning as of now."""
    message = _own_notification(notification_id)
    items = digest_items(message)
    stalls = stalls_for(items)
    return render_template(
        "main/notification.html", message=message, items=items, stalls=stalls, form=ConfirmForm()
    )


@bp.post("/notifications/<int:notification_id>/read")
@require("notification.view")
def read_notification(notification_id: int) -> ResponseReturnValue:
    message = _own_notification(notification_id)
    mark_read(current_user, notification_id)
    db.session.commit()
    target = message.link if message.link.startswith("/") and not message.link.startswith("//") else None
    return redirect(target or url_for("main.notifications"))


@bp.post("/notifications/read-all")
@require("notification.view")
def read_all_notifications():
    count = mark_read(current_user)
    db.session.commit()
    flash(f"已将 {count} 条消息标为已读。", "success")
    return redirect(url_for("main.notifications"))
