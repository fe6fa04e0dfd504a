"""The 招商清单's import: its columns and template, a row read as a TargetInput, a company recognised.

The pipeline and its pages are crm.imports'; this module is what only the 招商清单 has. Every rule
about a company is services.target_problems, and rows are written by create_target and
update_target, so an imported company is held to exactly what the form holds it to.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crm.core.identity import CODE_SET, WEIGHTS, name_key, normalize_credit_code
from crm.core.timeutil import utc_moment
from crm.core.validation import YI_YUAN
from crm.imports.columns import (
    CLUSTER,
    OWNER,
    SEGMENT,
    ImportColumn,
    example_values,
    guide_rows,
    labels,
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
    read_segment,
)
from crm.imports.spec import Context, Identity, ImportWords, ListImport, record_input
from crm.imports.views import add_routes
from crm.models import COMPANY_TYPES, HONOURS, Priority, TargetCompany, TargetSource, TargetStatus, User
from crm.targets import bp
from crm.targets.services import (
    EMAIL,
    TEXT_LIMITS,
    TargetInput,
    change_status,
    create_target,
    target_problems,
    update_target,
)

COLUMNS = [
    ImportColumn(
        "企业名称", "name", True, 32, note="必填，最长 128 个字；用于查重（忽略“有限公司”“（中国）”等）"
    ),
    ImportColumn(
        "统一社会信用代码", "credit_code", width=22, note="18 位，境内企业填写；请把该列设为“文本”格式"
    ),
    ImportColumn("境外注册号", "foreign_registration", note="境外企业可填"),
    ImportColumn("国家/地区", "country", width=10, note="空白为“中国”"),
    ImportColumn("总部城市", "hq_city", width=10),
    CLUSTER,
    SEGMENT,
    ImportColumn("企业类型", "type_tags", width=16, note="可填多个，用“、”或逗号、分号分隔"),
    ImportColumn("荣誉资质", "honours", width=16, note="可填多个，用“、”或逗号、分号分隔"),
    ImportColumn("招商渠道", "source", True, 10, note="必填，见下方"),
    ImportColumn("优先级", "priority", width=8, note="高、中、低；空白为“中”"),
    ImportColumn(
        "意向投资额（亿元）", "intended_investment", width=12, kind="amount", note="数字，最多两位小数"
    ),
    ImportColumn("主营业务", "industry_note", width=30),
    ImportColumn("联系人", "contact_name", width=10),
    ImportColumn("联系人职务", "contact_title", width=12),
    ImportColumn("联系电话", "contact_phone", width=14),
    ImportColumn("联系邮箱", "contact_email", width=22),
    OWNER,
    ImportColumn(
        "首次接触日期",
        "first_contact",
        width=12,
        kind="date",
        note="可空；如 2026-03-15、2026/3/15、2026年3月15日；填写后企业状态为“已接触”",
    ),
]
LABELS = labels(COLUMNS)
EXAMPLE_NAME = "示例：嘉兴某某新材料科技有限公司（导入前请删除此行）"
# The service's length limits, as cell errors (a long name gets the service's own message).
MAX_LENGTHS = {key: limit for key, (_, limit) in TEXT_LIMITS.items() if key != "name"}
TAG_SEPARATORS = re.compile(r"[、,;\n]")  # after NFKC, "，" and "；" are "," and ";"
EARLIEST_CONTACT = date(2000, 1, 1)


WORDS = ImportWords(
    bp="targets",
    id_arg="target_id",
    list_label="招商清单",
    noun="企业",
    counter="家",
    state_label="状态",
    duplicate_rule="按统一社会信用代码、其次按企业名称查重。“更新”只修改文件中填写了的资料，"
    "不改变状态和责任人；“跳过”不做任何修改。",
    header_hint="“企业名称*”“所属集群*”",
    summary="新增 {} 家，更新 {} 家，跳过 {} 家",
    guide_values="集群、产业链环节、企业类型、荣誉资质、招商渠道和优先级",
    error_examples="集群或环节不存在、信用代码校验不通过、日期无法识别、责任人不存在或不在范围内、文件内重复等",
    rules=(
        "与招商清单中已有企业重复（统一社会信用代码相同，或企业名称去掉“有限公司”“（中国）”等后相同）"
        "的行单独列出，由您逐行选择“跳过”或“更新”。更新只修改文件中填写了的资料，不改变状态和责任人。",
    ),
)


@dataclass
class TargetRow(ParsedRow):
    first_contact: date | None = None  # makes the new company 已接触 since that day


def template(actor: User, today: date) -> bytes:
    """The template, its example row, and the clusters, segments and vocabularies the user may use."""
    clusters = template_clusters(actor)
    example = {
        **example_values(actor, clusters),
        "name": EXAMPLE_NAME,
        "credit_code": example_credit_code(),
        "country": "中国",
        "hq_city": "上海",
        "type_tags": "高新型、成长型",
        "honours": "专精特新",
        "source": TargetSource.MAP.value,
        "priority": Priority.HIGH.value,
        "intended_investment": Decimal("5.50"),
        "industry_note": "（主营业务简介）",
        "contact_name": "张三",
        "contact_title": "总经理",
        "contact_phone": "0573-80000000",
        "contact_email": "zhangsan@example.com",
        "first_contact": today,
    }
    vocabularies = (
        ("企业类型", COMPANY_TYPES),
        ("荣誉资质", HONOURS),
        ("招商渠道", [s.value for s in TargetSource]),
        ("优先级", [p.value for p in Priority]),
    )
    values = [(label, value) for label, allowed in vocabularies for value in allowed]
    guide = guide_rows(WORDS.row_noun, COLUMNS, clusters, values=values)
    return template_xlsx(WORDS.list_label, COLUMNS, example, guide)


def example_credit_code(body: str = "91330400MA2B3C4D5") -> str:
    """A well-formed code (GB 32100-2015 check character) for the example row."""
    total = sum(CODE_SET.index(c) * w for c, w in zip(body, WEIGHTS, strict=True))
    return body + CODE_SET[(31 - total % 31) % 31]


def parse_row(cells: list, columns: dict[str, int], lookups: Lookups, context: Context) -> TargetRow:
    """The row's TargetInput and every cell that can't be read."""
    row = Cells(cells, columns, LABELS, MAX_LENGTHS)
    cluster = read_cluster(row, lookups)
    data = TargetInput(
        name=row.text("name"),
        cluster_id=cluster.id if cluster else None,
        source=_choice(row, "source", TargetSource, ""),
        owner_id=read_owner(row, lookups, context.actor),
        segment_id=read_segment(row, lookups, cluster),
        credit_code=_credit_code(row),
        foreign_registration=row.text("foreign_registration"),
        country=row.text("country") or "中国",
        hq_city=row.text("hq_city"),
        type_tags=_tags(row, "type_tags"),
        honours=_tags(row, "honours"),
        priority=_choice(row, "priority", Priority, Priority.MEDIUM.value),
        intended_investment=read_amount(row, "intended_investment", "意向投资额", YI_YUAN),
        industry_note=row.text("industry_note"),
        contact_name=row.text("contact_name"),
        contact_title=row.text("contact_title"),
        contact_phone=row.text("contact_phone"),
        contact_email=_email(row),
    )
    first_contact = _first_contact(row, context.today)
    return TargetRow(data, row.given, row.errors, first_contact)


def _choice(row: Cells, key: str, vocabulary: type[Enum], default: str) -> str:
    text = row.text(key)
    if not text:
        if not default:
            row.error(key, f"请填写{LABELS[key]}。")
        return default
    values = [m.value for m in vocabulary]
    if text not in values:
        row.error(key, f"未知的{LABELS[key]}“{text}”（可选：{'、'.join(values)}）。")
    return text


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


def _email(row: Cells) -> str:
    text = row.text("contact_email")
    if text and not EMAIL.fullmatch(text):
        row.error("contact_email", f"联系邮箱“{text}”格式不正确。")
    return text


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


def identity(data: TargetInput) -> Identity:
    """A company is its credit code, else its name without “有限公司”“（中国）”."""
    return Identity(data.credit_code or None, name_key(data.name) if data.name else None)


def existing(identities: list[Identity]) -> list[tuple[Identity, TargetCompany]]:
    """Companies in any region with one of the credit codes or names (a credit code is unique city-wide)."""
    query = sa.select(TargetCompany).options(joinedload(TargetCompany.owner))
    companies = select_in(query, TargetCompany.credit_code, (i.strong for i in identities if i.strong))
    companies += select_in(query, TargetCompany.name_key, (i.weak for i in identities if i.weak))
    return [(Identity(c.credit_code or None, c.name_key), c) for c in companies]


def as_input(target: TargetCompany) -> TargetInput:
    """The company as the input that would save it unchanged."""
    return record_input(
        TargetInput,
        target,
        source=target.source.value,
        priority=target.priority.value,
        credit_code=target.credit_code or "",
        foreign_registration=target.foreign_registration or "",
    )


def create(data: TargetInput, parsed: TargetRow, context: Context) -> TargetCompany:
    """A new company; with a first-contact date it has been 已接触 since that day."""
    target = create_target(data, context.actor, note=context.note)
    day = parsed.first_contact
    if day:
        reason = f"{context.note}（首次接触日期 {day:%Y-%m-%d}）"
        change_status(target, TargetStatus.CONTACTED.value, context.actor, reason, target.version)
        target.status_since = utc_moment(day, time(0), context.settings.zone)
        target.last_follow_up_on = day
    return target


TARGET_IMPORT = ListImport(
    kind="target",
    permission="target.import",
    words=WORDS,
    columns=COLUMNS,
    example_name=EXAMPLE_NAME,
    template=template,
    parse=parse_row,
    identity=identity,
    existing=existing,
    as_input=as_input,
    problems=target_problems,
    create=create,
    update=update_target,
)
add_routes(bp, TARGET_IMPORT)
