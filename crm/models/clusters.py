"""Regions, the plan's clusters and their chain segments."""

from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, Money
from crm.models.enums import ClusterLevel, ClusterStatus, enum_column

CITY_SCOPE = "全市"


class Region(Base):
    """A county-level area (区/县/市) or a functional zone of Jiaxing."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(32), unique=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    sort_order: Mapped[int] = mapped_column(default=0)

    clusters: Mapped[list["Cluster"]] = relationship(back_populates="region")

    def __repr__(self) -> str:
        return f"<Region {self.name}>"


class Cluster(Base):
    """An advanced manufacturing cluster of the plan (正式) or a candidate (培育)."""

    __tablename__ = "cluster"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(64))
    industry: Mapped[str] = mapped_column(sa.String(64))
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"), index=True)
    level: Mapped[ClusterLevel | None] = mapped_column(enum_column(ClusterLevel, "level"))
    status: Mapped[ClusterStatus] = mapped_column(enum_column(ClusterStatus, "status"))
    value_2021: Mapped[Decimal | None] = mapped_column(Money)
    value_2023: Mapped[Decimal | None] = mapped_column(Money)
    value_2025: Mapped[Decimal | None] = mapped_column(Money)
    leading_companies: Mapped[str] = mapped_column(sa.Text, default="")
    research_institutes: Mapped[str] = mapped_column(sa.Text, default="")
    funds: Mapped[str] = mapped_column(sa.Text, default="")
    goal: Mapped[str] = mapped_column(sa.Text, default="")
    sort_order: Mapped[int] = mapped_column(default=0)

    region: Mapped[Region] = relationship(back_populates="clusters")
    segments: Mapped[list["ChainSegment"]] = relationship(
        back_populates="cluster", order_by="ChainSegment.sort_order"
    )

    @property
    def leading_company_list(self) -> list[str]:
        return _split(self.leading_companies)

    @property
    def research_institute_list(self) -> list[str]:
        return _split(self.research_institutes)

    @property
    def progress_2025(self) -> Decimal | None:
        """2021 added value as a percentage of the 2025 target."""
        if not self.value_2025 or self.value_2021 is None:
            return None
        return (self.value_2021 * 100 / self.value_2025).quantize(Decimal("0.1"))

    def __repr__(self) -> str:
        return f"<Cluster {self.name}>"


class ChainSegment(Base):
    """A chain segment (产业链环节) of a cluster; sub-segments point to their parent."""

    __tablename__ = "chain_segment"
    __table_args__ = (sa.UniqueConstraint("cluster_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(sa.ForeignKey("cluster.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("chain_segment.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    category: Mapped[str | None] = mapped_column(sa.String(32))
    sort_order: Mapped[int] = mapped_column(default=0)

    cluster: Mapped[Cluster] = relationship(back_populates="segments")
    parent: Mapped[Optional["ChainSegment"]] = relationship(back_populates="children", remote_side=[id])
    children: Mapped[list["ChainSegment"]] = relationship(
        back_populates="parent", order_by="ChainSegment.sort_order"
    )

    def __repr__(self) -> str:
        return f"<ChainSegment {self.name}>"


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split("、") if part.strip()]
