"""Size classes of a project, derived from its 总投资 — never typed, so lists, filters and reports agree.

- 投资规模: the highest of 亿元以上, 10亿元以上, 50亿元以上, 100亿元以上 that 总投资 (亿元) reaches; a
  count "其中10亿元以上" counts every project of 10 亿元 or more (50 and 100 included).
- 超亿美元: 总投资 of at least 1 亿美元 — from the project's own USD figure (总投资(万美元) ≥ 10,000) when it
  has one, else 总投资 (亿元) ÷ the year's exchange rate (人民币 per 美元) ≥ 1. Without either it is
  unknown (None), never guessed.
"""

from decimal import Decimal

# (threshold in 亿元, label), highest first
SIZE_CLASSES = (
    (Decimal(100), "100亿元以上"),
    (Decimal(50), "50亿元以上"),
    (Decimal(10), "10亿元以上"),
    (Decimal(1), "亿元以上"),
)
SIZE_LABELS = tuple(label for _, label in SIZE_CLASSES)
USD_100M_IN_WAN = Decimal(10_000)  # 1 亿美元 = 10,000 万美元


def size_class(total_investment: Decimal | None) -> str | None:
    """The project's 投资规模 label, or None below 1 亿元 or without a 总投资."""
    if total_investment is None:
        return None
    return next((label for threshold, label in SIZE_CLASSES if total_investment >= threshold), None)


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
