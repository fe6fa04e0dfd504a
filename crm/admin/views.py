import sqlalchemy as sa
from flask import Response, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from crm.admin import bp
from crm.admin.forms import UserForm
from crm.auth import sessions
from crm.auth.services import create_user, generate_password, resolve_scope, set_password
from crm.core import audit
from crm.core.forms import FAILED, ConfirmForm, attach_problems, commit_or_report
from crm.core.listing import paginate
from crm.core.ownership import owner_change_problem
from crm.core.permissions import require
from crm.core.validation import Invalid
from crm.extensions import db
from crm.models import Role, User


def password_issued(user: User, password: str) -> Response:
    """Show a one-time password once; no cache may keep the page."""
    response = make_response(render_template("admin/password_issued.html", user=user, password=password))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/users")
@require("admin.users")
def users():
    q = request.args.get("q", "").strip()
    stmt = sa.select(User).order_by(User.active.desc(), User.username)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(sa.or_(User.username.ilike(like), User.display_name.ilike(like)))
    page = paginate(stmt)
    return render_template("admin/users.html", page=page, q=q, confirm=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
@require("admin.users")
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        password = generate_password(form.username.data or "")
        user = commit_or_report(
            form,
            lambda: _create_user(form, password),
            # a repeat can't show the one-time password again: the list, where it can be reset
            landing=lambda made: url_for("admin.users", q=made.username),
        )
        if user is not FAILED:
            return password_issued(user, password)
    return render_template("admin/user_form.html", form=form, user=None)


def _create_user(form: UserForm, password: str) -> User:
    try:
        return create_user(
            form.username.data or "",
            Role(form.role.data),
            resolve_scope(form.scope.data),
            password,
            display_name=form.display_name.data or "",
            email=form.email.data,
            phone=form.phone.data,
            must_change_password=True,
        )
    except ValueError as error:  # the username is taken, or the password policy refused it
        raise Invalid({"username": str(error)}) from None


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@require("admin.users")
def edit_user(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    form.username.render_kw = {"readonly": True}
    if request.method == "GET":
        form.role.data = user.role.value
        form.scope.data = user.scope_name
    if form.validate_on_submit():
        if form.username.data != user.username:
            attach_problems(form, {"username": "用户名创建后不能修改。"})
        elif user.id == current_user.id and form.role.data != Role.ADMIN:
            attach_problems(form, {"role": "不能取消自己的管理员角色。"})
        elif problem := owner_change_problem(
            user, active=user.active, role=Role(form.role.data), region_id=_region_id(form.scope.data)
        ):
            form.form_errors.append(problem)
        else:
            user.display_name = (form.display_name.data or "").strip()
            user.email = form.email.data or None
            user.phone = form.phone.data or None
            user.role = Role(form.role.data)
            user.region = resolve_scope(form.scope.data)
            db.session.commit()
            flash(f"已保存用户 {user.username}。", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


def _region_id(scope: str) -> int | None:
    region = resolve_scope(scope)
    return region.id if region else None


@bp.post("/users/<int:user_id>/active")
@require("admin.users")
def toggle_active(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        flash("操作未确认，未作任何修改。", "warning")
    elif user.id == current_user.id:
        flash("不能停用自己的账号。", "danger")
    elif user.active and (
        problem := owner_change_problem(user, active=False, role=user.role, region_id=user.region_id)
    ):
        flash(problem, "danger")
    else:
        user.active = not user.active
        if not user.active:
            sessions.end_all(user, "账号已停用")  # a deactivated user's sessions end at once
        db.session.commit()
        flash(f"已{'启用' if user.active else '停用'}用户 {user.username}。", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reset-password")
@require("admin.users")
def reset_password(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        flash("操作未确认，未作任何修改。", "warning")
        return redirect(url_for("admin.users"))
    password = generate_password(user.username)
    set_password(user, password)
    user.must_change_password = True
    db.session.commit()
    return password_issued(user, password)


@bp.post("/users/<int:user_id>/end-sessions")
@require("admin.users")
def end_sessions(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        ended = sessions.end_all(user, "管理员结束会话")
        db.session.commit()
        audit.event("session.ended", username=user.username, note=f"全部会话（{ended} 个）")
        flash(f"已结束用户 {user.username} 的所有会话（{ended} 个）。", "success")
    return redirect(url_for("admin.users"))
