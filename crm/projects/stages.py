"""Stage rules (SPEC §3.3): every stage path of a project, in one place.

在谈 → 拟建 → 在建 → 建成投产, plus 暂缓 and 终止. A move needs a note; moving into a stage needs
that stage's evidence, and skipping stages needs the evidence of every skipped one; moving back,
pausing or stopping needs a reason (the note); a closed project (建成投产, 终止) is reopened only by
a head or an administrator (may_reopen).

The paths people take all come from here: the moves a project page offers (offered_moves), the
stage a board card proposes (NEXT_STAGE), the moves that bring an imported project to its stage
(planned_moves), and the check and the move themselves (move_problems, move_stage).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from crm.core import history
from crm.core.validation import Invalid
from crm.models import ProjectStage, Role, User, utcnow
from crm.models.projects import Project

ORDER = [ProjectStage.TALKS, ProjectStage.SIGNED, ProjectStage.BUILDING, ProjectStage.PRODUCING]
# field, label: what a project must have to be in the stage.
EVIDENCE: dict[ProjectStage, list[tuple[str, str]]] = {
    ProjectStage.SIGNED: [("signed_on", "签约日期"), ("signed_investment", "签约投资额（亿元）")],
    ProjectStage.BUILDING: [("actual_start_on", "实际开工日期")],
    ProjectStage.PRODUCING: [("actual_completion_on", "实际竣工投产日期")],
}
EVIDENCE_FIELDS = [name for fields in EVIDENCE.values() for name, _ in fields]
LABELS = {name: label for fields in EVIDENCE.values() for name, label in fields}
# The stage a board card's "推进" link proposes; the move itself always goes through the evidence form.
NEXT_STAGE = {stage.value: ORDER[i + 1].value for i, stage in enumerate(ORDER[:-1])}


@dataclass
class StageMove:
    to: str
    note: str
    evidence: dict[str, Any] = field(default_factory=dict)  # signed_on, signed_investment, ...


def _value(project: Project, move: StageMove, name: str) -> Any:
    """An evidence field as the move would leave it: the value given, else the project's own."""
    given = move.evidence.get(name)
    return given if given not in (None, "") else getattr(project, name)


def move_problems(project: Project, move: StageMove, actor: User, today: date) -> list[str]:
    """Every reason (in Chinese) the move can't be made; empty when it can."""
    try:
        to = ProjectStage(move.to)
    except ValueError:
        return ["请选择目标阶段。"]
    current = project.stage
    problems = []
    if to == current:
        return [f"项目已处于“{to.value}”阶段。"]
    if not move.note.strip():
        problems.append("请填写说明（回退、暂缓、终止时即为原因）。")
    if current.is_closed and not may_reopen(actor):
        problems.append(f"项目已{current.value}，只能由局领导重新启用。")
    entered: list[ProjectStage] = []
    if to in ORDER:
        base = _resumes_from(project)
        start = ORDER.index(base) + 1 if base in ORDER else 0
        entered = ORDER[start : ORDER.index(to) + 1]
        for stage in entered:
            missing = [
                label for name, label in EVIDENCE.get(stage, []) if _value(project, move, name) is None
            ]
            if missing:
                problems.append(f"转入“{stage.value}”需要：{'、'.join(missing)}。")
    # 签约投资额 is evidence only above zero: checked when it is given, and when the move signs the
    # project with the amount it already holds (an edit or an import may have left 0 there).
    amount = _value(project, move, "signed_investment")
    signing = ProjectStage.SIGNED in entered or move.evidence.get("signed_investment") not in (None, "")
    if signing and amount is not None and not _positive(amount):
        problems.append("签约投资额须大于 0。")
    problems += _evidence_sanity(project, move, today)
    return problems


def _positive(amount: Any) -> bool:
    """An amount above zero: not 0, -0, negative, NaN or infinite."""
    return isinstance(amount, Decimal | int) and Decimal(amount).is_finite() and amount > 0


def may_reopen(actor: User) -> bool:
    """Whether actor may move a closed project (建成投产, 终止) again: heads and administrators."""
    return actor.role in (Role.HEAD, Role.ADMIN)


def _resumes_from(project: Project) -> ProjectStage:
    """The main stage a project stands at: where a paused project left off, else its stage."""
    if project.stage == ProjectStage.PAUSED and project.paused_from:
        return project.paused_from
    return project.stage


def offered_moves(project: Project, actor: User) -> list[ProjectStage]:
    """The moves a project page offers: the next main stage first, then 暂缓/终止 or resuming."""
    if project.is_closed and not may_reopen(actor):
        return []  # offer nothing that must fail
    base = _resumes_from(project)
    offered = []
    if base in ORDER and ORDER.index(base) + 1 < len(ORDER):
        offered.append(ORDER[ORDER.index(base) + 1])
    if project.stage == ProjectStage.PAUSED:
        offered.append(base)
    offered += [ProjectStage.PAUSED, ProjectStage.STOPPED]
    return [s for s in offered if s != project.stage]


def planned_moves(stage: ProjectStage, evidence: dict, note: str, default_note: str) -> list[StageMove]:
    """The moves that take a new (在谈) project to stage with its evidence (the import's path).

    暂缓 and 终止 come after the furthest of 拟建 and 在建 whose evidence is all there, so a paused
    project resumes from where it stood.
    """
    if stage == ProjectStage.TALKS:
        return []
    if stage in ORDER:
        return [StageMove(stage.value, note or default_note, dict(evidence))]
    reached = [
        s
        for i, s in enumerate(ORDER[1:3], start=1)
        if all(evidence.get(name) is not None for step in ORDER[1 : i + 1] for name, _ in EVIDENCE[step])
    ]
    if not reached:
        return [StageMove(stage.value, note, dict(evidence))]
    base = reached[-1]
    upto = {name for step in ORDER[1 : ORDER.index(base) + 1] for name, _ in EVIDENCE[step]}
    return [
        StageMove(base.value, default_note, {k: v for k, v in evidence.items() if k in upto}),
        StageMove(stage.value, note, {k: v for k, v in evidence.items() if k not in upto}),
    ]


def _evidence_sanity(project: Project, move: StageMove, today: date) -> list[str]:
    problems = []
    for name in ("signed_on", "actual_start_on", "actual_completion_on"):
        day = move.evidence.get(name)
        if isinstance(day, date) and day > today:
            problems.append(f"{LABELS[name]}不能晚于今天。")
    signed, started, done = (
        _value(project, move, n) for n in ("signed_on", "actual_start_on", "actual_completion_on")
    )
    if signed and started and started < signed:
        problems.append("实际开工日期不能早于签约日期。")
    if started and done and done < started:
        problems.append("实际竣工投产日期不能早于实际开工日期。")
    return problems


def move_stage(project: Project, move: StageMove, actor: User, today: date) -> None:
    """Make the move (the caller checked permission and version, and commits); Invalid if refused."""
    problems = move_problems(project, move, actor, today)
    if problems:
        raise Invalid(
            {"": "；".join(problems)} if len(problems) == 1 else {str(i): p for i, p in enumerate(problems)}
        )
    old, to = project.stage, ProjectStage(move.to)
    given = {
        name: move.evidence[name] for name in EVIDENCE_FIELDS if move.evidence.get(name) not in (None, "")
    }
    for name, value in given.items():
        history.record(
            project, "updated", actor, field=name, old=getattr(project, name), new=value, note="阶段证明"
        )
        setattr(project, name, value)
    if to == ProjectStage.PAUSED:
        project.paused_from = old if old != ProjectStage.PAUSED else project.paused_from
    elif old == ProjectStage.PAUSED:
        project.paused_from = None
    project.stage = to
    project.stage_reason = move.note.strip() if to in (ProjectStage.PAUSED, ProjectStage.STOPPED) else None
    project.stage_since = utcnow()
    if to.is_closed:
        project.next_follow_up_on = None
    project.version += 1
    evidence = "；".join(f"{LABELS[n]} {history.as_text(v)}" for n, v in given.items())
    note = move.note.strip() + (f"（{evidence}）" if evidence else "")
    history.record(project, "stage", actor, field="stage", old=old, new=to, note=note)
