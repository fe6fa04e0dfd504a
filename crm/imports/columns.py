"""The import template's columns: header matching, the downloadable template and the bad-rows file.

Both spreadsheets go through crm.core.exports.write_xlsx, the one writer (it neutralises formula-like text).
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.core.exports import Column, Sheet, write_xlsx
from crm.core.identity import CODE_SET, WEIGHTS
from crm.core.ownership import OWNER_ROLES
from crm.core.permissions import scope_clause
from crm.extensions import db
from crm.imports.reader import ImportFileError, plain
from crm.models import COMPANY_TYPES, HONOURS, Cluster, Priority, TargetSource, User


@dataclass(frozen=True)
class ImportColumn:
    header: str  # the template's header, without the * of required columns
    key: str  # the TargetInput field it sets (or first_contact)
    required: bool = False
    width: int = 14
    kind: str = "text"
    note: str = ""

    @property
    def template_header(self) -> str:
        return self.header + ("*" if self.required else "")


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
    ImportColumn("所属集群", "cluster_id", True, 22, note="必填，见下方集群名称（也可填规划中的集群全称）"),
    ImportColumn("产业链环节", "segment_id", width=18, note="可空；须为该集群的环节，见下方"),
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
    ImportColumn(
        "责任人账号",
        "owner_id",
        width=12,
        note="系统登录用户名；招商专员、局领导导入时空白为本人，管理员导入时必填",
    ),
    ImportColumn(
        "首次接触日期",
        "first_contact",
        width=12,
        kind="date",
        note="可空；如 2026-03-15、2026/3/15、2026年3月15日；填写后企业状态为“已接触”",
    ),
]

LABELS = {c.key: c.header for c in COLUMNS}
ERRORS_HEADER = "错误原因"
EXAMPLE_NAME = "示例：嘉兴某某新材料科技有限公司（导入前请删除此行）"


def normal_form(text: str) -> str:
    """Width-folded, without spaces: how headers, clusters and segments are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def map_columns(headers: list[str], template: list[ImportColumn] | None = None) -> dict[str, int]:
    """Column key → index in the file; unknown headers are ignored, a missing required one refuses.

    template is the import's columns (the 招商清单's by default).
    """
    template = COLUMNS if template is None else template
    labels = {c.key: c.header for c in template}
    known = {normal_form(c.header): c.key for c in template}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = known.get(normal_form(header).rstrip("*"))
        if key is None:
            continue
        if key in found:
            raise ImportFileError(
                f"表头“{labels[key]}”出现了两次（第 {found[key] + 1} 列和第 {index + 1} 列）。"
            )
        found[key] = index
    missing = [c.template_header for c in template if c.required and c.key not in found]
    if missing:
        raise ImportFileError(f"缺少必填列：{'、'.join(missing)}。第 1 行应为表头，请使用导入模板。")
    return found


def template_xlsx(actor: User, today: date) -> bytes:
    """The template: the header row and one example row, then a 填写说明 sheet of allowed values."""
    clusters = list(
        db.session.scalars(
            sa.select(Cluster)
            .options(selectinload(Cluster.segments), selectinload(Cluster.region))
            .where(scope_clause(actor, Cluster.region_id))
            .order_by(Cluster.status, Cluster.sort_order)
        )
    )
    columns = [Column(c.template_header, c.width, c.kind) for c in COLUMNS]
    guide = [Column("栏目", 16), Column("所属集群", 24), Column("可填写的值", 34), Column("说明", 60)]
    return write_xlsx(
        [
            Sheet("招商清单", columns, [_example_row(actor, clusters, today)]),
            Sheet("填写说明", guide, _guide_rows(clusters)),
        ]
    )


def _example_row(actor: User, clusters: list[Cluster], today: date) -> list:
    cluster = clusters[0] if clusters else None
    segment = cluster.segments[0] if cluster and cluster.segments else None
    values = {
        "name": EXAMPLE_NAME,
        "credit_code": example_credit_code(),
        "country": "中国",
        "hq_city": "上海",
        "cluster_id": cluster.name if cluster else "",
        "segment_id": segment.name if segment else "",
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
        "owner_id": actor.username if actor.role in OWNER_ROLES else "",
        "first_contact": today,
    }
    return [values.get(c.key, "") for c in COLUMNS]


def example_credit_code(body: str = "91330400MA2B3C4D5") -> str:
    """A well-formed code (GB 32100-2015 check character) for the example row."""
    total = sum(CODE_SET.index(c) * w for c, w in zip(body, WEIGHTS, strict=True))
    return body + CODE_SET[(31 - total % 31) % 31]


def _guide_rows(clusters: list[Cluster]):
    yield [
        "填写方法",
        "",
        "",
        "第 1 行为表头，请勿修改；第 2 行是示例，导入前请删除；从第 2 行起每行一家企业。",
    ]
    yield [
        "",
        "",
        "",
        "带 * 的列必填。预览时会列出每一行的问题，全部改正后才能导入（全部导入或全部不导入）。",
    ]
    yield ["", "", "", "单元格请填写数值，不要使用公式（公式单元格会被拒绝）。"]
    for column in COLUMNS:
        yield [column.template_header, "", "", column.note]
    for cluster in clusters:
        yield [
            "所属集群",
            cluster.name,
            cluster.name,
            f"规划名称“{cluster.title}”，{cluster.region.name}，{cluster.status.value}",
        ]
    parents = {s.id: s.name for c in clusters for s in c.segments}
    for cluster in clusters:
        for segment in cluster.segments:
            note = f"属于“{parents.get(segment.parent_id, '')}”" if segment.parent_id else ""
            yield ["产业链环节", cluster.name, segment.name, note]
    for label, values in (
        ("企业类型", COMPANY_TYPES),
        ("荣誉资质", HONOURS),
        ("招商渠道", [s.value for s in TargetSource]),
        ("优先级", [p.value for p in Priority]),
    ):
        for value in values:
            yield [label, "", value, ""]


def bad_rows_xlsx(
    headers: list[str],
    columns: dict[str, int],
    rows: list[tuple[list, list[str]]],
    template: list[ImportColumn] | None = None,
) -> bytes:
    """The file's own columns for every bad row, plus 错误原因: fix it and upload it again."""
    template = COLUMNS if template is None else template
    kinds = {index: c.kind for c in template if (index := columns.get(c.key)) is not None}
    sheet_columns = [
        Column(header or f"第 {index + 1} 列", 16, kinds.get(index, "text"))
        for index, header in enumerate(headers)
    ]
    sheet_columns.append(Column(ERRORS_HEADER, 60))
    width = len(headers)
    lines = (
        [plain(v) for v in (cells + [None] * width)[:width]] + ["；".join(reasons)] for cells, reasons in rows
    )
    return write_xlsx([Sheet("错误行", sheet_columns, lines)])
