"""The scope of a report: the whole city, one region or one cluster — always inside the reader's scope.

Target companies belong to their cluster's region; projects to their 落地地区. A cluster scope takes
the cluster's items in the reader's scope (a region head reading a cluster sees the part in their
region).
"""

from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from crm.core.listing import record_id
from crm.extensions import db
from crm.models import CITY_SCOPE, Cluster, Item, Region, User

PlaceT = TypeVar("PlaceT", Region, Cluster)


class ScopeError(ValueError):
    """A scope the reader may not see or that does not exist (Chinese message)."""


@dataclass(frozen=True)
class ReportScope:
    reader_region_id: int | None  # the reader's own scope: None = whole city
    region_id: int | None = None
    cluster_id: int | None = None
    label: str = "嘉兴市"

    def clause(self, model: type[Item]) -> sa.ColumnElement[bool]:
        """WHERE clause for model (TargetCompany or Project) rows in this scope."""
        parts = []
        region = self.region_id or self.reader_region_id
        if region is not None:
            parts.append(model.region_id == region)
        if self.cluster_id is not None:
            parts.append(model.cluster_id == self.cluster_id)
        return sa.and_(sa.true(), *parts)

    def covers(self, region_id: int | None, cluster_id: int | None) -> bool:
        """The same test in Python, for states rebuilt from history."""
        region = self.region_id or self.reader_region_id
        return (region is None or region_id == region) and (
            self.cluster_id is None or cluster_id == self.cluster_id
        )

    def as_args(self) -> dict[str, int]:
        return {k: v for k, v in (("region", self.region_id), ("cluster", self.cluster_id)) if v}

    @property
    def key(self) -> str:
        """For file names and the archive: city, region-3, cluster-5."""
        if self.cluster_id:
            return f"cluster-{self.cluster_id}"
        return f"region-{self.region_id}" if self.region_id else "city"


def resolve(
    reader_region: Region | None, region: int | str | None = None, cluster: int | str | None = None
) -> ReportScope:
    """The scope asked for (ids or names) inside the reader's (None = whole city), or ScopeError.

    No choice gives the reader's own scope.
    """
    reader_id = reader_region.id if reader_region else None
    region_row = _find(Region, region) if region not in (None, "", CITY_SCOPE) else None
    cluster_row = _find(Cluster, cluster) if cluster not in (None, "") else None
    if region_row and cluster_row:
        raise ScopeError("地区和集群只能选择其一。")
    if region_row:
        if reader_id is not None and region_row.id != reader_id:
            raise ScopeError(f"无权查看“{region_row.name}”的报表。")
        return ReportScope(reader_id, region_row.id, None, region_row.name)
    if cluster_row:
        part = f"（{reader_region.name}部分）" if reader_region and reader_id != cluster_row.region_id else ""
        return ReportScope(reader_id, None, cluster_row.id, cluster_row.name + part)
    if reader_region is not None:
        return ReportScope(reader_id, reader_id, None, reader_region.name)
    return ReportScope(None)


def from_args(user: User, args: MultiDict) -> ReportScope:
    """The scope of a request's ?region= / ?cluster= for the signed-in reader."""
    return resolve(user.region, args.get("region", type=record_id), args.get("cluster", type=record_id))


def _find(model: type[PlaceT], value: int | str) -> PlaceT:
    """A region or cluster by id or by exact name; ScopeError when there is none."""
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        row = db.session.get(model, int(value))
    else:
        row = db.session.scalar(sa.select(model).where(model.name == value))
    if row is None:
        raise ScopeError(f"未知的{'地区' if model is Region else '集群'}“{value}”。")
    return row
