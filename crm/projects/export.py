"""The 项目清单 as a spreadsheet (through the one safe writer, crm.core.exports)."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crm.core.exports import Column, Sheet, write_xlsx
from crm.core.timeutil import local_zone
from crm.extensions import db
from crm.models import Project
from crm.outcomes.funds import FundTotal, totals_for, totals_text
from crm.outcomes.rates import all_rates, size_labels
from crm.projects.services import CLASSIFICATIONS

COLUMNS = [
    Column("项目名称", 32),
    Column("项目单位", 28),
    Column("所属集群", 22),
    Column("产业链环节", 18),
    Column("落地地区", 14),
    Column("阶段", 10),
    Column("暂缓/终止原因", 20),
    Column("标志性项目", 10),
    Column("总投资（亿元）", 12, "amount"),
    Column("固定资产投资（亿元）", 14, "amount"),
    Column("投资规模", 12),
    Column("超亿美元", 12),
    Column("总投资（万美元）", 14, "amount"),
    Column("合同外资（万美元）", 14, "amount"),
    Column("注册资本（万元）", 14, "amount"),
    Column("累计到资", 30),
    Column("内外资", 10),
    Column("投资方来源", 10),
    Column("项目类型", 10),
    Column("行业", 8),
    Column("项目标签", 24),
    Column("预计年产值（亿元）", 14, "amount"),
    Column("预计年增加值（亿元）", 14, "amount"),
    Column("用地（亩）", 10, "amount"),
    Column("签约日期", 12, "date"),
    Column("签约投资额（亿元）", 14, "amount"),
    Column("计划开工日期", 12, "date"),
    Column("实际开工日期", 12, "date"),
    Column("计划竣工日期", 12, "date"),
    Column("实际竣工投产日期", 14, "date"),
    Column("联系领导", 12),
    Column("责任人", 12),
    Column("责任单位", 20),
    Column("工作方案", 40),
    Column("项目简介", 40),
    Column("最近跟进", 12, "date"),
    Column("下次跟进", 12, "date"),
    Column("更新时间", 17, "datetime"),
]


def _row(p: Project, rates: dict[int, Decimal], funds: dict[int, list[FundTotal]], today: date) -> list:
    sizes = size_labels([p], today, rates)[p.id]
    return [
        p.name,
        p.company_name,
        p.cluster.name,
        p.segment.name if p.segment else "",
        p.region.name,
        p.stage.value,
        p.stage_reason,
        "是" if p.is_landmark else "否",
        p.total_investment,
        p.fixed_asset_investment,
        sizes.size or "",
        sizes.usd.label if sizes.usd else "",
        p.total_investment_usd,
        p.foreign_capital,
        p.registered_capital,
        totals_text(funds.get(p.id, [])),
        *(getattr(p, name).value if getattr(p, name) else "" for name in CLASSIFICATIONS),
        "、".join(p.tags),
        p.expected_output,
        p.expected_added_value,
        p.land_area,
        p.signed_on,
        p.signed_investment,
        p.planned_start_on,
        p.actual_start_on,
        p.planned_completion_on,
        p.actual_completion_on,
        p.leader_name,
        p.owner.display_name if p.owner else "",
        p.responsible_unit,
        p.action_plan,
        p.description,
        p.last_follow_up_on,
        p.next_follow_up_on,
        p.updated_at,
    ]


def export_projects(query: sa.Select, today: date) -> bytes:
    """Every row of query (already scoped, filtered and sorted) as .xlsx; size classes as of today."""
    query = query.options(joinedload(Project.segment)).execution_options(yield_per=500)
    rates = all_rates()
    funds = totals_for(query.with_only_columns(Project.id).order_by(None))
    rows = (_row(project, rates, funds, today) for project in db.session.scalars(query))
    return write_xlsx([Sheet("项目清单", COLUMNS, rows)], local_zone())
