"""Admin: login locks (see and lift) and live sessions (see and end one), each action audited."""

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from crm.admin import bp
from crm.auth import sessions, throttle
from crm.core import audit
from crm.core.forms import ConfirmForm
from crm.core.permissions import require
from crm.extensions import db
from crm.models import LoginLock, LoginSession, utcnow


@bp.get("/logins")
@require("admin.users")
def logins() -> ResponseReturnValue:
    now = utcnow()
    return render_template(
        "admin/logins.html",
        locks=throttle.current_locks(now),
        recent=throttle.recent_locks(now),
        live=sessions.live_sessions(),
        rules=throttle,
        confirm=ConfirmForm(),
    )


@bp.post("/logins/locks/<int:lock_id>/lift")
@require("admin.users")
def lift_lock(lock_id: int) -> ResponseReturnValue:
    lock = db.get_or_404(LoginLock, lock_id)
    if not ConfirmForm().validate_on_submit():
        flash("操作未确认，未作任何修改。", "warning")
    elif lock.lifted_at is not None or lock.locked_until <= utcnow():
        flash(f"账号 {lock.username} 在 {lock.ip} 的锁定已不在生效中，无需解除。", "info")
    else:
        throttle.lift(lock, current_user._get_current_object())
        flash(f"已解除账号 {lock.username} 在 {lock.ip} 的登录锁定。", "success")
    return redirect(url_for("admin.logins"))


@bp.post("/logins/sessions/<int:session_id>/end")
@require("admin.users")
def end_session(session_id: int) -> ResponseReturnValue:
    row = db.get_or_404(LoginSession, session_id)
    if not ConfirmForm().validate_on_submit():
        flash("操作未确认，未作任何修改。", "warning")
    elif row.ended_at is not None:
        flash("该会话已结束。", "info")
    else:
        sessions.end_one(row, "管理员结束会话")
        db.session.commit()
        audit.event("session.ended", username=row.user.username, note=f"来源地址 {row.ip} 的一个会话")
        flash(f"已结束用户 {row.user.username} 的这个会话。", "success")
    return redirect(url_for("admin.logins"))
