"""Stall rules (SPEC §4): each reason and level, working days around holidays, overrides, defaults."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import flask_migrate
import pytest
import sqlalchemy as sa

from crm.core.workdays import coverage_gaps, is_working_day
from crm.extensions import db
from crm.models import CalendarDay, Project, ProjectStage, StallRule, TargetCompany, TargetStatus
from crm.stall.rules import (
    DEFAULT_LIMITS,
    NO_FOLLOW_UP,
    NOT_COMPLETED,
    NOT_STARTED,
    OVERDUE,
    RED,
    YELLOW,
    Rule,
    Rules,
    add_months,
    episode_key,
    evaluate,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 9) -> datetime:
    """day at hour o'clock in Jiaxing, as an aware UTC moment."""
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


def target(status="已接触", since=date(2026, 1, 5), last=None, next_=None):
    return TargetCompany(
        id=1,
        status=TargetStatus(status),
        status_since=at(since),
        last_follow_up_on=last,
        next_follow_up_on=next_,
    )


def project(stage="在谈", since=date(2026, 1, 5), last=None, next_=None, start=None, completion=None):
    return Project(
        id=2,
        stage=ProjectStage(stage),
        stage_since=at(since),
        last_follow_up_on=last,
        next_follow_up_on=next_,
        planned_start_on=start,
        planned_completion_on=completion,
    )


D = date
CASES = [
    # (id, item, as_of, level, reasons, since, working days stalled)
    (
        "limit: deadline day itself is fine",
        target("待接触", since=D(2026, 11, 2)),
        D(2026, 11, 16),
        None,
        [],
        None,
        0,
    ),
    (
        "limit: day after",
        target("待接触", since=D(2026, 11, 2)),
        D(2026, 11, 17),
        YELLOW,
        [NO_FOLLOW_UP],
        D(2026, 11, 17),
        1,
    ),
    (
        "limit: 5 stalled days yellow",
        target("待接触", since=D(2026, 11, 2)),
        D(2026, 11, 23),
        YELLOW,
        [NO_FOLLOW_UP],
        D(2026, 11, 17),
        5,
    ),
    (
        "limit: 6th stalled day red",
        target("待接触", since=D(2026, 11, 2)),
        D(2026, 11, 24),
        RED,
        [NO_FOLLOW_UP],
        D(2026, 11, 17),
        6,
    ),
    (
        "limit counts from last follow-up",
        target("已接触", since=D(2026, 1, 5), last=D(2026, 11, 20), next_=D(2026, 11, 30)),
        D(2026, 11, 25),
        None,
        [],
        None,
        0,
    ),
    # 春节 2026: 02-15..02-23 off, Saturdays 02-14 and 02-28 worked: 15 working days after 02-06 end on 03-05
    ("春节: not yet", target("有意向", last=D(2026, 2, 6)), D(2026, 3, 5), None, [], None, 0),
    (
        "春节: stalled",
        target("有意向", last=D(2026, 2, 6)),
        D(2026, 3, 6),
        YELLOW,
        [NO_FOLLOW_UP],
        D(2026, 3, 6),
        1,
    ),
    (
        "overdue: due day fine",
        target(last=D(2026, 11, 20), next_=D(2026, 11, 23)),
        D(2026, 11, 23),
        None,
        [],
        None,
        0,
    ),
    (
        "overdue: day after",
        target(last=D(2026, 11, 20), next_=D(2026, 11, 23)),
        D(2026, 11, 24),
        YELLOW,
        [OVERDUE],
        D(2026, 11, 24),
        1,
    ),
    (
        "overdue on a weekend",
        target(last=D(2026, 11, 20), next_=D(2026, 11, 27)),
        D(2026, 11, 28),
        YELLOW,
        [OVERDUE],
        D(2026, 11, 28),
        0,
    ),
    # 国庆 2026: 10-01..10-07 off, Saturday 10-10 worked
    (
        "国庆: overdue through the holiday",
        project(last=D(2026, 9, 25), next_=D(2026, 9, 30)),
        D(2026, 10, 7),
        YELLOW,
        [OVERDUE],
        D(2026, 10, 1),
        0,
    ),
    (
        "国庆: 调休 Saturday counts",
        project(last=D(2026, 9, 25), next_=D(2026, 9, 30)),
        D(2026, 10, 10),
        YELLOW,
        [OVERDUE],
        D(2026, 10, 1),
        3,
    ),
    (
        "国庆: escalation boundary yellow",
        project(last=D(2026, 9, 25), next_=D(2026, 9, 30)),
        D(2026, 10, 13),
        YELLOW,
        [OVERDUE],
        D(2026, 10, 1),
        5,
    ),
    (
        "国庆: escalation boundary red",
        project(last=D(2026, 9, 25), next_=D(2026, 9, 30)),
        D(2026, 10, 14),
        RED,
        [OVERDUE],
        D(2026, 10, 1),
        6,
    ),
    (
        "签约未开工",
        project("拟建", last=D(2026, 11, 10), next_=D(2026, 11, 30), start=D(2026, 11, 10)),
        D(2026, 11, 12),
        YELLOW,
        [NOT_STARTED],
        D(2026, 11, 11),
        2,
    ),
    (
        "拟建 before planned start",
        project("拟建", last=D(2026, 11, 10), next_=D(2026, 11, 30), start=D(2026, 12, 1)),
        D(2026, 11, 25),
        None,
        [],
        None,
        0,
    ),
    (
        "entered 拟建 after the planned start",
        project(
            "拟建", since=D(2026, 11, 20), last=D(2026, 11, 20), next_=D(2026, 11, 30), start=D(2026, 11, 1)
        ),
        D(2026, 11, 23),
        YELLOW,
        [NOT_STARTED],
        D(2026, 11, 20),
        2,
    ),
    (
        "在建未竣工",
        project("在建", last=D(2026, 11, 16), next_=D(2026, 11, 30), completion=D(2026, 11, 20)),
        D(2026, 11, 23),
        YELLOW,
        [NOT_COMPLETED],
        D(2026, 11, 21),
        1,
    ),
    (
        "several reasons, earliest since",
        project("在建", last=D(2026, 11, 16), next_=D(2026, 11, 19), completion=D(2026, 11, 20)),
        D(2026, 11, 23),
        YELLOW,
        [OVERDUE, NOT_COMPLETED],
        D(2026, 11, 20),
        2,
    ),
    (
        "stage move ends an old overdue date",
        target(since=D(2026, 11, 23), last=D(2026, 11, 2), next_=D(2026, 11, 20)),
        D(2026, 11, 24),
        None,
        [],
        None,
        0,
    ),
    ("暂缓: no limit", project("暂缓", since=D(2025, 1, 6)), D(2026, 11, 25), None, [], None, 0),
    (
        "暂缓: 跟进逾期 still applies",
        project("暂缓", since=D(2025, 1, 6), next_=D(2026, 11, 20)),
        D(2026, 11, 23),
        YELLOW,
        [OVERDUE],
        D(2026, 11, 21),
        1,
    ),
]
CLOSED = [target("已放弃"), target("已转项目"), project("建成投产"), project("终止")]


@pytest.mark.parametrize(
    ("item", "as_of", "level", "codes", "since", "stalled"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_stall_rules(item, as_of, level, codes, since, stalled):
    stall = evaluate(item, at(as_of))
    assert (stall.level, [r.code for r in stall.reasons], stall.since, stall.working_days_stalled) == (
        level,
        codes,
        since,
        stalled,
    )


@pytest.mark.parametrize("item", CLOSED, ids=lambda i: i.status.value)
def test_closed_items_never_stall(item):
    item.last_follow_up_on, item.next_follow_up_on = date(2025, 1, 2), date(2025, 1, 6)
    if isinstance(item, Project):
        item.planned_start_on = item.planned_completion_on = date(2025, 1, 6)
    assert evaluate(item, at(date(2026, 11, 25))).level is None


def test_as_of_is_read_as_the_jiaxing_date():
    item = target(last=D(2026, 11, 20), next_=D(2026, 11, 23))
    # 2026-11-23 17:00 UTC is already 11-24 01:00 in Jiaxing
    assert evaluate(item, datetime(2026, 11, 23, 15, 59, tzinfo=UTC)).level is None
    assert evaluate(item, datetime(2026, 11, 23, 17, 0, tzinfo=UTC)).level == YELLOW
    with pytest.raises(ValueError):
        evaluate(item, datetime(2026, 11, 24, 9))


def test_chinese_labels_and_episode_key():
    item = project("在建", last=D(2026, 11, 16), next_=D(2026, 11, 19), completion=D(2026, 11, 20))
    stall = evaluate(item, at(D(2026, 11, 23)))
    assert stall.labels == ["跟进逾期", "在建未竣工"]
    assert stall.level_label == "黄灯"
    assert episode_key(item, stall) == "project:2:2026-11-20"


def test_a_follow_up_ends_the_episode_and_a_later_stall_is_a_new_one():
    item = target(last=D(2026, 11, 2), next_=D(2026, 11, 9))
    first = evaluate(item, at(D(2026, 11, 12)))
    assert first.since == D(2026, 11, 10)
    item.last_follow_up_on, item.next_follow_up_on = D(2026, 11, 12), D(2026, 11, 19)  # follow-up logged
    assert evaluate(item, at(D(2026, 11, 12))).level is None
    later = evaluate(item, at(D(2026, 11, 20)))
    assert later.level == YELLOW and later.since == D(2026, 11, 20)
    assert episode_key(item, later) != episode_key(item, first)


def test_missed_start_by_three_months_is_red_whatever_the_escalation():
    rules = Rules({**{k: Rule(v) for k, v in DEFAULT_LIMITS.items()}, "拟建": Rule(20, escalation_days=500)})
    item = project("拟建", last=D(2026, 11, 6), next_=D(2026, 11, 20), start=D(2026, 8, 10))
    assert evaluate(item, at(D(2026, 11, 9)), rules).level == YELLOW
    assert evaluate(item, at(D(2026, 11, 10)), rules).level == RED


def test_admin_rules_change_the_limit():
    item = target("待接触", since=D(2026, 11, 2))
    assert evaluate(item, at(D(2026, 11, 17))).level == YELLOW
    rules = Rules({"待接触": Rule(20, escalation_days=2)})
    assert evaluate(item, at(D(2026, 11, 30)), rules).level is None  # 20 working days end 11-30
    assert evaluate(item, at(D(2026, 12, 3)), rules).working_days_stalled == 3
    assert evaluate(item, at(D(2026, 12, 3)), rules).level == RED


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 8, 10), 3, D(2026, 11, 10)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2027, 10, 31), 4, D(2028, 2, 29)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_migration_seeds_the_spec_defaults(app):
    with app.app_context():
        db.session.remove()
        flask_migrate.downgrade(revision="0003")  # tests clean every table: run the seeding again
        flask_migrate.upgrade()
        rows = {
            r.status_or_stage: (r.limit_days, r.escalation_days)
            for r in db.session.scalars(sa.select(StallRule))
        }
        assert rows == {key: (days, 5) for key, days in DEFAULT_LIMITS.items()}
        assert Rules.load(db.session) == Rules()
        rule = db.session.scalar(sa.select(StallRule).where(StallRule.status_or_stage == "在谈"))
        rule.limit_days = 3
        db.session.commit()
        assert Rules.load(db.session).for_status("在谈") == Rule(3, 5)
        assert Rules.load(db.session).for_status("暂缓") == Rule(None, 5)


# 2027 is beyond chinese-calendar 1.11.0: the admin enters 春节 (02-06..02-14 off, Saturday 02-20 worked).
SPRING_2027 = [(date(2027, 2, d), False) for d in range(8, 13)] + [(date(2027, 2, 20), True)]


def test_calendar_overrides_change_the_outcome_in_2027(app):
    item = target(last=D(2027, 2, 1), next_=D(2027, 2, 5))
    with app.app_context():
        before = evaluate(item, at(D(2027, 2, 15)))
        assert (before.level, before.working_days_stalled) == (RED, 6)
        db.session.add_all(CalendarDay(day=day, is_working=w, note="春节") for day, w in SPRING_2027)
        db.session.commit()
        after = evaluate(item, at(D(2027, 2, 15)))
        assert (after.level, after.working_days_stalled) == (YELLOW, 1)
        assert evaluate(item, at(D(2027, 2, 22))).working_days_stalled == 7  # 02-15..02-19, 02-20, 02-22
        assert is_working_day(D(2027, 2, 8)) is False
        assert is_working_day(D(2027, 2, 20)) is True
        # an override wins over chinese-calendar's data too
        db.session.add(CalendarDay(day=D(2026, 11, 25), is_working=False, note="停电"))
        db.session.commit()
        assert is_working_day(D(2026, 11, 25)) is False
    assert is_working_day(D(2026, 11, 25)) is True  # no app context: no overrides


def test_coverage_gaps(app):
    with app.app_context():
        assert coverage_gaps(D(2026, 6, 1)) == []
        gaps = coverage_gaps(D(2026, 11, 25))
        assert gaps == [D(2027, 1, d) for d in range(1, 25)]
        assert coverage_gaps(D(2026, 11, 25), days=30) == []
        db.session.add(CalendarDay(day=D(2027, 1, 1), is_working=False, note="元旦"))
        db.session.commit()
        assert coverage_gaps(D(2026, 11, 25)) == []
        assert coverage_gaps(D(2027, 12, 1))[0] == D(2028, 1, 1)
