"""flask --app wsgi remind (SPEC §7): one stall scan and delivery."""

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from crm.core.timeutil import local_zone
from crm.models import CHANNELS, MESSAGE_STATUSES
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
        moment = moment.replace(tzinfo=local_zone())
    return moment


@click.command("remind")
@click.option("--dry-run", is_flag=True, help="只列出将要发送的提醒，不发送、不记录")
@click.option("--at", "at", metavar="ISO", help="按此时刻扫描，如 2026-12-01T09:00+08:00（默认：现在）")
@with_appcontext
def remind_command(dry_run: bool, at: str | None) -> None:
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
