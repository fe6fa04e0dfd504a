"""flask --app wsgi backup / restore: the whole database to a file and back (crm/ops/backup.py)."""

import time
from pathlib import Path

import click
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from crm.extensions import db
from crm.ops.backup import KIND_LABELS, BackupError, backup, backup_revision, restore

MAIN_TABLES = {
    "target_company": "招商清单企业",
    "project": "项目",
    "follow_up": "跟进记录",
    "history_entry": "变更历史",
    "user_account": "用户",
}


@click.command("backup")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="备份文件")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@with_appcontext
def backup_command(output: Path, force: bool) -> None:
    """备份整个数据库（SQLite 在线备份；PostgreSQL 用 pg_dump 自定义格式）。"""
    try:
        summary = backup(db.engine.url, output, force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    contents = f"{summary.tables} 张表"
    if summary.rows is not None:
        contents += f"，{summary.rows:,} 行"
    click.echo(
        f"已备份 {KIND_LABELS[summary.kind]} 数据库 → {summary.path}"
        f"（{human_size(summary.size)}，{contents}，用时 {summary.seconds:.1f} 秒）"
    )


@click.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="不再确认，直接恢复")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """用备份文件替换当前数据库中的全部数据（先检查文件，确认后恢复）。"""
    url = db.engine.url
    heads, known = code_revisions()
    try:
        revision = backup_revision(url, file)
        if revision not in known:
            raise BackupError(
                f"备份的数据库修订 {revision} 不是本程序认识的版本（程序为 {'、'.join(heads)}），"
                "它可能来自更新的程序：请用生成该备份的程序版本恢复。"
            )
        shown = url.render_as_string(hide_password=True)
        question = f"恢复将删除数据库 {shown} 中的全部现有数据，换成备份 {file} 的内容。确定继续吗？"
        if not yes and not click.confirm(question, default=False):
            click.echo("已取消，数据库未改动。")
            raise click.exceptions.Exit(1)
        started = time.monotonic()
        db.session.remove()
        db.engine.dispose()  # no pooled connection keeps the old schema or data
        restore(url, file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    seconds = time.monotonic() - started
    click.echo(f"已从 {file} 恢复 {KIND_LABELS[url.get_backend_name()]} 数据库（用时 {seconds:.1f} 秒）。")
    report_restored(heads)


def report_restored(heads: tuple[str, ...]) -> None:
    """The restored revision, whether it needs an upgrade, and the main tables' row counts."""
    revision = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    if revision in heads:
        click.echo(f"数据库修订：{revision}（与程序一致）")
    else:
        click.echo(f"数据库修订：{revision}，早于程序的 {'、'.join(heads)}。")
        click.echo("请先运行 flask --app wsgi db upgrade 升级数据库，再启动系统。")
    present = set(sa.inspect(db.engine).get_table_names())
    for table, label in MAIN_TABLES.items():
        if table in present:
            count = db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            click.echo(f"  {label}（{table}）：{count:,} 行")
        else:
            click.echo(f"  {label}（{table}）：该修订中还没有此表")
    db.session.remove()


def code_revisions() -> tuple[tuple[str, ...], set[str]]:
    """The code's head revision(s) and every revision it knows, from migrations/."""
    config = current_app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    return tuple(script.get_heads()), {r.revision for r in script.walk_revisions()}


def human_size(size: int) -> str:
    """1536 → '1.5 KB'."""
    if size < 1024:
        return f"{size} 字节"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
