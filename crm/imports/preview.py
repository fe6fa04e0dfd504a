"""The preview of an import: every row of the file read, matched and checked as it would be saved.

Reading the file is crm.imports.reader, turning cells into the list's input is the list's parser;
every rule about a record is the list's service (ListImport.problems), so an imported record is
held to exactly what the form holds it to. A row that repeats an earlier row of the file is a bad
row; one that is a record already in the database, the user skips or updates (SKIP, UPDATE).
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import Any

import sqlalchemy as sa
from openpyxl.utils import get_column_letter

from crm.core.permissions import can
from crm.extensions import db
from crm.imports.columns import bad_rows_xlsx, map_columns
from crm.imports.reader import ImportFileError, Settings, Table, read_table
from crm.imports.rows import Lookups, ParsedRow
from crm.imports.spec import Context, Identity, ListImport
from crm.models import User

log = logging.getLogger(__name__)

SKIP, UPDATE = "skip", "update"
CHUNK = 500  # values per IN (...) list: SQLite caps bound parameters


@dataclass
class ImportRow:
    number: int  # the spreadsheet's row number (the header is row 1)
    cells: list
    parsed: ParsedRow
    identity: Identity
    errors: list[str] = field(default_factory=list)
    duplicate_note: str = ""  # "与第 N 行重复"
    existing: Any = None  # the record already in the database
    visible: bool = False  # the importer may see that record
    editable: bool = False  # ... and change it
    decision: str = SKIP
    data: Any = None  # the input that would be saved

    @property
    def name(self) -> str:
        """The name the row gives its record (the pages show it)."""
        return self.parsed.data.name


@dataclass
class Analysis:
    filename: str
    headers: list[str]
    columns: dict[str, int]
    rows: list[ImportRow]
    hidden_rows: list[int] = field(default_factory=list)  # rows hidden in Excel (each a bad row)
    hidden_columns: list[int] = field(default_factory=list)  # hidden columns read, with data, 0-based
    # Held for as long as the analysis: the session's identity map keeps only referenced objects, so
    # this keeps the many session.get() calls of the services' checks from going back to the database.
    lookups: Lookups | None = None

    @property
    def hidden_column_names(self) -> str:
        """The hidden columns as the user finds them in Excel: C 列（联系电话）、F 列."""
        return "、".join(_column_name(index, self.headers) for index in self.hidden_columns)

    @property
    def bad_rows(self) -> list[ImportRow]:
        """The rows that can't be imported as they are."""
        return [r for r in self.rows if r.errors]

    @property
    def duplicates(self) -> list[ImportRow]:
        """The good rows of records already in the database: to skip or update."""
        return [r for r in self.rows if r.existing is not None and not r.errors]

    @property
    def new_rows(self) -> list[ImportRow]:
        """The good rows of new records."""
        return [r for r in self.rows if r.existing is None and not r.errors]


def _read(
    spec: ListImport, filename: str, content: bytes, settings: Settings
) -> tuple[Table, dict[str, int]]:
    words = spec.words
    table = read_table(filename, content, settings.limits, words.header_hint, words.row_noun)
    try:
        return table, map_columns(table.headers, spec.columns)
    except ImportFileError as error:
        if not table.sheet:
            raise
        raise ImportFileError(
            f"{error}（读取的是工作表“{table.sheet}”：系统导入保存时选中的工作表。）"
        ) from None


def _hidden_problems(table: Table) -> Callable[[ImportRow], dict[str, str]]:
    """What Excel hides is never imported unseen: a hidden row, or a row with data in a hidden column,
    is a bad row until the user unhides it (and checks it) or deletes it."""
    hidden_rows = set(table.hidden_rows)
    names = "、".join(_column_name(index, table.headers) for index in table.hidden_columns)

    def problems(row: ImportRow) -> dict[str, str]:
        found = {}
        if row.number in hidden_rows:
            found["hidden_row"] = (
                "该行在 Excel 中被隐藏（或被筛选掉）：看不见的行不能导入。请取消隐藏或筛选，核对后重新上传；"
                "不需要的行请删除。"
            )
        if any(i < len(row.cells) and row.cells[i] not in (None, "") for i in table.hidden_columns):
            found["hidden_columns"] = (
                f"该行在隐藏的列（{names}）中有内容：看不见的内容不能导入。请取消隐藏这些列，核对后重新上传；"
                "不需要的列请删除。"
            )
        return found

    return problems


def _column_name(index: int, headers: list[str]) -> str:
    """A column as Excel labels it, with its header: C 列（联系电话）."""
    header = headers[index] if index < len(headers) else ""
    return f"{get_column_letter(index + 1)} 列" + (f"（{header}）" if header else "")


def check_file(spec: ListImport, filename: str, content: bytes, settings: Settings) -> int:
    """Refuse an unusable file at upload (ImportFileError); returns its number of data rows."""
    table, _ = _read(spec, filename, content, settings)
    return len(table.rows)


def analyse(
    spec: ListImport,
    content: bytes,
    context: Context,
    decisions: dict[int, str] | None = None,
    new_rows_checked: bool = True,
) -> Analysis:
    """Every row of the file checked as the actor would save it; decisions (row → skip|update) at commit.

    new_rows_checked=False leaves the service's checks of new rows to its create (the commit).
    """
    table, columns = _read(spec, context.filename, content, context.settings)
    table.hidden_columns = [i for i in table.hidden_columns if i in columns.values()]  # the ones read
    hidden = _hidden_problems(table)
    lookups = Lookups.load()
    rows = []
    for number, cells in table.rows:
        with _unforeseen(number):
            parsed = spec.parse(cells, columns, lookups, context)
            rows.append(ImportRow(number, cells, parsed, spec.identity(parsed.data)))
    _mark_file_duplicates(rows)
    with _unforeseen():
        _match_existing(spec, rows, context.actor)
    for row in rows:
        with _unforeseen(row.number):
            _check(spec, row, context, decisions, new_rows_checked, hidden(row))
    return Analysis(
        context.filename, table.headers, columns, rows, table.hidden_rows, table.hidden_columns, lookups
    )


@contextmanager
def _unforeseen(number: int | None = None) -> Iterator[None]:
    """A cell no parser foresaw (or a bug) becomes ImportFileError naming the row, not a 500 at every
    visit of the preview. The analysis writes nothing: rolling back only ends a failed statement."""
    try:
        yield
    except ImportFileError:
        raise
    except Exception:
        log.exception("import analysis failed at row %s", number)
        db.session.rollback()
        where = f"第 {number} 行" if number else "文件"
        raise ImportFileError(
            f"{where}的内容无法处理，本次预览已停止：请检查{where}（或删去后）重新上传；"
            "如仍有问题，请把文件交给管理员。"
        ) from None


def _mark_file_duplicates(rows: list[ImportRow]) -> None:
    """The second and later rows of one record (same strong key, else same weak key) are bad rows."""
    by_strong: dict[Any, int] = {}
    by_weak: dict[Any, tuple[int, Identity]] = {}
    for row in rows:
        identity = row.identity
        first = by_strong.get(identity.strong) if identity.strong else None
        if first is None and identity.weak and identity.weak in by_weak:
            number, other = by_weak[identity.weak]
            if not identity.contradicts(other):
                first = number
        if first is not None:
            row.duplicate_note = f"与第 {first} 行重复"
        if identity.strong:
            by_strong.setdefault(identity.strong, row.number)
        if identity.weak:
            by_weak.setdefault(identity.weak, (row.number, identity))


def _match_existing(spec: ListImport, rows: list[ImportRow], actor: User) -> None:
    """Find each row's record in the database (any region: the list's keys are unique city-wide)."""
    candidates = [r for r in rows if not r.duplicate_note]
    by_strong, by_weak = _existing_records(spec.existing([r.identity for r in candidates]))
    claimed: dict[int, int] = {}
    words = spec.words
    for row in candidates:
        identity = row.identity
        record = by_strong.get(identity.strong) if identity.strong else None
        if record is None and identity.weak:
            same = by_weak.get(identity.weak, [])
            record = next((r for other, r in same if not identity.contradicts(other)), None)
        if record is None:
            continue
        if record.id in claimed:
            row.duplicate_note = f"与第 {claimed[record.id]} 行是同一{words.counter}已有{words.noun}"
            continue
        claimed[record.id] = row.number
        row.existing = record
        row.visible = can(actor, f"{spec.kind}.view", record)
        row.editable = row.visible and can(actor, f"{spec.kind}.edit", record)


def _existing_records(found: Iterable[tuple[Identity, Any]]) -> tuple[dict, dict[Any, list]]:
    """The records by strong key, and by weak key (oldest first)."""
    records = {record.id: (identity, record) for identity, record in found}
    by_strong = {i.strong: r for i, r in records.values() if i.strong}
    by_weak: dict[Any, list] = defaultdict(list)
    for record_id in sorted(records):
        identity, record = records[record_id]
        if identity.weak:
            by_weak[identity.weak].append((identity, record))
    return by_strong, by_weak


def select_in(stmt: sa.Select, column: Any, values: Iterable) -> list:
    """The rows of stmt whose column is one of values, CHUNK values a query."""
    ordered = sorted(set(values))
    found: list = []
    for start in range(0, len(ordered), CHUNK):
        found += db.session.scalars(stmt.where(column.in_(ordered[start : start + CHUNK]))).unique()
    return found


def _check(
    spec: ListImport,
    row: ImportRow,
    context: Context,
    decisions: dict[int, str] | None,
    checked: bool,
    hidden: dict[str, str],
) -> None:
    problems = {**hidden, **row.parsed.errors}
    if row.name == spec.example_name:
        problems["name"] = "这是模板中的示例行，请删除后再导入。"
    if row.duplicate_note:
        problems["duplicate"] = row.duplicate_note
    elif row.existing is None:
        row.data = row.parsed.data.cleaned()
        if checked:
            add_problems(spec, problems, spec.problems(row.data, context.actor))
        add_problems(spec, problems, spec.check_new(row.parsed, context))
    else:
        _decide(spec, row, decisions, problems)
        if row.editable:
            row.data = _merged(spec, row.existing, row.parsed).cleaned()
            add_problems(spec, problems, spec.problems(row.data, context.actor, existing=row.existing))
    rank = spec.reason_rank
    row.errors = [problems[key] for key in sorted(problems, key=lambda key: rank.get(key, len(rank)))]


def _decide(spec: ListImport, row: ImportRow, decisions: dict[int, str] | None, problems: dict) -> None:
    """At the preview a duplicate is skipped; at the commit the user's choice must be there."""
    if decisions is None:
        return
    choice = decisions.get(row.number)
    if choice is None:
        problems["decision"] = (
            f"预览之后才发现与已有{spec.words.noun}“{row.existing.name}”重复：请重新查看预览，选择跳过或更新。"
        )
    elif choice not in (SKIP, UPDATE):
        problems["decision"] = "请选择跳过或更新。"
    elif choice == UPDATE and not row.editable:
        problems["decision"] = "已存在且您无权修改"
    else:
        row.decision = choice


def _merged(spec: ListImport, existing: Any, parsed: ParsedRow) -> Any:
    """The existing record with the row's filled cells applied: a blank cell keeps what is there."""
    current = spec.as_input(existing)
    names = {f.name for f in fields(current)}
    # The owner changes only by reassignment, with a handover note: an import never moves it
    # (nor a project's stage, which is no field of its input: that is a stage move).
    changes = {k: getattr(parsed.data, k) for k in parsed.given & names if k != "owner_id"}
    if changes.get("cluster_id", existing.cluster_id) != existing.cluster_id and "segment_id" not in changes:
        changes["segment_id"] = None  # the old segment belongs to the old cluster
    return replace(current, **changes)


def add_problems(spec: ListImport, problems: dict[str, str], more: dict[str, str]) -> None:
    """Add a service's problems, naming the column when the message doesn't (cell errors win)."""
    for key, message in more.items():
        label = spec.labels.get(key)
        problems.setdefault(key, message if not label or label in message else f"{label}：{message}")


def bad_rows_file(spec: ListImport, analysis: Analysis) -> bytes:
    """The bad rows with their reasons, as an .xlsx to fix and upload again."""
    rows = [(r.cells, r.errors) for r in analysis.bad_rows]
    return bad_rows_xlsx(analysis.headers, analysis.columns, rows, spec.columns)
