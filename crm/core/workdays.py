"""Working days: China's official holidays and 调休 working weekends, with admin overrides.

The one place that decides whether a day is worked, in this order:

1. an admin-entered CalendarDay (holiday or 调休 working day) always wins;
2. otherwise `chinese-calendar`'s data, for the years it knows (1.11.0: 2004–2026);
3. otherwise Monday–Friday.

Overrides are read from the database only when an application context exists (so the functions
also work in plain scripts and the revisions). The fast path is WorkCalendar: one query for the
overrides of a range, then bisection; build one per scan or page and ask it as often as needed.
The module functions build a small one per call.
"""

from bisect import bisect_right
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar.constants as _official
import sqlalchemy as sa
from flask import has_app_context

from crm.extensions import db
from crm.models.reminders import CalendarDay

# The years chinese-calendar has data for (it raises NotImplementedError outside them).
OFFICIAL_FIRST_YEAR = min(_official.holidays).year
OFFICIAL_LAST_YEAR = max(_official.holidays).year
_HOLIDAYS = frozenset(_official.holidays)  # days off, weekdays included
_ADJUSTED_WORKDAYS = frozenset(_official.workdays)  # 调休: weekends worked


def officially_known(day: date) -> bool:
    """Whether chinese-calendar has data for day's year."""
    return OFFICIAL_FIRST_YEAR <= day.year <= OFFICIAL_LAST_YEAR


def _official_or_weekday(day: date) -> bool:
    """chinese-calendar's answer (same as chinese_calendar.is_workday), else Monday–Friday."""
    if officially_known(day):
        if day in _ADJUSTED_WORKDAYS:
            return True
        return day.weekday() < 5 and day not in _HOLIDAYS
    return day.weekday() < 5


def load_overrides(first: date, last: date) -> dict[date, bool]:
    """Admin-entered days from first to last: day → is_working ({} without an application context)."""
    if not has_app_context():
        return {}
    with db.session.no_autoflush:
        rows = db.session.execute(
            sa.select(CalendarDay.day, CalendarDay.is_working).where(CalendarDay.day.between(first, last))
        )
        return {day: working for day, working in rows}


class WorkCalendar:
    """The working days from first to last, overrides loaded once, answered by bisection.

    Asking about days outside [first, last] raises ValueError (add() beyond last too): size the
    range for the questions you will ask.
    """

    def __init__(self, first: date, last: date, overrides: dict[date, bool] | None = None):
        if last < first:
            raise ValueError("last must not be before first")
        self.first, self.last = first, last
        self.overrides = load_overrides(first, last) if overrides is None else overrides
        self.days = _working_days(first, last, frozenset(self.overrides.items()))

    def _decide(self, day: date) -> bool:
        worked = self.overrides.get(day)
        return _official_or_weekday(day) if worked is None else worked

    def _check(self, day: date) -> None:
        if not self.first <= day <= self.last:
            raise ValueError(f"{day} is outside the calendar {self.first}..{self.last}")

    def is_working(self, day: date) -> bool:
        self._check(day)
        return self._decide(day)

    def count(self, day: date) -> int:
        """Working days from first up to and including day."""
        self._check(day)
        return bisect_right(self.days, day)

    def add(self, day: date, n: int) -> date:
        """The n-th working day after day (n >= 1), as add_working_days; day itself for n == 0."""
        if n < 0:
            raise ValueError("n must not be negative")
        if n == 0:
            return day
        index = self.count(day) + n - 1
        if index >= len(self.days):
            raise ValueError(f"{n} working days after {day} lie beyond {self.last}")
        return self.days[index]

    def back(self, day: date, n: int) -> date:
        """The working day with n working days after it up to day (n=0: the last one on or before day)."""
        index = self.count(day) - n - 1
        if index < 0:
            raise ValueError(f"{n} working days before {day} lie before {self.first}")
        return self.days[index]

    def between(self, start: date, end: date) -> int:
        """Working days after start up to and including end (0 when end <= start)."""
        if end <= start:
            return 0
        return self.count(end) - self.count(start)


@lru_cache(maxsize=64)
def _working_days(first: date, last: date, overrides: frozenset) -> tuple[date, ...]:
    """The worked days from first to last, in order. A pure function of its arguments, kept per
    process: every list page builds calendars of the same three years, several times a request."""
    decided = dict(overrides)
    span = (first + timedelta(n) for n in range((last - first).days + 1))
    return tuple(day for day in span if decided.get(day, _official_or_weekday(day)))


def is_working_day(day: date) -> bool:
    worked = load_overrides(day, day).get(day)
    return _official_or_weekday(day) if worked is None else worked


def add_working_days(start: date, n: int) -> date:
    """The date n working days after start (start itself not counted)."""
    if n < 0:
        raise ValueError("n must not be negative")
    span = 2 * n + 30  # at most one long holiday in a month: usually enough at the first try
    while True:
        calendar = WorkCalendar(start, start + timedelta(span))
        if calendar.between(start, calendar.last) >= n:
            return calendar.add(start, n)
        span *= 2


def working_days_between(start: date, end: date) -> int:
    """Working days after start up to and including end (0 when end <= start)."""
    if end <= start:
        return 0
    return WorkCalendar(start, end).between(start, end)


def coverage_gaps(today: date, days: int = 60) -> list[date]:
    """The days after today, up to today + days, whose calendar nobody knows (the admin warning).

    A day is covered when chinese-calendar has data for its year, or when an admin has entered any
    holiday or 调休 day in its year: the State Council publishes a whole year's schedule at once
    and admins enter it at once, after which the rest of that year is Monday–Friday. (Requiring an
    entry for every single day would make the warning impossible to clear.)
    """
    coming = [today + timedelta(n) for n in range(1, days + 1)]
    unknown_years = {day.year for day in coming if not officially_known(day)}
    if not unknown_years:
        return []
    entered = load_overrides(date(min(unknown_years), 1, 1), date(max(unknown_years), 12, 31))
    entered_years = {day.year for day in entered}
    return [day for day in coming if not officially_known(day) and day.year not in entered_years]
