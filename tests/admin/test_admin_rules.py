"""Admins edit the stall rules and the working-day calendar; nobody else can."""

from datetime import date

import pytest
import sqlalchemy as sa

from crm.core.workdays import add_working_days, is_working_day
from crm.extensions import db
from crm.models.reminders import CalendarDay, StallRule
from tests.routes import ADMIN_RULE_ROUTES, ROLE_ACTORS


def _rule(app, key="待接触") -> StallRule:
    with app.app_context():
        rule = db.session.scalar(sa.select(StallRule).where(StallRule.status_or_stage == key))
        db.session.expunge(rule)
        return rule


@pytest.fixture
def restore_rules(app):
    yield
    with app.app_context():
        defaults = {"待接触": 10, "已接触": 15, "有意向": 15, "在谈": 15, "拟建": 20, "在建": 30}
        for rule in db.session.scalars(sa.select(StallRule)):
            rule.limit_days, rule.escalation_days = defaults[rule.status_or_stage], 5
        db.session.commit()


@pytest.mark.parametrize(("role", "scope"), ROLE_ACTORS, ids=[f"{r}-{s}" for r, s in ROLE_ACTORS])
@pytest.mark.parametrize("endpoint", sorted(ADMIN_RULE_ROUTES))
def test_only_admins_reach_rules_and_calendar(app, auth, client, restore_rules, endpoint, role, scope):
    auth.login(role=role, scope=scope)
    rule = _rule(app)
    with app.app_context():
        day = CalendarDay(day=date(2027, 2, 8), is_working=False, note="2027年春节")
        db.session.add(day)
        db.session.commit()
        day_id = day.id
    method, template = ADMIN_RULE_ROUTES[endpoint]
    data = {f"rule{rule.id}-limit_days": "12", f"rule{rule.id}-escalation_days": "4"}
    response = client.open(template.format(rule=rule.id, day=day_id), method=method, data=data)
    if role == "admin":
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403
        assert _rule(app).limit_days == 10
        with app.app_context():
            assert db.session.get(CalendarDay, day_id) is not None


def test_an_edited_limit_changes_the_follow_up_rule(app, auth, client, restore_rules):
    from crm.followups.services import follow_up_limit
    from crm.models import TargetCompany
    from tests.factories import make_target, make_user

    auth.login(role="admin")
    rule = _rule(app)
    response = client.post(
        f"/admin/rules/{rule.id}",
        data={f"rule{rule.id}-limit_days": "7", f"rule{rule.id}-escalation_days": "3"},
    )
    assert response.status_code == 302
    assert (_rule(app).limit_days, _rule(app).escalation_days) == (7, 3)
    target_id = make_target(app, make_user(app, role="officer", scope="南湖区"))
    with app.app_context():
        assert follow_up_limit(db.session.get(TargetCompany, target_id)) == 7


def test_a_bad_limit_is_refused_in_chinese_and_changes_nothing(app, auth, client, restore_rules):
    auth.login(role="admin")
    rule = _rule(app)
    response = client.post(
        f"/admin/rules/{rule.id}",
        data={f"rule{rule.id}-limit_days": "0", f"rule{rule.id}-escalation_days": "3"},
        follow_redirects=True,
    )
    assert "须在 1 到 250 个工作日之间" in response.get_data(as_text=True)
    assert _rule(app).limit_days == 10


def test_admin_enters_next_years_holidays_and_the_warning_clears(app, auth, client):
    auth.login(role="admin")
    today = date(2026, 11, 25)
    from crm.core.workdays import coverage_gaps

    with app.app_context():
        assert coverage_gaps(today)  # 2027 is beyond chinese-calendar's data
    response = client.post("/admin/calendar", data={"day": "2027-02-08", "note": "2027年春节"})
    assert response.status_code == 302
    client.post("/admin/calendar", data={"day": "2027-02-20", "is_working": "y", "note": "春节调休"})
    html = client.post("/admin/calendar", data={"day": "2027-02-08"}).get_data(as_text=True)
    assert "已录入" in html  # the same day twice is refused
    with app.app_context():
        assert coverage_gaps(today) == []
        assert is_working_day(date(2027, 2, 8)) is False  # a Monday, now a holiday
        assert is_working_day(date(2027, 2, 20)) is True  # a Saturday, now worked
        assert add_working_days(date(2027, 2, 5), 1) == date(2027, 2, 9)
        day_id = db.session.scalar(sa.select(CalendarDay.id).where(CalendarDay.day == date(2027, 2, 8)))
    assert client.post(f"/admin/calendar/{day_id}/delete").status_code == 302
    with app.app_context():
        assert is_working_day(date(2027, 2, 8)) is True
