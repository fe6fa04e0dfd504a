"""The weekly 调度会 summary: the page, its exports, 督办 instructions and the archive of record."""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from crm.core.choices import region_choices
from crm.core.exports import file_response
from crm.core.forms import FAILED, ConfirmForm, OnceForm, commit_or_report
from crm.core.listing import page_of, paginate
from crm.core.permissions import authorize, in_scope, refuse, require, scope_clause
from crm.core.timeutil import local_today, local_zone
from crm.core.urls import same_site_path
from crm.extensions import db
from crm.models import Cluster, Item, Project, ReportArchive, TargetCompany
from crm.reports import bp, records
from crm.reports.cache import weekly_summary
from crm.reports.documents import MIMETYPES, render
from crm.reports.scope import ScopeError, from_args
from crm.reports.weekly import PARTS, WeeklySummary
from crm.reports.weeks import IsoWeek

WINDOW_PAGE_SIZE = 100  # rows of one summary table per page
ARCHIVED_FORMATS = ("xlsx", "docx")


class ArchiveForm(OnceForm):
    """存档 of one format: its own one-time token, so a double tap keeps one copy."""


def _summary() -> WeeklySummary:
    """The summary the query string asks for (?week=2026-W48&region=…|cluster=…); 400/403 otherwise."""
    zone = local_zone()
    code = request.args.get("week", "")
    try:
        week = IsoWeek.parse(code, zone) if code else IsoWeek.of(local_today(), zone).shifted(-1)
        scope = from_args(current_user, request.args)
    except ScopeError as error:
        abort(403, str(error))
    except ValueError as error:
        abort(400, str(error))
    try:
        return weekly_summary(week, scope)
    except ValueError as error:
        abort(400, str(error))


class RowsPagination(Pagination):
    """Flask-SQLAlchemy's Pagination over rows already in memory (one table of a built summary),
    so the page uses the same render_pagination as every list."""

    def _query_items(self) -> list:
        rows = self._query_args["rows"]
        return rows[self._query_offset : self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["rows"])


@dataclass(frozen=True)
class Window:
    """Which rows of the summary's tables the page shows: the first few of every table, or one table
    page by page (?part=warnings&page=2). Files always hold every row."""

    part: str | None = None
    pagination: RowsPagination | None = None
    preview: int = 20

    def shows(self, key: str) -> bool:
        return self.part is None or self.part == key

    def rows(self, key: str, rows: list) -> list:
        if self.part is None:
            return rows[: self.preview]
        if key != self.part or self.pagination is None:
            return []
        return self.pagination.items


def _window(summary: WeeklySummary) -> Window:
    """The window ?part=&page= asks for: 400 for an unknown table, its last page for a page past its end."""
    part = request.args.get("part")
    if part is None:
        return Window()
    if part not in PARTS:
        abort(400, "未知的周调度表格。")
    rows = summary.rows_of(part)
    return Window(
        part, page_of(lambda page: RowsPagination(page, WINDOW_PAGE_SIZE, error_out=False, rows=rows))
    )


@bp.get("/weekly")
@require("report.view")
def weekly():
    summary = _summary()
    window = _window(summary)
    this_week = IsoWeek.of(local_today(), local_zone())
    clusters = db.session.scalars(sa.select(Cluster).order_by(Cluster.id)).all()
    return render_template(
        "reports/weekly.html",
        summary=summary,
        this_week=this_week,
        regions=region_choices(current_user),
        clusters=clusters,
        form=ConfirmForm(),
        archive_forms={fmt: ArchiveForm() for fmt in ARCHIVED_FORMATS},
        formats=MIMETYPES,
        window=window,
    )


@bp.get("/weekly/export")
@require("report.view")
def weekly_export():
    summary = _summary()
    fmt = request.args.get("format", "xlsx")
    if fmt not in MIMETYPES:
        abort(400, "导出格式须为 xlsx、docx 或 html。")
    filename, content = render(summary, fmt)
    return file_response(content, filename, MIMETYPES[fmt])


@bp.post("/weekly/archive")
@require("report.archive")
def archive_weekly():
    summary = _summary()
    fmt = request.form.get("format", "xlsx")
    if fmt not in MIMETYPES:
        abort(400, "导出格式须为 xlsx、docx 或 html。")
    form = ArchiveForm()
    if not form.validate_on_submit():
        flash("；".join(form.form_errors) or "存档未确认，未作任何修改。", "danger")
        return redirect(url_for("reports.weekly", week=summary.week.code, **_scope_args()))
    filename, content = render(summary, fmt)
    landing = url_for("reports.archive_list", week=summary.week.code)
    saved = commit_or_report(
        form,
        lambda: records.archive(summary, fmt, filename, content, current_user),
        landing=lambda _record: landing,
    )
    if saved is not FAILED:
        flash(f"已存档：{filename}。", "success")
    return redirect(landing)


@bp.post("/weekly/instructions/<kind>/<int:item_id>")
@require("report.supervise")
def set_instruction(kind: str, item_id: int) -> ResponseReturnValue:
    """A head's 督办 instruction on one item of the week's 通报 list."""
    item = authorize("report.supervise", authorize(f"{kind}.view", _item(kind, item_id)))
    try:
        week = IsoWeek.parse(request.form.get("week", ""), local_zone())
        text = request.form.get("text", "")
        records.set_instruction(item, week.code, text, current_user)
        try:
            db.session.commit()
        except IntegrityError:  # the same note saved at the same moment (a double tap): now an edit
            db.session.rollback()
            records.set_instruction(item, week.code, text, current_user)
            db.session.commit()
    except ValueError as error:
        flash(str(error), "danger")
        return redirect(same_site_path(request.referrer, request.host) or url_for("reports.weekly"))
    flash(f"已保存对“{item.name}”的督办意见。", "success")
    back = url_for("reports.weekly", week=week.code, **_scope_args())
    return redirect(back + f"#item-{kind}-{item_id}")


@bp.get("/archive")
@require("report.view")
def archive_list():
    stmt = (
        sa.select(ReportArchive)
        .options(joinedload(ReportArchive.created_by), sa.orm.defer(ReportArchive.content))
        .where(scope_clause(current_user, ReportArchive.region_id))
        .order_by(ReportArchive.id.desc())
    )
    week = request.args.get("week", "").strip()[:8]
    if week:
        stmt = stmt.where(ReportArchive.week == week)
    page = paginate(stmt)
    return render_template("reports/archive.html", page=page, week=week)


@bp.get("/archive/<int:archive_id>")
@require("report.view")
def archive_download(archive_id: int) -> ResponseReturnValue:
    record = db.session.get(ReportArchive, archive_id) or abort(404)
    if not in_scope(current_user, record.region_id):
        refuse(404, "report.view", record)
    return file_response(record.content, record.filename, MIMETYPES[record.fmt])


def _item(kind: str, item_id: int) -> Item | None:
    """The target company or project of a 通报 row; 404 for another kind."""
    if kind == "target":
        return db.session.get(TargetCompany, item_id)
    if kind == "project":
        return db.session.get(Project, item_id)
    abort(404)


def _scope_args() -> dict[str, Any]:
    return {k: v for k in ("region", "cluster") if (v := request.form.get(k) or request.args.get(k))}
