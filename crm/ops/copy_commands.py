"""flask --app wsgi copy-data --from URL: every row of another install's database into this one (issue 8).

Made for moving an SQLite install to PostgreSQL, and generic: any SQLite or PostgreSQL database into
any other. Rows are read with SQLAlchemy Core through the app's own metadata, so each value is
converted by its column type (Money, UTCDateTime, enums, booleans, dates) on the way out and in. The
target must be an empty database migrated to the same revision as the source; everything is written
in one transaction, so a failure leaves it as it was. Afterwards PostgreSQL's id sequences are moved
past the copied ids and the row counts of both databases are compared.
"""

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from crm.extensions import db
from crm.ops.backup_commands import code_revisions
from crm.stall.rules import DEFAULT_ESCALATION_DAYS, DEFAULT_LIMITS

BATCH_ROWS = 5000
# Revision 0004 inserts the default stall rules: an empty, migrated database has them. They are
# replaced by the source's own rules, but only while nobody has edited them.
MIGRATION_ROWS = "stall_rule"
UPGRADE_HINT = "flask --app wsgi db upgrade"


class CopyError(Exception):
    """A refusal or failure with a Chinese message; the target database was not changed."""


@click.command("copy-data")
@click.option(
    "--from",
    "source",
    required=True,
    metavar="SOURCE_URL",
    help="源数据库 URL，如 sqlite:////srv/crm/instance/crm.sqlite3",
)
@with_appcontext
def copy_data_command(source: str) -> None:
    """把另一个数据库（如 SQLite）的全部数据复制到 DATABASE_URL 指定的空数据库。"""
    started = time.monotonic()
    target = db.engine
    try:
        engine = source_engine(source, target.url)
        try:
            counts = copy_all(engine, target)
        finally:
            engine.dispose()
    except CopyError as error:
        raise click.ClickException(str(error)) from None
    show_counts(counts)
    total = sum(target_rows for target_rows, _ in counts.values())
    click.echo(
        f"已复制 {len(counts)} 张表、{total:,} 行到 {shown(target.url)}，"
        f"各表行数与源数据库一致，用时 {time.monotonic() - started:.1f} 秒。"
    )


def source_engine(text: str, target: sa.URL) -> sa.Engine:
    """An engine for the source URL, after checking it names a reachable SQLite or PostgreSQL database."""
    try:
        url = sa.make_url(normalise(text.strip()))
    except sa.exc.ArgumentError:
        raise CopyError(
            f"无法识别的数据库 URL：{text}（例如 sqlite:////srv/crm/instance/crm.sqlite3）"
        ) from None
    kind = url.get_backend_name()
    if kind not in ("sqlite", "postgresql"):
        raise CopyError(f"不支持 {kind} 数据库，源数据库只能是 SQLite 或 PostgreSQL。")
    if kind == "sqlite" and not (url.database and Path(url.database).is_file()):
        raise CopyError(f"源数据库文件不存在：{url.database or '（未给出文件名）'}")
    if same_database(url, target):
        raise CopyError("源数据库和目标数据库（DATABASE_URL）是同一个数据库。")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as error:
        engine.dispose()
        raise CopyError(f"无法连接源数据库 {shown(url)}：{reason(error)}") from None
    return engine


def copy_all(source: sa.Engine, target: sa.Engine) -> dict[str, tuple[int, int]]:
    """Copy every table in one target transaction; per table (rows in the target, rows in the source)."""
    tables = db.metadata.sorted_tables  # foreign-key order: referenced tables first
    read = {"isolation_level": "REPEATABLE READ"} if source.dialect.name == "postgresql" else {}
    copied: dict[str, int] = {}
    current = None  # the table being copied, for the error message
    try:
        with source.connect() as src, target.begin() as dst:
            src = src.execution_options(**read)  # PostgreSQL: one snapshot for every table
            check_revisions(src, dst)
            check_empty(dst)
            dst.execute(sa.delete(db.metadata.tables[MIGRATION_ROWS]))
            for table in tables:
                current = table.name
                copied[current] = copy_table(src, dst, table)
            current = None
            reset_sequences(dst, tables)
            counts = {table.name: (count_rows(dst, table), count_rows(src, table)) for table in tables}
            check_counts(copied, counts)
    except sa.exc.DBAPIError as error:
        where = f"（复制表 {current} 时）" if current else ""
        raise CopyError(f"复制失败{where}，目标数据库未改动：{reason(error)}") from None
    return counts


def check_revisions(src: sa.Connection, dst: sa.Connection) -> None:
    """Both databases at the code's revision, or a refusal saying which one to upgrade."""
    heads, known = code_revisions()
    head = "、".join(heads)
    source, target = revision(src), revision(dst)
    if source is None:
        raise CopyError("源数据库不是本系统的数据库（没有 alembic_version 表）。")
    if source not in heads:
        if source not in known:
            raise CopyError(f"源数据库的修订 {source} 不是本程序认识的版本（程序为 {head}）。")
        raise CopyError(
            f"源数据库的修订为 {source}，早于程序的 {head}：请先对源数据库运行 {UPGRADE_HINT}"
            f"（DATABASE_URL 指向源数据库），再复制。"
        )
    if target != source:
        now = f"修订为 {target}" if target else "尚未迁移（没有 alembic_version 表）"
        raise CopyError(
            f"目标数据库{now}，与源数据库的 {source} 不同：请先对目标数据库运行 {UPGRADE_HINT}"
            "（只迁移，不要运行 seed）。"
        )


def revision(conn: sa.Connection) -> str | None:
    """The Alembic revision a database records, or None when it has no alembic_version table."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else "、".join(rows) or "（空）"


def check_empty(dst: sa.Connection) -> None:
    """Refuse a target that holds any row beyond the migrations' own (nothing is ever overwritten)."""
    filled = []
    for table in db.metadata.sorted_tables:
        if table.name == MIGRATION_ROWS:
            if not default_rules_only(dst, table):
                filled.append(f"{table.name}（已修改）")
            continue
        count = count_rows(dst, table)
        if count:
            filled.append(f"{table.name} {count:,} 行")
    if filled:
        raise CopyError(
            f"目标数据库已有数据（{'、'.join(filled[:6])}{' 等' if len(filled) > 6 else ''}），"
            "copy-data 只复制到空数据库，从不覆盖数据。请新建一个数据库，"
            f"只运行 {UPGRADE_HINT}（不要运行 seed、create-user 或 demo-data），再复制。"
        )


def default_rules_only(dst: sa.Connection, table: sa.Table) -> bool:
    """Whether the stall rules are exactly the ones revision 0004 inserted (or none)."""
    rows = dst.execute(
        sa.select(table.c.status_or_stage, table.c.limit_days, table.c.escalation_days, table.c.updated_by_id)
    )
    return all(
        DEFAULT_LIMITS.get(key) == limit and escalation == DEFAULT_ESCALATION_DAYS and editor is None
        for key, limit, escalation, editor in rows
    )


def copy_table(src: sa.Connection, dst: sa.Connection, table: sa.Table) -> int:
    """Insert every source row of one table into the target, BATCH_ROWS at a time."""
    keys = [column.key for column in table.c]
    query = sa.select(*table.c).order_by(*table.primary_key.columns)
    result = src.execution_options(yield_per=BATCH_ROWS).execute(query)
    copied = 0
    for batch in batches(result, table):
        dst.execute(sa.insert(table), [dict(zip(keys, row, strict=True)) for row in batch])
        copied += len(batch)
    return copied


def batches(result: sa.CursorResult, table: sa.Table) -> Iterator[Sequence[sa.Row]]:
    """The rows in batches; a self-referencing table's rows each after the row it refers to."""
    own = [(fk.parent.key, fk.column.key) for fk in table.foreign_keys if fk.column.table is table]
    if not own:
        yield from result.partitions()
        return
    waiting, ordered, present = result.all(), [], set()  # small tables (chain segments): in memory
    while waiting:
        ready: list[sa.Row[Any]] = []
        later: list[sa.Row[Any]] = []
        for row in waiting:
            refs = [(to, row._mapping[key]) for key, to in own if row._mapping[key] is not None]
            (ready if all(ref in present for ref in refs) else later).append(row)
        if not ready:
            raise CopyError(f"表 {table.name} 中有循环引用或指向不存在记录的行，无法复制。")
        ordered += ready
        present |= {(to, row._mapping[to]) for row in ready for _, to in own}
        waiting = later
    for start in range(0, len(ordered), BATCH_ROWS):
        yield ordered[start : start + BATCH_ROWS]


def reset_sequences(dst: sa.Connection, tables: list[sa.Table]) -> None:
    """PostgreSQL: move each id sequence past the largest copied id (SQLite takes max(rowid) + 1)."""
    if dst.dialect.name != "postgresql":
        return
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = sa.func.pg_get_serial_sequence(table.name, column.name)
        largest = sa.func.max(column)
        dst.execute(sa.select(sa.func.setval(sequence, sa.func.coalesce(largest, 1), largest.is_not(None))))


def count_rows(conn: sa.Connection, table: sa.Table) -> int:
    """The number of rows in a table."""
    return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def check_counts(copied: dict[str, int], counts: dict[str, tuple[int, int]]) -> None:
    """Every table: rows copied = rows now in the target = rows in the source."""
    wrong = [name for name, (target, source) in counts.items() if not copied[name] == target == source]
    if wrong:
        raise CopyError(
            f"复制后行数不一致（{'、'.join(wrong)}），目标数据库未改动。源数据库可能在复制过程中被修改："
            "请先停止应用和提醒调度进程，再复制。"
        )


def show_counts(counts: dict[str, tuple[int, int]]) -> None:
    """A table of row counts per table, source beside target."""
    width = max(len(name) for name in counts)  # the Chinese headings are two columns per character
    click.echo(f"{'表':<{width - 1}} {'源数据库':>10} {'目标数据库':>9}")
    for name, (target, source) in counts.items():
        click.echo(f"{name:<{width}} {source:>14,} {target:>14,}")
    total_target = sum(target for target, _ in counts.values())
    total_source = sum(source for _, source in counts.values())
    click.echo(f"{'合计':<{width - 2}} {total_source:>14,} {total_target:>14,}")


def normalise(url: str) -> str:
    """psycopg 3 is the installed driver: accept the PostgreSQL URLs people usually write."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def same_database(one: sa.URL, other: sa.URL) -> bool:
    """Whether two URLs name the same SQLite file or the same PostgreSQL database."""
    if one.get_backend_name() == other.get_backend_name() == "sqlite":
        if not (one.database and other.database):
            return False
        return Path(one.database).resolve() == Path(other.database).resolve()
    keys = ("host", "port", "database")
    return one.get_backend_name() == other.get_backend_name() and all(
        getattr(one, k) == getattr(other, k) for k in keys
    )


def shown(url: sa.URL) -> str:
    """The URL as shown to people: without its password."""
    return url.render_as_string(hide_password=True)


def reason(error: sa.exc.DBAPIError) -> str:
    """The driver's own message, first line only."""
    return str(error.orig).strip().splitlines()[0] if error.orig else str(error)
