"""One demo project with its whole story as plain rows (used by crm/demo/projects.py): the project,
its follow-ups, change history, problems to coordinate and 工作方案 milestones.
"""

import itertools
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from crm.core.identity import name_key
from crm.demo import project_activity as activity
from crm.demo import project_words as pw
from crm.demo import words
from crm.demo.companies import ClusterInfo
from crm.demo.project_context import Context
from crm.demo.project_story import Story, milestones
from crm.demo.targets import Person, Staff
from crm.models import ProjectStage, TargetStatus

FOREIGN_SHARE, JOINT_VENTURE_SHARE, LOCAL_COMPANY_SHARE, NO_SEGMENT_SHARE = 0.08, 0.07, 0.4, 0.05
CITY_OWNER_SHARE, HEAD_OWNER_SHARE, HANDOVER_SHARE = 0.08, 0.05, 0.05
USD_RATE = 7.1  # 元 per US dollar, for 外资 in 万美元
CHOICE = re.compile(r"\{([^{}]*\|[^{}]*)\}")
LEGAL_FORMS = ("集团有限公司", "股份有限公司", "有限公司")


@dataclass
class Plan:
    row: dict
    follow_ups: list[dict]
    history: list[dict]
    problems: list[dict]
    milestones: list[dict]


def fill(rng: random.Random, template: str) -> str:
    """template with each "{a|b}" replaced by one of its choices."""
    return CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), template)


def plan_project(ctx: Context, cluster: ClusterInfo, stage: ProjectStage, target: dict | None) -> Plan:
    rng, tl = ctx.rng, ctx.timeline
    say, row = _identity(ctx, cluster, target)
    staff = _staff(ctx, row["region_id"], target["owner_id"] if target else None)
    story = tl.make(stage, target["born"] if target else None)
    created_on = tl.day(story.created)
    last_day = story.follow_ups[-1][0] if story.follow_ups else None
    end = story.moves[-1][0] if story.moves else story.created  # the last day it was worked on
    if last_day and not stage.is_closed:
        end = tl.index(last_day)
    handover = tl.day(rng.randint(story.created + 1, end)) if staff.previous and end > story.created else None
    if handover is None:
        staff.previous = None

    def author(day: date) -> Person:
        if staff.previous is not None and handover and day < handover:
            return staff.previous
        return staff.owner

    row.update(_amounts(rng, target["investment"] if target else None, say["foreign"], story))
    row.update(_four_ones(ctx, row, story, staff.owner, say))
    say.update(
        amount=f"{row['total_investment']:.2f}",
        output=f"{row['expected_output']:.2f}",
        mu=f"{row['land_area']:.0f}",
        leader=row["leader_name"],
        reason=row["stage_reason"] or "",
    )
    if target:
        created_at = target["converted_at"] + timedelta(minutes=rng.randint(2, 30))
    else:
        created_at = ctx.stamp(created_on, rng.randint(540, 1050))
    creator = author(created_on) if target or rng.random() < 0.7 else staff.head
    history = [
        activity.history_row("created", creator, created_at, note="由招商清单企业转入" if target else "新建")
    ]
    follow_ups, moved = activity.follow_ups(ctx, story, say, author)
    history += activity.stage_moves(ctx, story, row, author, moved)
    if handover:
        at = ctx.stamp(handover, rng.randint(510, 539))
        note = rng.choice(words.HANDOVER_NOTES)
        history.append(
            activity.history_row("reassigned", staff.head, at, "owner_id", staff.previous, staff.owner, note)
        )
    problems = activity.problems(ctx, story, row, say, author, history)
    steps = []
    if stage != ProjectStage.STOPPED:
        steps = [
            {"project_id": None, "title": title, "due_on": due, "done_on": done}
            for title, due, done in milestones(rng, story, created_on, ctx.today, tl.latest, pw.MILESTONES)
        ]
        row["action_plan"] = _action_plan(rng, story, row, staff.owner, steps)
    history.sort(key=lambda h: h["created_at"])
    stage_times = [h["created_at"] for h in history if h["action"] == "stage"]
    row.update(
        stage=stage,
        paused_from=story.paused_from,
        owner_id=staff.owner.id,
        created_by_id=creator.id,
        last_follow_up_on=last_day,
        next_follow_up_on=story.due,
        created_at=created_at,
        stage_since=stage_times[-1] if stage_times else created_at,
        updated_at=max(h["created_at"] for h in history),
        version=1,
        **story.evidence,
        **story.planned,
    )
    row.setdefault("signed_on", None)
    row.setdefault("actual_start_on", None)
    row.setdefault("actual_completion_on", None)
    return Plan(row, follow_ups, history, problems, steps)


def _identity(ctx: Context, cluster: ClusterInfo, target: dict | None) -> tuple[dict, dict]:
    """The words about the company, and the project's identity columns."""
    rng = ctx.rng
    region_name, region_code = ctx.regions[target["region_id"] if target else cluster.region_id]
    if target:
        company, short, contact = target["name"], _short(target["name"]), target["contact"]
        foreign, segment_id = target["foreign"], target["segment_id"]
    else:
        foreign = rng.random() < FOREIGN_SHARE
        made, about = ctx.companies.make(cluster, foreign, TargetStatus.INTERESTED)
        company, short, contact = made["name"], about["short"], about["contact"]
        if not foreign and rng.random() < LOCAL_COMPANY_SHARE:  # a project company registered here
            company = f"{short}（{pw.PROJECT_COMPANY_PLACE.get(region_code, '嘉兴')}）有限公司"
        use = cluster.segments and rng.random() >= NO_SEGMENT_SHARE
        segment_id = rng.choice(cluster.segments)[0] if use else None
        foreign = foreign or rng.random() < JOINT_VENTURE_SHARE
    name = _project_name(ctx, cluster, segment_id, short)
    say = {
        "short": short,
        "company": company,
        "contact": contact,
        "project": name,
        "region": region_name,
        "park": words.PARKS.get(region_code, f"{region_name}重点产业平台"),
        "foreign": foreign,
    }
    row = {
        "name": name,
        "name_key": name_key(name),
        "company_name": company[:128],
        "target_id": target["id"] if target else None,
        "cluster_id": cluster.id,
        "segment_id": segment_id,
        "region_id": target["region_id"] if target else cluster.region_id,
    }
    return say, row


def _short(name: str) -> str:
    """A company's short name: without its city and legal form (a foreign one: its first word)."""
    if name.isascii():
        return name.split()[0]
    for city, _, _ in words.CITIES:
        if name.startswith(city) and len(name) > len(city) + 4:
            name = name[len(city) :]
            break
    for form in LEGAL_FORMS:
        if name.endswith(form):
            return name[: -len(form)]
    return name


def _project_name(ctx: Context, cluster: ClusterInfo, segment_id: int | None, short: str) -> str:
    """ "<short>年产20万吨锂电正极材料项目": by the segment's words, unique by name key."""
    rng = ctx.rng
    groups = pw.PROJECT_NAMES.get(cluster.industry, pw.DEFAULT_NAMES)
    about = ctx.segment_words.get(segment_id, "") if segment_id is not None else ""
    pool = next((t for keys, t in groups if keys and any(k in about for k in keys.split("|"))), None)
    templates = re.split(r"(?<=项目) ", pool or " ".join(t for _, t in groups))
    for attempt in itertools.count():
        base = short + fill(rng, rng.choice(templates))
        if attempt < 4:
            name = base
        elif attempt < 20:
            phase = pw.PHASES[attempt % len(pw.PHASES)]
            name = base + phase if phase.startswith("（") else base[:-2] + phase
        else:
            name = f"{base[:-2]}（{attempt - 19}号地块）项目"
        name = name[:128]
        key = name_key(name)
        if key not in ctx.project_keys:
            ctx.project_keys.add(key)
            return name
    raise AssertionError("unreachable")


def _staff(ctx: Context, region_id: int, wanted: int | None) -> Staff:
    """The owner (the converted company's officer when still allowed), perhaps a previous one, a head."""
    rng = ctx.rng
    heads = ctx.heads.get(region_id) or ctx.heads.get(None) or []
    local, city = ctx.officers.get(region_id, []), ctx.officers.get(None, [])
    roll = rng.random()
    if city and roll < CITY_OWNER_SHARE:
        pool = city
    elif ctx.heads.get(region_id) and roll < CITY_OWNER_SHARE + HEAD_OWNER_SHARE:
        pool = ctx.heads[region_id]
    else:
        pool = local or city or heads
    if not pool:
        raise ValueError("有地区没有在职的招商专员或局领导可担任责任人，无法生成项目清单。")
    person = ctx.people.get(wanted) if wanted is not None else None
    allowed = {p.id for p in [*local, *city, *ctx.heads.get(region_id, []), *ctx.heads.get(None, [])]}
    owner = person if person and person.id in allowed else rng.choice(pool)
    others = [p for p in pool if p != owner]
    previous = rng.choice(others) if others and rng.random() < HANDOVER_SHARE else None
    return Staff(owner, previous, rng.choice(heads) if heads else owner)


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _amounts(rng: random.Random, base: Decimal | None, foreign: bool, story: Story) -> dict:
    """亿元 (exact, 2 decimals): 1–150, a few ≥ 50; 外资 in 万美元; land in 亩."""
    if base:
        total = float(base)
    else:  # mostly a few 亿 to a few tens of 亿; about 2 in 100 are major projects of 50 亿 and more
        total = rng.uniform(50, 150) if rng.random() < 0.02 else rng.lognormvariate(1.9, 0.85)
    total = min(150.0, max(1.0, total))
    output = total * rng.uniform(0.8, 2.5)
    signed = story.evidence.get("signed_on") is not None
    landmark = rng.random() < (0.55 if total >= 30 else 0.25 if total >= 15 else 0.03)
    return {
        "is_landmark": landmark,
        "total_investment": _money(total),
        "fixed_asset_investment": _money(total * rng.uniform(0.6, 0.95)),
        "foreign_capital": _money(total * 10000 / USD_RATE * rng.uniform(0.3, 1.0)) if foreign else None,
        "expected_output": _money(output),
        "expected_added_value": _money(output * rng.uniform(0.18, 0.35)),
        "land_area": _money(min(1500.0, max(10.0, total * rng.uniform(3, 10)))),
        "signed_investment": (
            _money(total if rng.random() < 0.65 else total * rng.uniform(0.5, 0.95)) if signed else None
        ),
    }


def _four_ones(ctx: Context, row: dict, story: Story, owner: Person, say: dict) -> dict:
    """联系领导, 责任单位 and the reasons of a pause or stop (the 工作方案 comes with the milestones)."""
    rng = ctx.rng
    region_id = row["region_id"]
    region_name, region_code = ctx.regions[region_id]
    city_leader = rng.random() < (0.7 if row["is_landmark"] else 0.08)
    leader = rng.choice(ctx.leaders[None if city_leader else region_id])
    if region_code in ("jxedz", "jxport"):
        units = [f"{region_name}管委会招商局", f"{region_name}经济发展局"]
    else:
        units = [f"{region_name}经济和信息化局", f"{region_name}商务局", f"{say['park']}管委会"]
    unit = rng.choice(pw.CITY_UNITS if row["is_landmark"] and rng.random() < 0.25 else units)
    reason = None
    if story.stage == ProjectStage.PAUSED:
        reason = rng.choice(pw.PAUSE_REASONS)
    elif story.stage == ProjectStage.STOPPED:
        reason = rng.choice(pw.STOP_REASONS).format(elsewhere=rng.choice(words.ELSEWHERE))
    total, fixed, land = row["total_investment"], row["fixed_asset_investment"], row["land_area"]
    description = (
        f"{say['company']}投资建设{say['project'].removeprefix(say['short'])}，总投资{total}亿元，"
        f"其中固定资产投资{fixed}亿元，用地约{land:.0f}亩。"
    )
    if row["foreign_capital"]:
        description += f"利用外资{row['foreign_capital']}万美元。"
    return {
        "leader_name": leader,
        "responsible_unit": unit,
        "stage_reason": reason,
        "description": description,
        "action_plan": "",
    }


def _action_plan(rng: random.Random, story: Story, row: dict, owner: Person, steps: list[dict]) -> str:
    start, finish = story.planned["planned_start_on"], story.planned["planned_completion_on"]
    if story.stage == ProjectStage.PRODUCING:
        goal = "项目已建成投产，做好达产达效服务"
    elif story.stage == ProjectStage.BUILDING and finish:
        goal = f"力争{finish.year}年{finish.month}月底前竣工投产"
    elif start:
        goal = f"力争{start.year}年{start.month}月底前开工建设"
    else:
        goal = "力争尽快签订正式投资协议"
    measures = "；".join(rng.sample(pw.MEASURES, 2))
    nodes = "；".join(f"{s['due_on']:%Y-%m-%d} {s['title']}" for s in steps)
    return (
        f"推进目标：{goal}。\n工作措施：{measures}。\n"
        f"责任分工：联系领导{row['leader_name']}，责任单位{row['responsible_unit']}，责任人{owner.name}。\n"
        f"节点安排：{nodes}。"
    )
