"""Admin: the yearly exchange rates (人民币 per 美元) that 超亿美元 and USD sums need (crm.outcomes.rates)."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import HiddenField, IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange

from crm.admin import bp
from crm.core.forms import FAILED, AmountField, OnceForm, commit_or_report
from crm.core.permissions import require
from crm.core.timeutil import local_today
from crm.core.validation import RATE
from crm.extensions import db
from crm.models import ExchangeRate
from crm.outcomes.rates import YEAR_MAX, YEAR_MIN, save_rate


class RateForm(OnceForm):
    year = IntegerField(
        "年份",
        validators=[
            InputRequired("请填写年份。"),
            NumberRange(YEAR_MIN, YEAR_MAX, f"年份须在 {YEAR_MIN} 到 {YEAR_MAX} 之间。"),
        ],
    )
    cny_per_usd = AmountField(
        "汇率（人民币元/美元）", RATE, description="1 美元兑人民币元数，最多四位小数，如 7.1234"
    )
    note = StringField("说明/来源", validators=[Length(max=200)], description="如：国家外汇管理局 年平均汇率")
    editing = HiddenField()  # the year the form was opened to edit; empty when adding
    submit = SubmitField("保存")


@bp.route("/rates", methods=["GET", "POST"])
@require("admin.rates")
def rates() -> ResponseReturnValue:
    form = RateForm()
    editing = _year_arg(request.args.get("year", ""))
    row = db.session.scalar(sa.select(ExchangeRate).where(ExchangeRate.year == editing)) if editing else None
    if request.method == "GET":
        if row is not None:
            form.year.data, form.cny_per_usd.data, form.note.data = row.year, row.cny_per_usd, row.note
            form.editing.data = str(row.year)
        else:
            form.year.data = local_today().year
    if form.validate_on_submit():
        landing = url_for("admin.rates")
        saved = commit_or_report(
            form,
            lambda: save_rate(
                form.year.data,
                form.cny_per_usd.data,
                form.note.data or "",
                current_user,
                _year_arg(form.editing.data or ""),
            ),
            landing=lambda _saved: landing,
        )
        if saved is not FAILED:
            flash(f"已保存 {saved.year} 年汇率：1 美元 = {saved.cny_per_usd} 元人民币。", "success")
            return redirect(landing)
    rows = db.session.scalars(
        sa.select(ExchangeRate)
        .options(joinedload(ExchangeRate.updated_by))
        .order_by(ExchangeRate.year.desc())
    ).all()
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/rates.html", form=form, rows=rows, editing=row, this_year=local_today().year
    ), status


def _year_arg(text: str) -> int | None:
    """A year from the query string or the hidden field; None for anything else."""
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) == 4 and YEAR_MIN <= int(text) <= YEAR_MAX:
        return int(text)
    return None
