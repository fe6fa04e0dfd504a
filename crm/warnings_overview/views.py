"""The 预警总览 page."""

from flask import render_template
from flask_login import current_user

from crm.core.permissions import require
from crm.warnings_overview import bp
from crm.warnings_overview.services import warning_overview


@bp.get("/warnings")
@require("warning.view")
def overview():
    return render_template("warnings/overview.html", overview=warning_overview(current_user))
