"""Reading one import row's cells, and saying why a cell can't be read.

What every list reads alike lives here: text, amounts, dates, and the names the file may use
(clusters, segments, regions, owners). Each list's own parser (crm.targets.imports,
crm.projects.imports) builds its input from these; the checks that belong to every record of the
list are not repeated here but left to the list's service.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm.core.ownership import OWNER_ROLES
from crm.core.request_values import CONTROL_CHARACTERS
from crm.core.validation import Amount, AmountError
from crm.extensions import db
from crm.imports.columns import normal_form
from crm.imports.reader import Formula
from crm.models import ChainSegment, Cluster, Region, User

# Some tools write a midnight time after the date ("2026-03-15 00:00:00"): it is accepted.
MIDNIGHT = r"(?:\s+0?0:00(?::00)?)?"
DATE_PATTERNS = [
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + MIDNIGHT),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})" + MIDNIGHT),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
]


@dataclass
class Lookups:
    """Names the file may use, loaded once per import."""

    clusters: dict[str, Cluster]
    segments: dict[tuple[int, str], ChainSegment]
    regions: dict[str, Region]
    users: dict[str, User]
    # What a list's own parse hook loads once per import (its records by name, say), by a key of its own.
    loaded: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "Lookups":
        """Every cluster (by name and by the plan's title), segment, region and user."""
        clusters: dict[str, Cluster] = {}
        for cluster in db.session.scalars(sa.select(Cluster).order_by(Cluster.id)):
            clusters.setdefault(normal_form(cluster.name), cluster)
            clusters.setdefault(normal_form(cluster.title), cluster)  # the plan's name, 桐乡全球性新材料集群
        segments = {
            (s.cluster_id, normal_form(s.name)): s for s in db.session.scalars(sa.select(ChainSegment))
        }
        regions = {normal_form(r.name): r for r in db.session.scalars(sa.select(Region))}
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        return cls(clusters, segments, regions, users)


@dataclass
class ParsedRow:
    """One row as read: its input for the list's service, and what the file said about it.

    Each list extends it with what only it reads (a first-contact date, a stage and its evidence).
    """

    data: Any  # the list's input (TargetInput, ProjectInput): name, owner_id, cluster_id, cleaned()
    given: set[str] = field(default_factory=set)  # fields with a value in the file
    errors: dict[str, str] = field(default_factory=dict)  # field → Chinese reason


def as_text(value: object) -> str:
    """A cell as text: numbers without a spurious ".0", dates as YYYY-MM-DD, control characters removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return CONTROL_CHARACTERS.sub("", str(value)).strip()


class Cells:
    """One row's cells by column key, collecting what was given and what is wrong.

    labels name the columns in messages; max_lengths are the text columns' limits.
    """

    def __init__(
        self, cells: list, columns: dict[str, int], labels: dict[str, str], max_lengths: dict[str, int]
    ) -> None:
        self.cells = cells
        self.columns = columns
        self.labels = labels
        self.max_lengths = max_lengths
        self.errors: dict[str, str] = {}
        self.given: set[str] = set()

    def raw(self, key: str) -> Any:
        """The cell's value as read (None when blank); a formula is refused."""
        index = self.columns.get(key)
        value = self.cells[index] if index is not None and index < len(self.cells) else None
        if isinstance(value, Formula):
            # A formula's result is Excel's to compute, and its cached value can be forged: refuse it.
            self.errors[key] = (
                f"{self.labels[key]}是公式（{value[:40]}），系统不计算公式：请在 Excel 中复制该列，"
                "“选择性粘贴 → 数值”后再导入。"
            )
            return None
        if isinstance(value, str) and not value.strip():
            return None
        if value is not None:
            self.given.add(key)
        return value

    def text(self, key: str) -> str:
        """The cell as text, refused when longer than its column allows."""
        value = as_text(self.raw(key))
        limit = self.max_lengths.get(key)
        if limit and len(value) > limit:
            self.error(key, f"{self.labels[key]}最长 {limit} 个字符，实际 {len(value)} 个。")
        return value

    def error(self, key: str, message: str) -> None:
        """Note why the cell can't be read (its first reason wins)."""
        self.errors.setdefault(key, message)


def read_cluster(row: Cells, lookups: Lookups) -> Cluster | None:
    """The required cluster, by its name or the plan's title."""
    text = row.text("cluster_id")
    if not text:
        row.error("cluster_id", "请填写所属集群。")
        return None
    cluster = lookups.clusters.get(normal_form(text))
    if cluster is None:
        row.error("cluster_id", f"未知的所属集群“{text}”：请填写“填写说明”中的集群名称，如“桐乡市新材料”。")
    return cluster


def read_segment(row: Cells, lookups: Lookups, cluster: Cluster | None) -> int | None:
    """The optional segment, which must be one of the cluster's."""
    text = row.text("segment_id")
    if not text or cluster is None:
        return None
    segment = lookups.segments.get((cluster.id, normal_form(text)))
    if segment is None:
        row.error("segment_id", f"未知的产业链环节“{text}”：“{cluster.name}”没有这个环节（见“填写说明”）。")
        return None
    return segment.id


def read_region(row: Cells, lookups: Lookups) -> int | None:
    """The optional 落地地区, by name."""
    text = row.text("region_id")
    if not text:
        return None
    region = lookups.regions.get(normal_form(text))
    if region is None:
        row.error("region_id", f"未知的落地地区“{text}”（见“填写说明”）。")
        return None
    return region.id


def read_owner(row: Cells, lookups: Lookups, actor: User) -> int | None:
    """Blank means the importer when they may own items; an admin must name someone."""
    text = row.text("owner_id")
    if not text:
        return actor.id if actor.role in OWNER_ROLES else None
    user = lookups.users.get(text)
    if user is None:
        row.error("owner_id", f"责任人账号“{text}”不存在")
        return None
    return user.id


def read_amount(row: Cells, key: str, name: str, rule: Amount) -> Decimal | None:
    """The cell as an amount by rule, the forms' own (name words the message)."""
    raw = row.raw(key)
    if raw is None:
        return None
    try:
        return rule.parse(raw)
    except AmountError as error:
        row.error(key, f"{name}“{as_text(raw)[:40]}”：{error}")
    return None


def read_date(row: Cells, key: str) -> date | None:
    """The cell's date; None when blank or unreadable (then the row has the error)."""
    raw = row.raw(key)
    if raw is None:
        return None
    if isinstance(raw, datetime):
        day: date | None = raw.date()
    elif isinstance(raw, date):
        day = raw
    else:
        day = parse_date(raw) if isinstance(raw, str) else None
    if day is None:
        row.error(
            key,
            f"{row.labels[key]}“{as_text(raw)}”无法识别：请写成 2026-03-15、2026/3/15 或 2026年3月15日。",
        )
    return day


def parse_date(text: str) -> date | None:
    """YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日; None if text is not one of those dates."""
    text = unicodedata.normalize("NFKC", text).strip()
    for pattern in DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None
