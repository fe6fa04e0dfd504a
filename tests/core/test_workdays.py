"""Working days follow China's official calendar, 调休 included."""

from datetime import date, timedelta

import pytest

from crm.core.workdays import WorkCalendar, add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(
    ("day", "worked"),
    [
        (date(2026, 2, 16), False),  # 春节 (Monday)
        (date(2026, 2, 14), True),  # 调休: a working Saturday before 春节
        (date(2026, 10, 1), False),  # 国庆
        (date(2026, 10, 10), True),  # 调休: a working Saturday after 国庆
        (date(2025, 1, 26), True),  # 调休 Sunday before 春节 2025
        (date(2025, 10, 8), False),  # 国庆 and 中秋 2025
        (date(2026, 11, 25), True),  # an ordinary Wednesday
        (date(2026, 11, 28), False),  # an ordinary Saturday
    ],
)
def test_official_holidays_and_adjusted_working_days(day, worked):
    assert is_working_day(day) is worked


def test_beyond_the_calendar_data_monday_to_friday_is_assumed():
    assert is_working_day(date(2030, 1, 7)) is True  # a Monday
    assert is_working_day(date(2030, 1, 5)) is False  # a Saturday


def test_adding_working_days_across_national_day():
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert add_working_days(date(2026, 9, 30), 10) == date(2026, 10, 20)


def test_adding_working_days_across_spring_festival():
    # 2026 春节: 02-15 .. 02-23 off, 02-14 and 02-28 worked
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)


def test_working_days_between_counts_the_end_not_the_start():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 20)) == 10
    assert working_days_between(date(2026, 10, 20), date(2026, 9, 30)) == 0
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 23)) == 0


def test_the_fast_calendar_agrees_with_chinese_calendar_everywhere_it_has_data():
    import chinese_calendar

    calendar = WorkCalendar(date(2004, 1, 1), date(2026, 12, 31))
    day = calendar.first
    while day <= calendar.last:
        assert calendar.is_working(day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_the_fast_calendar_answers_as_the_functions_do():
    calendar = WorkCalendar(date(2025, 1, 1), date(2026, 12, 31))
    assert (
        calendar.add(date(2026, 9, 30), 10) == add_working_days(date(2026, 9, 30), 10) == date(2026, 10, 20)
    )
    assert calendar.between(date(2026, 2, 13), date(2026, 3, 2)) == working_days_between(
        date(2026, 2, 13), date(2026, 3, 2)
    )
    assert calendar.back(date(2026, 10, 8), 1) == date(2026, 9, 30)
    with pytest.raises(ValueError):
        calendar.count(date(2027, 1, 1))
    overridden = WorkCalendar(date(2027, 2, 1), date(2027, 2, 28), overrides={date(2027, 2, 8): False})
    assert not overridden.is_working(date(2027, 2, 8))
    assert add_working_days(date(2026, 12, 31), 300) > date(2028, 1, 1)
