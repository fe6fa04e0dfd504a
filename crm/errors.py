"""Friendly Chinese error pages; no stack trace ever reaches a user."""

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from crm.extensions import db

MESSAGES = {
    400: ("请求有误", "提交的内容无法处理，请返回检查后重试。"),
    401: ("需要登录", "请先登录后再操作。"),
    403: ("没有权限", "您没有权限访问此页面或执行此操作。如需权限，请联系管理员。"),
    404: ("页面不存在", "您要找的页面或记录不存在，或不在您的权限范围内。"),
    405: ("请求方式不允许", "此页面不支持该请求方式。"),
    413: ("文件过大", "上传的文件超过大小限制。"),
    500: ("系统错误", "系统出现错误，已记录。请稍后重试或联系管理员。"),
}


def render_error(code: int, detail: str | None = None) -> ResponseReturnValue:
    title, message = MESSAGES.get(code, MESSAGES[500])
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": title, "message": detail or message}), code
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return render_error(400, "页面已过期或表单校验失败，请刷新页面后重新提交。")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        # abort(code, "中文说明") gives the reason; werkzeug's own English defaults are not shown.
        given = error.description if error.description != type(error).description else None
        return render_error(error.code or 500, given)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> ResponseReturnValue:
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)
