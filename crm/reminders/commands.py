"""flask --app wsgi remind / scheduler (SPEC §7)."""

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

from crm.models import CHANNELS, MESSAGE_STATUSES
from crm.ops import scheduler
from crm.reminders.services import run


def parse_at(value: str | None) -> datetime:
    """--at as an aware moment; a time without an offset is Jiaxing time."""
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"无法识别的时间 {value!r}，应为 ISO 格式，如 2026-12-01T09:00+08:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
    return moment


@click.command("remind")
@click.option("--dry-run", is_flag=True, help="只列出将要发送的提醒，不发送、不记录")
@click.option("--at", "at", metavar="ISO", help="按此时刻扫描，如 2026-12-01T09:00+08:00（默认：现在）")
@with_appcontext
def remind_command(dry_run: bool, at: str | None):
    """一次停滞扫描并发送提醒。"""
    report = run(parse_at(at), dry_run=dry_run)
    click.echo(f"停滞事项 {report.stalled} 项。")
    if dry_run:
        click.echo("演练（--dry-run）：以下摘要不会发送，也不记录。")
        for digest, new in report.planned:
            who = digest.user.display_name if digest.user else digest.address
            click.echo(
                f"  {CHANNELS[digest.channel]} → {who}：{len(digest.entries)} 项，其中未发送过 {new} 项"
            )
        return
    for channel, label in CHANNELS.items():
        sent = [m for m in report.claimed if m.channel == channel]
        if sent:
            counts = "，".join(
                f"{MESSAGE_STATUSES[status]} {sum(m.status == status for m in sent)}"
                for status in ("sent", "outbox", "pending", "failed")
                if any(m.status == status for m in sent)
            )
            click.echo(f"  {label}：{len(sent)} 份（{counts}）")
    click.echo(f"  重试 {report.retried} 条；已送达过而跳过 {report.skipped} 份。")


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """唯一的定时任务进程：工作日定时停滞扫描、失败重发。"""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = current_app._get_current_object()
    try:
        jobs = scheduler.build(app)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    at = scheduler.scan_time(app)
    click.echo(
        f"调度器已启动（{app.config['TIMEZONE']}）：每个工作日 {at:%H:%M} 停滞扫描，每 {scheduler.RETRY_MINUTES} 分钟重发失败消息。"
    )
    try:
        jobs.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("调度器已停止。")
