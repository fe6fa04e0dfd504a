"""Import of the 招商清单: preview every row, let the user decide about duplicates, commit all or nothing.

Reading the file is crm.imports.reader, turning cells into a TargetInput is import_rows;
every rule about a company is services.target_problems, and rows are written by create_target and
update_target, so an imported company is held to exactly what the form holds it to.

The uploaded bytes stay in ImportBatch.content: the commit parses and checks them again from
scratch (any worker may serve it, and the database may have changed since the preview).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

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
from crm.imports.columns import COLUMNS, EXAMPLE_NAME, LABELS, bad_rows_xlsx, map_columns
from crm.imports.reader import Settings, read_table
from crm.imports.rows import Lookups, ParsedRow, parse_row
from crm.models import ImportBatch, TargetCompany, TargetStatus, User, utcnow
from crm.targets.services import TargetInput, change_status, create_target, target_problems, update_target

SKIP, UPDATE = "skip", "update"
INPUT_FIELDS = {f.name for f in fields(TargetInput)}
# How a row's reasons are ordered: the duplicate first, then the columns, then the decision.
REASON_ORDER = ["duplicate", *(c.key for c in COLUMNS), "decision"]
CHUNK = 500  # ids per IN (...) list: SQLite caps bound parameters
RACE_MESSAGE = "导入时发现数据已被他人修改，未写入任何数据。请刷新预览后重新导入。"


@dataclass
class ImportRow:
    number: int  # the spreadsheet's row number (the header is row 1)
    cells: list
    parsed: ParsedRow
    errors: list[str] = field(default_factory=list)
    duplicate_note: str = ""  # "与第 N 行重复"
    existing: TargetCompany | None = None  # the company already in the database
    visible: bool = False  # the importer may see that company
    editable: bool = False  # ... and change it
    decision: str = SKIP
    data: TargetInput | None = None  # what would be saved

    @property
    def name(self) -> str:
        return self.parsed.data.name


@dataclass
class Analysis:
    filename: str
    headers: list[str]
    columns: dict[str, int]
    rows: list[ImportRow]
    # Held for as long as the analysis: the session's identity map keeps only referenced objects, so
    # this keeps the many session.get() calls of target_problems from going back to the database.
    lookups: Lookups | None = None

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.errors]

    @property
    def duplicates(self) -> list[ImportRow]:
        return [r for r in self.rows if r.existing is not None and not r.errors]

    @property
    def new_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.existing is None and not r.errors]


def check_file(filename: str, content: bytes, settings: Settings) -> int:
    """Refuse an unusable file at upload (ImportFileError); returns its number of data rows."""
    table = read_table(filename, content, settings.limits)
    map_columns(table.headers)
    return len(table.rows)


def analyse(
    filename: str,
    content: bytes,
    actor: User,
    settings: Settings,
    decisions: dict[int, str] | None = None,
    new_rows_checked: bool = True,
) -> Analysis:
    """Every row of the file checked as actor would save it; decisions (row → skip|update) at commit.

    new_rows_checked=False leaves the service's checks of new rows to create_target (the commit).
    """
    table = read_table(filename, content, settings.limits)
    columns = map_columns(table.headers)
    lookups = Lookups.load()
    rows = [
        ImportRow(number, cells, parse_row(cells, columns, lookups, actor, settings.today))
        for number, cells in table.rows
    ]
    _mark_file_duplicates(rows)
    _match_existing(rows, actor)
    for row in rows:
        _check(row, actor, decisions, new_rows_checked)
    return Analysis(filename, table.headers, columns, rows, lookups)


def _mark_file_duplicates(rows: list[ImportRow]) -> None:
    """The second and later rows of one company (same credit code, else same name) are bad rows."""
    by_code: dict[str, int] = {}
    by_key: dict[str, tuple[int, str]] = {}
    for row in rows:
        code, key = row.parsed.data.credit_code, name_key(row.name) if row.name else ""
        first = by_code.get(code) if code else None
        if first is None and key in by_key:
            number, other_code = by_key[key]
            # Two different credit codes are two companies, whatever their names.
            if not (code and other_code and code != other_code):
                first = number
        if first is not None:
            row.duplicate_note = f"与第 {first} 行重复"
        if code:
            by_code.setdefault(code, row.number)
        if key:
            by_key.setdefault(key, (row.number, code))


def _match_existing(rows: list[ImportRow], actor: User) -> None:
    """Find each row's company in the database (any region: a credit code is unique city-wide)."""
    candidates = [r for r in rows if not r.duplicate_note]
    by_code, by_key = _existing_companies(
        {r.parsed.data.credit_code for r in candidates if r.parsed.data.credit_code},
        {name_key(r.name) for r in candidates if r.name},
    )
    claimed: dict[int, int] = {}
    for row in candidates:
        code = row.parsed.data.credit_code
        company = by_code.get(code) if code else None
        if company is None and row.name:
            same_name = by_key.get(name_key(row.name), [])
            company = next(
                (c for c in same_name if not (code and c.credit_code and c.credit_code != code)), None
            )
        if company is None:
            continue
        if company.id in claimed:
            row.duplicate_note = f"与第 {claimed[company.id]} 行是同一家已有企业"
            continue
        claimed[company.id] = row.number
        row.existing = company
        row.visible = can(actor, "target.view", company)
        row.editable = row.visible and can(actor, "target.edit", company)


def _existing_companies(codes: set[str], keys: set[str]):
    found: dict[int, TargetCompany] = {}
    for column, values in (
        (TargetCompany.credit_code, sorted(codes)),
        (TargetCompany.name_key, sorted(keys)),
    ):
        for start in range(0, len(values), CHUNK):
            stmt = (
                sa.select(TargetCompany)
                .options(joinedload(TargetCompany.owner))
                .where(column.in_(values[start : start + CHUNK]))
            )
            found.update((c.id, c) for c in db.session.scalars(stmt))
    by_code = {c.credit_code: c for c in found.values() if c.credit_code}
    by_key: dict[str, list[TargetCompany]] = defaultdict(list)
    for company in sorted(found.values(), key=lambda c: c.id):
        by_key[company.name_key].append(company)
    return by_code, by_key


def _check(row: ImportRow, actor: User, decisions: dict[int, str] | None, new_rows_checked: bool) -> None:
    problems = dict(row.parsed.errors)
    if row.name == EXAMPLE_NAME:
        problems["name"] = "这是模板中的示例行，请删除后再导入。"
    if row.duplicate_note:
        problems["duplicate"] = row.duplicate_note
    elif row.existing is None:
        row.data = row.parsed.data.cleaned()
        if new_rows_checked:
            _add(problems, target_problems(row.data, actor))
    else:
        _decide(row, decisions, problems)
        if row.editable:
            row.data = _merged(row.existing, row.parsed).cleaned()
            _add(problems, target_problems(row.data, actor, existing=row.existing))
    row.errors = [problems[key] for key in sorted(problems, key=_reason_rank)]


def _decide(row: ImportRow, decisions: dict[int, str] | None, problems: dict[str, str]) -> None:
    """At the preview a duplicate is skipped; at the commit the user's choice must be there."""
    if decisions is None:
        return
    choice = decisions.get(row.number)
    if choice is None:
        problems["decision"] = (
            f"预览之后才发现与已有企业“{row.existing.name}”重复：请重新查看预览，选择跳过或更新。"
        )
    elif choice not in (SKIP, UPDATE):
        problems["decision"] = "请选择跳过或更新。"
    elif choice == UPDATE and not row.editable:
        problems["decision"] = "已存在且您无权修改"
    else:
        row.decision = choice


def _merged(existing: TargetCompany, parsed: ParsedRow) -> TargetInput:
    """The existing company with the row's filled cells applied: a blank cell keeps what is there."""
    current = {name: getattr(existing, name) for name in INPUT_FIELDS}
    current.update(source=existing.source.value, priority=existing.priority.value)
    current.update(
        credit_code=existing.credit_code or "", foreign_registration=existing.foreign_registration or ""
    )
    # The owner changes only by reassignment, with a handover note: an import never moves it.
    changes = {k: getattr(parsed.data, k) for k in parsed.given & INPUT_FIELDS if k != "owner_id"}
    if changes.get("cluster_id", existing.cluster_id) != existing.cluster_id and "segment_id" not in changes:
        changes["segment_id"] = None  # the old segment belongs to the old cluster
    return TargetInput(**{**current, **changes})


def _add(problems: dict[str, str], more: dict[str, str]) -> None:
    """Add a service's problems, naming the column when the message doesn't (cell errors win)."""
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
    # create_target checks each new row as it writes it: checking them here too would double the work.
    analysis = analyse(batch.filename, batch.content, actor, settings, decisions, new_rows_checked=False)
    if analysis.bad_rows:  # refused: list every problem, as the preview does
        analysis = analyse(batch.filename, batch.content, actor, settings, decisions)
        return Outcome(False, _refusal(analysis), analysis)
    claimed = db.session.execute(
        sa.update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == "preview")
        .values(status="committed", committed_at=utcnow())
    ).rowcount
    if claimed != 1:  # another request committed it first (the row lock makes the second wait)
        db.session.rollback()
        return Outcome(False, "该文件已经导入，不能重复导入。")
    try:
        counts = _apply(analysis, actor, settings)
        db.session.flush()
    except (Conflict, StaleDataError, IntegrityError):
        db.session.rollback()
        return Outcome(False, RACE_MESSAGE, analysis)
    if analysis.bad_rows:
        db.session.rollback()
        return Outcome(False, _refusal(analysis), analysis)
    batch.summary = "新增 {} 家，更新 {} 家，跳过 {} 家".format(*counts)
    _notify_owners(analysis, actor)
    return Outcome(True, f"导入完成：{batch.summary}", analysis)


def _refusal(analysis: Analysis) -> str:
    return f"有 {len(analysis.bad_rows)} 行存在问题，未导入任何数据。请下载错误行，改正后重新上传。"


def _apply(analysis: Analysis, actor: User, settings: Settings) -> tuple[int, int, int]:
    note = f"导入：{analysis.filename}"
    created = updated = skipped = 0
    for row in analysis.rows:
        try:
            if row.existing is None:
                target = create_target(row.data, actor, note=note)
                if row.parsed.first_contact:
                    _mark_contacted(target, row.parsed.first_contact, actor, note, settings.zone)
                created += 1
            elif row.decision == UPDATE:
                update_target(row.existing, row.data, actor, row.existing.version)
                updated += 1
            else:
                skipped += 1
        except Invalid as error:  # the database changed under the checks: report the row, write nothing
            problems: dict[str, str] = {}
            _add(problems, error.problems)
            row.errors = list(problems.values())
    return created, updated, skipped


def _mark_contacted(target: TargetCompany, day: date, actor: User, note: str, zone: ZoneInfo) -> None:
    """A first-contact date means the company has been contacted: 已接触 since that day."""
    change_status(
        target, TargetStatus.CONTACTED.value, actor, f"{note}（首次接触日期 {day:%Y-%m-%d}）", target.version
    )
    target.status_since = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    target.last_follow_up_on = day


def _notify_owners(analysis: Analysis, actor: User) -> None:
    """一对一: whoever the import makes responsible for companies hears of it, in one message."""
    owners = Counter(r.data.owner_id for r in analysis.new_rows if r.data.owner_id != actor.id)
    for owner_id, count in owners.items():
        title = f"{actor.display_name} 导入了 {count} 家由您负责的企业"
        link = url_for("targets.index", owner=owner_id)
        notify(db.session.get(User, owner_id), "assigned", title, f"导入文件：{analysis.filename}", link)


def bad_rows_file(analysis: Analysis) -> bytes:
    """The bad rows with their reasons, as an .xlsx to fix and upload again."""
    return bad_rows_xlsx(analysis.headers, analysis.columns, [(r.cells, r.errors) for r in analysis.bad_rows])
