"""Loading the plan's regions, clusters and chain segments; only missing rows are added."""

from collections import Counter

import sqlalchemy as sa

from crm.clusters import plan as seed_data
from crm.clusters.plan import ClusterSpec, Segment
from crm.extensions import db
from crm.models import ChainSegment, Cluster, ClusterLevel, ClusterStatus, Region


def seed_plan() -> Counter[str]:
    """Insert what is missing (never overwrite an admin's edits); returns counts added per kind."""
    added: Counter[str] = Counter()
    regions = _seed_regions(added)
    for order, spec in enumerate(seed_data.CLUSTERS, start=1):
        cluster = _get_or_add_cluster(spec, regions[spec["region"]], order, added)
        _seed_segments(cluster, spec.get("segments", []), added)
    start = len(seed_data.CLUSTERS) + 1
    for order, (region_name, industry) in enumerate(seed_data.CANDIDATE_CLUSTERS, start=start):
        candidate: ClusterSpec = {
            "region": region_name,
            "industry": industry,
            "title": region_name + industry,
        }
        _get_or_add_cluster(candidate, regions[region_name], order, added)
    db.session.flush()
    return added


def _seed_regions(added: Counter[str]) -> dict[str, Region]:
    existing = {r.name: r for r in db.session.scalars(sa.select(Region))}
    for order, (name, code, kind) in enumerate(seed_data.REGIONS, start=1):
        if name not in existing:
            existing[name] = Region(name=name, code=code, kind=kind, sort_order=order)
            db.session.add(existing[name])
            added["region"] += 1
    db.session.flush()
    return existing


def _get_or_add_cluster(spec: ClusterSpec, region: Region, order: int, added: Counter[str]) -> Cluster:
    name = region.name + spec["industry"]
    cluster = db.session.scalar(sa.select(Cluster).where(Cluster.name == name))
    if cluster is not None:
        return cluster
    formal = "values" in spec
    v2021, v2023, v2025 = spec.get("values", (None, None, None))
    cluster = Cluster(
        name=name,
        title=spec["title"],
        industry=spec["industry"],
        region=region,
        level=ClusterLevel(spec["level"]) if formal else None,
        status=ClusterStatus.FORMAL if formal else ClusterStatus.INCUBATING,
        value_2021=v2021,
        value_2023=v2023,
        value_2025=v2025,
        leading_companies=spec.get("leading_companies", ""),
        research_institutes=spec.get("research_institutes", ""),
        funds=spec.get("funds", ""),
        goal=spec.get("goal", ""),
        sort_order=order,
    )
    db.session.add(cluster)
    db.session.flush()
    added["cluster"] += 1
    return cluster


def _seed_segments(cluster: Cluster, segments: list[Segment], added: Counter[str]) -> None:
    existing = {
        s.name: s
        for s in db.session.scalars(sa.select(ChainSegment).where(ChainSegment.cluster_id == cluster.id))
    }

    def get_or_add(name: str, category: str | None, parent: ChainSegment | None, order: int) -> ChainSegment:
        if name in existing:
            return existing[name]
        segment = ChainSegment(
            cluster_id=cluster.id, parent=parent, name=name, category=category, sort_order=order
        )
        db.session.add(segment)
        existing[name] = segment
        added["segment"] += 1
        return segment

    for order, (name, category, children) in enumerate(segments, start=1):
        parent = get_or_add(name, category, None, order)
        for child_order, child in enumerate(children, start=1):
            get_or_add(child, None, parent, child_order)
