"""Enumerations stored by value, so the database reads in the bureau's own words."""

from collections.abc import Iterable
from enum import StrEnum

import sqlalchemy as sa


class Role(StrEnum):
    OFFICER = "officer"
    HEAD = "head"
    VIEWER = "viewer"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.OFFICER: "招商专员",
    Role.HEAD: "局领导",
    Role.VIEWER: "责任单位/只读",
    Role.ADMIN: "管理员",
}


class ClusterLevel(StrEnum):
    GLOBAL = "全球性"
    NATIONAL = "全国性"
    REGIONAL = "长三角区域性"


class ClusterStatus(StrEnum):
    FORMAL = "正式"
    INCUBATING = "培育"


def enum_column(enum_cls: type[StrEnum], name: str) -> sa.Enum:
    """A VARCHAR + CHECK column holding the enum's values (not its Python names)."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls) + 4,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class TargetStatus(StrEnum):
    """招商清单条目状态: 待接触 → 已接触 → 有意向 → 已转项目, or 已放弃."""

    UNCONTACTED = "待接触"
    CONTACTED = "已接触"
    INTERESTED = "有意向"
    CONVERTED = "已转项目"
    ABANDONED = "已放弃"

    @property
    def is_closed(self) -> bool:
        return self in (TargetStatus.CONVERTED, TargetStatus.ABANDONED)


class Priority(StrEnum):
    HIGH = "高"
    MEDIUM = "中"
    LOW = "低"


class TargetSource(StrEnum):
    MAP = "招商地图"
    REFERRAL = "以商引商"
    EXHIBITION = "展会"
    AGENCY = "中介机构"
    OVERSEAS = "驻外招商"
    VISIT = "上门拜访"
    ONLINE = "网络平台"
    OTHER = "其他"


class FollowUpMethod(StrEnum):
    VISIT = "走访"
    PHONE = "电话"
    MEETING = "会谈"
    INSPECTION = "考察"
    VIDEO = "视频会议"
    SIGNING = "签约"
    EVENT = "推介活动"
    OTHER = "其他"


# Multi-valued tags are kept as bit sets: one integer column, filterable with "&" on both databases.
COMPANY_TYPES = ("总部型", "上市型", "高新型", "品牌型", "成长型", "旗舰型")
HONOURS = ("世界500强", "行业前10", "上市公司", "专精特新", "隐形冠军", "单项冠军")


def tags_to_bits(tags: Iterable[str], vocabulary: tuple[str, ...]) -> int:
    """The bit set for tags; ValueError naming any tag not in vocabulary."""
    unknown = [t for t in tags if t not in vocabulary]
    if unknown:
        raise ValueError(f"未知的标签：{'、'.join(unknown)}（可选：{'、'.join(vocabulary)}）")
    return sum(1 << vocabulary.index(t) for t in set(tags))


def bits_to_tags(bits: int, vocabulary: tuple[str, ...]) -> list[str]:
    return [tag for i, tag in enumerate(vocabulary) if bits & (1 << i)]


class ProjectStage(StrEnum):
    """项目清单 stages: 在谈 → 拟建 → 在建 → 建成投产, plus 暂缓 and 终止."""

    TALKS = "在谈"
    SIGNED = "拟建"
    BUILDING = "在建"
    PRODUCING = "建成投产"
    PAUSED = "暂缓"
    STOPPED = "终止"

    @property
    def is_closed(self) -> bool:
        return self in (ProjectStage.PRODUCING, ProjectStage.STOPPED)


class ProblemCategory(StrEnum):
    LAND = "用地"
    ENERGY = "用能"
    POWER = "用电"
    FUNDING = "资金"
    TALENT = "人才"
    APPROVAL = "审批"
    OTHER = "其他"


class ProblemStatus(StrEnum):
    OPEN = "待协调"
    IN_PROGRESS = "协调中"
    RESOLVED = "已解决"


# --- 招商 outcomes (issue 15): how a project is classified and how its funds are counted -------------


class CapitalType(StrEnum):
    """内资 / 外资 / 中外合资: which of 实到内资 and 实际使用外资 a project's 增资到位 counts toward."""

    DOMESTIC = "内资"
    FOREIGN = "外资"
    JOINT = "中外合资"


class InvestorOrigin(StrEnum):
    OVERSEAS = "境外"
    OTHER_PROVINCE = "省外"
    OTHER_CITY = "市外本省"
    LOCAL = "本市"


class ProjectType(StrEnum):
    NEW = "新引进"
    EXPANSION = "增资扩产"  # counts only the increment: its 总投资 and 到资 are the increment


class Sector(StrEnum):
    MANUFACTURING = "制造业"
    SERVICES = "服务业"


# Quality tags on a project (taken from its target company's honours where they match, editable);
# 浙商回归 is a tag too (an investor origin of its own would hide where the capital comes from).
PROJECT_TAGS = ("世界500强", "上市公司", "专精特新", "央企/国企", "浙商回归")


class Currency(StrEnum):
    CNY = "人民币"  # amounts in 万元
    USD = "美元"  # amounts in 万美元


class FundKind(StrEnum):
    """口径 of a 到资 entry."""

    DOMESTIC = "实到内资"
    FOREIGN = "实际使用外资"
    CAPITAL_INCREASE = "增资到位"


class Indicator(StrEnum):
    """The indicators the city sets a target for each year (年度目标), per scope."""

    SIGNED = "签约项目数"
    SIGNED_10YI = "10亿元以上项目数"
    SIGNED_50YI = "50亿元以上项目数"
    SIGNED_100M_USD = "超亿美元项目数"
    SIGNED_FORTUNE500 = "世界500强投资项目数"
    STARTED = "新开工项目数"
    FOREIGN_CAPITAL = "实际使用外资"  # 亿美元
    DOMESTIC_CAPITAL = "实到内资"  # 亿元

    @property
    def unit(self) -> str:
        return {Indicator.FOREIGN_CAPITAL: "亿美元", Indicator.DOMESTIC_CAPITAL: "亿元"}.get(self, "个")

    @property
    def is_count(self) -> bool:
        return self.unit == "个"
