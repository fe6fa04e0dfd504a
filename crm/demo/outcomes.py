"""招商 outcomes demo data (issue 15): a believable year to read against its targets.

Run by crm.demo.generate after the projects (crm/demo/projects.py); idempotent like the rest:
- every project not yet classified gets 内资/外资/中外合资 (外资 where it has 合同外资), an investor origin,
  新引进 or 增资扩产, 制造业 or 服务业 and quality tags (世界500强 … from its target company's honours);
- 到资 entries for signed projects, dated between the signing and today, never before the signing nor
  in the future, recorded a few days after they arrived, and growing with the stage (a project in
  production has received most of its money, one just signed little or none);
- the exchange rate of each year the demo spans (marked 演示数据, not an official figure);
- annual targets for the city and every region, this year and last, set a little above what the
  demo's projects reach, so 完成率 lands between about 60 % and 120 %; last year's signings, starts and
  funds come from the three years of history the projects already have, so 同比 compares something.
"""

import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm.core.timeutil import local_today, local_zone
from crm.demo.project_plan import USD_RATE
from crm.demo.targets import bulk_insert
from crm.extensions import db
from crm.models import (
    HONOURS,
    PROJECT_TAGS,
    AnnualTarget,
    CapitalType,
    Currency,
    ExchangeRate,
    FundEntry,
    FundKind,
    Indicator,
    InvestorOrigin,
    Project,
    ProjectStage,
    ProjectType,
    Region,
    Sector,
    TargetCompany,
)
from crm.models.enums import bits_to_tags, tags_to_bits

# Share of a signed project's money that has arrived by now, by the stage it stands in.
ARRIVED_SHARE = {
    ProjectStage.SIGNED: (0.0, 0.25),
    ProjectStage.BUILDING: (0.2, 0.7),
    ProjectStage.PRODUCING: (0.6, 1.0),
    ProjectStage.PAUSED: (0.0, 0.3),
    ProjectStage.STOPPED: (0.0, 0.1),
}
ENTRIES = {ProjectStage.SIGNED: 1, ProjectStage.BUILDING: 3, ProjectStage.PRODUCING: 4}
RATE_DRIFT = (Decimal("-0.0800"), Decimal("-0.0300"), Decimal("0.0000"), Decimal("0.0500"))
TARGET_STRETCH = (1.05, 1.45)  # a year's target: what the demo reaches × this, before rounding


def seed_outcomes(rng: random.Random) -> str:
    """Classify projects, add 到资 entries, exchange rates and targets; returns a summary line."""
    today = local_today()
    classified = _classify(rng)
    rates = _rates(today)
    has_funds = db.session.scalar(sa.select(FundEntry.id).limit(1)) is not None
    entries = 0 if has_funds else _funds(rng, today)
    targets = _targets(rng, today)
    return (
        f"招商成效：项目分类 {classified} 个，到资记录 {entries} 条，汇率 {rates} 个年度，"
        f"年度目标 {targets} 项。"
    )


def _classify(rng: random.Random) -> int:
    rows = db.session.execute(
        sa.select(Project.id, Project.total_investment, Project.foreign_capital, TargetCompany.honour_bits)
        .outerjoin(TargetCompany, TargetCompany.id == Project.target_id)
        .where(Project.capital_type.is_(None))
        .order_by(Project.id)
    ).all()
    changes = []
    for row in rows:
        total = row.total_investment or Decimal(0)
        foreign = row.foreign_capital is not None
        capital = (
            (CapitalType.FOREIGN if rng.random() < 0.7 else CapitalType.JOINT)
            if foreign
            else CapitalType.DOMESTIC
        )
        if foreign:
            origin = InvestorOrigin.OVERSEAS
        else:
            origin = rng.choices(
                [InvestorOrigin.OTHER_PROVINCE, InvestorOrigin.OTHER_CITY, InvestorOrigin.LOCAL], [55, 30, 15]
            )[0]
        honours = set(bits_to_tags(row.honour_bits or 0, HONOURS)) & set(PROJECT_TAGS)
        if total >= 10 and rng.random() < 0.06:
            honours.add("世界500强")
        for tag, share in (("上市公司", 0.12), ("专精特新", 0.08), ("央企/国企", 0.04)):
            if rng.random() < share:
                honours.add(tag)
        if origin == InvestorOrigin.OTHER_PROVINCE and rng.random() < 0.2:
            honours.add("浙商回归")
        changes.append(
            {
                "pid": row.id,
                "capital_type": capital,
                "investor_origin": origin,
                "project_type": ProjectType.EXPANSION if rng.random() < 0.15 else ProjectType.NEW,
                "sector": Sector.SERVICES if rng.random() < 0.08 else Sector.MANUFACTURING,
                "tag_bits": tags_to_bits(honours, PROJECT_TAGS),
                "total_investment_usd": (
                    Decimal(f"{float(total) * 10000 / USD_RATE:.2f}") if foreign and total else None
                ),
                "registered_capital": Decimal(f"{float(total) * 10000 * rng.uniform(0.1, 0.4):.2f}")
                if total
                else None,
            }
        )
    if changes:
        table = db.metadata.tables[Project.__tablename__]
        values: dict[str, Any] = {k: sa.bindparam(k) for k in changes[0] if k != "pid"}
        db.session.connection().execute(
            sa.update(table).where(table.c.id == sa.bindparam("pid")).values(values), changes
        )
    return len(changes)


def _rates(today: date) -> int:
    have = set(db.session.scalars(sa.select(ExchangeRate.year)))
    years = [y for y in range(today.year - 3, today.year + 1) if y not in have]
    for offset, year in enumerate(years):
        rate = Decimal(str(USD_RATE)) + RATE_DRIFT[offset % len(RATE_DRIFT)]
        db.session.add(ExchangeRate(year=year, cny_per_usd=rate, note="演示数据，非官方汇率"))
    db.session.flush()
    return len(years)


def _moment(day: date, rng: random.Random, today: date) -> datetime:
    """A working-hours moment of day in Beijing time, as UTC, never after now."""
    local = datetime.combine(day, time(9 + rng.randrange(8), rng.randrange(60)), local_zone())
    return min(local.astimezone(UTC), datetime.now(UTC))


def _funds(rng: random.Random, today: date) -> int:
    projects = db.session.execute(
        sa.select(
            Project.id,
            Project.stage,
            Project.signed_on,
            Project.total_investment,
            Project.total_investment_usd,
            Project.capital_type,
            Project.project_type,
            Project.owner_id,
        )
        .where(Project.signed_on.is_not(None), Project.signed_on <= today)
        .order_by(Project.id)
    ).all()
    rows = []
    for p in projects:
        low, high = ARRIVED_SHARE.get(p.stage, (0.0, 0.0))
        share = rng.uniform(low, high)
        count = ENTRIES.get(p.stage, 1)
        if share <= 0.01 or not p.total_investment:
            continue
        span = (today - p.signed_on).days
        days = sorted(rng.randint(0, span) for _ in range(count))
        foreign = p.capital_type in (CapitalType.FOREIGN, CapitalType.JOINT)
        if p.project_type == ProjectType.EXPANSION:
            kind = FundKind.CAPITAL_INCREASE
        else:
            kind = FundKind.FOREIGN if foreign else FundKind.DOMESTIC
        whole = (
            float(p.total_investment_usd)
            if foreign and p.total_investment_usd
            else float(p.total_investment) * 10000
        )
        currency = Currency.USD if foreign and p.total_investment_usd else Currency.CNY
        parts = [rng.random() + 0.2 for _ in days]
        for offset, part in zip(days, parts, strict=True):
            arrived = p.signed_on + timedelta(days=offset)
            amount = Decimal(f"{whole * share * part / sum(parts):.2f}")
            if amount <= 0:
                continue
            recorded = min(arrived + timedelta(days=rng.randint(0, 6)), today)
            rows.append(
                {
                    "project_id": p.id,
                    "arrived_on": arrived,
                    "currency": currency,
                    "amount": amount,
                    "kind": kind,
                    "note": rng.choice(NOTES),
                    "recorded_by_id": p.owner_id,
                    "recorded_at": _moment(recorded, rng, today),
                    "delete_reason": "",
                }
            )
    bulk_insert(FundEntry, rows)
    return len(rows)


NOTES = ("银行进账单", "验资报告", "外汇登记凭证", "企业财务报表", "商务部门外资统计直报", "项目单位报送")


def _targets(rng: random.Random, today: date) -> int:
    """Targets for last year and this year where none are set: what the demo reaches, stretched."""
    added = 0
    regions = list(db.session.scalars(sa.select(Region.id).order_by(Region.sort_order)))
    for year in (today.year - 1, today.year):
        if db.session.scalar(sa.select(AnnualTarget.id).where(AnnualTarget.year == year).limit(1)):
            continue
        reached = _reached(year, today)
        city: dict[Indicator, Decimal] = defaultdict(Decimal)
        for region_id in regions:
            for indicator in Indicator:
                value = _target_value(rng, indicator, reached[region_id][indicator])
                city[indicator] += value
                db.session.add(AnnualTarget(year=year, region_id=region_id, indicator=indicator, value=value))
                added += 1
        for indicator, value in city.items():
            db.session.add(AnnualTarget(year=year, region_id=None, indicator=indicator, value=value))
            added += 1
    db.session.flush()
    return added


def _target_value(rng: random.Random, indicator: Indicator, reached: float) -> Decimal:
    stretched = max(reached, 1.0 if indicator.is_count else 0.5) * rng.uniform(*TARGET_STRETCH)
    return Decimal(round(stretched)) if indicator.is_count else Decimal(f"{stretched:.2f}")


def _reached(year: int, today: date) -> dict[int, dict[Indicator, float]]:
    """Roughly what each region's projects reach over the whole year (this year: extrapolated)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    elapsed = min(1.0, max((today - first).days + 1, 1) / ((last - first).days + 1))
    found: dict[int, dict[Indicator, float]] = defaultdict(lambda: defaultdict(float))
    signed = db.session.execute(
        sa.select(Project.region_id, Project.total_investment, Project.tag_bits).where(
            Project.signed_on.between(first, last)
        )
    )
    fortune = 1 << PROJECT_TAGS.index("世界500强")
    for region_id, total, tags in signed:
        counts = found[region_id]
        counts[Indicator.SIGNED] += 1
        total = float(total or 0)
        counts[Indicator.SIGNED_10YI] += total >= 10
        counts[Indicator.SIGNED_50YI] += total >= 50
        counts[Indicator.SIGNED_100M_USD] += total >= USD_RATE
        counts[Indicator.SIGNED_FORTUNE500] += bool((tags or 0) & fortune)
    started = db.session.execute(
        sa.select(Project.region_id, sa.func.count())
        .where(Project.actual_start_on.between(first, last))
        .group_by(Project.region_id)
    )
    for region_id, count in started:
        found[region_id][Indicator.STARTED] += count
    funds = db.session.execute(
        sa.select(Project.region_id, FundEntry.currency, FundEntry.kind, FundEntry.amount)
        .join(Project, Project.id == FundEntry.project_id)
        .where(FundEntry.arrived_on.between(first, last))
    )
    for region_id, currency, kind, amount in funds:
        yi = float(amount) / 10000  # 万 → 亿
        if kind == FundKind.FOREIGN or (currency == Currency.USD and kind == FundKind.CAPITAL_INCREASE):
            found[region_id][Indicator.FOREIGN_CAPITAL] += yi if currency == Currency.USD else yi / USD_RATE
        else:
            found[region_id][Indicator.DOMESTIC_CAPITAL] += yi if currency == Currency.CNY else yi * USD_RATE
    for counts in found.values():
        for indicator in counts:
            counts[indicator] /= elapsed
    return found
