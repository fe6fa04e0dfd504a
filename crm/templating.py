"""Template filters and globals: local time, amounts, permissions."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from flask import Flask, has_request_context
from flask_login import current_user

from crm.core.notifications import unread_count
from crm.core.permissions import can
from crm.core.timeutil import local_zone
from crm.models import COMPANY_TYPES, HONOURS, HistoryEntry, TargetStatus


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time shown in the configured zone (Asia/Shanghai)."""
    if value is None:
        return ""
    return value.astimezone(local_zone()).strftime(fmt)


def amount(value: Decimal | None, places: int = 2) -> str:
    """An amount with fixed decimals and thousands separators; empty for None."""
    if value is None:
        return "—"
    return f"{value:,.{places}f}"


FIELD_LABELS = {
    "name": "企业名称",
    "credit_code": "统一社会信用代码",
    "foreign_registration": "境外注册号",
    "country": "国家/地区",
    "hq_city": "总部城市",
    "type_tags": "企业类型",
    "honours": "荣誉资质",
    "cluster": "所属集群",
    "segment": "产业链环节",
    "source": "招商渠道",
    "priority": "优先级",
    "intended_investment": "意向投资额",
    "industry_note": "主营业务",
    "contact_name": "联系人",
    "contact_title": "联系人职务",
    "contact_phone": "联系电话",
    "contact_email": "联系邮箱",
    "status": "状态",
    "owner_id": "责任人",
    "stage": "阶段",
    "company_name": "项目单位",
    "is_landmark": "标志性项目",
    "total_investment": "总投资",
    "fixed_asset_investment": "固定资产投资",
    "foreign_capital": "合同外资（万美元）",
    "total_investment_usd": "总投资（万美元）",
    "registered_capital": "注册资本（万元）",
    "capital_type": "内外资",
    "investor_origin": "投资方来源",
    "project_type": "项目类型",
    "sector": "行业",
    "tags": "项目标签",
    "expected_output": "预计年产值",
    "expected_added_value": "预计年增加值",
    "land_area": "用地",
    "signed_on": "签约日期",
    "signed_investment": "签约投资额",
    "planned_start_on": "计划开工",
    "actual_start_on": "实际开工",
    "planned_completion_on": "计划竣工",
    "actual_completion_on": "实际竣工投产",
    "leader_name": "联系领导",
    "responsible_unit": "责任单位",
    "action_plan": "工作方案",
    "description": "项目简介",
    "region": "落地地区",
    "milestone": "工作方案节点",
    "problem": "需协调问题",
    "problem_status": "问题状态",
}
ACTION_LABELS = {
    "created": "新建",
    "reassigned": "改派",
    "status": "状态",
    "stage": "阶段",
    "updated": "修改",
    "problem": "问题",
    "fund_added": "登记到资",
    "fund_corrected": "更正到资",
    "fund_deleted": "删除到资",
}


def history_label(entry: HistoryEntry) -> str:
    """One history row in words: "状态：待接触 → 已接触"."""
    action = ACTION_LABELS.get(entry.action, entry.action)
    if not entry.field:
        return action
    field = FIELD_LABELS.get(entry.field, entry.field)
    return f"{action} {field}：{entry.old_value or '（空）'} → {entry.new_value or '（空）'}"


def zip_lists(first: Iterable[object], second: Iterable[object]) -> list[tuple[object, object]]:
    """Pairs for <option value, text> lists in filter forms."""
    return list(zip(first, second, strict=True))


def inject_navigation() -> dict:
    """The unread-message count shown in the navigation bar (one small query per page)."""
    if not has_request_context() or not current_user.is_authenticated:
        return {}  # e.g. a document rendered by a command
    return {"unread_count": unread_count(current_user)}


def register(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(amount, "amount")
    app.add_template_filter(zip_lists, "zip")
    app.add_template_global(can, "can")
    app.add_template_global(history_label, "history_label")
    app.jinja_env.globals.update(
        company_types=COMPANY_TYPES,
        honours=HONOURS,
        status_options=[(s.value, s.value) for s in TargetStatus],
    )
    app.context_processor(inject_navigation)
