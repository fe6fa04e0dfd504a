"""到资台账: which entries stand at a moment, recording, correcting and deleting them, and 累计到资.

An entry is never edited in place. A correction is a new entry that replaces the old one (the old
one's replaced_at is set); a deletion marks the entry (deleted_at, by whom, why). So what the ledger
said at any moment T is exactly the entries recorded by T that were neither replaced nor deleted by
T — a past week's figures don't move when an entry is corrected later.

Every rule of an entry is check_entry: the form on the project page and the sheet import both go
through it (one rule, two doors), and each write leaves a readable row in the project's history.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crm.core import history
from crm.core.dml import execute_dml
from crm.core.validation import WAN_USD, WAN_YUAN, Amount, AmountError, Conflict, Invalid
from crm.extensions import db
from crm.models import CapitalType, Currency, FundEntry, FundKind, Project, ProjectType, User, utcnow

UNITS = {Currency.CNY: "万元", Currency.USD: "万美元"}
AMOUNT_RULES: dict[Currency, Amount] = {Currency.CNY: WAN_YUAN, Currency.USD: WAN_USD}
NOTE_MAX = 500
NOT_SIGNED = "项目尚未签约，不能登记到资"


def standing_at(moment: datetime) -> sa.ColumnElement[bool]:
    """The entries that stood at moment (recorded by then, neither replaced nor deleted by then)."""
    return sa.and_(
        FundEntry.recorded_at <= moment,
        sa.or_(FundEntry.replaced_at.is_(None), FundEntry.replaced_at > moment),
        sa.or_(FundEntry.deleted_at.is_(None), FundEntry.deleted_at > moment),
    )


def standing_now() -> sa.ColumnElement[bool]:
    """The entries that stand today (the project page, lists, exports of current figures)."""
    return sa.and_(FundEntry.replaced_at.is_(None), FundEntry.deleted_at.is_(None))


# --- the rules of one entry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundInput:
    """An entry as typed in the form or read from a sheet, before its rules are applied."""

    arrived_on: date | None
    currency: str
    amount: object  # text typed or a cell's number: read by the currency's Amount rule
    kind: str
    note: str = ""


@dataclass(frozen=True)
class FundValues:
    """An entry that passed its rules: what is written."""

    arrived_on: date
    currency: Currency
    amount: Decimal
    kind: FundKind
    note: str

    def describe(self) -> str:
        """How the history and the pages say it: 2026-03-05 实到内资 500.00 万元."""
        return describe(self.arrived_on, self.kind, self.amount, self.currency)


def describe(arrived_on: date, kind: FundKind, amount: Decimal, currency: Currency) -> str:
    """One entry in words: 2026-03-05 实到内资 500.00 万元."""
    return f"{arrived_on.isoformat()} {kind.value} {amount:,.2f} {UNITS[currency]}"


def _currency(text: str) -> Currency | None:
    try:
        return Currency((text or "").strip())
    except ValueError:
        return None


def _kind(text: str) -> FundKind | None:
    try:
        return FundKind((text or "").strip())
    except ValueError:
        return None


def _amount(currency: Currency | None, raw: object, problems: dict[str, str]) -> Decimal | None:
    if raw is None or str(raw).strip() == "":
        problems["amount"] = "请填写金额。"
        return None
    rule = AMOUNT_RULES.get(currency) if currency else None
    try:
        value = (rule or WAN_USD).parse(raw)  # without a currency: read it only to report what is wrong
    except AmountError as error:
        problems["amount"] = f"金额：{error}"
        return None
    if value <= 0:
        problems["amount"] = "金额必须大于 0。"
        return None
    return value if rule else None


def check_entry(
    project: Project, data: FundInput, today: date, replacing: FundEntry | None = None
) -> FundValues:
    """data as an entry of project, or Invalid with every reason (field → Chinese message)."""
    problems: dict[str, str] = {}
    currency = _currency(data.currency)
    kind = _kind(data.kind)
    if currency is None:
        problems["currency"] = "请选择币种（人民币或美元）。"
    amount = _amount(currency, data.amount, problems)
    if kind is None:
        problems["kind"] = "请选择口径（实到内资、实际使用外资或增资到位）。"
    problems.update(_date_problems(project, data.arrived_on, today))
    if kind == FundKind.FOREIGN and project.capital_type == CapitalType.DOMESTIC:
        problems["kind"] = "内资项目不能登记“实际使用外资”：请选择“实到内资”，或先把项目改为外资、中外合资。"
    if kind == FundKind.CAPITAL_INCREASE and project.project_type not in (None, ProjectType.EXPANSION):
        problems["kind"] = f"“增资到位”只适用于增资扩产项目，本项目为{project.project_type.value}项目。"
    note = (data.note or "").strip()
    if len(note) > NOTE_MAX:
        problems["note"] = f"来源或凭证最长 {NOTE_MAX} 个字，实际 {len(note)} 个。"
    if problems or data.arrived_on is None or currency is None or amount is None or kind is None:
        raise Invalid(problems)
    values = FundValues(data.arrived_on, currency, amount, kind, note)
    if _same_entry_standing(project, values, replacing):
        raise Invalid(
            {
                "": f"已有一笔相同的到资记录（{values.describe()}，来源或凭证也相同）。如确为另一笔到资，请在来源或凭证中注明区别。"
            }
        )
    return values


def _date_problems(project: Project, arrived_on: date | None, today: date) -> dict[str, str]:
    if project.signed_on is None:
        return {"": NOT_SIGNED}
    if arrived_on is None:
        return {"arrived_on": "请填写到资日期（格式：年-月-日）。"}
    if arrived_on > today:
        return {"arrived_on": f"到资日期不能晚于今天（{today.isoformat()}）。"}
    if arrived_on < project.signed_on:
        return {"arrived_on": f"到资日期不能早于项目签约日期（{project.signed_on.isoformat()}）。"}
    return {}


def _same_entry_standing(project: Project, values: FundValues, replacing: FundEntry | None) -> bool:
    """Whether the project already has this very entry (a sheet uploaded twice, a form sent twice)."""
    stmt = sa.select(FundEntry.id).where(
        FundEntry.project_id == project.id,
        standing_now(),
        FundEntry.arrived_on == values.arrived_on,
        FundEntry.currency == values.currency,
        FundEntry.amount == values.amount,
        FundEntry.kind == values.kind,
        FundEntry.note == values.note,
    )
    if replacing is not None:
        stmt = stmt.where(FundEntry.id != replacing.id)
    return db.session.scalar(stmt.limit(1)) is not None


# --- writing --------------------------------------------------------------------------------------------


def _new_entry(project: Project, values: FundValues, actor: User, at: datetime) -> FundEntry:
    entry = FundEntry(
        project_id=project.id,
        arrived_on=values.arrived_on,
        currency=values.currency,
        amount=values.amount,
        kind=values.kind,
        note=values.note,
        recorded_by_id=actor.id,
        recorded_at=at,
    )
    db.session.add(entry)
    return entry


def record_entry(project: Project, data: FundInput, actor: User, today: date, source: str = "") -> FundEntry:
    """A new entry on project (Invalid when a rule refuses it), with its line in the project's history."""
    values = check_entry(project, data, today)
    entry = _new_entry(project, values, actor, utcnow())
    note = values.describe() + (f"；来源或凭证：{values.note}" if values.note else "")
    history.record(project, "fund_added", actor, new=values.describe(), note=note + source)
    db.session.flush()
    return entry


def _claim(entry: FundEntry) -> None:
    """Conflict unless entry still stands; otherwise hold it (a row lock) until the transaction ends,
    so two corrections or deletions sent at once can't both be written."""
    claimed = execute_dml(
        sa.update(FundEntry)
        .where(FundEntry.id == entry.id, FundEntry.replaced_at.is_(None), FundEntry.deleted_at.is_(None))
        .values(delete_reason=FundEntry.delete_reason)  # writes nothing: takes the lock
        .execution_options(synchronize_session=False)
    )
    if claimed != 1 or not entry.is_current:
        raise Conflict()


def correct_entry(entry: FundEntry, data: FundInput, actor: User, today: date) -> FundEntry:
    """A new entry replacing entry (kept, marked replaced at the same moment the new one is recorded)."""
    _claim(entry)
    project = entry.project
    values = check_entry(project, data, today, replacing=entry)
    old = describe(entry.arrived_on, entry.kind, entry.amount, entry.currency)
    if values == FundValues(entry.arrived_on, entry.currency, entry.amount, entry.kind, entry.note):
        raise Invalid({"": "更正后的内容与原记录相同，没有保存。"})
    now = utcnow()
    new = _new_entry(project, values, actor, now)
    new.replaces_id = entry.id
    entry.replaced_at = now
    note = f"{old} → {values.describe()}"
    history.record(project, "fund_corrected", actor, old=old, new=values.describe(), note=note)
    db.session.flush()
    return new


def delete_entry(entry: FundEntry, reason: str, actor: User) -> FundEntry:
    """Mark entry deleted (kept, with who and why); the reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": "请填写删除原因。"})
    if len(reason) > NOTE_MAX:
        raise Invalid({"reason": f"删除原因最长 {NOTE_MAX} 个字。"})
    _claim(entry)
    entry.deleted_at, entry.deleted_by_id, entry.delete_reason = utcnow(), actor.id, reason
    old = describe(entry.arrived_on, entry.kind, entry.amount, entry.currency)
    history.record(entry.project, "fund_deleted", actor, old=old, note=f"{old}；删除原因：{reason}")
    db.session.flush()
    return entry


# --- reading --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundTotal:
    """累计到资 of one 口径 in one currency."""

    kind: FundKind
    currency: Currency
    amount: Decimal

    def __str__(self) -> str:
        return f"{self.kind.value} {self.amount:,.2f} {UNITS[self.currency]}"


def totals_for(project_ids: Iterable[int] | sa.Select) -> dict[int, list[FundTotal]]:
    """累计到资 of each project (standing entries summed per 口径 and currency), in one query; the
    projects given by id, or by a SELECT of their ids (an export's whole filtered list).

    USD and RMB are never added together here: that needs the year's exchange rate.
    """
    if isinstance(project_ids, sa.Select):
        which: sa.ColumnElement[bool] = FundEntry.project_id.in_(project_ids)
    else:
        ids = sorted(set(project_ids))
        if not ids:
            return {}
        which = FundEntry.project_id.in_(ids)
    rows = db.session.execute(
        sa.select(FundEntry.project_id, FundEntry.kind, FundEntry.currency, sa.func.sum(FundEntry.amount))
        .where(which, standing_now())
        .group_by(FundEntry.project_id, FundEntry.kind, FundEntry.currency)
    ).all()
    kinds, currencies = list(FundKind), list(Currency)
    totals: dict[int, list[FundTotal]] = {}
    for project_id, kind, currency, amount in rows:
        totals.setdefault(project_id, []).append(FundTotal(kind, currency, amount))
    for found in totals.values():
        found.sort(key=lambda t: (kinds.index(t.kind), currencies.index(t.currency)))
    return totals


def totals_text(totals: list[FundTotal]) -> str:
    """实到内资 1,500.00 万元；实际使用外资 320.00 万美元 — or 暂无 when nothing stands."""
    return "；".join(str(total) for total in totals) or "暂无"


@dataclass
class Ledger:
    """A project's 到资台账 as its page shows it."""

    standing: list[FundEntry]  # newest first
    past: list[FundEntry]  # replaced or deleted, newest first
    replaced_by: dict[int, FundEntry]  # old entry id → the entry that replaced it
    totals: list[FundTotal]

    @property
    def totals_text(self) -> str:
        return totals_text(self.totals)


def ledger_of(project: Project) -> Ledger:
    """Every entry of project, standing and past, with who recorded and deleted them."""
    entries = list(
        db.session.scalars(
            sa.select(FundEntry)
            .options(joinedload(FundEntry.recorded_by), joinedload(FundEntry.deleted_by))
            .where(FundEntry.project_id == project.id)
            .order_by(FundEntry.arrived_on.desc(), FundEntry.id.desc())
        )
    )
    standing = [e for e in entries if e.is_current]
    past = sorted((e for e in entries if not e.is_current), key=lambda e: e.id, reverse=True)
    replaced_by = {e.replaces_id: e for e in entries if e.replaces_id is not None}
    return Ledger(standing, past, replaced_by, totals_for([project.id]).get(project.id, []))
