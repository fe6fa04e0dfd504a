"""Choices for the select fields and list filters of every feature (clusters, segments, people, regions)."""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3 has it; types-WTForms (3.2) not yet

from crm.core.ownership import OWNER_ROLES
from crm.core.permissions import scope_clause
from crm.extensions import db
from crm.models import ChainSegment, Cluster, Item, Region, User


def cluster_choices() -> list[SelectChoice]:
    clusters = db.session.scalars(sa.select(Cluster).order_by(Cluster.status, Cluster.sort_order))
    return [SelectChoice("", "请选择集群")] + [SelectChoice(str(c.id), c.name) for c in clusters]


def segment_choices() -> list[SelectChoice]:
    """Every segment, grouped by cluster (the service checks it belongs to the chosen one)."""
    rows = db.session.execute(
        sa.select(ChainSegment, Cluster.name)
        .join(Cluster)
        .order_by(Cluster.sort_order, ChainSegment.parent_id.is_not(None), ChainSegment.sort_order)
    ).all()
    parents = {s.id: s.name for s, _ in rows if s.parent_id is None}
    choices = [SelectChoice("", "（未细分）")]
    for segment, cluster_name in rows:
        label = f"{parents[segment.parent_id]} › {segment.name}" if segment.parent_id else segment.name
        choices.append(SelectChoice(str(segment.id), label, optgroup=cluster_name))
    return choices


def owner_choices_for_form(actor: User) -> list[SelectChoice]:
    """Active officers and heads in the actor's scope (the service checks the item's region)."""
    users = db.session.scalars(
        sa.select(User)
        .options(joinedload(User.region))  # the label names the scope: one query, not one per region
        .where(User.active, User.role.in_(OWNER_ROLES), scope_clause(actor, User.region_id))
        .order_by(User.region_id.is_not(None), User.region_id, User.display_name)
    )
    return [SelectChoice("", "请选择责任人")] + [
        SelectChoice(str(u.id), f"{u.display_name}（{u.scope_name}·{u.role.label}）") for u in users
    ]


def owner_choices_for_filter(user: User, model: type[Item]) -> list[User]:
    """People who own items of this kind (targets or projects) the user can see: the 责任人 filter."""
    owners = sa.select(model.owner_id).where(scope_clause(user, model.region_id))
    return list(db.session.scalars(sa.select(User).where(User.id.in_(owners)).order_by(User.display_name)))


def landing_region_choices() -> list[SelectChoice]:
    """Every region, for a project's 落地地区 (blank: where its cluster is)."""
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order))
    return [SelectChoice("", "与集群所在地区相同")] + [SelectChoice(str(r.id), r.name) for r in regions]


def region_choices(user: User) -> list[Region]:
    """The regions inside the user's scope (for the 地区 filters of both lists)."""
    return list(
        db.session.scalars(sa.select(Region).where(scope_clause(user, Region.id)).order_by(Region.sort_order))
    )


def int_or_none(value: str | int | None) -> int | None:
    """A select field's value as an id, or None when nothing is chosen."""
    return int(value) if value not in (None, "") else None
