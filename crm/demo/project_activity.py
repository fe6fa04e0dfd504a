"""What happens on a demo project (used by crm/demo/project_plan.py): follow-ups, stage moves with
their evidence, problems to coordinate, and the history rows that record them.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from crm.demo import project_words as pw
from crm.demo.project_context import Context
from crm.demo.project_story import Story
from crm.demo.targets import Person, history_for
from crm.models import FollowUpMethod, ProblemCategory, ProblemStatus, ProjectStage
from crm.models.projects import Project

Author = Callable[[date], Person]  # who wrote on a day (the owner, or the one before a handover)

NOTES = {
    ProjectStage.TALKS: pw.TALKS,
    ProjectStage.SIGNED: pw.SIGNED,
    ProjectStage.BUILDING: pw.BUILDING,
    ProjectStage.PAUSED: pw.PAUSED,
}
# Problems per project by stage: weights of 0, 1, 2 and 3 problems (about 0.6 per project overall).
PROBLEM_COUNTS = {
    ProjectStage.TALKS: (82, 16, 2, 0),
    ProjectStage.SIGNED: (25, 45, 25, 5),
    ProjectStage.BUILDING: (35, 45, 15, 5),
    ProjectStage.PAUSED: (40, 45, 10, 5),
    ProjectStage.PRODUCING: (75, 20, 5, 0),
    ProjectStage.STOPPED: (82, 16, 2, 0),
}
PROBLEM_STATUS = {ProblemStatus.OPEN: 35, ProblemStatus.IN_PROGRESS: 35, ProblemStatus.RESOLVED: 30}
CATEGORIES = list(pw.PROBLEMS)
CATEGORY_WEIGHTS = [pw.PROBLEMS[c][0] for c in CATEGORIES]


def follow_ups(
    ctx: Context, story: Story, say: dict[str, Any], author: Author
) -> tuple[list[dict[str, Any]], dict[date, datetime]]:
    """The follow-up rows, and when the follow-up on each move day was written."""
    rng = ctx.rng
    moves = sorted((ctx.timeline.day(i), to) for i, _, to in story.moves)
    started = story.evidence.get("actual_start_on")
    finish = story.planned.get("planned_completion_on")
    rows, moved, stage, previous = [], {}, ProjectStage.TALKS, None
    values = dict(say)
    for day, next_on, move in story.follow_ups:
        while moves and moves[0][0] < day:
            stage = moves.pop(0)[1]
        person = author(day)
        values.update(workers=rng.randrange(50, 600, 10), monthly=f"{rng.uniform(0.2, 3):.2f}", percent=50)
        if move:
            note = pw.EVENTS[move.value]
        else:
            pool = NOTES.get(stage, pw.PAUSED)
            if stage == ProjectStage.BUILDING and started and finish:
                progress = (day - started).days / max(30, (finish - started).days)
                values["percent"] = min(98, max(5, round(100 * progress)))
                pool = pool + (pw.BUILDING_EARLY if progress < 0.45 else pw.BUILDING_LATE)
            note = rng.choice([n for n in pool if n != previous] or pool)
        previous = note
        method, content, next_step = note
        people = [person.name, f"{say['contact']}（{say['short']}）"]
        if method in ("签约", "考察") or move == ProjectStage.BUILDING or "{leader}" in content:
            people.insert(0, say["leader"])
        created_at = ctx.stamp(day, rng.randint(540, 1080))
        if move:
            moved[day] = created_at
        rows.append(
            {
                "project_id": None,
                "occurred_on": day,
                "method": FollowUpMethod(method),
                "participants": "、".join(people),
                "content": content.format(**values),
                "next_step": next_step.format(**values),
                "next_follow_up_on": next_on,
                "author_id": person.id,
                "created_at": created_at,
            }
        )
    return rows, moved


def stage_moves(
    ctx: Context, story: Story, row: dict[str, Any], author: Author, moved: dict[date, datetime]
) -> list[dict[str, Any]]:
    """One "stage" history row per move, with the evidence in its note."""
    history = []
    for i, old, new in story.moves:
        day = ctx.timeline.day(i)
        at = moved[day] + timedelta(minutes=3) if day in moved else ctx.stamp(day, ctx.rng.randint(570, 1050))
        if new == ProjectStage.SIGNED:
            note = f"签约日期 {day:%Y-%m-%d}；签约投资额 {row['signed_investment']:.2f} 亿元"
        elif new == ProjectStage.BUILDING:
            note = f"实际开工日期 {day:%Y-%m-%d}"
        elif new == ProjectStage.PRODUCING:
            note = f"实际竣工投产日期 {day:%Y-%m-%d}"
        else:
            note = None
        note = f"{pw.MOVE_NOTES[new.value]}（{note}）" if note else row["stage_reason"]
        history.append(history_row("stage", author(day), at, "stage", old.value, new.value, note))
    return history


# A history row's temporary link to its problem: (created_at, description), unique within a project.
PROBLEM_KEY = "_problem"


def problems(
    ctx: Context,
    story: Story,
    row: dict[str, Any],
    say: dict[str, Any],
    author: Author,
    history: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """需协调问题, raised by the owner of the day; their raising and status moves go into history."""
    rng, tl = ctx.rng, ctx.timeline
    region_name = ctx.regions[row["region_id"]][0]
    government = (
        f"{region_name}管委会" if region_name.endswith(("开发区", "港区")) else f"{region_name}人民政府"
    )
    n = rng.choices(range(4), weights=PROBLEM_COUNTS[story.stage])[0]
    begin = tl.index(story.evidence.get("signed_on") or tl.day(story.created)) + 3
    end = story.moves[-1][0] if story.stage.is_closed and story.moves else tl.top
    problems = []
    for _ in range(n):
        category = rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0]
        _, descriptions, resolutions = pw.PROBLEMS[category]
        description, unit = rng.choice(descriptions)
        raised = tl.day(rng.randint(min(begin, end), end))
        status = (
            ProblemStatus.RESOLVED
            if story.stage.is_closed
            else rng.choices(list(PROBLEM_STATUS), weights=list(PROBLEM_STATUS.values()))[0]
        )
        if (tl.latest - raised).days < 10 and status == ProblemStatus.RESOLVED and not story.stage.is_closed:
            status = ProblemStatus.IN_PROGRESS
        values = dict(
            say, part=rng.randint(5, 60), households=rng.randint(2, 30), kv=rng.choice((35, 110, 220))
        )
        values.update(load=rng.randint(2, 20), energy=rng.randint(1, 15), loan=rng.randint(2, 30))
        values.update(workers=rng.randrange(100, 2000, 50), flats=rng.randrange(20, 300, 10))
        description = description.format(**values)
        raiser = author(raised)
        created_at = ctx.stamp(raised, rng.randint(540, 1080))
        updated_at, resolved_on, resolution = created_at, None, None
        history.append(
            history_row("problem", raiser, created_at, "problem", None, f"{category}：{description[:80]}")
        )
        first_move = len(history)
        if status != ProblemStatus.OPEN:
            working = min(tl.latest, raised + timedelta(rng.randint(1, 10)))
            updated_at = ctx.stamp(working, rng.randint(1081, 1140))
            history.append(
                history_row("problem", author(working), updated_at, "problem_status", "待协调", "协调中")
            )
        if status == ProblemStatus.RESOLVED:
            resolved_on = min(tl.latest, working + timedelta(rng.randint(7, 150)))
            resolution = rng.choice(resolutions)
            updated_at = max(updated_at, ctx.stamp(resolved_on, rng.randint(1141, 1200)))
            history.append(
                history_row(
                    "problem",
                    author(resolved_on),
                    updated_at,
                    "problem_status",
                    "协调中",
                    "已解决",
                    resolution,
                )
            )
        for move in history[first_move:]:  # new_ref names the problem once its id is known (demo_projects)
            move[PROBLEM_KEY] = (created_at, description)
        problems.append(
            {
                "project_id": None,
                "category": ProblemCategory(category),
                "description": description,
                "responsible_unit": unit.format(government=government),
                "raised_on": raised,
                "status": status,
                "resolution": resolution,
                "resolved_on": resolved_on,
                "raised_by_id": raiser.id,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )
    return problems


def history_row(
    action: str,
    actor: Person,
    at: datetime,
    field: str | None = None,
    old: object = None,
    new: object = None,
    note: str = "",
) -> dict[str, Any]:
    """A project's history row (its project id filled in on insert)."""
    return history_for(Project.entity_type, action, actor, at, field, old, new, note)
