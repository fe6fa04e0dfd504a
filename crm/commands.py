"""Command-line interface (flask --app wsgi ...), as promised in SPEC §7."""

import sys
from datetime import timedelta

import click
from flask import Flask
from flask.cli import with_appcontext

from crm.auth.services import create_user, ensure_first_admin, generate_password, resolve_scope
from crm.clusters.seed import seed_plan
from crm.core import audit
from crm.demo import generate
from crm.extensions import db
from crm.models import Role, utcnow
from crm.ops.backup_commands import backup_command, restore_command
from crm.ops.copy_commands import copy_data_command
from crm.ops.scheduler import scheduler_command
from crm.reminders.commands import remind_command
from crm.reports import cache as report_cache
from crm.reports.commands import export_weekly_command


def read_password() -> str:
    """One line from standard input, without its line ending."""
    return sys.stdin.readline().rstrip("\r\n")


@click.command("seed")
@with_appcontext
def seed_command():
    """Load the plan's regions, clusters and chain segments (idempotent)."""

    added = seed_plan()
    db.session.commit()
    if added:
        click.echo(
            f"已导入：地区 {added['region']} 个，集群 {added['cluster']} 个，产业链环节 {added['segment']} 个。"
        )
    else:
        click.echo("规划数据已是最新，无需改动。")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option(
    "--role", required=True, type=click.Choice([r.value for r in Role]), help="officer|head|viewer|admin"
)
@click.option("--scope", required=True, help="全市 或 地区名称，如 南湖区")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码")
@click.option("--display-name", default="", help="姓名")
@click.option("--email", default=None, help="电子邮箱")
@click.option("--phone", default=None, help="手机号码")
def create_user_command(username, role, scope, password_stdin, display_name, email, phone):
    """Create a user. Without --password-stdin a one-time password is printed."""

    password = read_password() if password_stdin else generate_password(username)
    try:
        region = resolve_scope(scope)
        user = create_user(
            username,
            Role(role),
            region,
            password,
            display_name=display_name,
            email=email,
            phone=phone,
            must_change_password=not password_stdin,
        )
        db.session.commit()
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"已创建用户 {user.username}（{user.role.label}，范围：{user.scope_name}）。")
    if not password_stdin:
        click.echo(f"一次性密码：{password}（首次登录后必须修改）")


@click.command("init-admin")
@with_appcontext
def init_admin_command():
    """Create the first administrator if there is no user yet, printing its one-time password."""

    created = ensure_first_admin()
    if created is None:
        click.echo("已有用户，未创建首个管理员。")
        return
    db.session.commit()
    user, password = created
    click.echo("=" * 60)
    click.echo(f"已创建首个管理员：用户名 {user.username}")
    click.echo(f"一次性密码：{password}")
    click.echo("此密码只显示这一次；首次登录后必须修改。")
    click.echo("=" * 60)


@click.command("demo-data")
@with_appcontext
@click.option("--scale", default=1, type=click.IntRange(min=1, max=100), show_default=True)
@click.option("--password-stdin", is_flag=True, help="演示账号的密码从标准输入读取")
def demo_data_command(scale, password_stdin):
    """Generate realistic demo data (scale 1 ≈ Jiaxing's real size, 10 = benchmark size)."""

    password = read_password() if password_stdin else generate_password()
    try:
        summary = generate(scale, password)
        db.session.commit()
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    # The demo's history reaches into past weeks, which kept weekly summaries assume never changes.
    report_cache.clear()
    for line in summary.lines:
        click.echo(line)
    if summary.users_added and not password_stdin:
        click.echo(f"新建演示账号的统一密码：{password}")


@click.command("prune-audit")
@click.option(
    "--days", default=365, show_default=True, type=click.IntRange(min=1), help="删除早于此天数的审计日志"
)
@with_appcontext
def prune_audit_command(days):
    """删除过期的审计日志（至少保留 180 天）。"""

    try:
        removed = audit.prune(utcnow() - timedelta(days=days))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"已删除 {days} 天前的审计日志 {removed} 条。")


def register(app: Flask) -> None:

    for command in (
        seed_command,
        create_user_command,
        init_admin_command,
        demo_data_command,
        prune_audit_command,
        backup_command,
        restore_command,
        copy_data_command,
        remind_command,
        scheduler_command,
        export_weekly_command,
    ):
        app.cli.add_command(command)
