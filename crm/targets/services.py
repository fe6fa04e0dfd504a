"""招商清单 rules: validating, creating and editing target companies, and moving their status."""

import re
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm.core import history
from crm.core.identity import credit_code_problem, name_key, normalize_credit_code
from crm.core.ownership import new_owner_problem, owner_problem
from crm.core.permissions import in_scope
from crm.core.validation import Invalid, check_version
from crm.extensions import db
from crm.models import (
    COMPANY_TYPES,
    HONOURS,
    ChainSegment,
    Cluster,
    Priority,
    TargetCompany,
    TargetSource,
    TargetStatus,
    User,
    utcnow,
)

# The order of the open statuses: moving left needs a reason.
STATUS_ORDER = [TargetStatus.UNCONTACTED, TargetStatus.CONTACTED, TargetStatus.INTERESTED]


# Text fields and their column sizes: every path (form, import, command line) is held to them.
TEXT_LIMITS = {
    "name": ("企业名称", 128),
    "foreign_registration": ("境外注册号", 64),
    "country": ("国家/地区", 32),
    "hq_city": ("总部城市", 64),
    "industry_note": ("主营业务", 2000),
    "contact_name": ("联系人", 64),
    "contact_title": ("联系人职务", 64),
    "contact_phone": ("联系电话", 32),
    "contact_email": ("联系邮箱", 254),
}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass
class TargetInput:
    """Everything a form or an import row may set on a target company."""

    name: str
    cluster_id: int | None
    source: str
    owner_id: int | None = None
    segment_id: int | None = None
    credit_code: str = ""
    foreign_registration: str = ""
    country: str = "中国"
    hq_city: str = ""
    type_tags: list[str] = field(default_factory=list)
    honours: list[str] = field(default_factory=list)
    priority: str = Priority.MEDIUM.value
    intended_investment: Decimal | None = None
    industry_note: str = ""
    contact_name: str = ""
    contact_title: str = ""
    contact_phone: str = ""
    contact_email: str = ""

    def cleaned(self) -> "TargetInput":
        """Text stripped, the credit code normalised."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in values.items():
            if isinstance(value, str):
                values[name] = value.strip()
        values["credit_code"] = normalize_credit_code(values["credit_code"])
        values["country"] = values["country"] or "中国"
        return TargetInput(**values)


def target_problems(data: TargetInput, actor: User, existing: TargetCompany | None = None) -> dict[str, str]:
    """Field → Chinese reason for everything wrong with data; empty when it can be saved."""
    problems: dict[str, str] = {}
    if not data.name:
        problems["name"] = "请填写企业名称。"
    for name, (label, limit) in TEXT_LIMITS.items():
        if len(getattr(data, name)) > limit:
            problems[name] = f"{label}最长 {limit} 个字符。"
    if data.contact_email and not EMAIL.fullmatch(data.contact_email):
        problems["contact_email"] = "联系邮箱格式不正确。"
    if data.credit_code:
        problem = credit_code_problem(data.credit_code)
        if problem:
            problems["credit_code"] = problem
        else:
            holder = db.session.scalar(
                sa.select(TargetCompany).where(TargetCompany.credit_code == data.credit_code)
            )
            if holder is not None and holder is not existing:
                problems["credit_code"] = f"统一社会信用代码已被招商清单中的“{holder.name}”使用。"
    cluster = db.session.get(Cluster, data.cluster_id) if data.cluster_id else None
    if cluster is None:
        problems["cluster_id"] = "请选择所属集群。"
    elif not in_scope(actor, cluster.region_id):
        problems["cluster_id"] = (
            f"您的范围（{actor.scope_name}）不包括“{cluster.name}”所在的{cluster.region.name}。"
        )
    if data.segment_id:
        segment = db.session.get(ChainSegment, data.segment_id)
        if segment is None or (cluster is not None and segment.cluster_id != cluster.id):
            problems["segment_id"] = "所选产业链环节不属于该集群。"
    for name, vocabulary, label in (
        ("source", TargetSource, "招商渠道"),
        ("priority", Priority, "优先级"),
    ):
        if getattr(data, name) not in {m.value for m in vocabulary}:
            problems[name] = f"请选择{label}。"
    for name, tags in (("type_tags", COMPANY_TYPES), ("honours", HONOURS)):
        unknown = [t for t in getattr(data, name) if t not in tags]
        if unknown:
            problems[name] = f"未知的标签：{'、'.join(unknown)}（可选：{'、'.join(tags)}）。"
    if data.intended_investment is not None and data.intended_investment < 0:
        problems["intended_investment"] = "意向投资额不能为负数。"
    if existing is None and cluster is not None:
        problem = new_owner_problem(data.owner_id, cluster.region_id, actor, "企业")
        if problem:
            problems["owner_id"] = problem
    return problems


def _column_values(data: TargetInput, cluster: Cluster) -> dict[str, Any]:
    return {
        "name": data.name,
        "name_key": name_key(data.name),
        "credit_code": data.credit_code or None,
        "foreign_registration": data.foreign_registration or None,
        "country": data.country,
        "hq_city": data.hq_city,
        "type_tags": data.type_tags,
        "honours": data.honours,
        "cluster_id": cluster.id,
        "region_id": cluster.region_id,
        "segment_id": data.segment_id or None,
        "source": TargetSource(data.source),
        "priority": Priority(data.priority),
        "intended_investment": data.intended_investment,
        "industry_note": data.industry_note,
        "contact_name": data.contact_name,
        "contact_title": data.contact_title,
        "contact_phone": data.contact_phone,
        "contact_email": data.contact_email,
    }


def create_target(data: TargetInput, actor: User, note: str = "") -> TargetCompany:
    """Add a new target company (status 待接触) after checking every rule; Invalid otherwise."""
    data = data.cleaned()
    problems = target_problems(data, actor)
    if problems:
        raise Invalid(problems)
    cluster = db.session.get_one(Cluster, data.cluster_id)  # target_problems() checked it exists
    target = TargetCompany(status=TargetStatus.UNCONTACTED, owner_id=data.owner_id, created_by=actor)
    for name, value in _column_values(data, cluster).items():
        setattr(target, name, value)
    db.session.add(target)
    db.session.flush()
    history.record(target, "created", actor, note=note or "新建")
    return target


EDITABLE = [
    "name",
    "credit_code",
    "foreign_registration",
    "country",
    "hq_city",
    "type_tags",
    "honours",
    "cluster",
    "segment",
    "source",
    "priority",
    "intended_investment",
    "industry_note",
    "contact_name",
    "contact_title",
    "contact_phone",
    "contact_email",
]


def update_target(
    target: TargetCompany, data: TargetInput, actor: User, expected_version: int | str | None
) -> list[str]:
    """Apply an edit made on version expected_version; returns the changed fields."""
    check_version(target, expected_version)
    data = data.cleaned()
    problems = target_problems(data, actor, existing=target)
    if problems:
        raise Invalid(problems)
    cluster = db.session.get_one(Cluster, data.cluster_id)  # target_problems() checked it exists
    if cluster.region_id != target.region_id and target.owner is not None and not target.is_closed:
        problem = owner_problem(target.owner, cluster.region_id)
        if problem:
            raise Invalid({"cluster_id": f"改到该集群后责任人不再符合要求：{problem}请先改派责任人。"})
    values = _column_values(data, cluster)
    values["cluster"] = cluster
    values["segment"] = db.session.get(ChainSegment, data.segment_id) if data.segment_id else None
    changed = history.apply_changes(target, {k: values[k] for k in EDITABLE}, actor)
    target.name_key = values["name_key"]
    target.region_id = cluster.region_id
    if changed:
        target.version += 1
    return changed


def change_status(
    target: TargetCompany, new_status: str, actor: User, reason: str, expected_version: int | str | None
) -> None:
    """Move the status: 已放弃 and any backward move need a reason; 已转项目 only by conversion."""
    check_version(target, expected_version)
    reason = reason.strip()
    try:
        status = TargetStatus(new_status)
    except ValueError:
        raise Invalid({"status": "请选择新的状态。"}) from None
    if status == target.status:
        raise Invalid({"status": f"当前状态已是“{status.value}”。"})
    if status == TargetStatus.CONVERTED or target.status == TargetStatus.CONVERTED:
        raise Invalid({"status": "“已转项目”只能通过“转为项目”操作设置或撤销。"})
    backwards = (
        status in STATUS_ORDER
        and target.status in STATUS_ORDER
        and STATUS_ORDER.index(status) < STATUS_ORDER.index(target.status)
    )
    if not reason and (status == TargetStatus.ABANDONED or backwards or target.is_closed):
        what = {TargetStatus.ABANDONED: "放弃"}.get(status, "回退或重新启用")
        raise Invalid({"reason": f"{what}须填写原因。"})
    if target.is_closed:
        problem = owner_problem(target.owner, target.region_id)
        if problem:
            raise Invalid({"status": f"重新启用前请先改派责任人：{problem}"})
    old = target.status
    target.status = status
    target.abandon_reason = reason if status == TargetStatus.ABANDONED else None
    target.status_since = utcnow()
    if status.is_closed:
        target.next_follow_up_on = None
    target.version += 1
    history.record(target, "status", actor, field="status", old=old, new=status, note=reason)
