"""flask --app wsgi export-weekly (SPEC §7): the weekly summary as a file, the same as the page's export."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from crm.core.timeutil import local_zone
from crm.reports.cache import weekly_summary
from crm.reports.documents import MIMETYPES, render
from crm.reports.scope import ScopeError, resolve
from crm.reports.weeks import IsoWeek


@click.command("export-weekly")
@click.option("--week", required=True, metavar="2026-W48", help="ISO 周次，如 2026-W48")
@click.option("--region", default=None, help="地区名称（默认全市）")
@click.option("--cluster", default=None, help="集群名称")
@click.option("--format", "fmt", type=click.Choice(list(MIMETYPES)), required=True, help="文件格式")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="输出文件")
@with_appcontext
def export_weekly_command(week, region, cluster, fmt, output):
    """导出周调度材料（概况、本周进展、标志性项目、通报、要素保障、下周安排）。"""
    try:
        iso_week = IsoWeek.parse(week, local_zone())
        scope = resolve(None, region, cluster)
        summary = weekly_summary(iso_week, scope)
        _, content = render(summary, fmt)
    except (ScopeError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    Path(output).write_bytes(content)
    click.echo(f"已导出 {summary.title} → {output}（{len(content)} 字节）")
