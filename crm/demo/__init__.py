"""Realistic generated data for demos and benchmarks (flask --app wsgi demo-data --scale N).

Scale 1 is about Jiaxing's real size; 10 is the benchmark size. The people are the same at every
scale (a bureau does not grow tenfold); the 招商清单 (crm/demo/targets.py) grows with the scale.
"""

import random
from dataclasses import dataclass, field

import sqlalchemy as sa

from crm.auth.services import create_user
from crm.clusters.seed import seed_plan
from crm.demo.outcomes import seed_outcomes
from crm.demo.projects import seed_projects
from crm.demo.targets import seed_targets
from crm.extensions import db
from crm.models import Region, Role, User

SEED = 20220723  # the plan's date
OFFICERS_PER_REGION = 5
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱马胡郭林何高沈钱陆姚顾蒋褚金"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华慧建国晓东海燕志红玲斌宇鑫浩宁婷"
MAIL_DOMAIN = "zs.jiaxing.example"  # a reserved-style domain: demo mail never reaches a real person
CITY_VIEWERS = [("zrzy-viewer", "市自然资源和规划局"), ("jxj-viewer", "市经信局")]


@dataclass
class DemoSummary:
    lines: list[str] = field(default_factory=list)
    users_added: int = 0


def generate(scale: int, password: str) -> DemoSummary:
    """Create what is missing at this scale; returns a Chinese summary, one line per kind."""
    seed_plan()
    rng = random.Random(SEED)  # the same people on every run
    summary = DemoSummary()
    summary.users_added, kept = _seed_people(rng, password)
    summary.lines.append(f"演示用户：新增 {summary.users_added} 个，已存在 {kept} 个（规模 {scale}）。")
    # Its own generator: the companies don't depend on how many people this run had to add.
    summary.lines.append(seed_targets(random.Random(f"{SEED}:targets"), scale))
    summary.lines.append(seed_projects(random.Random(f"{SEED}:projects"), scale))
    summary.lines.append(seed_outcomes(random.Random(f"{SEED}:outcomes")))
    return summary


def _seed_people(rng: random.Random, password: str) -> tuple[int, int]:
    existing = set(db.session.scalars(sa.select(User.username)))
    wanted = _people(rng)
    added = 0
    for username, role, region, unit in wanted:
        if username in existing:
            continue
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        create_user(
            username,
            role,
            region,
            password,
            display_name=f"{name}（{unit}）" if role == Role.VIEWER else name,
            email=f"{username}@{MAIL_DOMAIN}",
            phone=f"1380573{rng.randrange(10000):04d}",
        )
        added += 1
    db.session.flush()
    return added, len(wanted) - added


def _people(rng: random.Random) -> list[tuple[str, Role, Region | None, str]]:
    people: list[tuple[str, Role, Region | None, str]] = [
        ("city-head", Role.HEAD, None, "市商务局"),
        ("city-officer1", Role.OFFICER, None, "市商务局"),
        ("city-officer2", Role.OFFICER, None, "市商务局"),
    ]
    people += [(username, Role.VIEWER, None, unit) for username, unit in CITY_VIEWERS]
    for region in db.session.scalars(sa.select(Region).order_by(Region.sort_order)):
        people.append((f"{region.code}-head", Role.HEAD, region, region.name))
        for n in range(1, OFFICERS_PER_REGION + 1):
            people.append((f"{region.code}-officer{n}", Role.OFFICER, region, region.name))
    return people
