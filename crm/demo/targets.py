"""招商清单 demo data: target companies with their follow-ups and change history, inserted in bulk.

Called by crm.demo.generate. One seeded random.Random drives everything, so on the same day an
empty database always gets the same companies. Rows are built as plain dicts and inserted with bulk
INSERTs in chunks: no ORM object and no query per row (scale 10 = 20,000 companies, ~115,000
follow-ups). The companies themselves come from crm/demo/companies.py, their dates from
crm/demo/timeline.py, the words from crm/demo/words.py.
"""

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.core.timeutil import local_today, local_zone, utc_moment
from crm.demo import words
from crm.demo.companies import ClusterInfo, Companies
from crm.demo.timeline import Timeline
from crm.extensions import db
from crm.models import (
    Base,
    ChainSegment,
    Cluster,
    ClusterStatus,
    FollowUp,
    FollowUpMethod,
    HistoryEntry,
    Region,
    Role,
    TargetCompany,
    TargetStatus,
    User,
)

TARGETS_PER_SCALE = 2000
INCUBATING_PER_2000 = 13  # companies per 培育 cluster for every 2,000
CHUNK = 1000
STATUS_WEIGHTS = {
    TargetStatus.UNCONTACTED: 30,
    TargetStatus.CONTACTED: 30,
    TargetStatus.INTERESTED: 25,
    TargetStatus.ABANDONED: 10,
    TargetStatus.CONVERTED: 5,
}
FOREIGN_SHARE, CITY_OWNER_SHARE, HANDOVER_SHARE = 0.10, 0.08, 0.07


@dataclass(frozen=True)
class Person:
    id: int
    name: str


@dataclass
class Context:
    rng: random.Random
    zone: ZoneInfo
    timeline: Timeline
    officers: dict[int | None, list[Person]]
    heads: dict[int | None, list[Person]]
    companies: Companies

    def stamp(self, day: date, minute: int) -> datetime:
        """UTC time of minute (after local midnight) on day."""
        return utc_moment(day, time(minute // 60, minute % 60), self.zone)


@dataclass
class Staff:
    owner: Person
    previous: Person | None  # the owner before a handover
    head: Person  # assigns, reassigns, sometimes creates
    handover: int | None = None  # index of the first follow-up by the current owner

    def author(self, index: int) -> Person:
        if self.previous is not None and self.handover is not None and index < self.handover:
            return self.previous
        return self.owner


@dataclass
class Plan:
    row: dict
    follow_ups: list[dict]
    history: list[dict]


def seed_targets(rng: random.Random, scale: int) -> str:
    """Add target companies up to 2,000 × scale, with follow-ups and history; returns a summary line."""
    wanted = TARGETS_PER_SCALE * scale
    have = db.session.execute(sa.select(sa.func.count()).select_from(TargetCompany)).scalar_one()
    if have >= wanted:
        return f"招商清单：已有企业 {have} 家（规模 {scale} 为 {wanted} 家），本次未新增企业、跟进记录和变更记录。"
    clusters = _load_clusters(rng)
    ctx = _context(rng)
    queue = _cluster_queue(rng, clusters, wanted - have)
    totals = [0, 0, 0]
    for start in range(0, len(queue), CHUNK):
        plans = [_plan(ctx, cluster) for cluster in queue[start : start + CHUNK]]
        for i, n in enumerate(_insert(plans)):
            totals[i] += n
    return f"招商清单：新增招商清单企业 {totals[0]} 家，跟进记录 {totals[1]} 条，变更记录 {totals[2]} 条。"


def _context(rng: random.Random) -> Context:
    officers, heads = load_people()
    existing = db.session.execute(sa.select(TargetCompany.name_key, TargetCompany.credit_code)).all()
    return Context(
        rng=rng,
        zone=local_zone(),
        timeline=Timeline(rng, local_today()),
        officers=officers,
        heads=heads,
        companies=Companies(rng, {key for key, _ in existing}, {code for _, code in existing if code}),
    )


def load_people() -> tuple[dict[int | None, list[Person]], dict[int | None, list[Person]]]:
    """Active officers and heads by region (None: the whole city), who may own and assign items."""
    officers: dict[int | None, list[Person]] = defaultdict(list)
    heads: dict[int | None, list[Person]] = defaultdict(list)
    people = db.session.execute(
        sa.select(User.id, User.display_name, User.role, User.region_id)
        .where(User.active, User.role.in_([Role.OFFICER, Role.HEAD]))
        .order_by(User.id)
    )
    for user in people:
        (officers if user.role == Role.OFFICER else heads)[user.region_id].append(
            Person(user.id, user.display_name)
        )
    if not officers and not heads:
        raise ValueError("没有在职的招商专员或局领导可担任责任人，无法生成招商清单。")
    return officers, heads


def _load_clusters(rng: random.Random) -> list[ClusterInfo]:
    segments = defaultdict(list)
    for segment in db.session.execute(
        sa.select(
            ChainSegment.id, ChainSegment.cluster_id, ChainSegment.parent_id, ChainSegment.name
        ).order_by(ChainSegment.cluster_id, ChainSegment.sort_order, ChainSegment.id)
    ):
        segments[segment.cluster_id].append(segment)
    rows = db.session.execute(
        sa.select(Cluster, Region.name, Region.code).join(Region).order_by(Cluster.sort_order, Cluster.id)
    ).all()
    return [
        ClusterInfo(
            id=cluster.id,
            title=cluster.title,
            industry=cluster.industry,
            region_id=cluster.region_id,
            region_name=region_name,
            park=words.PARKS.get(region_code, f"{region_name}重点产业平台"),
            formal=cluster.status == ClusterStatus.FORMAL,
            weight=cluster.value_2025 or Decimal(50),
            segments=_segments_with_gaps(rng, segments[cluster.id]),
        )
        for cluster, region_name, region_code in rows
    ]


def _segments_with_gaps(rng: random.Random, segments: list) -> list[tuple[int, str]]:
    """Every segment but one or two leaves (补链 gaps on the chain map); leaves listed twice."""
    parents = {s.parent_id for s in segments}
    leaves = [s for s in segments if s.id not in parents]
    gaps = set()
    if len(leaves) >= 2:
        gaps = {s.id for s in rng.sample(leaves, 1 if len(leaves) <= 4 else rng.choice((1, 2)))}
    return [(s.id, s.name) for s in segments if s.id not in gaps for _ in range(1 if s.id in parents else 2)]


def _cluster_queue(rng: random.Random, clusters: list[ClusterInfo], total: int) -> list[ClusterInfo]:
    """The cluster of each new company: a few per 培育 cluster, the rest by the 2025 targets."""
    formal = [c for c in clusters if c.formal] or clusters
    incubating = [c for c in clusters if c not in formal]
    few = total * INCUBATING_PER_2000 // TARGETS_PER_SCALE
    rest = total - few * len(incubating)
    weight = sum(c.weight for c in formal)
    shares = [rest * c.weight / weight for c in formal]
    quotas = [int(share) for share in shares]
    by_remainder = sorted(range(len(formal)), key=lambda i: shares[i] - quotas[i], reverse=True)
    for i in by_remainder[: rest - sum(quotas)]:
        quotas[i] += 1
    queue = [c for c, n in zip(formal, quotas, strict=True) for _ in range(n)]
    queue += [c for c in incubating for _ in range(few)]
    rng.shuffle(queue)
    return queue


def _insert(plans: list[Plan]) -> tuple[int, int, int]:
    """Insert the plans' companies, look their ids up by name key, then insert follow-ups and history."""
    rows = [plan.row for plan in plans]
    bulk_insert(TargetCompany, rows)
    keys = [row["name_key"] for row in rows]
    found = dict(
        db.session.execute(
            sa.select(TargetCompany.name_key, TargetCompany.id).where(TargetCompany.name_key.in_(keys))
        )
        .tuples()
        .all()
    )
    follow_ups: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for key, plan in zip(keys, plans, strict=True):
        for row in plan.follow_ups:
            row["target_id"] = found[key]
        for row in plan.history:
            row["entity_id"] = found[key]
        follow_ups += plan.follow_ups
        history += plan.history
    bulk_insert(FollowUp, follow_ups)
    bulk_insert(HistoryEntry, history)
    return len(rows), len(follow_ups), len(history)


def bulk_insert(model: type[Base], rows: list[dict[str, Any]]) -> None:
    """One executemany INSERT; on PostgreSQL with psycopg a COPY, several times faster.

    COPY fires the same triggers and checks the same constraints; values go through the columns'
    own bind processing (Money, UTCDateTime, enums) first. (No ORM bulk insert: it splits rows by
    which values are None into thousands of small statements.)
    """
    if not rows:
        return
    table = db.metadata.tables[model.__tablename__]
    connection = db.session.connection()
    dialect = connection.dialect
    if (dialect.name, dialect.driver) != ("postgresql", "psycopg"):
        connection.execute(sa.insert(table), rows)
        return
    names = list(rows[0])
    processors = [(name, table.c[name].type.bind_processor(dialect)) for name in names]
    columns = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    driver = connection.connection.driver_connection
    assert driver is not None  # None only for an invalidated connection, not one just checked out
    cursor = driver.cursor()
    with cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([process(row[name]) if process else row[name] for name, process in processors])


# --- one company ------------------------------------------------------------------------------

PHASE_NOTES = {
    TargetStatus.UNCONTACTED: words.OUTREACH,
    TargetStatus.CONTACTED: words.CONTACT,
    TargetStatus.INTERESTED: words.INTEREST,
}
MOVE_NOTES = {
    TargetStatus.INTERESTED: words.INTERESTED_STEP,
    TargetStatus.ABANDONED: words.ABANDON_STEP,
    TargetStatus.CONVERTED: words.CONVERT_STEP,
}


def _plan(ctx: Context, cluster: ClusterInfo) -> Plan:
    """One company with its whole story: created, followed up, moved on (and perhaps handed over)."""
    rng = ctx.rng
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    row, say = ctx.companies.make(cluster, rng.random() < FOREIGN_SHARE, status)
    staff = _staff(ctx, cluster.region_id)
    dates, due, created_on = ctx.timeline.target_dates(status)
    if staff.previous and len(dates) >= 2:
        staff.handover = rng.randint(1, len(dates) - 1)
    else:
        staff.previous = None
    creator = staff.author(0) if rng.random() < 0.7 else staff.head
    created = history_for(
        TargetCompany.entity_type,
        "created",
        creator,
        ctx.stamp(created_on, rng.randint(540, 1050)),
        note="新建",
    )
    follow_ups, history = _activity(ctx, say, dates, _status_steps(rng, status, len(dates)), staff)
    history.insert(0, created)
    status_times = [h["created_at"] for h in history if h["action"] == "status"]
    row.update(
        status=status,
        abandon_reason=say["reason"] if status == TargetStatus.ABANDONED else None,
        owner_id=staff.owner.id,
        created_by_id=creator.id,
        last_follow_up_on=dates[-1][0] if dates else None,
        next_follow_up_on=due,
        created_at=created["created_at"],
        status_since=max(status_times, default=created["created_at"]),
        updated_at=max(h["created_at"] for h in history),
    )
    return Plan(row, follow_ups, history)


def _activity(
    ctx: Context, say: dict, dates: list, steps: dict, staff: Staff
) -> tuple[list[dict], list[dict]]:
    """The follow-ups, with the status moves and the handover between them, oldest first."""
    rng = ctx.rng
    follow_ups, history = [], []
    current = TargetStatus.UNCONTACTED
    for i, (occurred_on, next_on) in enumerate(dates):
        if i == staff.handover:
            at = ctx.stamp(occurred_on, rng.randint(510, 539))  # that morning, before the visit
            note = rng.choice(words.HANDOVER_NOTES)
            history.append(
                history_for(
                    TargetCompany.entity_type,
                    "reassigned",
                    staff.head,
                    at,
                    "owner_id",
                    staff.previous,
                    staff.owner,
                    note,
                )
            )
        author, moves = staff.author(i), steps.get(i, [])
        row = _follow_up(rng, say, current, moves, author, staff.head)
        row.update(occurred_on=occurred_on, next_follow_up_on=next_on)
        row["created_at"] = ctx.stamp(occurred_on, rng.randint(540, 1080))
        follow_ups.append(row)
        for k, new in enumerate(moves):
            note = say["reason"] if new == TargetStatus.ABANDONED else words.STATUS_NOTES[new.value]
            at = row["created_at"] + timedelta(minutes=3 + 2 * k)
            history.append(
                history_for(
                    TargetCompany.entity_type, "status", author, at, "status", current.value, new.value, note
                )
            )
            current = new
    return follow_ups, history


def _follow_up(
    rng: random.Random, say: dict, current: TargetStatus, moves: list, author: Person, head: Person
) -> dict:
    if moves and moves[-1] != TargetStatus.CONTACTED:
        method, content, next_step = MOVE_NOTES[moves[-1]]
    else:
        method, content, next_step = rng.choice(PHASE_NOTES[TargetStatus.CONTACTED if moves else current])
    people = [author.name, f"{say['contact_name']}（{say['title']}）"]
    if method in ("考察", "会谈", "签约") and head != author:
        people.insert(0, head.name)
    return {
        "target_id": None,
        "method": FollowUpMethod(method),
        "participants": "、".join(people),
        "content": content.format(**say),
        "next_step": next_step.format(**say),
        "author_id": author.id,
    }


def history_for(
    entity_type: str,
    action: str,
    actor: Person,
    at: datetime,
    field: str | None = None,
    old: object = None,
    new: object = None,
    note: str = "",
) -> dict[str, Any]:
    """A history row of the demo (entity id filled in on insert); a Person given as old/new is a handover."""
    return {
        "entity_type": entity_type,
        "entity_id": None,
        "action": action,
        "field": field,
        "old_value": old.name if isinstance(old, Person) else old,
        "new_value": new.name if isinstance(new, Person) else new,
        "old_ref": old.id if isinstance(old, Person) else None,
        "new_ref": new.id if isinstance(new, Person) else None,
        "note": note or "",
        "actor_id": actor.id,
        "created_at": at,
    }


def _status_steps(rng: random.Random, status: TargetStatus, n: int) -> dict[int, list[TargetStatus]]:
    """At which follow-up (index) the status moved, and to what: 已接触, perhaps 有意向, then the end."""
    steps: dict[int, list[TargetStatus]] = defaultdict(list)
    if status == TargetStatus.UNCONTACTED or n == 0:
        return steps
    last = n - 1
    steps[0].append(TargetStatus.CONTACTED)
    if status in (TargetStatus.INTERESTED, TargetStatus.CONVERTED) or (
        status == TargetStatus.ABANDONED and rng.random() < 0.35
    ):
        latest = last - 1 if status.is_closed and last >= 2 else last
        steps[rng.randint(min(1, latest), latest)].append(TargetStatus.INTERESTED)
    if status.is_closed:
        steps[last].append(status)
    return steps


# --- who --------------------------------------------------------------------------------------


def _staff(ctx: Context, region_id: int) -> Staff:
    """An owner whose scope covers the region (mostly its own officers), perhaps a previous one, a head."""
    rng = ctx.rng
    local, city = ctx.officers.get(region_id, []), ctx.officers.get(None, [])
    heads = ctx.heads.get(region_id) or ctx.heads.get(None) or []
    pool = city if not local or (city and rng.random() < CITY_OWNER_SHARE) else local
    pool = pool or heads
    if not pool:
        raise ValueError("有地区没有在职的招商专员或局领导可担任责任人，无法生成招商清单。")
    owner = rng.choice(pool)
    others = [p for p in pool if p != owner]
    previous = rng.choice(others) if others and rng.random() < HANDOVER_SHARE else None
    return Staff(owner, previous, rng.choice(heads) if heads else owner)
