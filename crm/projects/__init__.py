from flask import Blueprint

bp = Blueprint("projects", __name__)

from crm.projects import imports, list_views, problem_views, views  # noqa: E402,F401
