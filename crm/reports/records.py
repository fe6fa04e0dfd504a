"""What the meeting keeps: 督办 instructions on 通报 items, and exports saved as documents of record."""

import hashlib

import sqlalchemy as sa

from crm.core import history
from crm.extensions import db
from crm.models import Item, ReportArchive, SupervisionNote, User
from crm.reports.weekly import WeeklySummary

NOTE_MAX = 200


def set_instruction(item: Item, week_code: str, text: str, actor: User) -> SupervisionNote | None:
    """Set (or, with empty text, remove) the item's 督办 instruction for the week; history keeps each change."""
    text = " ".join(text.split())
    if len(text) > NOTE_MAX:
        raise ValueError(f"督办意见不能超过 {NOTE_MAX} 个字。")
    note = db.session.scalar(
        sa.select(SupervisionNote).where(
            SupervisionNote.item_type == item.entity_type,
            SupervisionNote.item_id == item.id,
            SupervisionNote.week == week_code,
        )
    )
    old = note.text if note else None
    if (old or "") == text:
        return note
    if not text:
        db.session.delete(note)
        note = None
    elif note is None:
        note = SupervisionNote(
            item_type=item.entity_type, item_id=item.id, week=week_code, text=text, author_id=actor.id
        )
        db.session.add(note)
    else:
        note.text, note.author_id = text, actor.id
    history.record(item, "updated", actor, field="supervision", old=old, new=text or None, note=week_code)
    return note


def archive(summary: WeeklySummary, fmt: str, filename: str, content: bytes, actor: User) -> ReportArchive:
    """Keep an export as produced, with who saved it and when (the caller commits)."""
    scope = summary.scope
    record = ReportArchive(
        week=summary.week.code,
        scope_key=scope.key,
        scope_label=scope.label,
        region_id=scope.region_id or scope.reader_region_id,
        fmt=fmt,
        filename=filename,
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        created_by_id=actor.id,
    )
    db.session.add(record)
    return record
