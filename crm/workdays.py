"""Working days: China's official holidays and 调休 working weekends.

The one place that decides whether a day is worked. `chinese-calendar` knows the years up to its
release; for later days it raises, and we fall back to Monday–Friday (admin-entered holidays and
调休 days for those years arrive with the reminder rules).
"""

from datetime import date, timedelta

import chinese_calendar


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # beyond the package's data
        return day.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The date n working days after start (start itself not counted)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    while n:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after start up to and including end (0 when end <= start)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
