"""项目清单 rules: creating and editing projects, converting a target company, problems."""

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from crm.core import history
from crm.core.identity import name_key
from crm.core.ownership import new_owner_problem, owner_problem
from crm.core.permissions import in_scope
from crm.core.validation import Invalid, check_version
from crm.extensions import db
from crm.models import (
    PROJECT_TAGS,
    CapitalType,
    ChainSegment,
    Cluster,
    InvestorOrigin,
    Problem,
    ProblemCategory,
    ProblemStatus,
    ProjectStage,
    ProjectType,
    Region,
    Role,
    Sector,
    TargetCompany,
    TargetStatus,
    User,
    utcnow,
)
from crm.models.projects import Milestone, Project

AMOUNTS = [
    "total_investment",
    "fixed_asset_investment",
    "foreign_capital",
    "expected_output",
    "expected_added_value",
    "land_area",
    "total_investment_usd",
    "registered_capital",
]
# Classification (issue 15): field → (its vocabulary, its Chinese name); "" or None is 未填.
CLASSIFICATIONS: dict[str, tuple[type[StrEnum], str]] = {
    "capital_type": (CapitalType, "内外资"),
    "investor_origin": (InvestorOrigin, "投资方来源"),
    "project_type": (ProjectType, "项目类型"),
    "sector": (Sector, "行业"),
}
TEXT_LIMITS = {
    "name": ("项目名称", 128),
    "company_name": ("项目单位", 128),
    "leader_name": ("联系领导", 64),
    "responsible_unit": ("责任单位", 128),
    "action_plan": ("工作方案", 5000),
    "description": ("项目简介", 5000),
}


@dataclass
class ProjectInput:
    """What the project form may set (stage evidence moves only through crm.projects.stages)."""

    name: str
    company_name: str
    cluster_id: int | None
    region_id: int | None = None  # 落地地区; the cluster's region when empty
    segment_id: int | None = None
    owner_id: int | None = None
    is_landmark: bool = False
    total_investment: Decimal | None = None
    fixed_asset_investment: Decimal | None = None
    foreign_capital: Decimal | None = None
    expected_output: Decimal | None = None
    expected_added_value: Decimal | None = None
    land_area: Decimal | None = None
    total_investment_usd: Decimal | None = None  # 万美元, for 外资 projects
    registered_capital: Decimal | None = None  # 万元
    capital_type: str | None = None  # CLASSIFICATIONS' values, or None
    investor_origin: str | None = None
    project_type: str | None = None
    sector: str | None = None
    tags: list[str] = field(default_factory=list)  # PROJECT_TAGS
    planned_start_on: date | None = None
    planned_completion_on: date | None = None
    leader_name: str = ""
    responsible_unit: str = ""
    action_plan: str = ""
    description: str = ""

    def cleaned(self) -> "ProjectInput":
        """Text stripped, an empty classification None, tags once each in PROJECT_TAGS' order."""
        values: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in values.items():
            if isinstance(value, str):
                values[name] = value.strip()
        for name in CLASSIFICATIONS:
            values[name] = values[name] or None
        tags = [t.strip() for t in self.tags]
        values["tags"] = [t for t in PROJECT_TAGS if t in tags] + [
            t for t in dict.fromkeys(tags) if t not in PROJECT_TAGS
        ]
        return ProjectInput(**values)


def project_problems(data: ProjectInput, actor: User, existing: Project | None = None) -> dict[str, str]:
    """Field → Chinese reason for everything wrong with data; empty when it can be saved."""
    problems: dict[str, str] = {}
    for name, required in (("name", "请填写项目名称。"), ("company_name", "请填写项目单位。")):
        if not getattr(data, name):
            problems[name] = required
    for name, (label, limit) in TEXT_LIMITS.items():
        if len(getattr(data, name)) > limit:
            problems[name] = f"{label}最长 {limit} 个字符。"
    cluster = db.session.get(Cluster, data.cluster_id) if data.cluster_id else None
    region = db.session.get(Region, data.region_id or (cluster.region_id if cluster else 0))
    if cluster is None:
        problems["cluster_id"] = "请选择所属集群。"
    elif region is None:
        problems["region_id"] = "请选择落地地区。"
    elif not in_scope(actor, region.id):
        problems["region_id"] = f"您的范围（{actor.scope_name}）不包括{region.name}。"
    if data.segment_id and cluster is not None:
        segment = db.session.get(ChainSegment, data.segment_id)
        if segment is None or segment.cluster_id != cluster.id:
            problems["segment_id"] = "所选产业链环节不属于该集群。"
    for name in AMOUNTS:
        value = getattr(data, name)
        if value is not None and value < 0:
            problems[name] = "不能为负数。"
    for name, (vocabulary, label) in CLASSIFICATIONS.items():
        value = getattr(data, name)
        if value is not None and value not in {m.value for m in vocabulary}:
            problems[name] = f"未知的{label}“{value}”（可选：{'、'.join(m.value for m in vocabulary)}）。"
    unknown = [t for t in data.tags if t not in PROJECT_TAGS]
    if unknown:
        problems["tags"] = f"未知的项目标签：{'、'.join(unknown)}（可选：{'、'.join(PROJECT_TAGS)}）。"
    if (
        data.fixed_asset_investment
        and data.total_investment
        and data.fixed_asset_investment > data.total_investment
    ):
        problems["fixed_asset_investment"] = "固定资产投资不能大于总投资。"
    if (
        data.planned_start_on
        and data.planned_completion_on
        and data.planned_completion_on < data.planned_start_on
    ):
        problems["planned_completion_on"] = "计划竣工日期不能早于计划开工日期。"
    if existing is None and region is not None:
        problem = new_owner_problem(data.owner_id, region.id, actor, "项目")
        if problem:
            problems["owner_id"] = problem
    return problems


def _column_values(data: ProjectInput) -> dict[str, Any]:
    cluster = db.session.get_one(Cluster, data.cluster_id)  # project_problems() checked it exists
    values = {f.name: getattr(data, f.name) for f in fields(data) if f.name not in ("owner_id", "cluster_id")}
    values["cluster"] = cluster
    values["region"] = db.session.get(Region, data.region_id or cluster.region_id)
    values["segment"] = db.session.get(ChainSegment, data.segment_id) if data.segment_id else None
    del values["region_id"], values["segment_id"]
    for name, (vocabulary, _) in CLASSIFICATIONS.items():
        values[name] = vocabulary(values[name]) if values[name] else None
    return values


def create_project(
    data: ProjectInput, actor: User, target: TargetCompany | None = None, note: str = ""
) -> Project:
    """Add a 在谈 project after checking every rule; Invalid otherwise (the caller commits)."""
    data = data.cleaned()
    problems = project_problems(data, actor)
    if problems:
        raise Invalid(problems)
    project = Project(stage=ProjectStage.TALKS, owner_id=data.owner_id, created_by=actor, target=target)
    for name, value in _column_values(data).items():
        setattr(project, name, value)
    project.name_key = name_key(data.name)
    db.session.add(project)
    db.session.flush()
    history.record(project, "created", actor, note=note or "新建")
    return project


def update_project(
    project: Project, data: ProjectInput, actor: User, expected_version: int | str | None
) -> list[str]:
    """Apply an edit made on expected_version; returns the changed fields."""
    check_version(project, expected_version)
    data = data.cleaned()
    problems = project_problems(data, actor, existing=project)
    if problems:
        raise Invalid(problems)
    values = _column_values(data)
    if values["region"].id != project.region_id and not project.is_closed:
        problem = owner_problem(project.owner, values["region"].id)
        if problem:
            raise Invalid({"region_id": f"改到该地区后责任人不再符合要求：{problem}请先改派责任人。"})
    changed = history.apply_changes(project, values, actor)
    project.name_key = name_key(project.name)
    if changed:
        project.version += 1
    return changed


DOMESTIC_COUNTRIES = ("", "中国", "中国大陆", "中国内地")


def classification_from_target(target: TargetCompany) -> dict[str, Any]:
    """What the company's own data says of the project's classification, and nothing more: its honours
    that are project tags (世界500强, 上市公司, 专精特新), and 外资 / 境外 when its country is not 中国.
    The project's fields stay editable; what the data doesn't say stays 未填."""
    values: dict[str, Any] = {"tags": [t for t in PROJECT_TAGS if t in target.honours]}
    if (target.country or "").strip() not in DOMESTIC_COUNTRIES:
        values["capital_type"] = CapitalType.FOREIGN.value
        values["investor_origin"] = InvestorOrigin.OVERSEAS.value
    return values


def convert_target(
    target: TargetCompany, actor: User, name: str, total_investment: Decimal | None, version: int | str | None
) -> Project:
    """转为项目: a 在谈 project from the company, and the company becomes 已转项目 — together or not at all."""
    check_version(target, version)
    if target.is_closed:
        raise Invalid({"": f"该企业已{target.status.value}，不能再转为项目。"})
    data = ProjectInput(
        name=name or f"{target.name}投资项目",
        company_name=target.name,
        cluster_id=target.cluster_id,
        region_id=target.region_id,
        segment_id=target.segment_id,
        owner_id=target.owner_id,
        total_investment=total_investment if total_investment is not None else target.intended_investment,
        **classification_from_target(target),
    )
    owner = target.owner
    project = create_project(
        data, owner if owner and owner.role == Role.OFFICER else actor, target, "由招商清单企业转入"
    )
    old = target.status
    target.status = TargetStatus.CONVERTED
    target.status_since = utcnow()
    target.next_follow_up_on = None
    target.version += 1
    history.record(
        target, "status", actor, field="status", old=old, new=target.status, note=f"转为项目：{project.name}"
    )
    return project


@dataclass
class ProblemInput:
    category: str
    description: str
    responsible_unit: str
    raised_on: date | None


def raise_problem(project: Project, data: ProblemInput, actor: User, today: date) -> Problem:
    problems = {}
    if data.category not in {c.value for c in ProblemCategory}:
        problems["category"] = "请选择问题类别。"
    if not data.description.strip():
        problems["description"] = "请描述需要协调的问题。"
    if not data.responsible_unit.strip():
        problems["responsible_unit"] = "请填写责任单位。"
    if data.raised_on is None or data.raised_on > today:
        problems["raised_on"] = "提出日期须为今天或以前的日期。"
    if problems:
        raise Invalid(problems)
    problem = Problem(
        project=project,
        category=ProblemCategory(data.category),
        description=data.description.strip(),
        responsible_unit=data.responsible_unit.strip(),
        raised_on=data.raised_on,
        raised_by=actor,
    )
    db.session.add(problem)
    db.session.flush()
    entry = history.record(
        project,
        "problem",
        actor,
        field="problem",
        new=f"{problem.category.value}：{problem.description[:80]}",
    )
    entry.new_ref = problem.id  # which problem (reports rebuild a problem's past status from these rows)
    return problem


def move_problem(problem: Problem, status: str, resolution: str, actor: User, today: date) -> None:
    """待协调 → 协调中 → 已解决 (已解决 needs the resolution); reopening needs a note too."""
    try:
        to = ProblemStatus(status)
    except ValueError:
        raise Invalid({"status": "请选择状态。"}) from None
    if to == problem.status:
        raise Invalid({"status": f"问题已是“{to.value}”。"})
    resolution = resolution.strip()
    if to == ProblemStatus.RESOLVED and not resolution:
        raise Invalid({"resolution": "标记为已解决时须填写解决情况。"})
    if problem.status == ProblemStatus.RESOLVED and not resolution:
        raise Invalid({"resolution": "重新打开问题须说明原因。"})
    old = problem.status
    problem.status = to
    if to == ProblemStatus.RESOLVED:
        problem.resolution, problem.resolved_on = resolution, today
    else:
        problem.resolved_on = None  # reopened or moved on: the earlier resolution stays for the record
    entry = history.record(
        problem.project, "problem", actor, field="problem_status", old=old, new=to, note=resolution
    )
    entry.new_ref = problem.id


def add_milestone(project: Project, title: str, due_on: date | None, actor: User) -> Milestone:
    if not title.strip() or due_on is None:
        raise Invalid({"title": "请填写节点名称和计划日期。"})
    milestone = Milestone(project=project, title=title.strip()[:200], due_on=due_on)
    db.session.add(milestone)
    history.record(project, "updated", actor, field="milestone", new=f"{due_on:%Y-%m-%d} {milestone.title}")
    return milestone
