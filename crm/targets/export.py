"""The 招商清单 as a spreadsheet (through the one safe writer, crm.core.exports)."""

import sqlalchemy as sa

from crm.core.exports import Column, Sheet, write_xlsx
from crm.core.permissions import can
from crm.core.timeutil import local_zone
from crm.extensions import db
from crm.models import TargetCompany, User

COLUMNS = [
    Column("企业名称", 32),
    Column("统一社会信用代码", 22),
    Column("境外注册号", 14),
    Column("国家/地区", 10),
    Column("总部城市", 10),
    Column("所属集群", 22),
    Column("产业链环节", 18),
    Column("企业类型", 18),
    Column("荣誉资质", 18),
    Column("招商渠道", 10),
    Column("优先级", 8),
    Column("意向投资额（亿元）", 12, "amount"),
    Column("状态", 10),
    Column("放弃原因", 20),
    Column("责任人", 12),
    Column("最近跟进", 12, "date"),
    Column("下次跟进", 12, "date"),
    Column("联系人", 10),
    Column("联系人职务", 12),
    Column("联系电话", 14),
    Column("联系邮箱", 22),
    Column("主营业务", 40),
    Column("更新时间", 17, "datetime"),
]
CONTACT_HEADERS = {"联系人", "联系人职务", "联系电话", "联系邮箱"}


def _row(t: TargetCompany, with_contacts: bool) -> list:
    contacts = (
        [t.contact_name, t.contact_title, t.contact_phone, t.contact_email] if with_contacts else [""] * 4
    )
    return [
        t.name,
        t.credit_code,
        t.foreign_registration,
        t.country,
        t.hq_city,
        t.cluster.name,
        t.segment.name if t.segment else "",
        t.type_tags,
        t.honours,
        t.source.value,
        t.priority.value,
        t.intended_investment,
        t.status.value,
        t.abandon_reason,
        t.owner.display_name if t.owner else "",
        t.last_follow_up_on,
        t.next_follow_up_on,
        *contacts,
        t.industry_note,
        t.updated_at,
    ]


def export_targets(user: User, query: sa.Select) -> bytes:
    """Every row of query (already scoped and filtered) as .xlsx; contacts only for those allowed."""
    with_contacts = can(user, "target.contacts")
    columns = COLUMNS if with_contacts else [c for c in COLUMNS if c.header not in CONTACT_HEADERS]

    def rows():
        for target in db.session.scalars(query.execution_options(yield_per=500)):
            row = _row(target, with_contacts)
            yield row if with_contacts else [v for v, c in zip(row, COLUMNS, strict=True) if c in columns]

    return write_xlsx([Sheet("招商清单", columns, rows())], local_zone())
