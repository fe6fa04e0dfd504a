"""Import of the 项目清单 from .xlsx / .csv: upload → preview → decide about duplicates → commit.

The same flow and guarantees as the 招商清单 import (crm.targets.import_views): a batch belongs to
its uploader (anyone else gets 404; admins may look at every batch, but only the uploader commits).
"""

import os

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField

from crm.core.exports import xlsx_response
from crm.core.forms import Form
from crm.core.permissions import refuse, require
from crm.extensions import db
from crm.imports.kinds import PROJECTS
from crm.imports.reader import ImportFileError, Settings, size
from crm.imports.views import BAD_ROWS_SHOWN, ImportCommitForm
from crm.imports.views import parse_decisions as _decisions
from crm.models import ImportBatch, Role
from crm.projects import bp
from crm.projects.import_columns import template_xlsx
from crm.projects.importer import analyse, bad_rows_file, check_file, commit_import

KIND = "project"


class ProjectImportUploadForm(Form):
    file = FileField(
        "项目清单文件",
        validators=[FileRequired("请选择要导入的文件。")],
        render_kw={"accept": ".xlsx,.csv"},
    )
    submit = SubmitField("上传并预览")


def _settings() -> Settings:
    return Settings.from_config(current_app.config)


def _load_batch(batch_id: int, to_commit: bool = False) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.kind != KIND:
        abort(404)
    if batch.user_id != current_user.id and (to_commit or current_user.role != Role.ADMIN):
        refuse(404, "project.import", batch)  # someone else's upload: audited, and no hint it exists
    return batch


@bp.route("/import", methods=["GET", "POST"])
@require("project.create")
def import_upload():
    form = ProjectImportUploadForm()
    settings = _settings()
    limits = settings.limits
    form.file.description = (
        f"支持 .xlsx 和 .csv（UTF-8 或 GBK 编码），不超过 {size(limits.max_bytes)}、{limits.max_rows:,} 行。"
    )
    if form.validate_on_submit():
        upload = form.file.data
        filename = os.path.basename((upload.filename or "").replace("\\", "/"))[-255:]
        content = upload.read(limits.max_bytes + 1)
        try:
            check_file(filename, content, settings)
        except ImportFileError as error:
            form.file.errors = [*form.file.errors, str(error)]
        else:
            batch = ImportBatch(kind=KIND, user_id=current_user.id, filename=filename, content=content)
            db.session.add(batch)
            db.session.commit()
            return redirect(url_for("projects.import_preview", batch_id=batch.id))
    return render_template("projects/import_upload.html", form=form)


@bp.get("/import/template.xlsx")
@require("project.create")
def import_template():
    content = template_xlsx(current_user, _settings().today)
    return xlsx_response(content, "项目清单导入模板.xlsx")


def render_preview(batch: ImportBatch, analysis=None, error: str = "", decisions=None):
    if analysis is None and batch.status == "preview" and not error:
        try:
            analysis = analyse(batch.filename, batch.content, batch.user, _settings())
        except ImportFileError as problem:
            error = str(problem)
    default = "update" if request.args.get("default") == "update" else "skip"
    return render_template(
        "imports/preview.html",
        imp=PROJECTS,
        batch=batch,
        analysis=analysis,
        error=error,
        form=ImportCommitForm(),
        decisions=decisions or {},
        default_decision=default,
        bad_rows_shown=BAD_ROWS_SHOWN,
    )


@bp.get("/import/<int:batch_id>")
@require("project.create")
def import_preview(batch_id: int):
    return render_preview(_load_batch(batch_id))


@bp.post("/import/<int:batch_id>/commit")
@require("project.create")
def import_commit(batch_id: int):
    batch = _load_batch(batch_id, to_commit=True)
    if not ImportCommitForm().validate_on_submit():
        abort(400)
    decisions = _decisions(request.form)
    try:
        outcome = commit_import(batch, current_user, decisions, _settings())
    except ImportFileError as error:
        db.session.rollback()
        return render_preview(batch, error=str(error))
    if not outcome.ok:
        if outcome.analysis is None:
            flash(outcome.message, "warning")
            return redirect(url_for("projects.import_preview", batch_id=batch.id))
        return render_preview(batch, outcome.analysis, outcome.message, decisions)
    db.session.commit()
    flash(outcome.message, "success")
    return redirect(url_for("projects.index"))


@bp.get("/import/<int:batch_id>/errors.xlsx")
@require("project.create")
def import_errors(batch_id: int):
    batch = _load_batch(batch_id)
    if batch.status != "preview":
        flash("该文件已经导入，没有错误行。", "info")
        return redirect(url_for("projects.import_preview", batch_id=batch.id))
    try:
        analysis = analyse(batch.filename, batch.content, batch.user, _settings())
    except ImportFileError as error:
        flash(str(error), "danger")
        return redirect(url_for("projects.import_preview", batch_id=batch.id))
    stem = os.path.splitext(batch.filename)[0] or "导入"
    return xlsx_response(bad_rows_file(analysis), f"{stem}-错误行.xlsx")
