"""预警总览: red and yellow counts by region and by cluster, in the reader's scope."""

from flask import Blueprint

bp = Blueprint("warnings", __name__)

from crm.warnings_overview import views  # noqa: E402,F401
