from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from crm.auth import bp, sessions, throttle
from crm.auth.forms import ChangePasswordForm, LoginForm
from crm.auth.services import authenticate, set_password
from crm.core import audit
from crm.core.forms import attach_problems
from crm.core.permissions import public, require
from crm.core.urls import same_site_path
from crm.extensions import db
from crm.models import utcnow


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (crm.core.urls.same_site_path)."""
    return same_site_path(target) or url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        username, ip, now = (form.username.data or "").strip(), request.remote_addr or "", utcnow()
        refused = throttle.refusal(username, ip, now)
        if refused is not None:
            audit.event("login.refused", username=username, note=refused.message)
            flash(refused.message, "danger")
            page = render_template("auth/login.html", form=form)
            return page, 429, {"Retry-After": refused.retry_after_header}
        user = authenticate(username, form.password.data or "")
        if user is None:
            lock = throttle.record_failure(username, ip, now)
            flash("用户名或密码错误。" + (throttle.locked(lock, now).message if lock else ""), "danger")
            return render_template("auth/login.html", form=form), 200
        audit.event("login.success", username=username, actor_id=user.id)
        session.clear()  # a fresh session at every login
        login_user(user)
        sessions.open_for(user)
        user.last_login_at = utcnow()
        db.session.commit()
        if user.must_change_password:
            flash("首次登录，请先修改密码。", "warning")
            return redirect(url_for("auth.change_password"))
        return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@require("account.self")
def logout():
    audit.event("logout")
    sessions.end_current("退出登录")
    db.session.commit()
    logout_user()
    session.clear()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@require("account.self")
def change_password():
    form = ChangePasswordForm(current_user.username)
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            attach_problems(form, {"current_password": "当前密码不正确。"})
        else:
            user = current_user._get_current_object()
            set_password(user, form.new_password.data or "")  # ends every session of the user…
            sessions.open_for(user)  # …and this one goes on as a new one
            user.must_change_password = False
            db.session.commit()
            flash("密码已修改。", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)
