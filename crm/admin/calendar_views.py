"""Admin: stall rules (停滞规则) and the working-day calendar (节假日/调休 beyond chinese-calendar)."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms import BooleanField, DateField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from crm.admin import bp
from crm.core import history
from crm.core.forms import FAILED, ConfirmForm, Form, OnceForm, commit_or_report
from crm.core.permissions import require
from crm.core.timeutil import local_today
from crm.core.validation import Invalid
from crm.core.workdays import coverage_gaps
from crm.extensions import db
from crm.models.reminders import CalendarDay, StallRule


class RuleForm(Form):
    limit_days = IntegerField(
        "无跟进上限（工作日）",
        validators=[InputRequired("请填写天数。"), NumberRange(1, 250, "须在 1 到 250 个工作日之间。")],
    )
    escalation_days = IntegerField(
        "升级红灯（再过工作日）",
        validators=[InputRequired("请填写天数。"), NumberRange(1, 60, "须在 1 到 60 个工作日之间。")],
    )
    submit = SubmitField("保存")


class CalendarDayForm(OnceForm):
    day = DateField("日期", validators=[DataRequired("请填写日期（年-月-日）。")])
    is_working = BooleanField("调休上班（不勾选即为放假）")
    note = StringField("说明", validators=[Length(max=100)], description="如：2027年春节")
    submit = SubmitField("添加")


@bp.get("/rules")
@require("admin.rules")
def rules():
    rows = db.session.scalars(sa.select(StallRule).order_by(StallRule.id)).all()
    forms = {row.id: RuleForm(obj=row, prefix=f"rule{row.id}") for row in rows}
    return render_template("admin/rules.html", rows=rows, forms=forms)


@bp.post("/rules/<int:rule_id>")
@require("admin.rules")
def update_rule(rule_id: int) -> ResponseReturnValue:
    rule = db.get_or_404(StallRule, rule_id)
    form = RuleForm(prefix=f"rule{rule.id}")
    if not form.validate_on_submit():
        flash(
            f"“{rule.status_or_stage}”未保存：" + "；".join(e for es in form.errors.values() for e in es),
            "danger",
        )
        return redirect(url_for("admin.rules"))
    for name in ("limit_days", "escalation_days"):
        old, new = getattr(rule, name), getattr(form, name).data
        if old != new:
            setattr(rule, name, new)
            history.record(_RuleEntity(rule), "updated", current_user, field=name, old=old, new=new)
    rule.updated_by_id = current_user.id
    db.session.commit()
    flash(f"已保存“{rule.status_or_stage}”的停滞规则。", "success")
    return redirect(url_for("admin.rules"))


class _RuleEntity:
    """How a rule appears in the change history."""

    entity_type = "stall_rule"

    def __init__(self, rule: StallRule):
        self.id = rule.id


@bp.route("/calendar", methods=["GET", "POST"])
@require("admin.rules")
def calendar():
    form = CalendarDayForm()
    if form.validate_on_submit():
        landing = url_for("admin.calendar")
        entry = commit_or_report(form, lambda: _add_day(form), landing=lambda _entry: landing)
        if entry is not FAILED:
            flash(f"已录入 {entry.day}（{'调休上班' if entry.is_working else '放假'}）。", "success")
            return redirect(landing)
    today = local_today()
    days = db.session.scalars(sa.select(CalendarDay).order_by(CalendarDay.day.desc()).limit(400)).all()
    gaps = coverage_gaps(today)
    return render_template("admin/calendar.html", form=form, days=days, gaps=gaps, confirm=ConfirmForm())


def _add_day(form: CalendarDayForm) -> CalendarDay:
    if db.session.scalar(sa.select(CalendarDay.id).where(CalendarDay.day == form.day.data)):
        raise Invalid({"day": f"{form.day.data} 已录入，如需修改请先删除。"})
    entry = CalendarDay(
        day=form.day.data,
        is_working=form.is_working.data,
        note=(form.note.data or "").strip(),
        created_by_id=current_user.id,
    )
    db.session.add(entry)
    return entry


@bp.post("/calendar/<int:day_id>/delete")
@require("admin.rules")
def delete_calendar_day(day_id: int) -> ResponseReturnValue:
    entry = db.get_or_404(CalendarDay, day_id)
    if ConfirmForm().validate_on_submit():
        db.session.delete(entry)
        db.session.commit()
        flash(f"已删除 {entry.day} 的设置。", "success")
    return redirect(url_for("admin.calendar"))
