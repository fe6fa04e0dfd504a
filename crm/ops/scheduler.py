"""The single scheduler process (flask --app wsgi scheduler): the stall scan on working days, retries,
and on Monday mornings the weekly summaries of the week just ended (crm.reports.cache).

Web workers never start it; production runs exactly one of it beside the WSGI server. A second one
by mistake sends nothing twice: exactly-once is kept by the database (crm.reminders.services).
The cron trigger fires every day at REMINDER_TIME in the configured zone and the job skips days
that are not working days, because 调休 makes some Saturdays and Sundays working days.
"""

import logging
from datetime import UTC, datetime, time

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from flask.cli import with_appcontext

from crm.core.timeutil import local_date, local_today, local_zone
from crm.core.workdays import is_working_day
from crm.reminders.services import retry_due, run
from crm.reports import cache as report_cache
from crm.reports.weeks import IsoWeek

log = logging.getLogger("crm.scheduler")

MISFIRE_GRACE_SECONDS = 30 * 60  # a scan delayed by up to 30 minutes (busy or suspended host) still runs
RETRY_MINUTES = 10
WEEKLY_AT = time(6, 30)  # last week's summaries are built before the working day starts


def scan_time(app: Flask) -> time:
    """REMINDER_TIME ("09:00"); ValueError with a clear message when it is not HH:MM."""
    try:
        return time.fromisoformat(str(app.config["REMINDER_TIME"]))
    except ValueError:
        raise ValueError(
            f"CRM_REMINDER_TIME 应为 HH:MM，如 09:00（当前为 {app.config['REMINDER_TIME']!r}）"
        ) from None


def scan_job(app: Flask, now: datetime | None = None) -> None:
    """The daily scan: on working days only."""
    with app.app_context():
        now = now or datetime.now(UTC)
        today = local_date(now, local_zone())
        if not is_working_day(today):
            log.info("%s 不是工作日，跳过停滞扫描", today)
            return
        report = run(now)
        log.info(
            "停滞扫描：%d 项停滞，新发 %d 份摘要，重试 %d 条，%d 条失败待重试",
            report.stalled,
            len(report.claimed),
            report.retried,
            report.count("pending"),
        )


def retry_job(app: Flask) -> None:
    with app.app_context():
        retried = retry_due(datetime.now(UTC))
        if retried:
            log.info("重试发送 %d 条消息", retried)


def weekly_job(app: Flask) -> None:
    """Monday morning: build the week just ended for the city and each region, ready for the 调度会."""
    with app.app_context():
        week = IsoWeek.of(local_today(), local_zone()).shifted(-1)
        log.info("已生成 %s 周调度汇总 %d 份", week.code, report_cache.prepare(week))


def build(app: Flask) -> BlockingScheduler:
    """A BlockingScheduler with the scan (and a catch-up scan now if today's was missed) and retries."""
    zone = local_zone(app)
    at = scan_time(app)
    scheduler = BlockingScheduler(
        timezone=zone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    scheduler.add_job(
        scan_job, CronTrigger(hour=at.hour, minute=at.minute, timezone=zone), args=[app], id="stall-scan"
    )
    scheduler.add_job(
        retry_job, IntervalTrigger(minutes=RETRY_MINUTES, timezone=zone), args=[app], id="retry"
    )
    scheduler.add_job(
        weekly_job,
        CronTrigger(day_of_week="mon", hour=WEEKLY_AT.hour, minute=WEEKLY_AT.minute, timezone=zone),
        args=[app],
        id="weekly-summaries",
    )
    now = datetime.now(zone)
    if now.time() >= at:
        # Started after today's scan time (a restart, or days of downtime): scan now, once.
        scheduler.add_job(scan_job, args=[app], id="catch-up", next_run_time=now)
    return scheduler


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """唯一的定时任务进程：工作日定时停滞扫描、失败重发。"""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # The app itself for the jobs, not the proxy; Flask types current_app as the app, hiding the method.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        jobs = build(app)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    at = scan_time(app)
    click.echo(
        f"调度器已启动（{app.config['TIMEZONE']}）：每个工作日 {at:%H:%M} 停滞扫描，每 {RETRY_MINUTES} 分钟重发失败消息。"
    )
    try:
        jobs.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("调度器已停止。")
