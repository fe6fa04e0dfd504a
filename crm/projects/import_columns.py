"""The 项目清单 import template's columns, its downloadable template and the bad-rows file.

Header matching and the bad-rows file are the 招商清单 import's (crm.imports.columns),
given these columns.
"""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.core.exports import Column, Sheet, write_xlsx
from crm.core.ownership import OWNER_ROLES
from crm.core.permissions import scope_clause
from crm.extensions import db
from crm.imports.columns import ImportColumn, bad_rows_xlsx, map_columns
from crm.models import Cluster, ProjectStage, Region, User

STAGE_NOTE = "阶段说明"
COLUMNS = [
    ImportColumn("项目名称", "name", True, 32, note="必填，最长 128 个字；与项目单位、所属集群一起用于查重"),
    ImportColumn("项目单位", "company_name", True, 28, note="必填，投资方企业名称"),
    ImportColumn("所属集群", "cluster_id", True, 22, note="必填，见下方集群名称（也可填规划中的集群全称）"),
    ImportColumn("产业链环节", "segment_id", width=18, note="可空；须为该集群的环节，见下方"),
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
    ImportColumn("外资（万美元）", "foreign_capital", width=12, kind="amount"),
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
    ImportColumn(
        "责任人账号",
        "owner_id",
        width=12,
        note="系统登录用户名；招商专员、局领导导入时空白为本人，管理员导入时必填",
    ),
    ImportColumn("责任单位", "responsible_unit", width=16),
    ImportColumn("工作方案", "action_plan", width=30),
    ImportColumn(
        STAGE_NOTE,
        "stage_note",
        width=24,
        note="记入阶段变更的说明；阶段为暂缓、终止时必填（即暂缓、终止的原因）",
    ),
]

LABELS = {c.key: c.header for c in COLUMNS}
EXAMPLE_NAME = "示例：年产 10 万吨新材料项目（导入前请删除此行）"
HEADER_HINT = "“项目名称*”“项目单位*”“所属集群*”"
ROW_HINT = "一个项目"


def map_project_columns(headers: list[str]) -> dict[str, int]:
    return map_columns(headers, COLUMNS)


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
    regions = list(
        db.session.scalars(
            sa.select(Region).where(scope_clause(actor, Region.id)).order_by(Region.sort_order)
        )
    )
    columns = [Column(c.template_header, c.width, c.kind) for c in COLUMNS]
    guide = [Column("栏目", 16), Column("所属集群", 24), Column("可填写的值", 34), Column("说明", 60)]
    return write_xlsx(
        [
            Sheet("项目清单", columns, [_example_row(actor, clusters, today)]),
            Sheet("填写说明", guide, _guide_rows(clusters, regions)),
        ]
    )


def _example_row(actor: User, clusters: list[Cluster], today: date) -> list:
    cluster = clusters[0] if clusters else None
    segment = cluster.segments[0] if cluster and cluster.segments else None
    values = {
        "name": EXAMPLE_NAME,
        "company_name": "嘉兴某某新材料科技有限公司",
        "cluster_id": cluster.name if cluster else "",
        "segment_id": segment.name if segment else "",
        "stage": ProjectStage.SIGNED.value,
        "is_landmark": "否",
        "total_investment": Decimal("10.00"),
        "fixed_asset_investment": Decimal("8.00"),
        "signed_on": today,
        "signed_investment": Decimal("10.00"),
        "leader_name": "（联系领导）",
        "owner_id": actor.username if actor.role in OWNER_ROLES else "",
        "responsible_unit": "（责任单位）",
        "action_plan": "（工作方案）",
        "stage_note": "已签约",
    }
    return [values.get(c.key, "") for c in COLUMNS]


def _guide_rows(clusters: list[Cluster], regions: list[Region]):
    yield [
        "填写方法",
        "",
        "",
        "第 1 行为表头，请勿修改；第 2 行是示例，导入前请删除；从第 2 行起每行一个项目。",
    ]
    yield [
        "",
        "",
        "",
        "带 * 的列必填。预览时会列出每一行的问题，全部改正后才能导入（全部导入或全部不导入）。",
    ]
    yield [
        "",
        "",
        "",
        "项目按“在谈”新建，再按所填阶段及其证明（签约、开工、竣工日期等）变更阶段，记入项目历史。",
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
    for region in regions:
        yield ["落地地区", "", region.name, ""]
    for stage in ProjectStage:
        yield ["阶段", "", stage.value, ""]


def project_bad_rows_xlsx(headers, columns, rows) -> bytes:
    return bad_rows_xlsx(headers, columns, rows, COLUMNS)
