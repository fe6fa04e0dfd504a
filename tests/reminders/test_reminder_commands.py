"""flask remind and the scheduler: concurrent runs send nothing twice, --dry-run writes nothing, the 09:00 job."""

import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crm.core.timeutil import local_today, local_zone
from crm.core.workdays import is_working_day
from crm.extensions import db
from crm.models import (
    Cluster,
    Notification,
    OutgoingMessage,
    Project,
    Region,
    ReminderDelivery,
    ReportCache,
    TargetCompany,
)
from crm.ops import scheduler
from crm.reminders import services
from crm.reports.weeks import IsoWeek
from tests.factories import (
    AS_OF,
    RED,
    YELLOW,
    counts,
    follow_ups,
    jiaxing_at,
    make_project,
    make_target,
    make_user,
    notes,
    remind,
    rows,
)

ROOT = Path(__file__).resolve().parent.parent.parent
OFFICERS = 20
SQLITE_GATE_SECONDS = 3


@pytest.fixture(autouse=True)
def outbox_only(app, monkeypatch):
    """E-mail to the outbox, no group robot, whatever CRM_* the developer's shell has."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app.config, "WEBHOOK_URL", "")


@pytest.fixture
def crowd(app):
    """20 officers (南湖区 and 嘉善县, with e-mail) × 3 stalled items (one red), and three heads."""
    heads = [
        make_user(app, "head", scope, email=f"head{n}@example.cn")
        for n, scope in enumerate(("南湖区", "嘉善县", "全市"))
    ]
    officers, items = [], []
    for n in range(OFFICERS):
        region = ("南湖区", "嘉善县")[n % 2]
        officer = make_user(
            app, "officer", region, display_name=f"专员{n:02d}", email=f"officer{n}@example.cn"
        )
        officers.append(officer)
        red = make_target(app, officer, region=region)
        follow_ups(app, TargetCompany, red, **RED)
        yellow = make_target(app, officer, region=region)
        follow_ups(app, TargetCompany, yellow, **YELLOW)
        project = make_project(app, officer, region=region)
        follow_ups(app, Project, project, **YELLOW)
        items += [(officer, region, "target", red, "red"), (officer, region, "target", yellow, "yellow")]
        items.append((officer, region, "project", project, "yellow"))
    return heads, officers, items


def expected_deliveries(heads, items) -> set[tuple]:
    """(item_type, item_id, level, recipient, channel) for the crowd: officers get theirs, heads the red ones."""
    nanhu, jiashan, city = heads
    keys = set()
    for officer, region, kind, item_id, level in items:
        people = [officer] + ([nanhu if region == "南湖区" else jiashan, city] if level == "red" else [])
        keys |= {(kind, item_id, level, f"user:{p}", ch) for p in people for ch in ("inapp", "email")}
    return keys


def assert_delivered_exactly_once(app, heads, officers, items) -> None:
    delivered = rows(app, ReminderDelivery)
    keys = [(d.item_type, d.item_id, d.level, d.recipient, d.channel) for d in delivered]
    assert len(keys) == len(set(keys))
    assert set(keys) == expected_deliveries(heads, items)
    messages = rows(app, OutgoingMessage)
    per_recipient = Counter((m.recipient_id, m.channel) for m in messages)
    assert per_recipient == Counter({(u, ch): 1 for u in heads + officers for ch in ("inapp", "email")})
    assert {m.status for m in messages} == {"sent", "outbox"}
    assert {d.message_id for d in delivered} == {m.id for m in messages}  # no message without its items
    assert Counter(n.user_id for n in rows(app, Notification)) == Counter(heads + officers)


@contextmanager
def claims_held_back(database_url: str, runs: list[subprocess.Popen]):
    """Hold every run's first claim (its first write) until both have scanned, so their claims overlap.

    PostgreSQL: a lock on outgoing_message, let go once both runs wait for it. SQLite: the write
    lock, let go after a while (well inside the runs' 5 s busy timeout); a run that arrives later
    still runs, just not overlapping.
    """
    if database_url.startswith("sqlite"):
        gate = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        gate.execute("BEGIN IMMEDIATE")
        try:
            yield
            deadline = time.monotonic() + SQLITE_GATE_SECONDS
            while time.monotonic() < deadline and all(run.poll() is None for run in runs):
                time.sleep(0.05)
        finally:
            gate.execute("ROLLBACK")
            gate.close()
        return
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as gate, engine.connect() as probe:
            gate.execute(sa.text("LOCK TABLE outgoing_message IN SHARE ROW EXCLUSIVE MODE"))
            yield
            waiting = sa.text(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'outgoing_message'::regclass"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            deadline = time.monotonic() + 60
            while probe.scalar(waiting) < len(runs) and all(run.poll() is None for run in runs):
                probe.rollback()
                assert time.monotonic() < deadline, "the runs never reached their claims"
                time.sleep(0.05)
            gate.rollback()
    finally:
        engine.dispose()


@pytest.mark.real_commits  # the runs are other processes
def test_two_remind_processes_at_the_same_moment_deliver_everything_exactly_once(app, database_url, crowd):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "FLASK_", "DATABASE_URL"))}
    env |= {
        "DATABASE_URL": database_url,
        "CRM_SECRET_KEY": "test-secret-key",
        "CRM_MAIL_SERVER": "",
        "CRM_WEBHOOK_URL": "",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "remind", "--at", "2026-12-01T09:00+08:00"]
    runs = []
    with claims_held_back(database_url, runs):
        for _ in range(2):
            runs.append(
                subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                )
            )
    outputs = [run.communicate(timeout=180) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
    heads, officers, items = crowd
    assert_delivered_exactly_once(app, heads, officers, items)
    reported = Counter()
    for out, _err in outputs:
        assert f"停滞事项 {3 * OFFICERS} 项。" in out  # the test database, not instance/crm.sqlite3
        for label, number in re.findall(r"(站内消息|电子邮件|群机器人)：(\d+) 份", out):
            reported[label] += int(number)
        [skipped] = re.findall(r"已送达过而跳过 (\d+) 份", out)
        reported["skipped"] += int(skipped)
    digests = len(heads) + len(officers)
    assert reported == {"站内消息": digests, "电子邮件": digests, "skipped": 2 * digests}


@pytest.mark.real_commits  # each thread has its own session and connection
def test_two_claims_of_the_same_digest_at_once_give_it_to_exactly_one(app):
    officer = make_user(app, "officer", "南湖区", display_name="张伟")
    target = make_target(app, officer)
    follow_ups(app, TargetCompany, target, **RED)
    start = threading.Barrier(2, timeout=120)  # only a broken run waits this long
    results, errors = [], []

    def claim_in_own_context():
        try:
            with app.app_context():
                [found] = services.plan(services.stalled_entries(AS_OF), AS_OF)
                db.session.rollback()
                start.wait()
                message = services.claim(found, AS_OF)
                results.append(message.id if message else None)
        except Exception as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=claim_in_own_context) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    [message] = rows(app, OutgoingMessage)
    assert sorted(results, key=str) == sorted([message.id, None], key=str)
    assert len(rows(app, ReminderDelivery)) == 1 and len(notes(app, officer)) == 1


def test_dry_run_lists_the_digests_it_would_send_and_writes_nothing(app, runner):
    officer = make_user(app, "officer", "南湖区", display_name="张伟", email="zhang.wei@example.cn")
    make_user(app, "head", "南湖区", display_name="南湖区领导")
    for dates in (RED, YELLOW):
        follow_ups(app, TargetCompany, make_target(app, officer), **dates)
    result = runner.invoke(args=["remind", "--dry-run", "--at", "2026-12-01T09:00+08:00"])
    assert result.exit_code == 0, result.output
    assert counts(app) == (0, 0, 0)
    assert "停滞事项 2 项。" in result.output and "演练（--dry-run）" in result.output
    assert "站内消息 → 张伟：2 项，其中未发送过 2 项" in result.output
    assert "电子邮件 → 张伟：2 项，其中未发送过 2 项" in result.output
    assert "站内消息 → 南湖区领导：1 项，其中未发送过 1 项" in result.output
    remind(app, AS_OF)
    after_run = counts(app)
    assert after_run == (3, 5, 2)
    late = make_target(app, officer, name="新停滞企业有限公司")
    follow_ups(app, TargetCompany, late, next_on=date(2026, 12, 1), last_on=date(2026, 11, 30))
    result = runner.invoke(args=["remind", "--dry-run", "--at", "2026-12-02T09:00+08:00"])
    assert "站内消息 → 张伟：3 项，其中未发送过 1 项" in result.output
    assert "站内消息 → 南湖区领导：1 项，其中未发送过 0 项" in result.output
    assert counts(app) == after_run


def test_remind_reports_what_it_sent(app, runner):
    officer = make_user(app, "officer", "南湖区", email="zhang.wei@example.cn")
    follow_ups(app, TargetCompany, make_target(app, officer), **YELLOW)
    first = runner.invoke(args=["remind", "--at", "2026-12-01T09:00+08:00"])
    assert first.exit_code == 0, first.output
    assert "停滞事项 1 项。" in first.output
    assert "站内消息：1 份（已发送 1）" in first.output and "电子邮件：1 份（已存发件箱 1）" in first.output
    again = runner.invoke(args=["remind", "--at", "2026-12-01T09:00+08:00"])
    assert "站内消息：" not in again.output and "已送达过而跳过 2 份" in again.output
    assert counts(app) == (2, 2, 1)


def test_remind_refuses_a_moment_it_cannot_read_in_chinese(app, runner):
    follow_ups(app, TargetCompany, make_target(app, make_user(app, "officer", "南湖区")), **RED)
    result = runner.invoke(args=["remind", "--at", "明天上午九点"])
    assert result.exit_code != 0
    assert "无法识别的时间 '明天上午九点'，应为 ISO 格式，如 2026-12-01T09:00+08:00" in result.output
    assert counts(app) == (0, 0, 0)


def test_remind_reads_a_moment_without_offset_as_jiaxing_time(app, runner):
    officer = make_user(app, "officer", "南湖区")
    follow_ups(app, TargetCompany, make_target(app, officer), **YELLOW)
    result = runner.invoke(args=["remind", "--at", "2026-12-01T07:30"])
    assert result.exit_code == 0, result.output
    [message] = rows(app, OutgoingMessage)
    assert message.run_at == datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    [note] = notes(app, officer)
    assert "截至 2026年12月01日 07:30" in note.body


def test_the_scheduler_scans_at_nine_shanghai_time_once_and_retries_every_ten_minutes(app, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_TIME", "09:00")
    jobs = scheduler.build(app)
    assert not jobs.running
    shanghai = ZoneInfo("Asia/Shanghai")
    assert jobs.timezone == shanghai
    assert jobs._job_defaults == {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": scheduler.MISFIRE_GRACE_SECONDS,
    }
    assert scheduler.MISFIRE_GRACE_SECONDS > 0
    by_id = {job.id: job for job in jobs.get_jobs()}
    scan = by_id["stall-scan"]
    assert (scan.func, scan.args) == (scheduler.scan_job, (app,))
    assert isinstance(scan.trigger, CronTrigger) and scan.trigger.timezone == shanghai
    after = datetime(2026, 12, 1, 9, 0, 1, tzinfo=shanghai)
    assert scan.trigger.get_next_fire_time(None, after) == datetime(2026, 12, 2, 9, tzinfo=shanghai)
    # 09:00 in Jiaxing is 01:00 UTC, whatever the server's own zone.
    assert scan.trigger.get_next_fire_time(None, datetime(2026, 12, 1, 0, 30, tzinfo=UTC)).astimezone(
        UTC
    ) == (datetime(2026, 12, 1, 1, tzinfo=UTC))
    retry = by_id["retry"]
    assert retry.func is scheduler.retry_job
    assert isinstance(retry.trigger, IntervalTrigger) and retry.trigger.interval == timedelta(minutes=10)
    weekly = by_id["weekly-summaries"]
    assert weekly.func is scheduler.weekly_job
    assert weekly.trigger.get_next_fire_time(None, after) == datetime(2026, 12, 7, 6, 30, tzinfo=shanghai)


def test_the_monday_job_keeps_last_weeks_summary_for_the_city_every_region_and_cluster(app):
    scheduler.weekly_job(app)
    with app.app_context():
        kept = db.session.execute(sa.select(ReportCache.week, ReportCache.scope_key)).all()
        regions = db.session.scalar(sa.select(sa.func.count()).select_from(Region))
        clusters = db.session.scalar(sa.select(sa.func.count()).select_from(Cluster))
        last_week = IsoWeek.of(local_today(), local_zone()).shifted(-1).code
    assert regions == 9 and clusters == 12 and len(kept) == 1 + regions + clusters
    keys = {key for _, key in kept}
    assert {week for week, _ in kept} == {last_week} and {"city@city", "cluster-1@city"} <= keys


def test_a_scheduler_started_after_the_scan_time_catches_up_now(app, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_TIME", "00:00")
    by_id = {job.id: job for job in scheduler.build(app).get_jobs()}
    assert set(by_id) == {"stall-scan", "retry", "weekly-summaries", "catch-up"}
    assert by_id["catch-up"].func is scheduler.scan_job
    assert abs(by_id["catch-up"].next_run_time - datetime.now(UTC)) < timedelta(minutes=1)


def test_the_scan_job_skips_holidays_and_runs_on_tiaoxiu_weekends(app):
    officer = make_user(app, "officer", "南湖区")
    target = make_target(app, officer, name="国庆前停滞企业有限公司")
    follow_ups(
        app,
        TargetCompany,
        target,
        next_on=date(2026, 9, 25),
        last_on=date(2026, 9, 24),
        begun=date(2026, 8, 3),
    )
    holiday = date(2026, 10, 3)
    with app.app_context():
        assert not is_working_day(holiday)
        weekend_workday = next(
            day
            for day in (holiday + timedelta(n) for n in range(1, 60))
            if day.weekday() >= 5 and is_working_day(day)
        )
    assert weekend_workday == date(2026, 10, 10)  # a Saturday worked for 国庆
    assert remind(app, jiaxing_at(holiday), dry_run=True)["stalled"] == 1  # so only the day stops the scan
    scheduler.scan_job(app, jiaxing_at(holiday))
    assert counts(app) == (0, 0, 0)
    scheduler.scan_job(app, jiaxing_at(weekend_workday))
    [note] = notes(app, officer)
    assert "国庆前停滞企业有限公司" in note.body and "（2026-10-10）" in note.title


def test_a_reminder_time_that_is_not_hh_mm_is_a_clear_error(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_TIME", "25:00")
    with pytest.raises(ValueError, match="CRM_REMINDER_TIME 应为 HH:MM"):
        scheduler.build(app)
    result = runner.invoke(args=["scheduler"])
    assert result.exit_code == 1
    assert "CRM_REMINDER_TIME 应为 HH:MM，如 09:00（当前为 '25:00'）" in result.output
