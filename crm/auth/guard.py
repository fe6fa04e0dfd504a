"""Login required everywhere: one check before every request, failing closed."""

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

from crm.auth import sessions
from crm.extensions import login_manager
from crm.models import User

# Endpoints served by extensions rather than our views.
STATIC_ENDPOINTS = frozenset({"static", "bootstrap.static"})
# What a user who must change their password may still reach.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.logout"})


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of an open server-side session (crm.auth.sessions), else nobody."""
    return sessions.load(user_id)


def check_access():
    endpoint = request.endpoint
    if endpoint is None or endpoint in STATIC_ENDPOINTS:
        return None  # 404/405 handlers, or static files
    view = current_app.view_functions[endpoint]
    if getattr(view, "public", False):
        return None
    if not current_user.is_authenticated:
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(401)
    if not hasattr(view, "permission"):
        current_app.logger.error("view %s declares no permission: refused", endpoint)
        abort(403)
    if current_user.must_change_password and endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        return redirect(url_for("auth.change_password"))
    return None


def register(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.session_protection = "basic"
    app.before_request(check_access)
