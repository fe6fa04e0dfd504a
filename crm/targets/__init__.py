from flask import Blueprint

bp = Blueprint("targets", __name__)

from crm.targets import imports, views  # noqa: E402,F401
