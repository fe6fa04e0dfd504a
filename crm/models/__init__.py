"""All models, imported here so Alembic and the app see one metadata."""

from typing import TypeAlias

from crm.models.activity import FollowUp, HistoryEntry, Notification
from crm.models.audit import ACTIONS as AUDIT_ACTIONS
from crm.models.audit import AuditEvent
from crm.models.base import Base, Money, UTCDateTime, utcnow
from crm.models.clusters import CITY_SCOPE, ChainSegment, Cluster, Region
from crm.models.deliveries import (
    CHANNELS,
    GROUP_RECIPIENT,
    MESSAGE_STATUSES,
    OutgoingMessage,
    ReminderDelivery,
)
from crm.models.enums import (
    COMPANY_TYPES,
    HONOURS,
    PROJECT_TAGS,
    CapitalType,
    ClusterLevel,
    ClusterStatus,
    Currency,
    FollowUpMethod,
    FundKind,
    Indicator,
    InvestorOrigin,
    Priority,
    ProblemCategory,
    ProblemStatus,
    ProjectStage,
    ProjectType,
    Role,
    Sector,
    TargetSource,
    TargetStatus,
)
from crm.models.form_tokens import FormToken
from crm.models.imports import ImportBatch
from crm.models.outcomes import AnnualTarget, ExchangeRate, FundEntry
from crm.models.projects import Milestone, Problem, Project
from crm.models.reminders import STALL_RULE_KEYS, CalendarDay, StallRule
from crm.models.reports import ReportArchive, ReportCache, SupervisionNote
from crm.models.targets import TargetCompany
from crm.models.users import LoginLock, LoginSession, User

# An item the bureau follows up: a target company (招商清单) or a project (项目清单).
Item: TypeAlias = TargetCompany | Project

__all__ = [
    "AnnualTarget",
    "CapitalType",
    "Currency",
    "ExchangeRate",
    "FundEntry",
    "FundKind",
    "Indicator",
    "InvestorOrigin",
    "PROJECT_TAGS",
    "ProjectType",
    "Sector",
    "AUDIT_ACTIONS",
    "AuditEvent",
    "CHANNELS",
    "CITY_SCOPE",
    "GROUP_RECIPIENT",
    "MESSAGE_STATUSES",
    "OutgoingMessage",
    "ReminderDelivery",
    "ReportArchive",
    "ReportCache",
    "SupervisionNote",
    "STALL_RULE_KEYS",
    "CalendarDay",
    "StallRule",
    "COMPANY_TYPES",
    "HONOURS",
    "FollowUp",
    "FollowUpMethod",
    "FormToken",
    "HistoryEntry",
    "LoginLock",
    "LoginSession",
    "ImportBatch",
    "Item",
    "Milestone",
    "Problem",
    "ProblemCategory",
    "ProblemStatus",
    "Project",
    "ProjectStage",
    "Notification",
    "Priority",
    "TargetCompany",
    "TargetSource",
    "TargetStatus",
    "Base",
    "ChainSegment",
    "Cluster",
    "ClusterLevel",
    "ClusterStatus",
    "Money",
    "Region",
    "Role",
    "User",
    "UTCDateTime",
    "utcnow",
]
