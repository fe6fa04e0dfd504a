"""Follow-ups (跟进记录): one mechanism for every kind of item (target companies, projects).

An item takes part by having: entity_type, id, name, status (with is_closed), owner_id,
region_id, last_follow_up_on, next_follow_up_on and a class attribute follow_up_key naming its
column in follow_up.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from crm.core.forms import FollowUpForm, claim_token, record_landing
from crm.core.validation import Conflict
from crm.core.workdays import add_working_days
from crm.extensions import db
from crm.models import FollowUp, FollowUpMethod, Item, User
from crm.stall.rules import Rules

ItemT = TypeVar("ItemT", bound=Item)


def follow_up_limit(item: Item) -> int | None:
    """Working days allowed until the next follow-up in the item's status (the admin's stall rules)."""
    return Rules.load(db.session).for_status(item.status.value).limit_days


@dataclass
class FollowUpInput:
    occurred_on: date | None
    method: str
    content: str
    participants: str = ""
    next_step: str = ""
    next_follow_up_on: date | None = None


def follow_up_problems(item: Item, data: FollowUpInput, today: date) -> dict[str, str]:
    """Field name → Chinese reason, for every problem with data; empty when it can be saved."""
    problems = {}
    if data.occurred_on is None:
        problems["occurred_on"] = "请填写跟进日期。"
    elif data.occurred_on > today:
        problems["occurred_on"] = "跟进日期不能晚于今天。"
    if data.method not in {m.value for m in FollowUpMethod}:
        problems["method"] = "请选择跟进方式。"
    if not data.content.strip():
        problems["content"] = "请填写跟进情况。"
    if item.status.is_closed:
        return problems
    start = data.occurred_on or today
    if data.next_follow_up_on is None:
        problems["next_follow_up_on"] = "请填写下次跟进日期（条目未关闭时必填）。"
    elif data.next_follow_up_on <= start or data.next_follow_up_on < today:
        problems["next_follow_up_on"] = "下次跟进日期须晚于跟进日期，且不早于今天。"
    else:
        limit = follow_up_limit(item)
        if limit is not None:
            latest = add_working_days(start, limit)
            if data.next_follow_up_on > latest:
                problems["next_follow_up_on"] = (
                    f"下次跟进日期不能晚于 {latest:%Y-%m-%d}："
                    f"“{item.status.value}”阶段须在 {limit} 个工作日内再次跟进。"
                )
    return problems


def log_follow_up(item: Item, actor: User, data: FollowUpInput) -> FollowUp:
    """Record a follow-up on item and move its follow-up dates (the caller checked permission)."""
    if data.occurred_on is None:
        raise ValueError("a follow-up needs its date: follow_up_problems() refuses it without one")
    follow_up = FollowUp(
        occurred_on=data.occurred_on,
        method=FollowUpMethod(data.method),
        participants=data.participants.strip(),
        content=data.content.strip(),
        next_step=data.next_step.strip(),
        next_follow_up_on=None if item.status.is_closed else data.next_follow_up_on,
        author=actor,
        **{item.follow_up_key: item.id},
    )
    db.session.add(follow_up)
    if item.last_follow_up_on is None or data.occurred_on >= item.last_follow_up_on:
        item.last_follow_up_on = data.occurred_on
    # The follow_up rows are their own history (author, created_at); no history_entry duplicates them.
    item.next_follow_up_on = follow_up.next_follow_up_on
    return follow_up


def follow_ups_for(item: Item, limit: int = 200) -> list[FollowUp]:
    """The item's follow-ups, newest first, with authors loaded."""
    column = getattr(FollowUp, item.follow_up_key)
    return list(
        db.session.scalars(
            sa.select(FollowUp)
            .options(sa.orm.joinedload(FollowUp.author))
            .where(column == item.id)
            .order_by(FollowUp.occurred_on.desc(), FollowUp.id.desc())
            .limit(limit)
        )
    )


def record_from_form(item: Item, actor: User, form: FollowUpForm, today: date) -> dict[str, str]:
    """Validate a submitted FollowUpForm against item's rules and log it; returns the problems."""
    data = FollowUpInput(
        occurred_on=form.occurred_on.data,
        method=form.method.data,
        content=form.content.data or "",
        participants=form.participants.data or "",
        next_step=form.next_step.data or "",
        next_follow_up_on=form.next_follow_up_on.data,
    )
    problems = follow_up_problems(item, data, today)
    if not problems:
        log_follow_up(item, actor, data)
    return problems


def save_from_form(
    load: Callable[[], ItemT],
    actor: User,
    form: FollowUpForm,
    today: date,
    landing: str,
    attempts: int = 2,
) -> tuple[ItemT, dict[str, str]]:
    """Log a submitted follow-up on the item load() returns and commit; (item, problems).

    A follow-up doesn't change what its author saw of the item, so a stage move or edit saved by
    someone else in between is no conflict: the follow-up is checked again against the item as now
    saved and logged on it. Only when that keeps happening is it refused (nothing saved). The form's
    token is claimed with each attempt, so a form sent twice logs one follow-up; the second goes to
    landing, where the first went."""
    for _ in range(attempts):
        nonce = claim_token(form)
        item = load()
        problems = record_from_form(item, actor, form, today)
        if problems:
            db.session.rollback()
            return item, problems
        record_landing(nonce, landing)
        try:
            db.session.commit()
            return item, {}
        except StaleDataError:
            db.session.rollback()
    return load(), {"": Conflict.MESSAGE}
