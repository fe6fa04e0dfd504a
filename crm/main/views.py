from flask import jsonify, redirect, url_for

from crm.database import database_ok
from crm.main import bp
from crm.permissions import public, require


@bp.get("/")
@require("account.self")
def index():
    # 我的工作台 arrives with the project pipeline; until then the clusters are home.
    return redirect(url_for("clusters.index"))


@bp.get("/healthz")
@public
def healthz():
    ok = database_ok()
    body = {"status": "ok" if ok else "error", "database": "ok" if ok else "error"}
    return jsonify(body), 200 if ok else 503
