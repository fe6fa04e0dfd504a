"""What one list's import is: its words, its columns, and how its rows are read, matched and written.

The preview and commit (crm.imports.preview, .commit) and the pages (.views) are the same for every list;
each list hands them one ListImport (crm.targets.imports.TARGET_IMPORT,
crm.projects.imports.PROJECT_IMPORT).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date
from functools import cached_property
from typing import Any

from crm.imports.columns import ImportColumn, labels
from crm.imports.reader import Settings
from crm.imports.rows import Lookups, ParsedRow
from crm.models import User


@dataclass(frozen=True)
class ImportWords:
    """What the pages and messages of one list's import say (the templates read it as imp)."""

    bp: str  # blueprint of the list: targets | projects
    id_arg: str  # its detail route's id argument
    list_label: str  # 招商清单
    noun: str  # 企业
    counter: str  # 家
    state_label: str  # the preview's column for the existing record's state: 状态 | 阶段
    duplicate_rule: str  # the preview's note above the duplicates
    header_hint: str  # the headers the reader's message asks for: “企业名称*”“所属集群*”
    summary: str  # the commit's counts: 新增 {} 家，更新 {} 家，跳过 {} 家
    guide_values: str  # what the template's 填写说明 sheet lists (the upload page says so)
    error_examples: str  # the upload page's examples of a bad row
    rules: tuple[str, ...]  # the upload page's rules of this list (duplicates, stages)
    name_label: str = ""  # the preview's column for what a row names, when not “{noun}名称”
    owner_column: bool = True  # whether the list has a 责任人账号 column (the upload page explains it)

    @property
    def row_noun(self) -> str:
        """What one row of the file holds: 一家企业, 一个项目."""
        return f"一{self.counter}{self.noun}"


@dataclass(frozen=True)
class Identity:
    """How a row or a record is recognised.

    Equal strong keys (a credit code) are one record; equal weak keys (a normalised name) are one
    record too, unless both have strong keys and those differ: two credit codes, two companies.
    """

    strong: Any = None  # hashable: a credit code
    weak: Any = None  # hashable: a name key, or a tuple of keys

    def contradicts(self, other: "Identity") -> bool:
        """Whether the strong keys say these are two different records."""
        return bool(self.strong and other.strong and self.strong != other.strong)


@dataclass(frozen=True)
class Context:
    """Who imports which file, and when: what a list's hooks may need."""

    actor: User
    filename: str
    settings: Settings

    @property
    def today(self) -> date:
        """Today where the bureau is (the dates in the file are checked against it)."""
        return self.settings.today

    @property
    def note(self) -> str:
        """What the history says of a record the import writes."""
        return f"导入：{self.filename}"


def no_problems(parsed: ParsedRow, context: Context) -> dict[str, str]:
    """A list with no checks of its own for a new row beyond its service's."""
    return {}


@dataclass(frozen=True)
class ListImport:
    """One list's import. The hooks take the list's own input and record types (TargetInput, Project…)."""

    kind: str  # ImportBatch.kind, and the prefix of the record's permissions: target | project
    permission: str  # what the import's pages require
    words: ImportWords
    columns: list[ImportColumn]
    example_name: str  # the template's example row, refused if uploaded unchanged
    template: Callable[[User, date], bytes]  # the template workbook offered to the user
    parse: Callable[[list, dict[str, int], Lookups, Context], ParsedRow]  # cells → input
    identity: Callable[[Any], Identity]  # of a row's input
    # The records that may be one of these identities, each with its own identity.
    existing: Callable[[list[Identity]], Iterable[tuple[Identity, Any]]]
    as_input: Callable[[Any], Any]  # a record as the input that would save it unchanged
    problems: Callable[..., dict[str, str]]  # (input, actor, existing=None): the service's checks
    create: Callable[[Any, Any, Context], object]  # (input, parsed row, context): write a new row
    update: Callable[[Any, Any, User, int], object]  # (record, input, actor, version): the service's
    check_new: Callable[[Any, Context], dict[str, str]] = no_problems  # a new row's own rules
    later_reasons: tuple[str, ...] = ()  # keys of check_new's reasons, listed after the columns'

    @cached_property
    def labels(self) -> dict[str, str]:
        """Column key → header."""
        return labels(self.columns)

    @cached_property
    def reason_rank(self) -> dict[str, int]:
        """How a row's reasons are ordered: the duplicate, the columns, the list's own rules, the decision."""
        order = ["duplicate", *(c.key for c in self.columns), *self.later_reasons, "decision"]
        return {key: index for index, key in enumerate(order)}


def record_input(input_type: type, record: object, **overrides: object) -> Any:
    """The input of input_type holding record's values (overrides where they are stored otherwise)."""
    values = {f.name: getattr(record, f.name) for f in fields(input_type)}
    return input_type(**{**values, **overrides})
