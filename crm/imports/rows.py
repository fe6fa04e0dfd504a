"""One import row → TargetInput: reading each cell, and saying why a cell can't be read.

The checks that belong to every target company (credit code, scope, owner, vocabularies) are
not repeated here: the importer hands the TargetInput to services.target_problems.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from crm.core.identity import normalize_credit_code
from crm.core.ownership import OWNER_ROLES
from crm.extensions import db
from crm.imports.columns import LABELS, normal_form
from crm.imports.reader import Formula
from crm.models import ChainSegment, Cluster, Priority, TargetCompany, TargetSource, User
from crm.targets.services import TargetInput

# Text columns longer than the database column would fail on PostgreSQL: refuse them as row errors.
MAX_LENGTHS = {
    name: TargetCompany.__table__.c[name].type.length
    for name in (
        "foreign_registration",
        "country",
        "hq_city",
        "contact_name",
        "contact_title",
        "contact_phone",
        "contact_email",
    )
}
MAX_LENGTHS["industry_note"] = 2000  # as on the form
TAG_SEPARATORS = re.compile(r"[、,;\n]")  # after NFKC, "，" and "；" are "," and ";"
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Some tools write a midnight time after the date ("2026-03-15 00:00:00"): it is accepted.
MIDNIGHT = r"(?:\s+0?0:00(?::00)?)?"
DATE_PATTERNS = [
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + MIDNIGHT),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})" + MIDNIGHT),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
]
CENT = Decimal("0.01")
EARLIEST_CONTACT = date(2000, 1, 1)


@dataclass
class Lookups:
    """Names the file may use, loaded once per import."""

    clusters: dict[str, Cluster]
    segments: dict[tuple[int, str], ChainSegment]
    users: dict[str, User]

    @classmethod
    def load(cls) -> "Lookups":
        clusters: dict[str, Cluster] = {}
        for cluster in db.session.scalars(sa.select(Cluster).order_by(Cluster.id)):
            clusters.setdefault(normal_form(cluster.name), cluster)
            clusters.setdefault(normal_form(cluster.title), cluster)  # the plan's name, 桐乡全球性新材料集群
        segments = {
            (s.cluster_id, normal_form(s.name)): s for s in db.session.scalars(sa.select(ChainSegment))
        }
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        return cls(clusters, segments, users)


@dataclass
class ParsedRow:
    data: TargetInput
    given: set[str] = field(default_factory=set)  # fields with a value in the file
    first_contact: date | None = None
    errors: dict[str, str] = field(default_factory=dict)  # field → Chinese reason


def as_text(value) -> str:
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

    labels and max_lengths are the import's (the 招商清单's by default).
    """

    def __init__(self, cells: list, columns: dict[str, int], labels=None, max_lengths=None):
        self.cells = cells
        self.columns = columns
        self.labels = LABELS if labels is None else labels
        self.max_lengths = MAX_LENGTHS if max_lengths is None else max_lengths
        self.errors: dict[str, str] = {}
        self.given: set[str] = set()

    def raw(self, key: str):
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
        value = as_text(self.raw(key))
        limit = self.max_lengths.get(key)
        if limit and len(value) > limit:
            self.error(key, f"{self.labels[key]}最长 {limit} 个字符，实际 {len(value)} 个。")
        return value

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)


def parse_row(cells: list, columns: dict[str, int], lookups: Lookups, actor: User, today: date) -> ParsedRow:
    """The row's TargetInput and every cell that can't be read."""
    row = Cells(cells, columns)
    cluster = read_cluster(row, lookups)
    data = TargetInput(
        name=row.text("name"),
        cluster_id=cluster.id if cluster else None,
        source=_choice(row, "source", TargetSource, ""),
        owner_id=read_owner(row, lookups, actor),
        segment_id=read_segment(row, lookups, cluster),
        credit_code=_credit_code(row),
        foreign_registration=row.text("foreign_registration"),
        country=row.text("country") or "中国",
        hq_city=row.text("hq_city"),
        type_tags=_tags(row, "type_tags"),
        honours=_tags(row, "honours"),
        priority=_choice(row, "priority", Priority, Priority.MEDIUM.value),
        intended_investment=_amount(row),
        industry_note=row.text("industry_note"),
        contact_name=row.text("contact_name"),
        contact_title=row.text("contact_title"),
        contact_phone=row.text("contact_phone"),
        contact_email=_email(row),
    )
    first_contact = _first_contact(row, today)
    return ParsedRow(data=data, given=row.given, first_contact=first_contact, errors=row.errors)


def read_cluster(row: Cells, lookups: Lookups) -> Cluster | None:
    text = row.text("cluster_id")
    if not text:
        row.error("cluster_id", "请填写所属集群。")
        return None
    cluster = lookups.clusters.get(normal_form(text))
    if cluster is None:
        row.error("cluster_id", f"未知的所属集群“{text}”：请填写“填写说明”中的集群名称，如“桐乡市新材料”。")
    return cluster


def read_segment(row: Cells, lookups: Lookups, cluster: Cluster | None) -> int | None:
    text = row.text("segment_id")
    if not text or cluster is None:
        return None
    segment = lookups.segments.get((cluster.id, normal_form(text)))
    if segment is None:
        row.error("segment_id", f"未知的产业链环节“{text}”：“{cluster.name}”没有这个环节（见“填写说明”）。")
        return None
    return segment.id


def _choice(row: Cells, key: str, vocabulary, default: str) -> str:
    text = row.text(key)
    if not text:
        if not default:
            row.error(key, f"请填写{LABELS[key]}。")
        return default
    values = [m.value for m in vocabulary]
    if text not in values:
        row.error(key, f"未知的{LABELS[key]}“{text}”（可选：{'、'.join(values)}）。")
    return text


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


def _credit_code(row: Cells) -> str:
    raw = row.raw("credit_code")
    if isinstance(raw, float):
        row.error(
            "credit_code",
            "统一社会信用代码被 Excel 存成了数字（只保留 15 位有效数字，原值已无法还原）："
            "请把该列设为“文本”格式后重新填写。",
        )
        return ""
    return normalize_credit_code(as_text(raw))


def _tags(row: Cells, key: str) -> list[str]:
    parts = (p.strip() for p in TAG_SEPARATORS.split(unicodedata.normalize("NFKC", row.text(key))))
    return list(dict.fromkeys(p for p in parts if p))


def _amount(row: Cells) -> Decimal | None:
    return read_amount(row, "intended_investment", "意向投资额", "亿元")


def read_amount(row: Cells, key: str, name: str, unit: str) -> Decimal | None:
    """A non-negative amount with at most two decimals (name and unit word the messages)."""
    raw = row.raw(key)
    if raw is None:
        return None
    try:
        amount = to_decimal(raw)
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        row.error(key, f"{name}“{as_text(raw)}”不是有效的数字（单位：{unit}，如 12.5）。")
    elif amount < 0:
        row.error(key, f"{name}不能为负数。")
    elif amount != amount.quantize(CENT):
        row.error(key, f"{name}“{as_text(raw)}”超过两位小数（单位：{unit}）。")
    elif amount >= Decimal("1e12"):
        row.error(key, f"{name}过大（单位：{unit}）。")
    else:
        return amount.quantize(CENT)
    return None


def to_decimal(raw) -> Decimal:
    if isinstance(raw, bool | date):
        raise ValueError(raw)
    if isinstance(raw, float):
        # Excel shows 15 significant digits: 1.5699999999999998 in the file is the 1.57 the user sees.
        return Decimal(format(raw, ".15g"))
    if isinstance(raw, int):
        return Decimal(raw)
    return Decimal(re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", as_text(raw))))


def _email(row: Cells) -> str:
    text = row.text("contact_email")
    if text and not EMAIL.fullmatch(text):
        row.error("contact_email", f"联系邮箱“{text}”格式不正确。")
    return text


def read_date(row: Cells, key: str) -> date | None:
    """The cell's date; None when blank or unreadable (then the row has the error)."""
    raw = row.raw(key)
    if raw is None:
        return None
    if isinstance(raw, datetime):
        day = raw.date()
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


def _first_contact(row: Cells, today: date) -> date | None:
    day = read_date(row, "first_contact")
    if day is None:
        return None
    if day > today:
        row.error("first_contact", f"首次接触日期 {day:%Y-%m-%d} 晚于今天。")
    elif day < EARLIEST_CONTACT:
        row.error("first_contact", f"首次接触日期 {day:%Y-%m-%d} 早于 2000 年，请检查。")
    else:
        return day
    return None


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
