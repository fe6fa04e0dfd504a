"""When things happened to a demo target company: its follow-up days and planned next days.

Used by crm/demo/targets.py. Every generated day lies within the past year and before today (so no
timestamp is in the future); open companies' next follow-up falls within their status's limit in
working days (crm.stall.rules.DEFAULT_LIMITS): about 15% already overdue, the rest due soon.
"""

import random
from datetime import date, timedelta

from crm.core.workdays import WorkCalendar
from crm.models import TargetStatus
from crm.stall.rules import DEFAULT_LIMITS

OVERDUE_SHARE = 0.15
# How many follow-ups (at most: they stay within the past year) a company in each status has had.
FOLLOW_UPS = {
    TargetStatus.UNCONTACTED: (0, 1),
    TargetStatus.CONTACTED: (2, 10),
    TargetStatus.INTERESTED: (5, 15),
    TargetStatus.ABANDONED: (3, 11),
    TargetStatus.CONVERTED: (7, 17),
}
Dates = list[tuple[date, date | None]]  # each follow-up: (day, next follow-up day it planned)


class Timeline:
    def __init__(self, rng: random.Random, today: date):
        self.rng, self.today = rng, today
        self.calendar = WorkCalendar(today - timedelta(500), today + timedelta(60))
        self.latest = self.calendar.back(today - timedelta(1), 0)  # the last working day before today
        self.window_start = today - timedelta(365)

    def target_dates(self, status: TargetStatus) -> tuple[Dates, date | None, date]:
        """The follow-ups, oldest first, the next follow-up due now (open only), the day of creation."""
        rng, calendar = self.rng, self.calendar
        if status.is_closed:
            last, due = calendar.back(self.latest, rng.randint(0, 120)), None
        else:
            last, due = self._open_dates(DEFAULT_LIMITS[status.value])
        dates = self._chain(last, due, rng.randint(*FOLLOW_UPS[status]))
        created_on = calendar.back(dates[0][0], rng.randint(1, 25)) if dates else last
        return dates, due, created_on

    def _open_dates(self, limit: int) -> tuple[date, date]:
        """The last follow-up and the next one it planned within limit working days: overdue or coming."""
        rng, calendar = self.rng, self.calendar
        if rng.random() < OVERDUE_SHARE:  # by a few days, or by weeks
            due = calendar.back(self.latest, rng.randint(0, 5) if rng.random() < 0.6 else rng.randint(10, 45))
            return calendar.back(due, rng.randint(5, limit)), due
        lead = calendar.between(self.latest, self.today)  # 1 when today is a working day
        ahead = rng.randint(1, min(15, limit) - lead)
        due = calendar.add(self.today, ahead)
        return calendar.back(self.latest, rng.randint(0, limit - lead - ahead)), due

    def _chain(self, last: date, due: date | None, n: int) -> Dates:
        """Up to n follow-ups ending on last, each planning the next 4–12 working days on (kept early or late)."""
        rng, calendar = self.rng, self.calendar
        if n == 0:
            return []
        dates = [(last, due)]
        while len(dates) < n:
            interval = rng.randint(4, 12)
            day = calendar.back(dates[-1][0], max(1, interval + rng.randint(-2, 2)))
            if day < self.window_start:
                break
            dates.append((day, calendar.add(day, interval)))
        dates.reverse()
        return dates
