"""Enumerations stored by value, so the database reads in the bureau's own words."""

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
