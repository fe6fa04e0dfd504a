"""Exchange rates (人民币 per 美元) an admin keeps per year: read one, read all, record one.

超亿美元 of a project without its own USD figure, and any USD figure summed with RMB, need the rate of
the year in question; a missing year is said to be missing ("未知（缺少2026年汇率）"), never guessed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from crm.core.validation import Invalid
from crm.extensions import db
from crm.models import ExchangeRate, Project, User
from crm.outcomes.sizes import over_100m_usd, rate_year, rate_year_sql, size_class

YEAR_MIN, YEAR_MAX = 2000, 2100


def all_rates() -> dict[int, Decimal]:
    """Every year's rate in one query (lists and filters look many projects up)."""
    return dict(db.session.execute(sa.select(ExchangeRate.year, ExchangeRate.cny_per_usd)).tuples().all())


@dataclass(frozen=True)
class UsdVerdict:
    """超亿美元 of one project as the pages show it."""

    answer: bool | None
    year: int

    @property
    def label(self) -> str:
        if self.answer is None:
            return f"未知（缺少{self.year}年汇率）"
        return "是" if self.answer else "否"


def usd_verdict(
    total: Decimal | None,
    total_usd: Decimal | None,
    signed_on: date | None,
    rates: dict[int, Decimal],
    today: date,
) -> UsdVerdict | None:
    """超亿美元 for a project; None when there is nothing to judge (neither 总投资 nor a USD figure)."""
    if total is None and total_usd is None:
        return None
    year = rate_year(signed_on, today)
    return UsdVerdict(over_100m_usd(total, total_usd, rates.get(year)), year)


def save_rate(
    year: int | None, rate: Decimal | None, note: str, actor: User, editing: int | None
) -> ExchangeRate:
    """Add a year's rate, or change it when the form was opened to edit that year (the caller commits).

    A year already entered is never overwritten from the "add" form: the admin opens it to edit."""
    problems = {}
    if year is None or not YEAR_MIN <= year <= YEAR_MAX:
        problems["year"] = f"年份须在 {YEAR_MIN} 到 {YEAR_MAX} 之间。"
    if rate is None:
        problems["cny_per_usd"] = "请填写汇率。"
    if problems or rate is None:
        raise Invalid(problems)
    row = db.session.scalar(sa.select(ExchangeRate).where(ExchangeRate.year == year))
    if row is not None and editing != year:
        raise Invalid({"year": f"{year}年汇率已录入（{row.cny_per_usd}），如需修改请点击该年的“修改”。"})
    if row is None:
        row = ExchangeRate(year=year)
        db.session.add(row)
    row.cny_per_usd, row.note, row.updated_by_id = rate, note.strip()[:200], actor.id
    return row


@dataclass(frozen=True)
class SizeLabels:
    """投资规模 and 超亿美元 of one project, as lists, pages and exports show them."""

    size: str | None  # None below 1 亿元 or without 总投资
    usd: UsdVerdict | None  # None with neither 总投资 nor 总投资(万美元)

    @property
    def size_text(self) -> str:
        return self.size or "—"

    @property
    def usd_text(self) -> str:
        return self.usd.label if self.usd else "—"


def size_labels(
    projects: Iterable[Project], today: date, rates: dict[int, Decimal] | None = None
) -> dict[int, SizeLabels]:
    """Project id → its SizeLabels; the rates are read once (or passed in) for however many projects."""
    rates = all_rates() if rates is None else rates
    return {
        p.id: SizeLabels(
            size_class(p.total_investment),
            usd_verdict(p.total_investment, p.total_investment_usd, p.signed_on, rates, today),
        )
        for p in projects
    }


def missing_rate_years(today: date) -> list[int]:
    """The years some project's 超亿美元 needs a rate for and has none (no USD figure, a 总投资)."""
    year = rate_year_sql(Project.signed_on, today)
    needed = db.session.scalars(
        sa.select(year)
        .where(Project.total_investment_usd.is_(None), Project.total_investment.is_not(None))
        .distinct()
    )
    known = all_rates()
    return sorted(y for y in needed if y not in known)
