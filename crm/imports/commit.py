"""The commit of an import: every row written, or none.

The uploaded bytes stay in ImportBatch.content: the commit parses and checks them again from
scratch (any worker may serve it, and the database may have changed since the preview), then writes
through the list's create and update, which check each row once more as they write it.
"""

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from crm.core.dml import execute_dml
from crm.core.notifications import notify
from crm.core.validation import Conflict, Invalid
from crm.extensions import db
from crm.imports.preview import UPDATE, Analysis, add_problems, analyse
from crm.imports.reader import Settings
from crm.imports.spec import Context, ListImport
from crm.models import ImportBatch, User, utcnow

RACE_MESSAGE = "导入时发现数据已被他人修改，未写入任何数据。请刷新预览后重新导入。"
DONE_MESSAGE = "该文件已经导入，不能重复导入。"
BUSY_MESSAGE = "该文件正在由另一请求导入，本次未重复导入。请稍后刷新本页查看导入结果。"


@dataclass
class Outcome:
    ok: bool
    message: str
    analysis: Analysis | None = None


def commit_import(
    spec: ListImport, batch: ImportBatch, actor: User, decisions: dict[int, str], settings: Settings
) -> Outcome:
    """Write every row of batch or none. On success the caller commits; on failure all is rolled back."""
    if batch.status != "preview":
        return Outcome(False, DONE_MESSAGE)
    context = Context(actor, batch.filename, settings)
    # create checks each new row as it writes it: checking them here too would double the work.
    analysis = analyse(spec, batch.content, context, decisions, new_rows_checked=False)
    if analysis.bad_rows:  # refused: list every problem, as the preview does
        analysis = analyse(spec, batch.content, context, decisions)
        return Outcome(False, _refusal(analysis), analysis)
    try:
        claimed = execute_dml(
            sa.update(ImportBatch)
            .where(ImportBatch.id == batch.id, ImportBatch.status == "preview")
            .values(status="committed", committed_at=utcnow())
        )
    except OperationalError as error:  # SQLite: another commit of it held the write lock too long
        db.session.rollback()
        if "locked" not in str(error.orig):
            raise
        return Outcome(False, BUSY_MESSAGE)
    if claimed != 1:  # another request committed it first (the row lock makes the second wait)
        db.session.rollback()
        return Outcome(False, DONE_MESSAGE)
    try:
        counts = _apply(spec, analysis, context)
        db.session.flush()
    except (Conflict, StaleDataError, IntegrityError):
        db.session.rollback()
        return Outcome(False, RACE_MESSAGE, analysis)
    if analysis.bad_rows:
        db.session.rollback()
        return Outcome(False, _refusal(analysis), analysis)
    batch.summary = spec.words.summary.format(*counts)
    _notify_owners(spec, analysis, context.actor)
    return Outcome(True, f"导入完成：{batch.summary}", analysis)


def _refusal(analysis: Analysis) -> str:
    return f"有 {len(analysis.bad_rows)} 行存在问题，未导入任何数据。请下载错误行，改正后重新上传。"


def _apply(spec: ListImport, analysis: Analysis, context: Context) -> tuple[int, int, int]:
    created = updated = skipped = 0
    for row in analysis.rows:
        try:
            if row.existing is None:
                spec.create(row.data, row.parsed, context)
                created += 1
            elif row.decision == UPDATE:
                spec.update(row.existing, row.data, context.actor, row.existing.version)
                updated += 1
            else:
                skipped += 1
        except Invalid as error:  # the database changed under the checks: report the row, write nothing
            problems: dict[str, str] = {}
            add_problems(spec, problems, error.problems)
            row.errors = list(problems.values())
    return created, updated, skipped


def _notify_owners(spec: ListImport, analysis: Analysis, actor: User) -> None:
    """一对一: whoever the import makes responsible for records hears of it, in one message."""
    words = spec.words
    owners = Counter(r.data.owner_id for r in analysis.new_rows if r.data.owner_id != actor.id)
    for owner_id, count in owners.items():
        title = f"{actor.display_name} 导入了 {count} {words.counter}由您负责的{words.noun}"
        link = url_for(f"{words.bp}.index", owner=owner_id)
        notify(db.session.get_one(User, owner_id), "assigned", title, f"导入文件：{analysis.filename}", link)
