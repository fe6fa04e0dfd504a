"""All models, imported here so Alembic and the app see one metadata."""

from crm.models.base import Base, Money, UTCDateTime, utcnow
from crm.models.clusters import CITY_SCOPE, ChainSegment, Cluster, Region
from crm.models.enums import ClusterLevel, ClusterStatus, Role
from crm.models.users import User

__all__ = [
    "CITY_SCOPE",
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
