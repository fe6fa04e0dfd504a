from flask import Blueprint

bp = Blueprint("clusters", __name__)

from crm.clusters import views  # noqa: E402,F401
