"""What every demo project is made from (crm/demo/projects.py fills it once per run)."""

import random
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from crm.core.timeutil import utc_moment
from crm.demo.companies import ClusterInfo, Companies
from crm.demo.project_story import ProjectTimeline
from crm.demo.targets import Person


@dataclass
class Context:
    rng: random.Random
    zone: ZoneInfo
    today: date
    timeline: ProjectTimeline
    officers: dict  # region id (None: city) → active officers
    heads: dict
    people: dict[int, Person]
    clusters: dict[int, ClusterInfo]
    segment_words: dict[int, str]  # segment id → its name and its parent's, to name projects by
    regions: dict[int, tuple[str, str]]  # id → (name, code)
    companies: Companies
    project_keys: set[str]
    leaders: dict[int | None, list[str]]  # region id (None: city) → 联系领导

    def stamp(self, day: date, minute: int) -> datetime:
        """UTC time of minute (after local midnight) on day."""
        return utc_moment(day, time(minute // 60, minute % 60), self.zone)
