"""Built weekly summaries, kept in the database while what they were built from is unchanged.

Rebuilding a week from history reads every item and follow-up in scope (seconds at ten times
Jiaxing's scale), but a finished week's summary is a pure function of its week and scope: later
changes are rewound (crm.reports.asof; 到资 entries by crm.outcomes.funds.standing_at, targets by
their history). Only what is deliberately not rewound can alter it — users' display names, region and
cluster names, admin-entered calendar days, the yearly exchange rates — so those are the stamp a kept
summary must match. The week in progress is as of now: its stamp adds today's date and the newest
audit row (every change to a record writes one), and it is rebuilt at least every few minutes, which
bounds what a transaction committing out of id order could hide. 督办 instructions are applied at
every reading, never kept. Rows are written in their own short transaction and are never audited:
they copy what the audited records already say.
"""

import hashlib
import json
import threading
import typing
import zlib
from collections import OrderedDict
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from crm.core.timeutil import local_date
from crm.extensions import db
from crm.models import (
    AuditEvent,
    CalendarDay,
    Cluster,
    ExchangeRate,
    Region,
    ReportCache,
    SupervisionNote,
    User,
)
from crm.reports.outcomes import IndicatorRow, OutcomeLine, RankRow
from crm.reports.scope import ReportScope, resolve
from crm.reports.weekly import (
    Event,
    Figure,
    Landmark,
    OpenProblem,
    Upcoming,
    Warning,
    WeeklySummary,
    build,
)
from crm.reports.weeks import IsoWeek

FORMAT = 3  # raise when WeeklySummary or what build() computes changes: older rows are then rebuilt
IN_PROGRESS_FOR = timedelta(minutes=5)
# Decoding thousands of rows costs more than the page: each process also keeps the last few it read.
DECODED_KEPT = 8
_decoded: OrderedDict[tuple, WeeklySummary] = OrderedDict()
_decoded_lock = threading.Lock()
SECTIONS = {
    "figures": Figure,
    "indicators": IndicatorRow,
    "outcome_lines": OutcomeLine,
    "ranking": RankRow,
    "events": Event,
    "landmarks": Landmark,
    "warnings": Warning,
    "problems": OpenProblem,
    "next_week": Upcoming,
}


def weekly_summary(week: IsoWeek, scope: ReportScope, now: datetime | None = None) -> WeeklySummary:
    """build(week, scope), from the kept copy when its stamp still matches; instructions applied live."""
    now = now or datetime.now(UTC)
    if week.start > now:
        return build(week, scope, now)  # raises the Chinese "not begun" error
    key = _scope_key(scope)
    stamp = _stamp(week, now)
    row = db.session.execute(
        sa.select(ReportCache.id, ReportCache.stamp, ReportCache.built_at).where(
            ReportCache.week == week.code, ReportCache.scope_key == key
        )
    ).first()
    summary = None
    if row and row.stamp == stamp and (_complete(week, now) or now - row.built_at < IN_PROGRESS_FOR):
        summary = _read((row.id, row.built_at, row.stamp), week, scope)
    if summary is None:
        summary = build(week, scope, now)
        _keep(week.code, key, stamp, now, _encode(summary))
    return _with_instructions(summary)


def _read(version: tuple, week: IsoWeek, scope: ReportScope) -> WeeklySummary | None:
    """The kept summary (id, built_at, stamp) names, decoded once per process, or None when it can't
    be read. A row is replaced, never updated, and a new one has a new built_at (SQLite may reuse ids)."""
    with _decoded_lock:
        summary = _decoded.get(version)
        if summary is not None:
            _decoded.move_to_end(version)
    if summary is None or summary.week != week or summary.scope != scope:
        payload = db.session.scalar(sa.select(ReportCache.payload).where(ReportCache.id == version[0]))
        summary = _decode(payload, week, scope) if payload is not None else None
        if summary is not None:
            with _decoded_lock:
                _decoded[version] = summary
                while len(_decoded) > DECODED_KEPT:
                    _decoded.popitem(last=False)
    return summary


def prepare(week: IsoWeek) -> int:
    """Build and keep week's summary for the city and for each region and cluster, as a city-wide
    reader sees them (the scheduler does it on Monday morning for the week just ended, so the
    调度会 doesn't wait); returns how many scopes."""
    scopes = [resolve(None)]
    scopes += [resolve(None, region=region_id) for region_id in db.session.scalars(sa.select(Region.id))]
    scopes += [resolve(None, cluster=cluster_id) for cluster_id in db.session.scalars(sa.select(Cluster.id))]
    for scope in scopes:
        weekly_summary(week, scope)
        db.session.rollback()  # let go of the rows read, scope by scope
    return len(scopes)


def clear() -> int:
    """Forget every kept summary (after loading data into the past, e.g. demo data); rows removed."""
    with db.engine.begin() as conn:
        return conn.execute(sa.delete(ReportCache)).rowcount


def _scope_key(scope: ReportScope) -> str:
    return f"{scope.key}@{scope.reader_region_id or 'city'}"


def _complete(week: IsoWeek, now: datetime) -> bool:
    return now >= week.end


def _stamp(week: IsoWeek, now: datetime) -> str:
    """What a kept summary of week must have been built from to still be right."""
    parts: list = [FORMAT]
    for columns in (
        (User.id, User.display_name),
        (Region.id, Region.name),
        (Cluster.id, Cluster.name),
        (CalendarDay.day, CalendarDay.is_working),
        # the year's rate is not rewound: a corrected rate applies to the whole year, past weeks too
        (ExchangeRate.year, ExchangeRate.cny_per_usd),
    ):
        rows = db.session.execute(sa.select(*columns).order_by(columns[0])).all()
        parts.append([[str(value) for value in row] for row in rows])
    if not _complete(week, now):
        parts.append(local_date(now, week.zone).isoformat())
        # The newest change to a record (logins don't change a report); a backwards scan of the key.
        newest = sa.select(AuditEvent.id).where(AuditEvent.action.like("record.%"))
        parts.append(db.session.scalar(newest.order_by(AuditEvent.id.desc()).limit(1)))
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def _keep(week: str, key: str, stamp: str, now: datetime, payload: bytes) -> None:
    """Replace the kept copy; a concurrent reader keeping the same copy first is fine."""
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.delete(ReportCache).where(ReportCache.week == week, ReportCache.scope_key == key))
            conn.execute(
                sa.insert(ReportCache),
                {
                    "week": week,
                    "scope_key": key,
                    "stamp": stamp,
                    "built_at": now,
                    "payload": payload,
                },
            )
    except IntegrityError:
        pass


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot keep {type(value).__name__}")


def _encode(summary: WeeklySummary) -> bytes:
    sections = {
        name: [[getattr(row, f.name) for f in fields(cls)] for row in getattr(summary, name)]
        for name, cls in SECTIONS.items()
    }
    data = {"format": FORMAT, "as_of": summary.as_of.isoformat(), "sections": sections}
    return zlib.compress(json.dumps(data, ensure_ascii=False, default=_plain).encode(), 1)


def _reader(annotation):
    """How a field's JSON value becomes its Python value again (dates and Decimals were strings)."""
    kinds = set(typing.get_args(annotation)) or {annotation}
    if date in kinds:
        return lambda value: None if value is None else date.fromisoformat(value)
    if Decimal in kinds:
        return lambda value: Decimal(value) if isinstance(value, str) else value
    return None


def _row_maker(cls):
    """A function from a kept list of values to a cls instance.

    Like pickle, it fills the instance's __dict__ instead of calling the (frozen) dataclass's
    __init__, which is several times slower over thousands of rows."""
    names = [f.name for f in fields(cls)]
    readers = [(i, read) for i, f in enumerate(fields(cls)) if (read := _reader(f.type))]
    new = object.__new__

    def make(values: list[typing.Any]) -> typing.Any:
        if len(values) != len(names):
            raise ValueError("kept row does not match its fields")
        for i, read in readers:
            values[i] = read(values[i])
        row = new(cls)
        row.__dict__.update(zip(names, values, strict=True))
        return row

    return make


ROW_MAKERS = {name: _row_maker(cls) for name, cls in SECTIONS.items()}


def _decode(payload: bytes, week: IsoWeek, scope: ReportScope) -> WeeklySummary | None:
    """The kept summary, or None when it can't be read (then it is rebuilt)."""
    try:
        data = json.loads(zlib.decompress(payload))
        if data["format"] != FORMAT:
            return None
        summary = WeeklySummary(week, scope, datetime.fromisoformat(data["as_of"]))
        for name, make in ROW_MAKERS.items():
            setattr(summary, name, [make(values) for values in data["sections"][name]])
        return summary
    except (ValueError, KeyError, TypeError, zlib.error):
        return None


def _with_instructions(summary: WeeklySummary) -> WeeklySummary:
    """The week's 督办 instructions as they are now (they may be written after the week)."""
    notes = {
        (n.item_type, n.item_id): n.text
        for n in db.session.execute(
            sa.select(SupervisionNote.item_type, SupervisionNote.item_id, SupervisionNote.text).where(
                SupervisionNote.week == summary.week.code
            )
        )
    }
    warnings = [
        replace(w, instruction=notes.get((w.item_type, w.item_id), ""))
        if w.instruction or (w.item_type, w.item_id) in notes
        else w
        for w in summary.warnings
    ]
    return replace(summary, warnings=warnings)  # a copy: the decoded summary may be shared
