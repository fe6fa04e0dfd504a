"""项目清单 demo data: projects with their 四个一, stages and evidence, milestones, follow-ups,
problems to coordinate and change history, inserted in bulk.

Called by crm.demo.generate after the 招商清单 (crm/demo/targets.py), whose bulk machinery it shares:
rows are plain dicts inserted in chunks (COPY on PostgreSQL), no ORM object and no query per row.
Every 已转项目 target company without a project gets its project; the rest are made up, spread
over the 9 formal clusters by their 2025 targets. When and how things happened comes from
crm/demo/project_story.py, the words from crm/demo/project_words.py.
"""

import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm.core.timeutil import local_date, local_today, local_zone
from crm.demo import project_words as pw
from crm.demo import words
from crm.demo.companies import ClusterInfo, Companies
from crm.demo.project_activity import PROBLEM_KEY
from crm.demo.project_context import Context
from crm.demo.project_plan import Plan, plan_project
from crm.demo.project_story import ProjectTimeline
from crm.demo.targets import bulk_insert, load_people
from crm.extensions import db
from crm.models import (
    ChainSegment,
    Cluster,
    ClusterStatus,
    FollowUp,
    HistoryEntry,
    Problem,
    ProjectStage,
    Region,
    TargetCompany,
    TargetStatus,
)
from crm.models.projects import Milestone, Project

PROJECTS_PER_SCALE = 500
CHUNK = 1000
STAGE_WEIGHTS = {
    ProjectStage.TALKS: 30,
    ProjectStage.SIGNED: 20,
    ProjectStage.BUILDING: 25,
    ProjectStage.PRODUCING: 15,
    ProjectStage.PAUSED: 6,
    ProjectStage.STOPPED: 4,
}
# A project from a company converted within the past months: mostly still early.
CONVERTED_WEIGHTS = {
    ProjectStage.TALKS: 55,
    ProjectStage.SIGNED: 30,
    ProjectStage.BUILDING: 8,
    ProjectStage.PAUSED: 4,
    ProjectStage.STOPPED: 3,
}
ROOM = {  # working days each stage needs before today
    ProjectStage.TALKS: 1,
    ProjectStage.SIGNED: 5,
    ProjectStage.BUILDING: 40,
    ProjectStage.PAUSED: 15,
    ProjectStage.STOPPED: 10,
}


def seed_projects(rng: random.Random, scale: int) -> str:
    """Add projects up to 500 × scale with everything about them; returns a summary line."""
    wanted = PROJECTS_PER_SCALE * scale
    have = db.session.execute(sa.select(sa.func.count()).select_from(Project)).scalar_one()
    if have >= wanted:
        return (
            f"项目清单：已有项目 {have} 个（规模 {scale} 为 {wanted} 个），"
            "本次未新增项目、需协调问题、跟进记录和变更记录。"
        )
    ctx = _context(rng)
    work = _projects_to_make(ctx, wanted - have)
    totals = [0, 0, 0, 0]
    for start in range(0, len(work), CHUNK):
        plans = [plan_project(ctx, *item) for item in work[start : start + CHUNK]]
        for i, n in enumerate(_insert(plans)):
            totals[i] += n
    projects, problems, follow_ups, history = totals
    return (
        f"项目清单：新增项目 {projects} 个，需协调问题 {problems} 个，"
        f"跟进记录 {follow_ups} 条，变更记录 {history} 条。"
    )


def _context(rng: random.Random) -> Context:
    officers, heads = load_people()
    today = local_today()
    existing = db.session.execute(sa.select(TargetCompany.name_key, TargetCompany.credit_code)).all()
    regions = db.session.execute(sa.select(Region.id, Region.name, Region.code).order_by(Region.sort_order))
    clusters, segment_words = _load_clusters()
    ctx = Context(
        rng=rng,
        zone=local_zone(),
        today=today,
        timeline=ProjectTimeline(rng, today),
        officers=officers,
        heads=heads,
        people={p.id: p for group in (*officers.values(), *heads.values()) for p in group},
        clusters=clusters,
        segment_words=segment_words,
        regions={},
        companies=Companies(rng, {key for key, _ in existing}, {code for _, code in existing if code}),
        project_keys=set(db.session.scalars(sa.select(Project.name_key))),
        leaders={
            None: [
                surname + title
                for surname, title in zip(
                    rng.sample(pw.LEADER_SURNAMES, 4), ("市长", "副市长", "副市长", "副市长"), strict=True
                )
            ]
        },
    )
    for region_id, region_name, code in regions:
        ctx.regions[region_id] = (region_name, code)
        if region_name.endswith(("开发区", "港区")):
            principal, deputy = "主任", "副主任"
        else:
            principal = region_name[-1] + "长"  # 区长, 县长, 市长
            deputy = "副" + principal
        surnames = rng.sample(pw.LEADER_SURNAMES, 3)
        ctx.leaders[region_id] = [
            f"{region_name}{surname}{title}"
            for surname, title in zip(surnames, (principal, deputy, deputy), strict=True)
        ]
    return ctx


def _load_clusters() -> tuple[dict[int, ClusterInfo], dict[int, str]]:
    """Every cluster, its segments weighted by how many target companies they have (gaps stay gaps)."""
    counts = dict(
        db.session.execute(
            sa.select(TargetCompany.segment_id, sa.func.count()).group_by(TargetCompany.segment_id)
        )
        .tuples()
        .all()
    )
    segments = db.session.execute(
        sa.select(
            ChainSegment.id, ChainSegment.cluster_id, ChainSegment.parent_id, ChainSegment.name
        ).order_by(ChainSegment.cluster_id, ChainSegment.sort_order, ChainSegment.id)
    ).all()
    names = {s.id: s.name for s in segments}
    by_cluster: defaultdict[int, list[tuple[int, str]]] = defaultdict(list)
    for s in segments:
        by_cluster[s.cluster_id] += [(s.id, s.name)] * counts.get(s.id, 0)
    rows = db.session.execute(
        sa.select(Cluster, Region.name, Region.code).join(Region).order_by(Cluster.sort_order, Cluster.id)
    ).all()
    clusters = {
        cluster.id: ClusterInfo(
            id=cluster.id,
            title=cluster.title,
            industry=cluster.industry,
            region_id=cluster.region_id,
            region_name=region_name,
            park=words.PARKS.get(code, f"{region_name}重点产业平台"),
            formal=cluster.status == ClusterStatus.FORMAL,
            weight=cluster.value_2025 or Decimal(50),
            segments=by_cluster[cluster.id],
        )
        for cluster, region_name, code in rows
    }
    segment_words = {s.id: f"{s.name} {names.get(s.parent_id, '')}" for s in segments}
    return clusters, segment_words


def _projects_to_make(ctx: Context, total: int) -> list[tuple[ClusterInfo, ProjectStage, dict | None]]:
    """What to make: (cluster, stage, converted target) per project, stages in the planned mix."""
    rng = ctx.rng
    shares = {stage: total * weight / 100 for stage, weight in STAGE_WEIGHTS.items()}
    quotas = {stage: int(share) for stage, share in shares.items()}
    for stage in sorted(shares, key=lambda s: shares[s] - quotas[s], reverse=True)[
        : total - sum(quotas.values())
    ]:
        quotas[stage] += 1
    work: list[tuple[ClusterInfo, ProjectStage, dict[str, Any] | None]] = []
    for target in _converted_targets(total):
        room = ctx.timeline.room(target["born"])
        options = [s for s in CONVERTED_WEIGHTS if room >= ROOM[s] and quotas[s] > 0] or [ProjectStage.TALKS]
        stage = rng.choices(options, weights=[CONVERTED_WEIGHTS[s] for s in options])[0]
        quotas[stage] = max(0, quotas[stage] - 1)
        work.append((ctx.clusters[target["cluster_id"]], stage, target))
    stages = [stage for stage, n in quotas.items() for _ in range(n)][: total - len(work)]
    rng.shuffle(stages)
    formal = [c for c in ctx.clusters.values() if c.formal]
    weight = sum(c.weight for c in formal)
    cluster_shares = [len(stages) * c.weight / weight for c in formal]
    counts = [int(share) for share in cluster_shares]
    for i in sorted(range(len(formal)), key=lambda i: cluster_shares[i] - counts[i], reverse=True)[
        : len(stages) - sum(counts)
    ]:
        counts[i] += 1
    queue = [c for c, n in zip(formal, counts, strict=True) for _ in range(n)]
    rng.shuffle(queue)
    work += [(cluster, stage, None) for cluster, stage in zip(queue, stages, strict=True)]
    rng.shuffle(work)
    return work


def _converted_targets(limit: int) -> list[dict]:
    """已转项目 companies without a project yet, oldest first, with the day they were converted."""
    has_project = sa.select(Project.target_id).where(Project.target_id.is_not(None))
    rows = db.session.execute(
        sa.select(TargetCompany)
        .where(TargetCompany.status == TargetStatus.CONVERTED, TargetCompany.id.not_in(has_project))
        .order_by(TargetCompany.id)
        .limit(limit)
    ).scalars()
    zone = local_zone()
    return [
        {
            "id": t.id,
            "name": t.name,
            "cluster_id": t.cluster_id,
            "segment_id": t.segment_id,
            "region_id": t.region_id,
            "owner_id": t.owner_id,
            "investment": t.intended_investment,
            "foreign": t.country != "中国",
            "contact": f"{t.contact_name[:1]}总" if t.contact_name else "企业负责人",
            "converted_at": t.status_since,
            "born": local_date(t.status_since, zone),
        }
        for t in rows
    ]


def _link_problem_moves(history: list[dict], project_ids: list[int]) -> None:
    """Problem status rows name their problem (new_ref), as crm.projects.services.move_problem does."""
    stmt = sa.select(Problem.id, Problem.project_id, Problem.created_at, Problem.description).where(
        Problem.project_id.in_(project_ids)
    )
    found = {(p, created, text): pid for pid, p, created, text in db.session.execute(stmt)}
    for row in history:
        key = row.pop(PROBLEM_KEY, None)
        if key is not None:
            row["new_ref"] = found[(row["entity_id"], *key)]


def _insert(plans: list[Plan]) -> tuple[int, int, int, int]:
    """Insert the projects, look their ids up by name key, then insert what hangs off them."""
    rows = [plan.row for plan in plans]
    bulk_insert(Project, rows)
    keys = [row["name_key"] for row in rows]
    found = dict(
        db.session.execute(sa.select(Project.name_key, Project.id).where(Project.name_key.in_(keys)))
        .tuples()
        .all()
    )
    ids = [found[key] for key in keys]  # new keys are unique: _project_name skips every key in use
    follow_ups: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    for project_id, plan in zip(ids, plans, strict=True):
        for children, key, out in (
            (plan.follow_ups, "project_id", follow_ups),
            (plan.history, "entity_id", history),
            (plan.problems, "project_id", problems),
            (plan.milestones, "project_id", steps),
        ):
            for row in children:
                row[key] = project_id
            out.extend(children)
    bulk_insert(FollowUp, follow_ups)
    bulk_insert(Problem, problems)
    _link_problem_moves(history, ids)
    bulk_insert(HistoryEntry, history)
    bulk_insert(Milestone, steps)
    return len(ids), len(problems), len(follow_ups), len(history)
