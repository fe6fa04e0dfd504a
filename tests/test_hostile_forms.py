"""Every numeric form field answers hostile values with a Chinese field error and changes nothing
(issue 14, point 1).

Each form is opened as the user would open it, every field it shows sent back as shown, with one
numeric field replaced. A control value first proves the form as sent is saved; then each hostile
value must leave every table as it was and put a Chinese message on the page. A numeric field of any
form that this table doesn't cover fails the test, so a new one is covered the day it is added.
"""

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from wtforms import DecimalField, FloatField, IntegerField

import crm.admin.calendar_views
import crm.admin.rate_views
import crm.projects.forms
import crm.targets.forms
from crm.core.forms import Form
from crm.core.timeutil import local_today
from crm.extensions import db
from crm.models import ExchangeRate, Project, StallRule, TargetCompany
from tests.factories import digest, make_project, make_target

HOSTILE = [
    "1e30",
    "NaN",
    "Infinity",
    "-Infinity",
    "-1",
    "1e-9",
    "0.001",
    "9" * 30,
    "1" * 10_000,
    "abc",
    "12,5.5",
    "0x10",
    "1_000",
    "abc\x00",  # control characters are dropped (crm.core.request_values): "abc" is refused
    "１e３",
]
CJK = re.compile(r"[\u4e00-\u9fff]")


class FormScraper(HTMLParser):
    """The fields of the page's form posting to action, with the values the page shows."""

    def __init__(self, page: str, action: str):
        super().__init__()
        self.page, self.action, self.inside, self.select, self.textarea = page, action, False, None, None
        self.data: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            target = a.get("action") or self.page  # a form without action posts to its page
            self.inside = a.get("method") == "post" and target == self.action
        if not self.inside or a.get("disabled") is not None:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(a["name"], []).append(a.get("value") or "")
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self.data.setdefault(self.select, []).append(a.get("value") or "")
        elif tag == "textarea":
            self.textarea = a.get("name")
            self.data.setdefault(self.textarea, []).append("")

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def form_data(client, page: str, action: str) -> dict[str, list[str]]:
    response = client.get(page)
    assert response.status_code == 200, page
    scraper = FormScraper(page, action)
    scraper.feed(response.get_data(as_text=True))
    assert scraper.data, f"no form posting to {action} on {page}"
    return scraper.data


# form class → numeric field → (page, action, extra data, control value, where the saved value is read)
def _target(app, user):
    return make_target(app, user, "南湖区")


def _project(app, user):
    return make_project(app, user, "南湖区")


def _rule(app, user):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.min(StallRule.id)))


def _no_record(app, user):
    return None


def _rate_year(year):
    return db.session.scalar(sa.select(ExchangeRate.year).where(ExchangeRate.year == year))


def _rate_of(year):
    return db.session.scalar(sa.select(ExchangeRate.cny_per_usd).where(ExchangeRate.year == year))


def saved(model, column):
    def read(record_id):
        return getattr(db.session.get(model, record_id), column)

    return read


CASES = {
    (crm.targets.forms.TargetForm, "intended_investment"): (
        _target, "/targets/{id}/edit", {}, "1.5", saved(TargetCompany, "intended_investment"),
    ),
    **{
        (crm.projects.forms.ProjectForm, field): (
            _project, "/projects/{id}/edit", {}, "1.5", saved(Project, field),
        )
        for field in (
            "total_investment", "fixed_asset_investment", "foreign_capital", "expected_output",
            "expected_added_value", "land_area", "total_investment_usd", "registered_capital",
        )
    },
    (crm.admin.rate_views.RateForm, "year"): (
        _no_record, "/admin/rates", {"cny_per_usd": "7.1"}, "2031", lambda _: _rate_year(2031),
    ),
    (crm.admin.rate_views.RateForm, "cny_per_usd"): (
        _no_record, "/admin/rates", {}, "7.1", lambda _: _rate_of(local_today().year),
    ),
    (crm.projects.forms.StageForm, "signed_investment"): (
        _project, "/projects/{id}/stage",
        {"to": "拟建", "note": "签约", "signed_on": "2026-01-05"}, "1.5", saved(Project, "signed_investment"),
    ),
    (crm.projects.forms.ConvertForm, "total_investment"): (
        _target, "/targets/{id}/convert", {"name": "转换项目"}, "1.5", None,
    ),
    **{
        (crm.admin.calendar_views.RuleForm, field): (
            _rule, "/admin/rules", {}, "12", saved(StallRule, field),
        )
        for field in ("limit_days", "escalation_days")
    },
}  # fmt: skip
NUMERIC = (DecimalField, FloatField, IntegerField)


def all_forms(cls=Form):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_forms(sub)


def test_every_numeric_form_field_is_covered():
    found = {
        (form, name)
        for form in all_forms()
        for name, value in vars(form).items()
        if getattr(value, "field_class", None) and issubclass(value.field_class, NUMERIC)
    }
    assert found and found <= CASES.keys(), (
        f"numeric fields this test doesn't post to: {found - CASES.keys()}"
    )


@pytest.mark.parametrize(("form", "field"), CASES, ids=[f"{f.__name__}.{n}" for f, n in CASES])
def test_hostile_numbers_get_a_chinese_field_error_and_change_nothing(app, auth, client, form, field):
    make, page, extra, control, read = CASES[(form, field)]
    admin_forms = (crm.admin.calendar_views.RuleForm, crm.admin.rate_views.RateForm)
    user = auth.login(role="admin" if form in admin_forms else "head", scope="全市")
    record_id = make(app, user)
    page = page.format(id=record_id)
    prefix = f"rule{record_id}-" if form is crm.admin.calendar_views.RuleForm else ""
    action = f"/admin/rules/{record_id}" if prefix else page
    data = {**form_data(client, page, action), **{k: [v] for k, v in extra.items()}}
    name = prefix + field
    for value in HOSTILE:
        with app.app_context():
            before = digest()
        response = client.post(action, data={**data, name: [value]}, follow_redirects=True)
        assert response.status_code in (200, 422), (value, response.status_code)
        html = response.get_data(as_text=True)
        errors = re.findall(
            r'class="invalid-feedback[^"]*"[^>]*>(.*?)</div>|alert-danger[^>]*>(.*?)</div>', html, re.S
        )
        assert any(CJK.search("".join(e)) for e in errors), f"{value[:20]!r}: no Chinese error on the page"
        with app.app_context():
            assert digest() == before, f"{field}={value[:20]!r} changed the database"
    response = client.post(action, data={**data, name: [control]})
    assert response.status_code == 302, f"the control value {control} was not saved"
    if read is not None:
        with app.app_context():
            assert read(record_id) == Decimal(control) if "." in control else int(control)


@pytest.mark.parametrize(("typed", "stored"), [("-0", "0.00"), ("１２．５", "12.50"), ("1,000", "1000.00")])
def test_minus_zero_full_width_digits_and_thousands_separators_are_read_as_people_mean_them(
    app, auth, client, typed, stored
):
    user = auth.login(role="head", scope="全市")
    target_id = make_target(app, user, "南湖区")
    data = form_data(client, f"/targets/{target_id}/edit", f"/targets/{target_id}/edit")
    response = client.post(f"/targets/{target_id}/edit", data={**data, "intended_investment": [typed]})
    assert response.status_code == 302
    with app.app_context():
        assert str(db.session.get(TargetCompany, target_id).intended_investment) == stored
