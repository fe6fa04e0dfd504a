"""ISO weeks as the bureau counts them: Monday 00:00 to Sunday 24:00 in Asia/Shanghai."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from crm.core.timeutil import utc_moment

WEEK_CODE = re.compile(r"^(\d{4})-W(\d{1,2})$")


@dataclass(frozen=True)
class IsoWeek:
    year: int
    number: int
    zone: ZoneInfo

    @classmethod
    def parse(cls, code: str, zone: ZoneInfo) -> "IsoWeek":
        """'2026-W48' → the week; ValueError with a Chinese message otherwise."""
        match = WEEK_CODE.match((code or "").strip())
        if not match:
            raise ValueError(f"无法识别的周次“{code}”，应为如 2026-W48 的格式。")
        year, number = int(match[1]), int(match[2])
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(f"{year} 年没有第 {number} 周。") from None
        return cls(year, number, zone)

    @classmethod
    def of(cls, day: date, zone: ZoneInfo) -> "IsoWeek":
        year, number, _ = day.isocalendar()
        return cls(year, number, zone)

    @property
    def code(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.number}周"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def start(self) -> datetime:
        """Monday 00:00 local, as an aware UTC moment."""
        return utc_moment(self.monday, zone=self.zone)

    @property
    def end(self) -> datetime:
        """Sunday 24:00 local (the next Monday 00:00), as an aware UTC moment; the week is [start, end)."""
        return utc_moment(self.monday + timedelta(days=7), zone=self.zone)

    @property
    def dates(self) -> str:
        return f"{self.monday:%Y-%m-%d}至{self.sunday:%Y-%m-%d}"

    def shifted(self, weeks: int) -> "IsoWeek":
        return IsoWeek.of(self.monday + timedelta(weeks=weeks), self.zone)
