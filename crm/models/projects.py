"""项目清单: projects with their 四个一, stages and evidence, milestones and problems to coordinate."""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, Money, UTCDateTime, utcnow
from crm.models.clusters import ChainSegment, Cluster, Region
from crm.models.enums import (
    PROJECT_TAGS,
    CapitalType,
    InvestorOrigin,
    ProblemCategory,
    ProblemStatus,
    ProjectStage,
    ProjectType,
    Sector,
    bits_to_tags,
    enum_column,
    tags_to_bits,
)
from crm.models.targets import TargetCompany
from crm.models.users import User

CLOSED_PROJECT_STAGES = (ProjectStage.PRODUCING.value, ProjectStage.STOPPED.value)


class Project(Base):
    __tablename__ = "project"
    __table_args__ = (
        # 一对一: an open project always has its one responsible officer (责任人).
        sa.CheckConstraint(
            f"owner_id IS NOT NULL OR stage IN {CLOSED_PROJECT_STAGES!r}", name="open_has_owner"
        ),
        sa.Index("ix_project_region_stage", "region_id", "stage"),
        sa.Index("ix_project_owner_stage", "owner_id", "stage"),
        sa.Index("ix_project_stage_updated", "stage", "updated_at"),
        # The dashboard, as on target_company.
        sa.Index("ix_project_stage_cluster_region", "stage", "cluster_id", "region_id", "total_investment"),
        sa.Index("ix_project_created_at", "created_at"),
        sa.Index("ix_project_updated", "updated_at", "id"),  # the lists' default order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    name_key: Mapped[str] = mapped_column(sa.String(128), index=True)
    company_name: Mapped[str] = mapped_column(sa.String(128))  # 项目单位 / 投资方
    target_id: Mapped[int | None] = mapped_column(sa.ForeignKey("target_company.id"), unique=True)
    cluster_id: Mapped[int] = mapped_column(sa.ForeignKey("cluster.id"), index=True)
    segment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("chain_segment.id"), index=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"))  # 落地地区
    stage: Mapped[ProjectStage] = mapped_column(
        enum_column(ProjectStage, "stage"), default=ProjectStage.TALKS
    )
    # Where a paused (暂缓) project stood, so resuming knows what evidence it already has.
    paused_from: Mapped[ProjectStage | None] = mapped_column(enum_column(ProjectStage, "paused_from"))
    stage_reason: Mapped[str | None] = mapped_column(sa.Text)  # 暂缓/终止 的原因
    stage_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_landmark: Mapped[bool] = mapped_column(default=False)  # 标志性项目
    # Classification (issue 15): None until someone says.
    capital_type: Mapped[CapitalType | None] = mapped_column(enum_column(CapitalType, "capital_type"))
    investor_origin: Mapped[InvestorOrigin | None] = mapped_column(
        enum_column(InvestorOrigin, "investor_origin")
    )
    project_type: Mapped[ProjectType | None] = mapped_column(enum_column(ProjectType, "project_type"))
    sector: Mapped[Sector | None] = mapped_column(enum_column(Sector, "sector"))
    tag_bits: Mapped[int] = mapped_column(default=0)  # PROJECT_TAGS
    total_investment: Mapped[Decimal | None] = mapped_column(Money)  # 亿元
    fixed_asset_investment: Mapped[Decimal | None] = mapped_column(Money)  # 亿元
    foreign_capital: Mapped[Decimal | None] = mapped_column(Money)  # 合同外资，万美元
    total_investment_usd: Mapped[Decimal | None] = mapped_column(Money)  # 总投资(万美元)，外资项目
    registered_capital: Mapped[Decimal | None] = mapped_column(Money)  # 注册资本，万元
    expected_output: Mapped[Decimal | None] = mapped_column(Money)  # 预计年产值，亿元
    expected_added_value: Mapped[Decimal | None] = mapped_column(Money)  # 预计年增加值，亿元
    land_area: Mapped[Decimal | None] = mapped_column(Money)  # 亩
    signed_on: Mapped[date | None] = mapped_column(sa.Date)
    signed_investment: Mapped[Decimal | None] = mapped_column(Money)  # 签约投资额，亿元
    planned_start_on: Mapped[date | None] = mapped_column(sa.Date)
    actual_start_on: Mapped[date | None] = mapped_column(sa.Date)
    planned_completion_on: Mapped[date | None] = mapped_column(sa.Date)
    actual_completion_on: Mapped[date | None] = mapped_column(sa.Date)
    # 四个一: one leader, one responsible officer, one responsible unit, one action plan.
    leader_name: Mapped[str] = mapped_column(sa.String(64), default="")  # 联系领导
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))  # 责任人
    responsible_unit: Mapped[str] = mapped_column(sa.String(128), default="")  # 责任单位
    action_plan: Mapped[str] = mapped_column(sa.Text, default="")  # 工作方案
    description: Mapped[str] = mapped_column(sa.Text, default="")
    last_follow_up_on: Mapped[date | None] = mapped_column(sa.Date)
    next_follow_up_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(default=1)

    cluster: Mapped[Cluster] = relationship()
    segment: Mapped[ChainSegment | None] = relationship()
    region: Mapped[Region] = relationship()
    target: Mapped[TargetCompany | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="project", order_by="Milestone.due_on", cascade="all, delete-orphan"
    )

    # Optimistic locking as on target companies: edits and stage moves bump the version.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    entity_type = "project"
    follow_up_key = "project_id"

    @property
    def status(self) -> ProjectStage:
        """The stage, under the name the shared follow-up and ownership code uses."""
        return self.stage

    @property
    def status_since(self) -> datetime:
        """When the stage began, under the name the stall rules read for every kind of item."""
        return self.stage_since

    @property
    def is_closed(self) -> bool:
        return self.stage.is_closed

    @property
    def tags(self) -> list[str]:
        return bits_to_tags(self.tag_bits or 0, PROJECT_TAGS)

    @tags.setter
    def tags(self, tags: Iterable[str]) -> None:
        self.tag_bits = tags_to_bits(tags, PROJECT_TAGS)

    def __repr__(self) -> str:
        return f"<Project {self.name} {self.stage}>"


class Milestone(Base):
    """A dated step of the project's 工作方案."""

    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date] = mapped_column(sa.Date)
    done_on: Mapped[date | None] = mapped_column(sa.Date)

    project: Mapped[Project] = relationship(back_populates="milestones")


class Problem(Base):
    """需协调问题 / 要素保障 raised on a project."""

    __tablename__ = "problem"
    __table_args__ = (
        sa.CheckConstraint("status != '已解决' OR resolution IS NOT NULL", name="resolved_has_resolution"),
        sa.Index("ix_problem_status_unit", "status", "responsible_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    category: Mapped[ProblemCategory] = mapped_column(enum_column(ProblemCategory, "category"))
    description: Mapped[str] = mapped_column(sa.Text)
    responsible_unit: Mapped[str] = mapped_column(sa.String(128))
    raised_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[ProblemStatus] = mapped_column(
        enum_column(ProblemStatus, "status"), default=ProblemStatus.OPEN
    )
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    resolved_on: Mapped[date | None] = mapped_column(sa.Date)
    raised_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    project: Mapped[Project] = relationship()
    raised_by: Mapped[User] = relationship()

    entity_type = "problem"
