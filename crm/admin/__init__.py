from flask import Blueprint

bp = Blueprint("admin", __name__)

from crm.admin import audit_views, calendar_views, delivery_views, login_views, rate_views, views  # noqa: E402,F401
