"""目标任务进展: the year-to-date outcome indicators, one counting service for the dashboard, the weekly
summary and its files (README, "Counting rules (outcomes)").

For a scope and a moment T, in the year Y of T's date (Asia/Shanghai):
- 签约 / 开工 / 竣工投产: projects whose 签约日期 / 实际开工日期 / 竣工投产日期, as they stood at T (rewound
  from history, crm.reports.asof), lie between 1 January and T's date; each with its 总投资 and 其中
  10亿元以上 / 50亿元以上 / 超亿美元 / 世界500强.
- 实际使用外资 and 实到内资: the 到资 entries standing at T (crm.outcomes.funds.standing_at) that arrived in
  the same days, by 口径; 增资到位 goes to 外资 for 外资/中外合资 projects and to 内资 otherwise.
- 同比 is the same computation at T minus one year, as of that moment; targets are those in force at T.
Every figure is returned as the text shown, so the page, the .xlsx and the .docx agree to the character.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.core.timeutil import local_date
from crm.extensions import db
from crm.models import (
    CapitalType,
    Currency,
    FundEntry,
    FundKind,
    Indicator,
    Region,
)
from crm.outcomes.funds import standing_at
from crm.outcomes.rates import all_rates
from crm.outcomes.sizes import breakdown, rate_year
from crm.outcomes.targets import Key, targets_at
from crm.reports import asof
from crm.reports.asof import ProjectFigures
from crm.reports.scope import ReportScope

ZERO = Decimal("0.00")
CENT, TENTH = Decimal("0.01"), Decimal("0.1")
WAN_PER_YI = Decimal(10_000)
FOREIGN_TYPES = (CapitalType.FOREIGN, CapitalType.JOINT)
NOT_SET, NONE = "未设", "—"
EVENTS = (("signed", "签约"), ("started", "新开工"), ("completed", "竣工投产"))


@dataclass
class Count:
    count: int = 0
    total: Decimal = ZERO  # 总投资, 亿元

    def add(self, state: ProjectFigures) -> None:
        self.count += 1
        self.total += state.total_investment or ZERO


@dataclass
class EventTally:
    """Projects of one event (签约, 开工, 竣工投产) in the year so far, and its 其中."""

    all: Count = field(default_factory=Count)
    ten: Count = field(default_factory=Count)
    fifty: Count = field(default_factory=Count)
    usd: Count = field(default_factory=Count)
    fortune: Count = field(default_factory=Count)
    # the years whose missing rate left a project's 超亿美元 unknown
    missing_rates: set[int] = field(default_factory=set)

    @property
    def usd_unknown(self) -> bool:
        return bool(self.missing_rates)

    def add(self, state: ProjectFigures, rate: Decimal | None, rate_year: int) -> None:
        self.all.add(state)
        classes = breakdown(state.total_investment, state.total_investment_usd, rate, state.tag_bits)
        for counted, tally in ((classes.ten, self.ten), (classes.fifty, self.fifty), (classes.usd, self.usd)):
            if counted:
                tally.add(state)
        if classes.usd is None:
            self.missing_rates.add(rate_year)
        if classes.fortune:
            self.fortune.add(state)

    def merge(self, other: "EventTally") -> None:
        for name in ("all", "ten", "fifty", "usd", "fortune"):
            mine, theirs = getattr(self, name), getattr(other, name)
            mine.count, mine.total = mine.count + theirs.count, mine.total + theirs.total
        self.missing_rates |= other.missing_rates


@dataclass
class Tally:
    """One region's (or a scope's) year so far at a moment."""

    events: dict[str, EventTally] = field(default_factory=lambda: {k: EventTally() for k, _ in EVENTS})
    foreign: Decimal = Decimal(0)  # 万美元
    domestic: Decimal = Decimal(0)  # 万元
    foreign_unknown: bool = False
    domestic_unknown: bool = False

    def merge(self, other: "Tally") -> None:
        for kind, tally in other.events.items():
            self.events[kind].merge(tally)
        self.foreign += other.foreign
        self.domestic += other.domestic
        self.foreign_unknown |= other.foreign_unknown
        self.domestic_unknown |= other.domestic_unknown

    def value(self, indicator: Indicator) -> Decimal | None:
        """The indicator's 本年累计 (个, 亿美元 or 亿元 with two decimals), None when a rate is missing."""
        signed = self.events["signed"]
        counts = {
            Indicator.SIGNED: signed.all,
            Indicator.SIGNED_10YI: signed.ten,
            Indicator.SIGNED_50YI: signed.fifty,
            Indicator.SIGNED_FORTUNE500: signed.fortune,
            Indicator.STARTED: self.events["started"].all,
        }
        if indicator in counts:
            return Decimal(counts[indicator].count)
        if indicator == Indicator.SIGNED_100M_USD:
            return None if signed.usd_unknown else Decimal(signed.usd.count)
        if indicator == Indicator.FOREIGN_CAPITAL:
            return None if self.foreign_unknown else _yi(self.foreign)
        return None if self.domestic_unknown else _yi(self.domestic)


def _yi(wan: Decimal) -> Decimal:
    return (wan / WAN_PER_YI).quantize(CENT, ROUND_HALF_UP)


def tallies(scope: ReportScope, at: datetime, zone: ZoneInfo) -> dict[int, Tally]:
    """Each region's tally of the scope's year so far at `at` (the year of at's local date)."""
    day = local_date(at, zone)
    first = date(day.year, 1, 1)
    rates = all_rates()
    rate = rates.get(day.year)  # funds arriving this year are converted at this year's rate
    projects = asof.projects_at(at, scope, since=first)
    found: dict[int, Tally] = defaultdict(Tally)
    for state in projects.values():
        # 超亿美元 is the project's own size: at its signing year's rate, as on the lists (crm.outcomes.sizes)
        own_year = rate_year(state.signed_on, day)
        own_rate = rates.get(own_year)
        for kind, on in (
            ("signed", state.signed_on),
            ("started", state.actual_start_on),
            ("completed", state.actual_completion_on),
        ):
            if on is not None and first <= on <= day:
                found[state.region_id].events[kind].add(state, own_rate, own_year)
    rows = db.session.execute(
        sa.select(FundEntry.project_id, FundEntry.currency, FundEntry.kind, sa.func.sum(FundEntry.amount))
        .where(standing_at(at), FundEntry.arrived_on >= first, FundEntry.arrived_on <= day)
        .group_by(FundEntry.project_id, FundEntry.currency, FundEntry.kind)
    )
    for project_id, currency, kind, amount in rows:
        owner = projects.get(project_id)
        if owner is not None:
            _add_funds(found[owner.region_id], owner, currency, kind, Decimal(amount), rate)
    return found


def _add_funds(
    tally: Tally,
    state: ProjectFigures,
    currency: Currency,
    kind: FundKind,
    amount: Decimal,
    rate: Decimal | None,
) -> None:
    """One project's entries of one currency and 口径 into 实际使用外资 (万美元) or 实到内资 (万元)."""
    foreign = kind == FundKind.FOREIGN or (
        kind == FundKind.CAPITAL_INCREASE and state.capital_type in FOREIGN_TYPES
    )
    if foreign:
        if currency == Currency.USD:
            tally.foreign += amount
        elif rate is None:
            tally.foreign_unknown = True
        else:
            tally.foreign += amount / rate
    elif currency == Currency.CNY:
        tally.domestic += amount
    elif rate is None:
        tally.domestic_unknown = True
    else:
        tally.domestic += amount * rate


def total(found: dict[int, Tally]) -> Tally:
    whole = Tally()
    for tally in found.values():
        whole.merge(tally)
    return whole


# --- what the reports show ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    indicator: str
    unit: str
    actual: str  # 本年累计
    target: str  # 年度目标
    completion: str  # 完成率
    progress: str  # 序时进度
    change: str  # 同比


@dataclass(frozen=True)
class OutcomeLine:
    text: str  # 签约 N 个、总投资 X 亿元，其中10亿元以上 a 个、超亿美元 b 个、世界500强 c 个


@dataclass(frozen=True)
class RankRow:
    indicator: str
    rank: int
    region: str
    actual: str
    target: str
    completion: str


@dataclass
class Outcomes:
    year: int
    day: date  # T's local date
    progress: str
    rows: list[IndicatorRow]
    lines: list[OutcomeLine]
    ranking: list[RankRow]  # the city scope only


def _number(value: Decimal, indicator: Indicator) -> str:
    return f"{value:.0f}" if indicator.is_count else f"{value:.2f}"


def _percent(part: Decimal, whole: Decimal) -> str:
    return f"{(part * 100 / whole).quantize(TENTH, ROUND_HALF_UP)}%"


def completion(actual: Decimal | None, target: Decimal | None) -> str:
    """完成率: 累计 ÷ 目标; 未设 without a target, — when it can't be computed (no rate, target 0)."""
    if target is None:
        return NOT_SET
    if actual is None or target == 0:
        return NONE
    return _percent(actual, target)


def year_progress(day: date) -> str:
    """序时进度: the days of day's year gone, 1 January to day inclusive, as a share of the year."""
    first = date(day.year, 1, 1)
    days = (date(day.year + 1, 1, 1) - first).days
    return _percent(Decimal((day - first).days + 1), Decimal(days))


def change(now: Decimal | None, before: Decimal | None, before_year: int) -> str:
    """同比: (累计 − 去年同期) ÷ 去年同期; — when last year is 0 or this year's figure is unknown."""
    if before is None:
        return f"缺少{before_year}年汇率"
    if now is None or before == 0:
        return NONE
    text = _percent(now - before, before)
    return text if text.startswith("-") else f"+{text}"


def year_earlier(at: datetime, zone: ZoneInfo) -> datetime:
    """The same moment one year earlier (28 February for 29 February)."""
    local = at.astimezone(zone)
    try:
        return local.replace(year=local.year - 1)
    except ValueError:
        return local.replace(year=local.year - 1, day=28)


def _line(label: str, tally: EventTally) -> OutcomeLine:
    years = "、".join(str(y) for y in sorted(tally.missing_rates))
    usd = f"缺少{years}年汇率" if tally.usd_unknown else f"{tally.usd.count} 个"
    return OutcomeLine(
        f"{label} {tally.all.count} 个、总投资 {tally.all.total:.2f} 亿元，"
        f"其中10亿元以上 {tally.ten.count} 个、超亿美元 {usd}、世界500强 {tally.fortune.count} 个"
    )


def _shown(value: Decimal | None, indicator: Indicator, year: int) -> str:
    return f"缺少{year}年汇率" if value is None else _number(value, indicator)


def build(scope: ReportScope, at: datetime, zone: ZoneInfo) -> Outcomes:
    """The scope's 目标任务进展 at `at`: indicators, the 签约/开工/竣工 lines and (city) the region ranking."""
    day = local_date(at, zone)
    year = day.year
    by_region = tallies(scope, at, zone)
    now = total(by_region)
    before = total(tallies(scope, year_earlier(at, zone), zone))
    targets = targets_at(year, at) if scope.cluster_id is None else {}
    region_id = scope.region_id or scope.reader_region_id
    progress = year_progress(day)
    rows = []
    for indicator in Indicator:
        actual, target = now.value(indicator), targets.get((region_id, indicator))
        rows.append(
            IndicatorRow(
                indicator.value,
                indicator.unit,
                _shown(actual, indicator, year),
                NOT_SET if target is None else _number(target, indicator),
                completion(actual, target),
                progress,
                change(actual, before.value(indicator), year - 1),
            )
        )
    lines = [_line(label, now.events[kind]) for kind, label in EVENTS]
    ranking = _ranking(by_region, targets, year) if region_id is None and scope.cluster_id is None else []
    return Outcomes(year, day, progress, rows, lines, ranking)


def _ranking(by_region: dict[int, Tally], targets: dict[Key, Decimal], year: int) -> list[RankRow]:
    """赛马榜: per indicator, the regions by 完成率 (highest first), then those without one by 累计."""
    regions = db.session.execute(
        sa.select(Region.id, Region.name).order_by(Region.sort_order, Region.id)
    ).all()
    rows = []
    for indicator in Indicator:
        entries = []
        for position, (region_id, name) in enumerate(regions):
            actual = by_region.get(region_id, Tally()).value(indicator)
            target = targets.get((region_id, indicator))
            ratio = actual / target if actual is not None and target else None
            key = (ratio is None, -(ratio or 0), actual is None, -(actual or 0), position)
            entries.append((key, name, actual, target))
        entries.sort(key=lambda entry: entry[0])
        for rank, (_, name, actual, target) in enumerate(entries, start=1):
            rows.append(
                RankRow(
                    indicator.value,
                    rank,
                    name,
                    _shown(actual, indicator, year),
                    NOT_SET if target is None else _number(target, indicator),
                    completion(actual, target),
                )
            )
    return rows
