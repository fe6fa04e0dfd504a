"""The SQL stall expression (crm.stall.sql) gives exactly evaluate()'s level, on both databases."""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import CalendarDay, Project, ProjectStage, TargetCompany, TargetStatus
from crm.stall.rules import RED, YELLOW, Rule, Rules, evaluate
from crm.stall.sql import stall_level
from tests.factories import make_project, make_target, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN_TARGET = [s for s in TargetStatus if not s.is_closed]
OPEN_PROJECT = [s for s in ProjectStage if not s.is_closed]


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


def maybe_day(rng: random.Random, around: date, spread: int) -> date | None:
    return None if rng.random() < 0.25 else around + timedelta(days=rng.randint(-spread, spread // 3))


def scramble(app, target_ids, project_ids, seed: int, around: date) -> None:
    """Give every item a random open status, stage start and follow-up/milestone dates near `around`."""
    rng = random.Random(seed)
    with app.app_context():
        for model, ids, statuses in (
            (TargetCompany, target_ids, OPEN_TARGET),
            (Project, project_ids, OPEN_PROJECT),
        ):
            for item_id in ids:
                # Hours 0–23: a stage begun late in the evening UTC is the next day in Jiaxing.
                since = at(around - timedelta(days=rng.randint(0, 200)), rng.randint(0, 23))
                values = {
                    "last_follow_up_on": maybe_day(rng, around, 150),
                    "next_follow_up_on": maybe_day(rng, around, 150),
                }
                if model is Project:
                    values |= {
                        "stage": rng.choice(statuses),
                        "stage_since": since,
                        "planned_start_on": maybe_day(rng, around, 200),
                        "planned_completion_on": maybe_day(rng, around, 200),
                    }
                else:
                    values |= {"status": rng.choice(statuses), "status_since": since}
                db.session.execute(sa.update(model).where(model.id == item_id).values(**values))
        db.session.commit()


def compare(app, as_of: datetime, rules: Rules) -> dict[str, int]:
    """Assert SQL level == evaluate() level for every item; return how many of each level."""
    seen = {RED: 0, YELLOW: 0, None: 0}
    with app.app_context():
        for model in (TargetCompany, Project):
            level = stall_level(model, as_of, rules, SHANGHAI).label("level")
            for item, sql_level in db.session.execute(sa.select(model, level)):
                expected = evaluate(item, as_of, rules, zone=SHANGHAI).level
                assert sql_level == expected, (item.entity_type, item.id, item.status, expected, sql_level)
                seen[expected] += 1
    return seen


@pytest.fixture
def items(app):
    owner = make_user(app, "officer", "南湖区")
    targets = [make_target(app, owner) for _ in range(60)]
    projects = [make_project(app, owner) for _ in range(90)]
    return targets, projects


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_level_equals_evaluate_on_random_items(app, items, seed):
    around = date(2026, 10, 9)  # just after 国庆: holidays and 调休 weekends inside every window
    scramble(app, *items, seed, around)
    totals = {RED: 0, YELLOW: 0, None: 0}
    for offset in (-40, -1, 0, 3, 10, 45):
        for hour in (0, 9, 23):
            for key, value in compare(app, at(around + timedelta(days=offset), hour), Rules()).items():
                totals[key] += value
    assert all(count > 50 for count in totals.values()), totals  # every level was exercised


def test_sql_level_follows_edited_rules_and_admin_calendar(app, items):
    around = date(2027, 2, 8)  # beyond chinese-calendar's data: admin-entered days decide
    scramble(app, *items, 7, around)
    with app.app_context():
        for day in range(10, 18):
            db.session.add(CalendarDay(day=date(2027, 2, day), is_working=False, note="春节"))
        db.session.add(CalendarDay(day=date(2027, 2, 20), is_working=True, note="调休"))
        db.session.commit()
    rules = Rules(
        {key: Rule(limit, 2) for key, limit in {"待接触": 3, "已接触": 7, "在谈": 1, "在建": 40}.items()}
    )
    for offset in (0, 5, 12, 20):
        seen = compare(app, at(around + timedelta(days=offset), 10), rules)
        assert seen[RED] and seen[YELLOW] and seen[None], seen
