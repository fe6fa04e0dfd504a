"""A list's import pages: upload → preview → decide about duplicates → commit, and the two downloads.

add_routes puts the five pages on the list's blueprint behind its permission. A batch belongs to its
uploader: anyone else gets 404 (admins may look at every batch, but only the uploader commits it,
and every check is made as the uploader).
"""

import os
from collections.abc import Callable
from functools import partial

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import SubmitField

from crm.core.exports import xlsx_response
from crm.core.forms import FAILED, Form, OnceForm, commit_or_report
from crm.core.permissions import refuse, require
from crm.core.request_values import CONTROL_CHARACTERS
from crm.extensions import db
from crm.imports.commit import commit_import
from crm.imports.preview import Analysis, analyse, bad_rows_file, check_file
from crm.imports.reader import ImportFileError, Settings, size
from crm.imports.spec import Context, ListImport
from crm.models import ImportBatch, Role

BAD_ROWS_SHOWN = 500  # the page lists this many; the download has them all


class ImportUploadForm(OnceForm):
    file = FileField(
        "文件",  # named for the list on the page (招商清单文件)
        validators=[FileRequired("请选择要导入的文件。")],
        render_kw={"accept": ".xlsx,.csv"},
    )
    submit = SubmitField("上传并预览")


class ImportCommitForm(Form):
    submit = SubmitField("确认导入")


def add_routes(bp: Blueprint, spec: ListImport) -> None:
    """The import's pages on the list's blueprint (endpoints import_upload … import_errors)."""
    guard = require(spec.permission)
    pages: list[tuple[str, str, Callable[..., ResponseReturnValue], list[str]]] = [
        ("/import", "import_upload", upload, ["GET", "POST"]),
        ("/import/template.xlsx", "import_template", template, ["GET"]),
        ("/import/<int:batch_id>", "import_preview", preview, ["GET"]),
        ("/import/<int:batch_id>/commit", "import_commit", commit, ["POST"]),
        ("/import/<int:batch_id>/errors.xlsx", "import_errors", errors, ["GET"]),
    ]
    for rule, endpoint, page, methods in pages:
        bp.add_url_rule(rule, endpoint, guard(partial(page, spec)), methods=methods)


def _settings() -> Settings:
    return Settings.from_config(current_app.config)


def _context(batch: ImportBatch) -> Context:
    """Every check is made as the uploader, whoever looks."""
    return Context(batch.user, batch.filename, _settings())


def _load_batch(spec: ListImport, batch_id: int, to_commit: bool = False) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.kind != spec.kind:
        abort(404)
    if batch.user_id != current_user.id and (to_commit or current_user.role != Role.ADMIN):
        refuse(404, f"{spec.kind}.import", batch)  # someone else's upload: audited, and no hint it exists
    return batch


def _filename(upload: FileStorage) -> str:
    """The file's own name, without any folder a browser sent or control characters, short enough to keep."""
    name = os.path.basename(CONTROL_CHARACTERS.sub("", upload.filename or "").replace("\\", "/"))
    return name[-255:]


def upload(spec: ListImport) -> ResponseReturnValue:
    """The upload page; a usable file becomes a batch, shown as its preview."""
    form = ImportUploadForm()
    form.file.label.text = f"{spec.words.list_label}文件"
    settings = _settings()
    limits = settings.limits
    form.file.description = (
        f"支持 .xlsx 和 .csv（UTF-8 或 GBK 编码），不超过 {size(limits.max_bytes)}、{limits.max_rows:,} 行。"
    )
    if form.validate_on_submit():
        filename = _filename(form.file.data)
        content = form.file.data.read(limits.max_bytes + 1)
        try:
            check_file(spec, filename, content, settings)
        except ImportFileError as error:
            form.file.errors = [*form.file.errors, str(error)]
        else:
            batch = commit_or_report(
                form,
                lambda: _new_batch(spec, filename, content),
                landing=lambda made: url_for(f"{spec.words.bp}.import_preview", batch_id=made.id),
            )
            if batch is not FAILED:
                return redirect(url_for(f"{spec.words.bp}.import_preview", batch_id=batch.id))
    return render_template("imports/upload.html", imp=spec.words, form=form)


def _new_batch(spec: ListImport, filename: str, content: bytes) -> ImportBatch:
    batch = ImportBatch(kind=spec.kind, user_id=current_user.id, filename=filename, content=content)
    db.session.add(batch)
    db.session.flush()
    return batch


def template(spec: ListImport) -> ResponseReturnValue:
    """The template to fill in, with the values the user may use."""
    content = spec.template(current_user, _settings().today)
    return xlsx_response(content, f"{spec.words.list_label}导入模板.xlsx")


def render_preview(
    spec: ListImport,
    batch: ImportBatch,
    analysis: Analysis | None = None,
    error: str = "",
    decisions: dict[int, str] | None = None,
) -> str:
    """The preview of batch: its analysis (made now unless given), or what stopped it."""
    if analysis is None and batch.status == "preview" and not error:
        try:
            analysis = analyse(spec, batch.content, _context(batch))
        except ImportFileError as problem:
            error = str(problem)
    default = "update" if request.args.get("default") == "update" else "skip"
    return render_template(
        "imports/preview.html",
        imp=spec.words,
        batch=batch,
        analysis=analysis,
        error=error,
        form=ImportCommitForm(),
        decisions=decisions or {},
        default_decision=default,
        bad_rows_shown=BAD_ROWS_SHOWN,
    )


def preview(spec: ListImport, batch_id: int) -> ResponseReturnValue:
    """The preview page."""
    return render_preview(spec, _load_batch(spec, batch_id))


def commit(spec: ListImport, batch_id: int) -> ResponseReturnValue:
    """Write the batch with the user's decisions, or show the preview with why not."""
    batch = _load_batch(spec, batch_id, to_commit=True)
    if not ImportCommitForm().validate_on_submit():
        abort(400)
    decisions = parse_decisions(request.form)
    try:
        outcome = commit_import(spec, batch, current_user, decisions, _settings())
    except ImportFileError as error:
        db.session.rollback()
        return render_preview(spec, batch, error=str(error))
    if not outcome.ok:
        if outcome.analysis is None:
            flash(outcome.message, "warning")
            return redirect(url_for(f"{spec.words.bp}.import_preview", batch_id=batch.id))
        return render_preview(spec, batch, outcome.analysis, outcome.message, decisions)
    db.session.commit()
    flash(outcome.message, "success")
    return redirect(url_for(f"{spec.words.bp}.index"))


def parse_decisions(form: MultiDict[str, str]) -> dict[int, str]:
    """decision-<row number> = skip | update."""
    decisions = {}
    for key, value in form.items():
        number = key.removeprefix("decision-")
        if number != key and number.isdigit():
            decisions[int(number)] = value
    return decisions


def errors(spec: ListImport, batch_id: int) -> ResponseReturnValue:
    """The bad rows as an .xlsx, with their reasons."""
    batch = _load_batch(spec, batch_id)
    if batch.status != "preview":
        flash("该文件已经导入，没有错误行。", "info")
        return redirect(url_for(f"{spec.words.bp}.import_preview", batch_id=batch.id))
    try:
        analysis = analyse(spec, batch.content, _context(batch))
    except ImportFileError as error:
        flash(str(error), "danger")
        return redirect(url_for(f"{spec.words.bp}.import_preview", batch_id=batch.id))
    stem = os.path.splitext(batch.filename)[0] or "导入"
    return xlsx_response(bad_rows_file(spec, analysis), f"{stem}-错误行.xlsx")
