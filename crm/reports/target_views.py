"""年度目标: the year × indicator grid of every scope the reader may set (全市 and each region).

It sits among the reports rather than under /admin because a head sets their own region's targets;
one rule ("targets.set") decides who may set which scope.
"""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms import StringField, SubmitField

from crm.core.forms import Form
from crm.core.permissions import can, refuse, require
from crm.core.timeutil import local_today
from crm.core.validation import AmountError
from crm.extensions import db
from crm.models import Indicator, Region, User
from crm.outcomes.targets import last_changes, parse_value, set_targets, targets_now
from crm.reports import bp

YEARS_SHOWN = 3  # the year selector: from two years back to next year


@dataclass(frozen=True)
class TargetScope:
    """A scope as the permission rule's record: region_id None = 全市."""

    region_id: int | None
    label: str

    @property
    def key(self) -> str:
        return str(self.region_id) if self.region_id else "city"


class TargetForm(Form):
    """One scope's eight targets (the page has one per scope, each with its own prefix)."""

    submit = SubmitField("保存")

    def values(self) -> dict[Indicator, Decimal | None] | None:
        """The typed targets (None = 未设), or None after putting each field's error on it."""
        found: dict[Indicator, Decimal | None] = {}
        for indicator in Indicator:
            field = self[indicator.name]
            try:
                found[indicator] = parse_value(indicator, field.data)
            except AmountError as error:
                field.errors = [str(error)]
        return None if any(self[i.name].errors for i in Indicator) else found


for _indicator in Indicator:
    setattr(TargetForm, _indicator.name, StringField(f"{_indicator.value}（{_indicator.unit}）"))


def _scopes(user: User) -> list[TargetScope]:
    """The scopes user may set targets for: the city first, then the regions in order."""
    scopes = [TargetScope(None, "全市")]
    scopes += [
        TargetScope(region.id, region.name)
        for region in db.session.scalars(sa.select(Region).order_by(Region.sort_order, Region.id))
    ]
    return [scope for scope in scopes if can(user, "targets.set", scope)]


def _year(value: str | None) -> int:
    this_year = local_today().year
    if value in (None, ""):
        return this_year
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        abort(400, "年份须为 2000 至 2100 之间的整数。")
    return int(value)


def _page(
    year: int, scopes: list[TargetScope], forms: dict[str, TargetForm], status: int = 200
) -> ResponseReturnValue:
    this_year = local_today().year
    years = sorted({*range(this_year - YEARS_SHOWN + 1, this_year + 2), year})
    return (
        render_template(
            "reports/targets.html",
            year=year,
            years=years,
            scopes=scopes,
            forms=forms,
            changes=last_changes(year),
            indicators=list(Indicator),
        ),
        status,
    )


def _blank_forms(year: int, scopes: list[TargetScope]) -> dict[str, TargetForm]:
    current = targets_now(year)
    forms = {}
    for scope in scopes:
        data = {}
        for indicator in Indicator:
            value = current.get((scope.region_id, indicator))
            data[indicator.name] = (
                "" if value is None else (f"{value:.0f}" if indicator.is_count else f"{value}")
            )
        forms[scope.key] = TargetForm(formdata=None, data=data, prefix=scope.key)
    return forms


@bp.get("/targets")
@require("targets.set")
def annual_targets():
    year = _year(request.args.get("year"))
    scopes = _scopes(current_user)
    return _page(year, scopes, _blank_forms(year, scopes))


@bp.post("/targets")
@require("targets.set")
def save_annual_targets() -> ResponseReturnValue:
    key = request.form.get("scope_key", "")
    scopes = _scopes(current_user)
    chosen = next((scope for scope in scopes if scope.key == key), None)
    if chosen is None:
        if key == "city" or key.isdigit():
            refuse(403, "targets.set")
        abort(400, "请选择要设置目标的范围。")
    form = TargetForm(prefix=chosen.key)
    year = _year(request.form.get("year"))
    values = form.values() if form.validate() else None
    if values is None:
        forms = _blank_forms(year, scopes) | {chosen.key: form}
        flash(f"{chosen.label} {year} 年目标未保存，请改正标出的项。", "danger")
        return _page(year, scopes, forms, 400)
    changed = set_targets(year, chosen.region_id, values, current_user)
    db.session.commit()
    if changed:
        flash(f"已保存{chosen.label} {year} 年目标：{'、'.join(i.value for i in changed)}。", "success")
    else:
        flash(f"{chosen.label} {year} 年目标没有变化。", "info")
    return redirect(url_for("reports.annual_targets", year=year) + f"#scope-{chosen.key}")
