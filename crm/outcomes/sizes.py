"""Size classes of a project, derived from its 总投资 — never typed, so lists, filters and reports agree.

- 投资规模: the highest of 亿元以上, 10亿元以上, 50亿元以上, 100亿元以上 that 总投资 (亿元) reaches; a
  count "其中10亿元以上" counts every project of 10 亿元 or more (50 and 100 included).
- The 其中 of a count of projects (breakdown): 10亿元以上, 50亿元以上, 超亿美元 and 世界500强 (its tag) —
  one function for the lists' neighbours, 目标任务进展 and the weekly 概况.
- 超亿美元: 总投资 of at least 1 亿美元 — from the project's own USD figure (总投资(万美元) ≥ 10,000) when it
  has one, else 总投资 (亿元) ÷ the year's exchange rate (人民币 per 美元) ≥ 1. Without either it is
  unknown (None), never guessed.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute

from crm.models import PROJECT_TAGS

# (threshold in 亿元, label), highest first
SIZE_CLASSES = (
    (Decimal(100), "100亿元以上"),
    (Decimal(50), "50亿元以上"),
    (Decimal(10), "10亿元以上"),
    (Decimal(1), "亿元以上"),
)
SIZE_LABELS = tuple(label for _, label in SIZE_CLASSES)
USD_100M_IN_WAN = Decimal(10_000)  # 1 亿美元 = 10,000 万美元
TEN_YI, FIFTY_YI = Decimal(10), Decimal(50)  # the 其中 thresholds: 10亿元以上, 50亿元以上
Sql = sa.ColumnElement[Any] | QueryableAttribute[Any]  # a column or an expression of one


def size_class(total_investment: Decimal | None) -> str | None:
    """The project's 投资规模 label, or None below 1 亿元 or without a 总投资."""
    if total_investment is None:
        return None
    return next((label for threshold, label in SIZE_CLASSES if total_investment >= threshold), None)


@dataclass(frozen=True)
class Breakdown:
    """Which 其中 classes a project falls in (counted beside every count of signings, starts, completions)."""

    ten: bool  # 10亿元以上 (50 and 100 included)
    fifty: bool  # 50亿元以上
    usd: bool | None  # 超亿美元; None: unknown (no USD figure, and the signing year's rate is missing)
    fortune: bool  # 世界500强 (the project's tag)


FORTUNE_500 = 1 << PROJECT_TAGS.index("世界500强")


def breakdown(
    total_investment: Decimal | None,
    total_investment_usd: Decimal | None,
    cny_per_usd: Decimal | None,
    tag_bits: int,
) -> Breakdown:
    """The project's 其中 classes; cny_per_usd is the rate of its signing year (rate_year). A project
    with no 总投资 at all is not 超亿美元; one whose rate is missing is unknown."""
    usd = over_100m_usd(total_investment, total_investment_usd, cny_per_usd)
    return Breakdown(
        total_investment is not None and total_investment >= TEN_YI,
        total_investment is not None and total_investment >= FIFTY_YI,
        False if usd is None and total_investment is None else usd,
        bool((tag_bits or 0) & FORTUNE_500),
    )


def threshold_of(label: str) -> Decimal:
    """The 总投资 (亿元) a size class starts at; KeyError for an unknown label."""
    return dict((label, threshold) for threshold, label in SIZE_CLASSES)[label]


def over_100m_usd(
    total_investment: Decimal | None, total_investment_usd: Decimal | None, cny_per_usd: Decimal | None
) -> bool | None:
    """Whether the project is 超亿美元; None when neither a USD figure nor a rate says."""
    if total_investment_usd is not None:
        return total_investment_usd >= USD_100M_IN_WAN
    if total_investment is None or cny_per_usd is None:
        return None
    return total_investment >= cny_per_usd  # 亿元 ÷ (元 per 美元) = 亿美元


# --- the same rules in SQL, for list filters and counts (a test proves both forms agree) -------------


def at_least_class_sql(total_investment: Sql, label: str) -> sa.ColumnElement[bool]:
    """总投资 reaches the size class `label` ("10亿元以上" is every project of 10 亿元 or more)."""
    return total_investment >= threshold_of(label)


def rate_year(signed_on: date | None, today: date) -> int:
    """The year whose exchange rate decides 超亿美元: the signing year, else (unsigned) this year."""
    return signed_on.year if signed_on is not None else today.year


def rate_year_sql(signed_on: Sql, today: date) -> sa.ColumnElement[Any]:
    """rate_year in SQL."""
    return sa.func.coalesce(sa.cast(sa.extract("year", signed_on), sa.Integer), today.year)


def _cents_up(rate: Decimal) -> Decimal:
    """The smallest amount with two decimals that is ≥ rate: 总投资 (two decimals) ≥ rate exactly then."""
    return rate.quantize(Decimal("0.01"), rounding=ROUND_CEILING)


def over_100m_usd_sql(
    total_investment: Sql,
    total_investment_usd: Sql,
    year: Sql,
    rates: Mapping[int, Decimal],
    answer: bool | None,
) -> sa.ColumnElement[bool]:
    """over_100m_usd(…) IS answer, in SQL: `year` is the rate's year for each row (signing year, else
    this year) and `rates` every year's 人民币 per 美元. The rates are few (one a year), so each
    becomes a literal: no join, and the Money/Rate columns' storage never meets in one comparison."""
    if answer is None:  # no USD figure, and no 总投资 or no rate for its year
        known_years = year.in_(sorted(rates)) if rates else sa.false()
        return sa.and_(
            total_investment_usd.is_(None), sa.or_(total_investment.is_(None), sa.not_(known_years))
        )
    by_usd = total_investment_usd >= USD_100M_IN_WAN if answer else total_investment_usd < USD_100M_IN_WAN
    by_rate = [
        sa.and_(year == y, total_investment >= _cents_up(r) if answer else total_investment < _cents_up(r))
        for y, r in sorted(rates.items())
    ]
    return sa.or_(by_usd, sa.and_(total_investment_usd.is_(None), sa.or_(sa.false(), *by_rate)))
