"""One reminder run (SPEC §4): find the stalled items, claim each delivery once, send, retry failures.

1. Scan: the stalled open items at `as_of` (SQL prefilter by crm.stall.sql, then evaluate()).
2. Plan: one digest per recipient and channel. 黄灯 goes to the responsible officer; 红灯 also to
   every active head whose scope covers the item (督办). Channels: 站内消息 always; e-mail when the
   user has an address (to the outbox when no SMTP server is configured); the group robot when
   CRM_WEBHOOK_URL is set.
3. Claim, per digest, in one short transaction: insert the message, then its ReminderDelivery rows
   with ON CONFLICT DO NOTHING. Only the rows this run inserted are listed; a digest with none is
   rolled back. The 站内消息 is written in the same transaction, so it is exactly once outright.
4. Send the claimed e-mails and webhook posts after the commit; a failure leaves the message
   pending with its error and a back-off time; later runs (and the scheduler's retry job) retry it,
   and after MAX_ATTEMPTS it is marked failed for an admin to requeue. Nothing is dropped.

The run's clock is `as_of` ("as if at"): stall levels, claims and back-off are all measured by it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from crm.core.dml import execute_dml
from crm.core.notifications import notify
from crm.core.timeutil import local_zone
from crm.extensions import db
from crm.models import (
    GROUP_RECIPIENT,
    Item,
    Notification,
    OutgoingMessage,
    Project,
    ReminderDelivery,
    Role,
    TargetCompany,
    User,
    utcnow,
)
from crm.reminders import channels, digest
from crm.reminders.digest import Entry
from crm.stall.rules import RED, Rules, calendar_for, evaluate
from crm.stall.sql import stall_level

ItemT = TypeVar("ItemT", TargetCompany, Project)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)
CLAIM_TIMEOUT = timedelta(minutes=15)  # a message "sending" this long belongs to a run that died
INSERT_CHUNK = 500


@dataclass
class Digest:
    channel: str
    recipient: str  # "user:<id>" or "group"
    user: User | None
    address: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def person(self) -> User:
        """The user an in-app or e-mail digest goes to (the group's webhook digest has none)."""
        if self.user is None:
            raise ValueError(f"a {self.channel} digest to {self.recipient} has no user")
        return self.user


@dataclass
class RunReport:
    stalled: int = 0
    claimed: list[OutgoingMessage] = field(default_factory=list)
    skipped: int = 0  # digests whose every item had been delivered already
    retried: int = 0
    planned: list[tuple[Digest, int]] = field(default_factory=list)  # dry run: (digest, new items)

    def count(self, status: str) -> int:
        return sum(message.status == status for message in self.claimed)


def stalled_entries(as_of: datetime) -> list[Entry]:
    """Every stalled open item at as_of, as digest entries."""
    rules, zone = Rules.load(db.session), local_zone()
    items: list[Item] = []
    items += _stalled(TargetCompany, stall_level(TargetCompany, as_of, rules, zone))
    items += _stalled(Project, stall_level(Project, as_of, rules, zone))
    calendar = calendar_for(items, as_of, zone)
    entries = []
    for item in items:
        stall = evaluate(item, as_of, rules, calendar, zone)
        if stall.level is None or stall.since is None:  # not stalled
            continue
        entries.append(
            Entry(
                item.entity_type,
                item.id,
                item.name,
                stall.level,
                "、".join(stall.labels),
                stall.since,
                stall.working_days_stalled,
                item.owner.display_name if item.owner else "（无）",
                item.owner_id,
                item.region.name,
                item.region_id,
            )
        )
    return entries


def _stalled(model: type[ItemT], level: sa.ColumnElement[str | None]) -> list[ItemT]:
    """The items of model that the SQL rules find stalled, with owner and region loaded."""
    stmt = (
        sa.select(model)
        .options(joinedload(model.owner), joinedload(model.region))
        .where(level.is_not(None))
        .order_by(model.id)
    )
    return list(db.session.scalars(stmt))


def plan(entries: Iterable[Entry], as_of: datetime) -> list[Digest]:
    """One digest per (channel, recipient), its entries red first."""
    config = current_app.config
    heads = list(db.session.scalars(sa.select(User).where(User.role == Role.HEAD, User.active.is_(True))))
    digests: dict[tuple[str, str], Digest] = {}

    def add(channel: str, recipient: str, user: User | None, address: str, entry: Entry) -> None:
        key = (channel, recipient)
        digests.setdefault(key, Digest(channel, recipient, user, address)).entries.append(entry)

    for entry in entries:
        # The owners were loaded with their items: get() answers from the session, no query.
        people = [db.session.get(User, entry.owner_id) if entry.owner_id else None]
        if entry.level == RED:
            people += [h for h in heads if h.region_id in (None, entry.region_id)]
        for person in {p.id: p for p in people if p is not None and p.active}.values():
            add("inapp", f"user:{person.id}", person, "", entry)
            if person.email:
                add("email", f"user:{person.id}", person, person.email, entry)
        if channels.webhook_configured(config):
            add("webhook", GROUP_RECIPIENT, None, _host(config["WEBHOOK_URL"]), entry)
    for found in digests.values():
        found.entries.sort(key=lambda e: e.sort_key)
    return sorted(digests.values(), key=lambda d: (d.channel, d.recipient))


def run(as_of: datetime, dry_run: bool = False) -> RunReport:
    """One scan and delivery as if at as_of (aware); with dry_run, report what would go out and write nothing."""
    report = RunReport()
    entries = stalled_entries(as_of)
    report.stalled = len(entries)
    digests = plan(entries, as_of)
    db.session.rollback()  # no read transaction held open while claiming (SQLite writers queue up)
    if dry_run:
        report.planned = [(d, len(d.entries) - _already_delivered(d)) for d in digests]
        return report
    report.retried = retry_due(as_of)
    for found in digests:
        message = claim(found, as_of)
        if message is None:
            report.skipped += 1
            continue
        if message.status == "sending":
            send(message, as_of)
        report.claimed.append(message)
    return report


def claim(found: Digest, as_of: datetime) -> OutgoingMessage | None:
    """Record the digest and its deliveries in one transaction; None when every item was delivered before."""
    config, zone = current_app.config, local_zone()
    message = OutgoingMessage(
        channel=found.channel,
        recipient_id=found.user.id if found.user else None,
        address=found.address,
        subject="",
        body="",
        status="sending",
        claimed_at=as_of,
        run_at=as_of,
    )
    db.session.add(message)
    db.session.flush()  # the first write of the transaction: takes SQLite's write lock, waiting if needed
    claimed = _insert_deliveries(found, message.id)
    entries = [e for e in found.entries if (e.item_type, e.item_id, e.level) in claimed]
    if not entries:
        db.session.rollback()
        return None
    base_url = config["BASE_URL"].rstrip("/")
    message.subject = digest.subject(entries, as_of, zone)
    if found.channel == "webhook":
        message.body = digest.markdown(entries, as_of, zone, base_url)
    else:
        greeting = found.person.display_name
        message.body = digest.text(
            entries, greeting, as_of, zone, "" if found.channel == "inapp" else base_url
        )
    if found.channel == "inapp":
        db.session.flush()
        note = notify(found.person, "reminder", message.subject, message.body)
        db.session.flush()
        note.link = f"/notifications/{note.id}"  # the digest page: its items with their current state
        message.notification_id, message.status, message.sent_at = note.id, "sent", utcnow()
    elif found.channel == "email" and not channels.mail_configured(config):
        message.status = "outbox"
    db.session.commit()
    return message


def send(message: OutgoingMessage, as_of: datetime) -> bool:
    """Send a claimed message; on failure keep it for a later attempt (or mark it failed). Commits."""
    config = current_app.config
    try:
        if message.channel == "email":
            if not channels.mail_configured(config):
                message.status = "outbox"
                db.session.commit()
                return True
            channels.send_email(message, config)
        else:
            channels.post_webhook(message, config)
    except Exception as error:  # noqa: BLE001 - whatever fails, the message must not stay "sending"
        reason = str(error)
        if not isinstance(error, channels.SendError):
            current_app.logger.exception("reminder message %s: unexpected error while sending", message.id)
            reason = f"{type(error).__name__}: {error}"
        message.attempts += 1
        message.last_error = reason[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.status, message.next_attempt_at = "failed", None
        else:
            message.status, message.next_attempt_at = "pending", as_of + backoff(message.attempts)
        db.session.commit()
        return False
    message.attempts += 1
    message.status, message.sent_at, message.next_attempt_at = "sent", utcnow(), None
    db.session.commit()
    return True


def backoff(attempts: int) -> timedelta:
    """5 min, 10, 20, 40 … up to 6 hours between attempts."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


def retry_due(as_of: datetime) -> int:
    """Send every pending message whose time has come (and any left 'sending' by a run that died)."""
    ids = list(
        db.session.scalars(sa.select(OutgoingMessage.id).where(_due(as_of)).order_by(OutgoingMessage.id))
    )
    db.session.rollback()
    sent = 0
    for message_id in ids:
        message = take(message_id, as_of, _due(as_of))
        if message is not None:
            send(message, as_of)
            sent += 1
    return sent


def take(message_id: int, as_of: datetime, condition: sa.ColumnElement[bool]) -> OutgoingMessage | None:
    """Mark the message 'sending' if it still meets condition; the conditional update is the lock."""
    taken = execute_dml(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.id == message_id, condition)
        .values(status="sending", claimed_at=as_of)
    )
    db.session.commit()
    return db.session.get(OutgoingMessage, message_id) if taken else None


def requeue(message: OutgoingMessage, as_of: datetime) -> None:
    """An admin asks for another attempt of a failed or pending message: it is due at as_of. Commits."""
    if message.status not in ("failed", "pending"):
        raise ValueError("只有发送失败或待重试的消息可以重新发送。")
    db.session.execute(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.id == message.id, OutgoingMessage.status.in_(("failed", "pending")))
        .values(status="pending", next_attempt_at=as_of)
    )
    db.session.commit()


def _due(as_of: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(OutgoingMessage.status == "pending", OutgoingMessage.next_attempt_at <= as_of),
        sa.and_(OutgoingMessage.status == "sending", OutgoingMessage.claimed_at < as_of - CLAIM_TIMEOUT),
    )


def digest_items(notification: Notification) -> list[Item]:
    """The target companies and projects a 站内消息 digest listed (none for other messages)."""
    listed = (
        sa.select(ReminderDelivery.item_type, ReminderDelivery.item_id)
        .join(OutgoingMessage)
        .where(OutgoingMessage.notification_id == notification.id)
    )
    ids: dict[str, list[int]] = {"target": [], "project": []}
    for kind, item_id in db.session.execute(listed):
        ids[kind].append(item_id)
    items: list[Item] = []
    items += _listed(TargetCompany, ids["target"])
    items += _listed(Project, ids["project"])
    return items


def _listed(model: type[ItemT], ids: list[int]) -> list[ItemT]:
    """The items of model with these ids, in id order, owners loaded."""
    if not ids:
        return []
    stmt = sa.select(model).options(joinedload(model.owner)).where(model.id.in_(ids))
    return list(db.session.scalars(stmt.order_by(model.id)))


def _insert_deliveries(found: Digest, message_id: int) -> set[tuple[str, int, str]]:
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now, claimed = utcnow(), set[tuple[str, int, str]]()
    rows = [
        {
            "item_type": e.item_type,
            "item_id": e.item_id,
            "episode": e.since,
            "level": e.level,
            "recipient": found.recipient,
            "channel": found.channel,
            "message_id": message_id,
            "created_at": now,
        }
        for e in found.entries
    ]
    if not rows:
        return claimed
    table = db.metadata.tables[ReminderDelivery.__tablename__]
    # One cached statement for any number of rows: SQLAlchemy batches them ("insertmanyvalues")
    # and gathers RETURNING from every batch; compiling a VALUES list per chunk cost seconds.
    stmt = insert(table).on_conflict_do_nothing().returning(table.c.item_type, table.c.item_id, table.c.level)
    claimed.update(tuple(row) for row in db.session.execute(stmt, rows))
    return claimed


def _already_delivered(found: Digest) -> int:
    keys = {(e.item_type, e.item_id, e.since, e.level) for e in found.entries}
    delivered = 0
    for start in range(0, len(found.entries), INSERT_CHUNK):
        ids = [e.item_id for e in found.entries[start : start + INSERT_CHUNK]]
        stmt = sa.select(
            ReminderDelivery.item_type,
            ReminderDelivery.item_id,
            ReminderDelivery.episode,
            ReminderDelivery.level,
        ).where(
            ReminderDelivery.recipient == found.recipient,
            ReminderDelivery.channel == found.channel,
            ReminderDelivery.item_id.in_(ids),
        )
        delivered += sum(tuple(row) in keys for row in db.session.execute(stmt))
    return delivered


def _host(url: str) -> str:
    return urlsplit(url).netloc
