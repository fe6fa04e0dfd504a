"""Reports: the head dashboard and the weekly 调度会 summary, both for a scope (city, region, cluster)."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from crm.reports import dashboard_views, target_views, weekly_views  # noqa: E402,F401
