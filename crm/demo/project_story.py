"""When things happened to a demo project: its stage moves with their evidence dates, planned dates,
follow-up days and 工作方案 milestones (used by crm/demo/projects.py).

Days are picked as indexes into a calendar of working days (crm.core.workdays.WorkCalendar), so
every move falls on a working day and moves are strictly ordered. Everything lies within the past
~3 years and before today, except planned dates and the next follow-up date; follow-ups lie within
the past year, as for target companies (crm.demo.timeline.Timeline, whose machinery this reuses).
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from crm.core.workdays import WorkCalendar
from crm.demo.timeline import Timeline
from crm.models import ProjectStage
from crm.stall.rules import DEFAULT_LIMITS

ORDER = [ProjectStage.TALKS, ProjectStage.SIGNED, ProjectStage.BUILDING, ProjectStage.PRODUCING]
SPAN = 1095  # days: the oldest project entered the list about three years ago
PAUSED_LIMIT = 30  # working days between follow-ups of a paused project (no rule: the bureau's habit)
# Working days from one stage to the next: 在谈 → 拟建, 拟建 → 在建, 在建 → 建成投产.
GAPS = {ProjectStage.SIGNED: (20, 240), ProjectStage.BUILDING: (15, 200), ProjectStage.PRODUCING: (120, 480)}
# Working days before the last follow-up (open) or today (closed) that the project reached its stage.
AGES = {
    ProjectStage.TALKS: (10, 460),
    ProjectStage.SIGNED: (0, 330),
    ProjectStage.BUILDING: (0, 480),
    ProjectStage.PAUSED: (0, 200),
    ProjectStage.PRODUCING: (2, 330),
    ProjectStage.STOPPED: (2, 400),
}
PAUSED_FROM = {ProjectStage.TALKS: 45, ProjectStage.SIGNED: 35, ProjectStage.BUILDING: 20}
STOPPED_FROM = {ProjectStage.TALKS: 75, ProjectStage.SIGNED: 20, ProjectStage.BUILDING: 5}
# How many follow-ups (at most: they stay within the past year and after creation) per stage.
FOLLOW_UPS = {
    ProjectStage.TALKS: (16, 30),
    ProjectStage.SIGNED: (16, 30),
    ProjectStage.BUILDING: (16, 30),
    ProjectStage.PAUSED: (4, 12),
    ProjectStage.PRODUCING: (8, 26),
    ProjectStage.STOPPED: (4, 14),
}
Move = tuple[int, ProjectStage, ProjectStage]  # (working-day index, from, to)


@dataclass
class Story:
    stage: ProjectStage
    created: int  # working-day index of the day the project entered the list
    moves: list[Move]
    paused_from: ProjectStage | None = None
    evidence: dict[str, date] = field(default_factory=dict)  # signed_on, actual_start_on, ...
    planned: dict[str, date | None] = field(default_factory=dict)  # planned_start_on, ...
    # One per follow-up: (day, next follow-up date, stage move)
    follow_ups: list[tuple[date, date | None, ProjectStage | None]] = field(default_factory=list)
    due: date | None = None

    @property
    def reached(self) -> ProjectStage:
        """The furthest stage of 在谈 → 建成投产 the project got to."""
        return max(
            (to for _, _, to in self.moves if to in ORDER), key=ORDER.index, default=ProjectStage.TALKS
        )


class ProjectTimeline(Timeline):
    def __init__(self, rng: random.Random, today: date):
        super().__init__(rng, today)
        self.calendar = WorkCalendar(today - timedelta(SPAN + 30), today + timedelta(60))
        self.floor = self.calendar.count(today - timedelta(SPAN))  # first working day in the span
        self.top = self.index(self.latest)

    def index(self, day: date) -> int:
        """Index of day (or of the last working day before it)."""
        return self.calendar.count(day) - 1

    def day(self, index: int) -> date:
        return self.calendar.days[index]

    def room(self, born: date) -> int:
        """Working days after born up to the last one before today."""
        return self.top - self.index(born)

    def make(self, stage: ProjectStage, born: date | None = None) -> Story:
        """A project's story; born: the day it came from a target company (created that day)."""
        rng = self.rng
        low = self.index(born) if born else self.floor
        path, paused_from = self._path(stage)
        due = last = None
        if stage.is_closed:
            end = self.top - rng.randint(*AGES[stage])
            if born:
                end = rng.randint(low + len(path), self.top)
        else:
            limit = DEFAULT_LIMITS.get(stage.value, PAUSED_LIMIT)
            last, due = self._open_dates(limit)
            last_index = self.index(last)
            needed = low + max(len(path), 1)
            if last_index < needed <= self.top:  # born days ago: its moves and follow-ups since
                last_index = rng.randint(needed, self.top)
                last = self.day(last_index)
                due = self.calendar.add(last, rng.randint(3, limit))
            elif last_index < needed:  # converted on the last working day: no follow-up yet
                last_index, last = low, None
                due = self.calendar.add(self.day(low), rng.randint(3, limit))
            end = last_index - rng.randint(*AGES[stage])
            if born:  # moved on since its conversion, at some point before the last follow-up
                end = rng.randint(low + len(path), max(last_index, low + len(path)))
        indexes = self._spread(path, max(end, low + len(path)), low, born is not None)
        moves = [
            (i, old, new) for i, old, new in zip(indexes[1:], [ProjectStage.TALKS, *path], path, strict=False)
        ]
        story = Story(
            stage, indexes[0], moves, paused_from=paused_from if stage == ProjectStage.PAUSED else None
        )
        story.due = due
        for i, _, to in moves:
            if to == ProjectStage.SIGNED:
                story.evidence["signed_on"] = self.day(i)
            elif to == ProjectStage.BUILDING:
                story.evidence["actual_start_on"] = self.day(i)
            elif to == ProjectStage.PRODUCING:
                story.evidence["actual_completion_on"] = self.day(i)
        story.planned = self._planned(story)
        closing = self.day(moves[-1][0]) if stage.is_closed and moves else None
        story.follow_ups = self._follow_ups(story, last or closing, due)
        return story

    def _path(self, stage: ProjectStage) -> tuple[list[ProjectStage], ProjectStage | None]:
        """The stages entered after 在谈, in order, ending with stage (and where a pause came from)."""
        if stage in ORDER:
            return ORDER[1 : ORDER.index(stage) + 1], None
        weights = PAUSED_FROM if stage == ProjectStage.PAUSED else STOPPED_FROM
        before = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        return [*ORDER[1 : ORDER.index(before) + 1], stage], before

    def _spread(self, path: list[ProjectStage], end: int, low: int, fixed_start: bool) -> list[int]:
        """Indexes of creation and each move, ending at end, none before low (creation at low if fixed)."""
        rng = self.rng
        points = [end]
        for stage in reversed(path):
            points.append(points[-1] - rng.randint(*GAPS.get(stage, (20, 300))))
        points.reverse()
        first = points[0]
        if first < low:  # squeezed into the span (a converted company's project: since its conversion)
            points = [low + round((p - first) * (end - low) / (end - first)) for p in points]
        if fixed_start:
            points[0] = low
        for k in range(1, len(points)):  # strictly increasing, ending at end
            points[k] = max(points[k], points[k - 1] + 1)
        points[-1] = end
        for k in range(len(points) - 2, -1, -1):
            points[k] = min(points[k], points[k + 1] - 1)
        return points

    def _planned(self, story: Story) -> dict[str, date | None]:
        """计划开工 and 计划竣工: some 拟建 past the start (签约未开工), some 在建 past completion."""
        rng, today, ev = self.rng, self.today, story.evidence
        stage = story.reached if story.stage in (ProjectStage.PAUSED, ProjectStage.STOPPED) else story.stage
        signed, started, done = ev.get("signed_on"), ev.get("actual_start_on"), ev.get("actual_completion_on")
        start = None
        if started:
            start = max(signed or started, started + timedelta(rng.randint(-90, 30)))
        elif signed:
            late = (today - signed).days - 1
            if stage == ProjectStage.SIGNED and late >= 10 and rng.random() < 0.4:
                missed = rng.randint(90, min(late, 360)) if late > 90 and rng.random() < 0.45 else 0
                start = today - timedelta(missed or rng.randint(1, min(late, 89)))
            else:
                start = today + timedelta(rng.randint(5, 270))
        elif rng.random() < 0.7:
            start = today + timedelta(rng.randint(60, 400))
        if start is None:
            return {"planned_start_on": None, "planned_completion_on": None}
        if done:
            completion = max(start + timedelta(180), done + timedelta(rng.randint(-120, 60)))
        elif started and stage == ProjectStage.BUILDING and rng.random() < 0.35:
            earliest = max(start, started) + timedelta(150)
            late = (today - earliest).days - 1
            completion = (
                today - timedelta(rng.randint(1, min(late, 400)))
                if late >= 1
                else today + timedelta(rng.randint(20, 400))
            )
        elif started:
            completion = max(start + timedelta(150), today + timedelta(rng.randint(20, 700)))
        else:
            completion = start + timedelta(rng.randint(300, 900))
        return {"planned_start_on": start, "planned_completion_on": completion}

    def _follow_ups(self, story: Story, last: date | None, due: date | None) -> list:
        """Follow-up days after creation within the past year, one on each move day there."""
        if last is None:
            return []
        rng, created = self.rng, self.day(story.created)
        chain = self._chain(last, due, rng.randint(*FOLLOW_UPS[story.stage]))
        chain = [(day, nxt) for day, nxt in chain if day > created and day >= self.window_start]
        days = dict(chain)
        moves = {self.day(i): to for i, _, to in story.moves}
        for day, to in moves.items():
            if self.window_start <= day <= last and day not in days:
                days[day] = None if to.is_closed else self.calendar.add(day, rng.randint(4, 12))
        return [(day, days[day], moves.get(day)) for day in sorted(days)]


def milestones(
    rng: random.Random,
    story: Story,
    created: date,
    today: date,
    latest: date,
    titles: Sequence[Sequence[str]],
) -> list[tuple[str, date, date | None]]:
    """2–5 consecutive steps of the 工作方案 around where the project stands: (title, due, done)."""
    ev, planned = story.evidence, story.planned
    signed, started, done = (ev.get(k) for k in ("signed_on", "actual_start_on", "actual_completion_on"))
    start = started or planned["planned_start_on"]
    signing = signed or today + timedelta(rng.randint(-40, 200))
    if start and not signed:
        signing = min(signing, start - timedelta(30))
    start = start or signing + timedelta(120)
    finish = done or planned["planned_completion_on"] or start + timedelta(540)
    phases = [(created, signing, signed), (signing, start, started), (start, finish, done)]
    steps, current = [], True  # current: the phase before has happened
    for (begin, end, happened), names in zip(phases, titles, strict=True):
        begin = min(begin, end - timedelta(len(names)))
        for k, title in enumerate(names, 1):
            due = begin + (end - begin) * k / len(names)
            if happened:
                jittered = max(begin, due + timedelta(rng.randint(-10, 20)))
                finished = happened if k == len(names) else min(happened, jittered)
            elif current and k < len(names) and due <= latest and rng.random() < 0.75:
                finished = min(latest, due + timedelta(rng.randint(-5, 15)))
            else:
                finished = None
            steps.append((title, due, finished))
        current = bool(happened)
    position = next((k for k, (_, _, finished) in enumerate(steps) if finished is None), len(steps))
    count = rng.randint(2, 5)
    first = max(0, min(position - rng.randint(1, 2), len(steps) - count))
    return steps[first : first + count]
