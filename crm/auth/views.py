from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from crm.auth import bp, throttle
from crm.auth.forms import ChangePasswordForm, LoginForm
from crm.auth.services import authenticate, set_password
from crm.core import audit
from crm.core.forms import attach_problems
from crm.core.permissions import public, require
from crm.core.urls import same_site_path
from crm.extensions import db
from crm.models import utcnow
from crm.templating import local_time


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
        username, now = (form.username.data or "").strip(), utcnow()
        until = throttle.locked_until(username, now)
        if until is not None:
            audit.event("login.locked", username=username)
            flash(f"登录失败次数过多，请于 {local_time(until, '%H:%M')} 后再试。", "danger")
            return render_template("auth/login.html", form=form), 200
        throttle.slow_down(request.remote_addr or "", now)
        user = authenticate(username, form.password.data or "")
        if user is None:
            audit.event("login.failure", username=username)
            flash("用户名或密码错误。", "danger")
            return render_template("auth/login.html", form=form), 200
        audit.event("login.success", username=username, actor_id=user.id)
        session.clear()  # a fresh session at every login
        login_user(user)
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
            set_password(user, form.new_password.data or "")
            user.must_change_password = False
            db.session.commit()
            login_user(user)  # the session moves to the new generation; others end
            flash("密码已修改。", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)
