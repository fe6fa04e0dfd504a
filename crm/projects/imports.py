"""The 项目清单's import: its columns and template, a row read as a ProjectInput with its stage.

The pipeline and its pages are crm.imports'; this module is what only the 项目清单 has. Every rule
about a project is services.project_problems, and every stage rule is crm.projects.stages: an
imported project is created 在谈 by create_project and then moved to its stage, with its evidence,
by move_stage along the path planned_moves plans — the same path as a project moved by hand, so
the preview asks move_problems of the same moves.

A duplicate is a project with the same normalised name and company name in the same cluster. It is
skipped, or updated through update_project (the file's filled cells; never the stage or the owner).
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crm.core.identity import name_key
from crm.core.permissions import scope_clause
from crm.core.validation import MU, WAN_USD, WAN_YUAN, YI_YUAN
from crm.extensions import db
from crm.imports.columns import (
    CLUSTER,
    OWNER,
    SEGMENT,
    ImportColumn,
    example_values,
    guide_rows,
    labels,
    normal_form,
    template_clusters,
    template_xlsx,
)
from crm.imports.preview import select_in
from crm.imports.rows import (
    Cells,
    Lookups,
    ParsedRow,
    as_text,
    read_amount,
    read_cluster,
    read_date,
    read_owner,
    read_region,
    read_segment,
)
from crm.imports.spec import Context, Identity, ImportWords, ListImport, record_input
from crm.imports.views import add_routes
from crm.models import PROJECT_TAGS, ProjectStage, Region, User
from crm.models.projects import Project
from crm.projects import bp
from crm.projects.services import (
    CLASSIFICATIONS,
    ProjectInput,
    create_project,
    project_problems,
    update_project,
)
from crm.projects.stages import (
    EVIDENCE,
    EVIDENCE_FIELDS,
    ORDER,
    StageMove,
    move_problems,
    move_stage,
    planned_moves,
)

STAGE_NOTE = "阶段说明"
COLUMNS = [
    ImportColumn("项目名称", "name", True, 32, note="必填，最长 128 个字；与项目单位、所属集群一起用于查重"),
    ImportColumn("项目单位", "company_name", True, 28, note="必填，投资方企业名称"),
    CLUSTER,
    SEGMENT,
    ImportColumn("落地地区", "region_id", width=10, note="空白为所属集群所在地区；见下方"),
    ImportColumn(
        "阶段",
        "stage",
        True,
        10,
        note="必填：在谈、拟建、在建、建成投产、暂缓、终止。拟建须填签约日期和签约投资额，"
        "在建还须填实际开工日期，建成投产还须填实际竣工投产日期",
    ),
    ImportColumn("标志性项目", "is_landmark", width=8, note="是 或 否；空白为“否”"),
    ImportColumn("总投资（亿元）", "total_investment", width=12, kind="amount", note="数字，最多两位小数"),
    ImportColumn(
        "固定资产投资（亿元）", "fixed_asset_investment", width=12, kind="amount", note="不大于总投资"
    ),
    ImportColumn("合同外资（万美元）", "foreign_capital", width=12, kind="amount"),
    ImportColumn("预计年产值（亿元）", "expected_output", width=12, kind="amount"),
    ImportColumn("预计年增加值（亿元）", "expected_added_value", width=12, kind="amount"),
    ImportColumn("用地（亩）", "land_area", width=10, kind="amount"),
    ImportColumn("签约日期", "signed_on", width=12, kind="date", note="拟建及以后的阶段必填；不晚于今天"),
    ImportColumn(
        "签约投资额（亿元）", "signed_investment", width=12, kind="amount", note="拟建及以后的阶段必填"
    ),
    ImportColumn("计划开工日期", "planned_start_on", width=12, kind="date"),
    ImportColumn("实际开工日期", "actual_start_on", width=12, kind="date", note="在建及以后的阶段必填"),
    ImportColumn("计划竣工日期", "planned_completion_on", width=12, kind="date"),
    ImportColumn("实际竣工投产日期", "actual_completion_on", width=12, kind="date", note="建成投产必填"),
    ImportColumn("联系领导", "leader_name", width=10),
    OWNER,
    ImportColumn("责任单位", "responsible_unit", width=16),
    ImportColumn("工作方案", "action_plan", width=30),
    ImportColumn(
        STAGE_NOTE,
        "stage_note",
        width=24,
        note="记入阶段变更的说明；阶段为暂缓、终止时必填（即暂缓、终止的原因）",
    ),
    # Outcomes (issue 15), after the columns older files have
    ImportColumn(
        "总投资（万美元）", "total_investment_usd", width=12, kind="amount", note="外资、中外合资项目填写"
    ),
    ImportColumn("注册资本（万元）", "registered_capital", width=12, kind="amount"),
    ImportColumn("内外资", "capital_type", width=8, note="内资、外资 或 中外合资；可空"),
    ImportColumn("投资方来源", "investor_origin", width=10, note="境外、省外、市外本省 或 本市；可空"),
    ImportColumn("项目类型", "project_type", width=10, note="新引进 或 增资扩产；可空"),
    ImportColumn("行业", "sector", width=8, note="制造业 或 服务业；可空"),
    ImportColumn(
        "项目标签",
        "tags",
        width=16,
        note="可填多个，用“、”分隔：世界500强、上市公司、专精特新、央企/国企、浙商回归",
    ),
]
LABELS = labels(COLUMNS)
EXAMPLE_NAME = "示例：年产 10 万吨新材料项目（导入前请删除此行）"
AMOUNT_UNITS = {
    "total_investment": ("总投资", YI_YUAN),
    "fixed_asset_investment": ("固定资产投资", YI_YUAN),
    "foreign_capital": ("合同外资", WAN_USD),
    "total_investment_usd": ("总投资（万美元）", WAN_USD),
    "registered_capital": ("注册资本", WAN_YUAN),
    "expected_output": ("预计年产值", YI_YUAN),
    "expected_added_value": ("预计年增加值", YI_YUAN),
    "land_area": ("用地", MU),
    "signed_investment": ("签约投资额", YI_YUAN),
}
DATES = ["signed_on", "planned_start_on", "actual_start_on", "planned_completion_on", "actual_completion_on"]
TAG_SEPARATORS = re.compile(r"[、,;\n]")  # after NFKC, "，" and "；" are "," and ";"
TRUE, FALSE = ("是", "y", "yes", "true", "1"), ("否", "n", "no", "false", "0")

WORDS = ImportWords(
    bp="projects",
    id_arg="project_id",
    list_label="项目清单",
    noun="项目",
    counter="个",
    state_label="阶段",
    duplicate_rule="同一集群内，项目名称和项目单位（去掉“有限公司”等后）都相同即为重复。"
    "“更新”只修改文件中填写了的资料，不改变阶段、阶段证明和责任人；“跳过”不做任何修改。",
    header_hint="“项目名称*”“项目单位*”“所属集群*”",
    summary="新增 {} 个项目，更新 {} 个，跳过 {} 个",
    guide_values="集群、产业链环节、落地地区和阶段",
    error_examples="集群、环节或地区不存在、日期无法识别、责任人不存在或不在范围内、阶段缺少证明、文件内重复等",
    rules=(
        "项目先按“在谈”新建，再按所填阶段变更阶段，与在项目页变更阶段的规则相同：拟建须有签约日期和签约投资额，"
        "在建还须有实际开工日期，建成投产还须有实际竣工投产日期；暂缓、终止须在“阶段说明”中写明原因。"
        "每次变更都记入项目历史。",
        "与项目清单中已有项目重复（同一集群内，项目名称和项目单位去掉“有限公司”等后相同）的行单独列出，"
        "由您逐行选择“跳过”或“更新”。更新只修改文件中填写了的资料，不改变阶段、阶段证明和责任人。",
    ),
)


@dataclass
class ProjectRow(ParsedRow):
    stage: ProjectStage | None = None
    note: str = ""  # the 阶段说明 of the stage moves
    evidence: dict = field(default_factory=dict)  # evidence field → value given in the file


def template(actor: User, today: date) -> bytes:
    """The template, its example row, and the clusters, segments, regions and stages the user may use."""
    clusters = template_clusters(actor)
    regions = db.session.scalars(
        sa.select(Region).where(scope_clause(actor, Region.id)).order_by(Region.sort_order)
    )
    example = {
        **example_values(actor, clusters),
        "name": EXAMPLE_NAME,
        "company_name": "嘉兴某某新材料科技有限公司",
        "stage": ProjectStage.SIGNED.value,
        "is_landmark": "否",
        "total_investment": Decimal("10.00"),
        "fixed_asset_investment": Decimal("8.00"),
        "registered_capital": Decimal("20000.00"),
        "capital_type": "内资",
        "investor_origin": "省外",
        "project_type": "新引进",
        "sector": "制造业",
        "tags": "专精特新",
        "signed_on": today,
        "signed_investment": Decimal("10.00"),
        "leader_name": "（联系领导）",
        "responsible_unit": "（责任单位）",
        "action_plan": "（工作方案）",
        "stage_note": "已签约",
    }
    remark = "项目按“在谈”新建，再按所填阶段及其证明（签约、开工、竣工日期等）变更阶段，记入项目历史。"
    values = [("落地地区", r.name) for r in regions] + [("阶段", s.value) for s in ProjectStage]
    values += [(label, m.value) for vocabulary, label in CLASSIFICATIONS.values() for m in vocabulary]
    values += [("项目标签", tag) for tag in PROJECT_TAGS]
    guide = guide_rows(WORDS.row_noun, COLUMNS, clusters, [remark], values)
    return template_xlsx(WORDS.list_label, COLUMNS, example, guide)


def parse_row(cells: list, columns: dict[str, int], lookups: Lookups, context: Context) -> ProjectRow:
    """The row's ProjectInput, its stage with the evidence given, and every cell that can't be read."""
    row = Cells(cells, columns, LABELS, {})
    cluster = read_cluster(row, lookups)
    amounts: dict[str, Any] = {key: read_amount(row, key, *AMOUNT_UNITS[key]) for key in AMOUNT_UNITS}
    days = {key: read_date(row, key) for key in DATES}
    data = ProjectInput(
        name=row.text("name"),
        company_name=row.text("company_name"),
        cluster_id=cluster.id if cluster else None,
        region_id=read_region(row, lookups),
        segment_id=read_segment(row, lookups, cluster),
        owner_id=read_owner(row, lookups, context.actor),
        is_landmark=_yes_no(row, "is_landmark"),
        planned_start_on=days["planned_start_on"],
        planned_completion_on=days["planned_completion_on"],
        leader_name=row.text("leader_name"),
        responsible_unit=row.text("responsible_unit"),
        action_plan=row.text("action_plan"),
        tags=_tags(row),
        capital_type=_choice(row, "capital_type"),
        investor_origin=_choice(row, "investor_origin"),
        project_type=_choice(row, "project_type"),
        sector=_choice(row, "sector"),
        **{key: amounts[key] for key in AMOUNT_UNITS if key != "signed_investment"},
    )
    evidence = {k: v for k, v in {**days, **amounts}.items() if k in EVIDENCE_FIELDS and v is not None}
    stage = _stage(row)
    return ProjectRow(data, row.given, row.errors, stage, row.text("stage_note"), evidence)


def _choice(row: Cells, key: str) -> str | None:
    """A classification cell: one of its vocabulary's words, or None when blank."""
    text = normal_form(row.text(key)) if row.text(key) else ""
    vocabulary, label = CLASSIFICATIONS[key]
    if not text:
        return None
    if text not in {m.value for m in vocabulary}:
        row.error(key, f"未知的{label}“{row.text(key)}”（可选：{'、'.join(m.value for m in vocabulary)}）。")
        return None
    return text


def _tags(row: Cells) -> list[str]:
    """项目标签, 、-separated; a word that is no tag is the row's error."""
    parts = (p.strip() for p in TAG_SEPARATORS.split(unicodedata.normalize("NFKC", row.text("tags"))))
    tags = list(dict.fromkeys(p for p in parts if p))
    unknown = [t for t in tags if t not in PROJECT_TAGS]
    if unknown:
        row.error("tags", f"未知的项目标签：{'、'.join(unknown)}（可选：{'、'.join(PROJECT_TAGS)}）。")
        return []
    return tags


def _yes_no(row: Cells, key: str) -> bool:
    text = as_text(row.raw(key)).lower()
    if not text or text in FALSE:
        return False
    if text in TRUE:
        return True
    row.error(key, f"{LABELS[key]}请填写“是”或“否”，而不是“{text}”。")
    return False


def _stage(row: Cells) -> ProjectStage | None:
    text = row.text("stage")
    if not text:
        row.error("stage", "请填写阶段。")
        return None
    try:
        return ProjectStage(normal_form(text))
    except ValueError:
        row.error("stage", f"未知的阶段“{text}”（可选：{'、'.join(s.value for s in ProjectStage)}）。")
        return None


def identity(data: ProjectInput) -> Identity:
    """A project is its name and company (normalised) in its cluster; without all three, none."""
    if not (data.name and data.company_name and data.cluster_id):
        return Identity()
    return Identity(weak=(name_key(data.name), name_key(data.company_name), data.cluster_id))


def existing(identities: list[Identity]) -> list[tuple[Identity, Project]]:
    """Projects in any region with one of the names."""
    query = sa.select(Project).options(joinedload(Project.owner))
    projects = select_in(query, Project.name_key, (i.weak[0] for i in identities if i.weak))
    return [(Identity(weak=(p.name_key, name_key(p.company_name), p.cluster_id)), p) for p in projects]


def as_input(project: Project) -> ProjectInput:
    """The project as the input that would save it unchanged (its stage is no field of it)."""
    return record_input(ProjectInput, project)


def _moves(parsed: ProjectRow, context: Context) -> list[StageMove]:
    if parsed.stage is None:
        return []
    return planned_moves(parsed.stage, parsed.evidence, parsed.note, context.note)


def stage_problems(parsed: ProjectRow, context: Context) -> dict[str, str]:
    """The stage rules' own reasons for a new row, asked of a stand-in project that is never saved."""
    stage = parsed.stage
    if stage is None:
        return {}
    if stage in (ProjectStage.PAUSED, ProjectStage.STOPPED) and not parsed.note:
        return {"stage_note": f"阶段为“{stage.value}”时须填写{STAGE_NOTE}（即{stage.value}的原因）。"}
    if stage in ORDER:
        allowed = {name for step in ORDER[: ORDER.index(stage) + 1] for name, _ in EVIDENCE.get(step, [])}
        extra = [LABELS[name] for name in EVIDENCE_FIELDS if name in parsed.evidence and name not in allowed]
        if extra:
            return {"stage": f"阶段为“{stage.value}”时不应填写{'、'.join(extra)}，请核对阶段。"}
    stand_in = Project(stage=ProjectStage.TALKS)
    reasons: list[str] = []
    for move in _moves(parsed, context):
        found = move_problems(stand_in, move, context.actor, context.today)
        reasons += [r for r in found if r not in reasons]
        if found:
            break
        for name, value in move.evidence.items():
            setattr(stand_in, name, value)
        to = ProjectStage(move.to)
        if to == ProjectStage.PAUSED:
            stand_in.paused_from = stand_in.stage
        stand_in.stage = to
    return {"stage_rules": "；".join(reasons)} if reasons else {}


def create(data: ProjectInput, parsed: ProjectRow, context: Context) -> Project:
    """A new project, 在谈, then moved to its stage with its evidence."""
    project = create_project(data, context.actor, note=context.note)
    for move in _moves(parsed, context):
        move_stage(project, move, context.actor, context.today)
    return project


PROJECT_IMPORT = ListImport(
    kind="project",
    permission="project.create",
    words=WORDS,
    columns=COLUMNS,
    example_name=EXAMPLE_NAME,
    template=template,
    parse=parse_row,
    identity=identity,
    existing=existing,
    as_input=as_input,
    problems=project_problems,
    create=create,
    update=update_project,
    check_new=stage_problems,
    later_reasons=("stage_rules",),
)
add_routes(bp, PROJECT_IMPORT)
