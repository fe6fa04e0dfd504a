"""The 到资 import: a sheet of entries, each read as a FundInput and held to the form's rules.

The pipeline and its pages are crm.imports'; this module is what only 到资 has. A row names its
project by name — exactly, or by its normalised name (without 有限公司, spaces, width) — among the
projects in the uploader's scope; 项目代码 does not exist yet. Every rule of an entry is
crm.outcomes.funds.check_entry, the form's own, and every row is written by record_entry, so an
imported entry leaves the same history line as one typed in. A 到资 entry is never a record to
update: a row equal to a standing entry is refused by the service rule, not offered as a duplicate.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm.core.identity import name_key
from crm.core.permissions import can, scope_clause
from crm.core.validation import Invalid
from crm.extensions import db
from crm.imports.columns import ImportColumn, guide_rows, labels, template_xlsx
from crm.imports.rows import Cells, Lookups, ParsedRow, as_text, read_date
from crm.imports.spec import Context, Identity, ImportWords, ListImport
from crm.models import Currency, FundEntry, FundKind, Project, User
from crm.outcomes.funds import AMOUNT_RULES, FundInput, check_entry, record_entry

COLUMNS = [
    ImportColumn(
        "项目名称",
        "name",
        True,
        32,
        note="必填：项目清单中的项目名称（全称，或去掉“有限公司”、空格后相同），须在您的范围内。"
        "项目代码尚未启用，暂按名称匹配",
    ),
    ImportColumn(
        "到资日期", "arrived_on", True, 12, kind="date", note="必填；不早于项目签约日期，不晚于今天"
    ),
    ImportColumn("币种", "currency", True, 8, note="必填：人民币 或 美元"),
    ImportColumn("金额", "amount", True, 14, kind="amount", note="必填：人民币填万元，美元填万美元；大于 0"),
    ImportColumn(
        "口径",
        "kind",
        True,
        12,
        note="必填：实到内资、实际使用外资、增资到位。内资项目不能填实际使用外资；增资到位只用于增资扩产项目",
    ),
    ImportColumn("来源或凭证", "note", width=30, note="可空：如 银行进账单号、验资报告"),
]
LABELS = labels(COLUMNS)
EXAMPLE_NAME = "示例：年产 10 万吨新材料项目（导入前请删除此行）"
SERVICE_KEYS = {"": "name"}  # check_entry's whole-entry reasons are about the project

WORDS = ImportWords(
    bp="funds",
    id_arg="entry_id",
    list_label="到资台账",
    noun="到资",
    counter="笔",
    state_label="口径",
    duplicate_rule="",
    header_hint="“项目名称*”“到资日期*”“币种*”“金额*”“口径*”",
    summary="新增 {} 笔到资记录",
    guide_values="币种和口径",
    error_examples="项目不存在或不在您的范围内、到资日期早于签约日期或晚于今天、金额不是正数、"
    "口径与项目类型不符、与已登记的到资相同、文件内重复等",
    rules=(
        "每行一笔到资，按项目名称找到您范围内的项目（项目代码尚未启用）；招商专员只能为本人负责的项目登记到资，"
        "局领导、管理员可为范围内的任何项目登记。",
        "每一行都按项目页“登记到资”的规则检查：项目须已签约，到资日期不早于签约日期、不晚于今天，"
        "金额大于 0，口径与项目的内资/外资、新引进/增资扩产相符。",
        "与项目已有的到资记录（日期、币种、金额、口径、来源或凭证都相同）重复的行不会再次登记：请从文件中删去。"
        "导入后如需改正，请在项目页对该笔到资“更正”或“删除”。",
    ),
    name_label="项目名称",
    owner_column=False,
)


@dataclass
class FundRow:
    """One row's entry, with the project it names (None when none was found)."""

    name: str  # the project's name as the file gives it
    project: Project | None
    input: FundInput
    owner_id: int  # the importer: nobody else is told of the import

    def cleaned(self) -> "FundRow":
        return self


def template(actor: User, today: date) -> bytes:
    """The template, its example row, and the currencies and 口径 the sheet may use."""
    example = {
        "name": EXAMPLE_NAME,
        "arrived_on": today,
        "currency": Currency.CNY.value,
        "amount": Decimal("500.00"),
        "kind": FundKind.DOMESTIC.value,
        "note": "（银行进账单号）",
    }
    remarks = [
        "每行一笔到资。项目按名称匹配（项目代码尚未启用）：请填写项目清单中的项目名称。",
        "导入的到资与在项目页登记的一样，记入项目历史；改正请在项目页“更正”或“删除”，原记录保留。",
    ]
    values = [("币种", c.value) for c in Currency] + [("口径", k.value) for k in FundKind]
    guide = guide_rows(WORDS.row_noun, COLUMNS, [], remarks, values)
    return template_xlsx(WORDS.list_label, COLUMNS, example, guide)


def parse_row(cells: list, columns: dict[str, int], lookups: Lookups, context: Context) -> ParsedRow:
    """The row's FundInput and its project; the amount is read by the service, by the currency's rule."""
    row = Cells(cells, columns, LABELS, {"name": 128, "currency": 8, "kind": 16})
    name = row.text("name")
    project = _project(row, name, _names(lookups, context.actor))
    arrived_on = read_date(row, "arrived_on")
    amount = row.raw("amount")
    data = FundInput(arrived_on, row.text("currency"), amount, row.text("kind"), row.text("note"))
    for key, label in (("currency", "币种"), ("kind", "口径")):
        if not getattr(data, key):
            row.error(key, f"请填写{label}。")
    return ParsedRow(FundRow(name, project, data, context.actor.id), row.given, row.errors)


@dataclass(frozen=True)
class ProjectNames:
    """The ids of the projects in the importer's scope, by exact name and by normalised name."""

    exact: dict[str, list[int]]
    normalised: dict[str, list[int]]


def _names(lookups: Lookups, actor: User) -> ProjectNames:
    """Loaded once per import, however many rows the file has."""
    if "fund_projects" not in lookups.loaded:
        exact: dict[str, list[int]] = defaultdict(list)
        normalised: dict[str, list[int]] = defaultdict(list)
        rows = db.session.execute(
            sa.select(Project.id, Project.name, Project.name_key).where(
                scope_clause(actor, Project.region_id)
            )
        )
        for project_id, name, key in rows:
            exact[name].append(project_id)
            normalised[key].append(project_id)
        lookups.loaded["fund_projects"] = ProjectNames(exact, normalised)
    return lookups.loaded["fund_projects"]


def _project(row: Cells, name: str, names: ProjectNames) -> Project | None:
    """The one project in the importer's scope the name means, or None with the reason on the row."""
    if not name:
        row.error("name", "请填写项目名称。")
        return None
    found = names.exact.get(name) or names.normalised.get(name_key(name), [])
    if len(found) == 1:
        return db.session.get(Project, found[0])  # a project named on many rows is read once
    if found:
        row.error("name", f"有 {len(found)} 个项目与“{name}”同名，无法确定是哪一个：请填写项目的完整名称。")
    else:
        row.error("name", f"在您的范围内没有名为“{name}”的项目（项目代码尚未启用，按项目名称匹配）。")
    return None


def identity(data: FundRow) -> Identity:
    """Two rows of the file are one entry when project, date, currency, amount, 口径 and note agree."""
    entry = data.input
    if data.project is None or entry.arrived_on is None:
        return Identity()
    return Identity(
        weak=(data.project.id, entry.arrived_on, entry.currency, _amount_key(entry), entry.kind, entry.note)
    )


def _amount_key(entry: FundInput) -> Any:
    try:
        return AMOUNT_RULES[Currency(entry.currency)].parse(entry.amount)
    except ValueError:  # no such currency, or not an amount (AmountError): compared as written
        return as_text(entry.amount)


def existing(identities: list[Identity]) -> list[tuple[Identity, FundEntry]]:
    """An entry is never updated by an import: a row equal to a standing entry is refused by its rules."""
    return []


def no_update(*args: object) -> object:
    raise AssertionError("a 到资 import only adds entries")  # existing() never offers one


def no_problems(data: FundRow, actor: User, existing: object = None) -> dict[str, str]:
    """The entry's rules need today's date: check_new (which has the import's context) asks them."""
    return {}


def entry_problems(parsed: ParsedRow, context: Context) -> dict[str, str]:
    """The form's own rules for the row's entry, and whether the importer may record on the project."""
    data: FundRow = parsed.data
    project = data.project
    if project is None:
        return {}
    if not can(context.actor, "project.funds", project):
        return {"name": f"您不能为“{project.name}”登记到资：招商专员只能为本人负责的项目登记。"}
    try:
        check_entry(project, data.input, context.today)
    except Invalid as error:
        return {SERVICE_KEYS.get(key, key): message for key, message in error.problems.items()}
    return {}


def create(data: FundRow, parsed: ParsedRow, context: Context) -> FundEntry:
    """The row's entry, through the form's service (which checks it once more as it writes)."""
    assert data.project is not None  # a row without its project is a bad row, never created
    try:
        return record_entry(data.project, data.input, context.actor, context.today, f"（{context.note}）")
    except Invalid as error:
        raise Invalid({SERVICE_KEYS.get(k, k): m for k, m in error.problems.items()}) from None


FUND_IMPORT = ListImport(
    kind="fund",
    permission="project.create",  # workers; each row is checked against project.funds
    words=WORDS,
    columns=COLUMNS,
    example_name=EXAMPLE_NAME,
    template=template,
    parse=parse_row,
    identity=identity,
    existing=existing,
    as_input=lambda data: data,
    problems=no_problems,
    create=create,
    update=no_update,
    check_new=entry_problems,
)
