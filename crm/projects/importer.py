"""Import of the 项目清单: preview every row, let the user decide about duplicates, commit all or nothing.

The file is read by the 招商清单 import's reader (crm.imports.reader: limits, zip checks,
encodings) and its cells by its row helpers (crm.imports.rows). Every rule about a project is
services.project_problems, and every stage rule is crm.projects.stages: an imported project is
created 在谈 by create_project and then moved to its stage, with its evidence, by move_stage — the
same path as a project moved by hand, so the preview asks move_problems of the same moves.

A duplicate is a project with the same normalised name and company name in the same cluster. It is
skipped, or updated through update_project (the file's filled cells; never the stage or the owner).
"""

import unicodedata
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import date

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from crm.core.identity import name_key
from crm.core.notifications import notify
from crm.core.permissions import can
from crm.core.validation import Conflict, Invalid
from crm.extensions import db
from crm.imports.pipeline import RACE_MESSAGE, SKIP, UPDATE
from crm.imports.reader import Settings, read_table
from crm.imports.rows import (
    Cells,
    Lookups,
    as_text,
    read_amount,
    read_cluster,
    read_date,
    read_owner,
    read_segment,
)
from crm.models import ImportBatch, ProjectStage, Region, User, utcnow
from crm.models.projects import Project
from crm.projects.import_columns import (
    COLUMNS,
    EXAMPLE_NAME,
    HEADER_HINT,
    LABELS,
    ROW_HINT,
    STAGE_NOTE,
    map_project_columns,
    project_bad_rows_xlsx,
)
from crm.projects.services import ProjectInput, create_project, project_problems, update_project
from crm.projects.stages import EVIDENCE, EVIDENCE_FIELDS, ORDER, StageMove, move_problems, move_stage

S = ProjectStage
INPUT_FIELDS = {f.name for f in fields(ProjectInput)}
AMOUNT_UNITS = {
    "total_investment": ("总投资", "亿元"),
    "fixed_asset_investment": ("固定资产投资", "亿元"),
    "foreign_capital": ("外资", "万美元"),
    "expected_output": ("预计年产值", "亿元"),
    "expected_added_value": ("预计年增加值", "亿元"),
    "land_area": ("用地", "亩"),
    "signed_investment": ("签约投资额", "亿元"),
}
DATES = [
    "signed_on",
    "planned_start_on",
    "actual_start_on",
    "planned_completion_on",
    "actual_completion_on",
]
# How a row's reasons are ordered: the duplicate, the columns, the stage rules' reasons, the decision.
REASON_ORDER = ["duplicate", *(c.key for c in COLUMNS), "stage_rules", "decision"]
CHUNK = 500
TRUE, FALSE = ("是", "y", "yes", "true", "1"), ("否", "n", "no", "false", "0")


@dataclass
class ParsedProject:
    data: ProjectInput
    stage: ProjectStage | None
    note: str
    evidence: dict = field(default_factory=dict)  # evidence field → value given in the file
    given: set[str] = field(default_factory=set)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportRow:
    number: int
    cells: list
    parsed: ParsedProject
    errors: list[str] = field(default_factory=list)
    duplicate_note: str = ""
    existing: Project | None = None
    visible: bool = False
    editable: bool = False
    decision: str = SKIP
    data: ProjectInput | None = None
    moves: list[StageMove] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.parsed.data.name

    @property
    def key(self) -> tuple | None:
        data = self.parsed.data
        if not (data.name and data.company_name and data.cluster_id):
            return None
        return name_key(data.name), name_key(data.company_name), data.cluster_id


@dataclass
class Analysis:
    filename: str
    headers: list[str]
    columns: dict[str, int]
    rows: list[ImportRow]
    lookups: Lookups | None = None  # held so target lookups stay in the identity map

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.errors]

    @property
    def duplicates(self) -> list[ImportRow]:
        return [r for r in self.rows if r.existing is not None and not r.errors]

    @property
    def new_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.existing is None and not r.errors]


def _read(filename: str, content: bytes, settings: Settings):
    table = read_table(filename, content, settings.limits, HEADER_HINT, ROW_HINT)
    return table, map_project_columns(table.headers)


def check_file(filename: str, content: bytes, settings: Settings) -> int:
    """Refuse an unusable file at upload (ImportFileError); returns its number of data rows."""
    table, _ = _read(filename, content, settings)
    return len(table.rows)


def parse_row(
    cells: list, columns: dict[str, int], lookups: Lookups, regions: dict, actor: User
) -> ParsedProject:
    row = Cells(cells, columns, LABELS, {})
    cluster = read_cluster(row, lookups)
    amounts = {key: read_amount(row, key, *AMOUNT_UNITS[key]) for key in AMOUNT_UNITS}
    days = {key: read_date(row, key) for key in DATES}
    data = ProjectInput(
        name=row.text("name"),
        company_name=row.text("company_name"),
        cluster_id=cluster.id if cluster else None,
        region_id=_region(row, regions),
        segment_id=read_segment(row, lookups, cluster),
        owner_id=read_owner(row, lookups, actor),
        is_landmark=_yes_no(row, "is_landmark"),
        planned_start_on=days["planned_start_on"],
        planned_completion_on=days["planned_completion_on"],
        leader_name=row.text("leader_name"),
        responsible_unit=row.text("responsible_unit"),
        action_plan=row.text("action_plan"),
        **{key: amounts[key] for key in AMOUNT_UNITS if key != "signed_investment"},
    )
    evidence = {k: v for k, v in {**days, **amounts}.items() if k in EVIDENCE_FIELDS and v is not None}
    stage = _stage(row)
    return ParsedProject(data, stage, row.text("stage_note"), evidence, row.given, row.errors)


def _region(row: Cells, regions: dict) -> int | None:
    text = row.text("region_id")
    if not text:
        return None
    region = regions.get(_normal(text))
    if region is None:
        row.error("region_id", f"未知的落地地区“{text}”（见“填写说明”）。")
        return None
    return region.id


def _normal(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


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
        return ProjectStage(_normal(text))
    except ValueError:
        row.error("stage", f"未知的阶段“{text}”（可选：{'、'.join(s.value for s in ProjectStage)}）。")
        return None


def analyse(
    filename: str,
    content: bytes,
    actor: User,
    settings: Settings,
    decisions: dict[int, str] | None = None,
) -> Analysis:
    """Every row of the file checked as actor would save it; decisions (row → skip|update) at commit."""
    table, columns = _read(filename, content, settings)
    lookups = Lookups.load()
    regions = {_normal(r.name): r for r in db.session.scalars(sa.select(Region))}
    rows = [
        ImportRow(number, cells, parse_row(cells, columns, lookups, regions, actor))
        for number, cells in table.rows
    ]
    _mark_file_duplicates(rows)
    _match_existing(rows, actor)
    for row in rows:
        _check(row, actor, decisions, filename, settings.today)
    return Analysis(filename, table.headers, columns, rows, lookups)


def _mark_file_duplicates(rows: list[ImportRow]) -> None:
    first: dict[tuple, int] = {}
    for row in rows:
        key = row.key
        if key is None:
            continue
        if key in first:
            row.duplicate_note = f"与第 {first[key]} 行重复"
        else:
            first[key] = row.number


def _match_existing(rows: list[ImportRow], actor: User) -> None:
    """Each row's project in the database: same name and company (normalised), same cluster."""
    candidates = [r for r in rows if r.key and not r.duplicate_note]
    keys = sorted({r.key[0] for r in candidates})
    found: dict[tuple, Project] = {}
    for start in range(0, len(keys), CHUNK):
        stmt = (
            sa.select(Project)
            .options(joinedload(Project.owner))
            .where(Project.name_key.in_(keys[start : start + CHUNK]))
            .order_by(Project.id)
        )
        for project in db.session.scalars(stmt):
            found.setdefault((project.name_key, name_key(project.company_name), project.cluster_id), project)
    for row in candidates:
        project = found.get(row.key)
        if project is None:
            continue
        row.existing = project
        row.visible = can(actor, "project.view", project)
        row.editable = row.visible and can(actor, "project.edit", project)


def stage_moves(stage: ProjectStage, evidence: dict, note: str, default_note: str) -> list[StageMove]:
    """The moves that take a new (在谈) project to stage with its evidence.

    暂缓 and 终止 come after the furthest of 拟建 and 在建 whose evidence is all there, so a paused
    project resumes from where it stood.
    """
    if stage == S.TALKS:
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


def _stage_problems(parsed: ParsedProject, moves: list[StageMove], actor: User, today: date) -> dict:
    """The stage rules' own reasons, asked of a stand-in project that is never saved."""
    stage = parsed.stage
    if stage in (S.PAUSED, S.STOPPED) and not parsed.note:
        return {"stage_note": f"阶段为“{stage.value}”时须填写{STAGE_NOTE}（即{stage.value}的原因）。"}
    if stage in ORDER:
        allowed = {name for step in ORDER[: ORDER.index(stage) + 1] for name, _ in EVIDENCE.get(step, [])}
        extra = [LABELS[name] for name in EVIDENCE_FIELDS if name in parsed.evidence and name not in allowed]
        if extra:
            return {"stage": f"阶段为“{stage.value}”时不应填写{'、'.join(extra)}，请核对阶段。"}
    stand_in = Project(stage=S.TALKS)
    reasons: list[str] = []
    for move in moves:
        found = move_problems(stand_in, move, actor, today)
        reasons += [r for r in found if r not in reasons]
        if found:
            break
        for name, value in move.evidence.items():
            setattr(stand_in, name, value)
        to = ProjectStage(move.to)
        if to == S.PAUSED:
            stand_in.paused_from = stand_in.stage
        stand_in.stage = to
    return {"stage_rules": "；".join(reasons)} if reasons else {}


def _check(row: ImportRow, actor: User, decisions, filename: str, today: date) -> None:
    parsed = row.parsed
    problems = dict(parsed.errors)
    if row.name == EXAMPLE_NAME:
        problems["name"] = "这是模板中的示例行，请删除后再导入。"
    if row.duplicate_note:
        problems["duplicate"] = row.duplicate_note
    elif row.existing is None:
        row.data = parsed.data.cleaned()
        _add(problems, project_problems(row.data, actor))
        if parsed.stage is not None:
            row.moves = stage_moves(parsed.stage, parsed.evidence, parsed.note, f"导入：{filename}")
            _add(problems, _stage_problems(parsed, row.moves, actor, today))
    else:
        _decide(row, decisions, problems)
        if row.editable:
            row.data = _merged(row.existing, parsed).cleaned()
            _add(problems, project_problems(row.data, actor, existing=row.existing))
    row.errors = [problems[key] for key in sorted(problems, key=_reason_rank)]


def _decide(row: ImportRow, decisions, problems: dict[str, str]) -> None:
    if decisions is None:
        return
    choice = decisions.get(row.number)
    if choice is None:
        problems["decision"] = (
            f"预览之后才发现与已有项目“{row.existing.name}”重复：请重新查看预览，选择跳过或更新。"
        )
    elif choice not in (SKIP, UPDATE):
        problems["decision"] = "请选择跳过或更新。"
    elif choice == UPDATE and not row.editable:
        problems["decision"] = "已存在且您无权修改"
    else:
        row.decision = choice


def _merged(existing: Project, parsed: ParsedProject) -> ProjectInput:
    """The existing project with the row's filled cells applied: a blank cell keeps what is there."""
    current = {name: getattr(existing, name) for name in INPUT_FIELDS}
    # The owner changes only by reassignment; the stage and its evidence only by a stage move.
    changes = {k: getattr(parsed.data, k) for k in parsed.given & INPUT_FIELDS if k != "owner_id"}
    if changes.get("cluster_id", existing.cluster_id) != existing.cluster_id and "segment_id" not in changes:
        changes["segment_id"] = None
    return ProjectInput(**{**current, **changes})


def _add(problems: dict[str, str], more: dict[str, str]) -> None:
    for key, message in more.items():
        label = LABELS.get(key)
        problems.setdefault(key, message if not label or label in message else f"{label}：{message}")


def _reason_rank(key: str) -> int:
    return REASON_ORDER.index(key) if key in REASON_ORDER else len(REASON_ORDER)


@dataclass
class Outcome:
    ok: bool
    message: str
    analysis: Analysis | None = None


def commit_import(batch: ImportBatch, actor: User, decisions: dict[int, str], settings: Settings) -> Outcome:
    """Write every row of batch or none. On success the caller commits; on failure all is rolled back."""
    if batch.status != "preview":
        return Outcome(False, "该文件已经导入，不能重复导入。")
    analysis = analyse(batch.filename, batch.content, actor, settings, decisions)
    if analysis.bad_rows:
        return Outcome(False, _refusal(analysis), analysis)
    claimed = db.session.execute(
        sa.update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == "preview")
        .values(status="committed", committed_at=utcnow())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return Outcome(False, "该文件已经导入，不能重复导入。")
    try:
        counts = _apply(analysis, actor, settings.today)
        db.session.flush()
    except (Conflict, StaleDataError, IntegrityError):
        db.session.rollback()
        return Outcome(False, RACE_MESSAGE, analysis)
    if analysis.bad_rows:
        db.session.rollback()
        return Outcome(False, _refusal(analysis), analysis)
    batch.summary = "新增 {} 个项目，更新 {} 个，跳过 {} 个".format(*counts)
    _notify_owners(analysis, actor)
    return Outcome(True, f"导入完成：{batch.summary}", analysis)


def _refusal(analysis: Analysis) -> str:
    return f"有 {len(analysis.bad_rows)} 行存在问题，未导入任何数据。请下载错误行，改正后重新上传。"


def _apply(analysis: Analysis, actor: User, today: date) -> tuple[int, int, int]:
    note = f"导入：{analysis.filename}"
    created = updated = skipped = 0
    for row in analysis.rows:
        try:
            if row.existing is None:
                project = create_project(row.data, actor, note=note)
                for move in row.moves:
                    move_stage(project, move, actor, today)
                created += 1
            elif row.decision == UPDATE:
                update_project(row.existing, row.data, actor, row.existing.version)
                updated += 1
            else:
                skipped += 1
        except Invalid as error:  # the database changed under the checks: report the row, write nothing
            problems: dict[str, str] = {}
            _add(problems, error.problems)
            row.errors = list(problems.values())
    return created, updated, skipped


def _notify_owners(analysis: Analysis, actor: User) -> None:
    owners = Counter(r.data.owner_id for r in analysis.new_rows if r.data.owner_id != actor.id)
    for owner_id, count in owners.items():
        title = f"{actor.display_name} 导入了 {count} 个由您负责的项目"
        link = url_for("projects.index", owner=owner_id)
        notify(db.session.get(User, owner_id), "assigned", title, f"导入文件：{analysis.filename}", link)


def bad_rows_file(analysis: Analysis) -> bytes:
    return project_bad_rows_xlsx(
        analysis.headers, analysis.columns, [(r.cells, r.errors) for r in analysis.bad_rows]
    )


__all__ = ["Analysis", "ImportRow", "Outcome", "analyse", "bad_rows_file", "check_file", "commit_import"]
