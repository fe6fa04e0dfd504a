"""Job timings: the reminder scan and the weekly summary's exports, wall clock, best and median.

Every run has its own application context (a fresh session, nothing cached from the run before),
as a command or a request would.
"""

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask

from crm.core.timeutil import local_today, local_zone
from crm.extensions import db
from crm.reminders import services as reminders
from crm.reports.cache import weekly_summary
from crm.reports.documents import MIMETYPES, render
from crm.reports.scope import resolve
from crm.reports.weekly import build
from crm.reports.weeks import IsoWeek

RUNS = 3


def timed(app: Flask, job: Callable[[], str], runs: int = RUNS) -> dict:
    """Run job runs times, each in a new app context; seconds (best, median) and the job's note."""
    seconds, note = [], ""
    for _ in range(runs):
        with app.app_context():
            started = time.perf_counter()
            note = job()
            seconds.append(time.perf_counter() - started)
            db.session.rollback()
    return {
        "best_s": round(min(seconds), 3),
        "median_s": round(statistics.median(seconds), 3),
        "runs_s": [round(s, 3) for s in seconds],
        "note": note,
    }


def scan(dry_run: bool) -> Callable[[], str]:
    def job() -> str:
        report = reminders.run(datetime.now(UTC), dry_run=dry_run)
        digests = len(report.planned) if dry_run else len(report.claimed)
        return f"{report.stalled} stalled items, {digests} digests"

    return job


def export(fmt: str) -> Callable[[], str]:
    """The last complete week's city summary as fmt, as the export button and export-weekly make it:
    from the kept summary (crm.reports.cache; the pages measured before kept it). A week nobody has
    read yet adds one uncached build (the weekly_build_* jobs)."""

    def job() -> str:
        zone = local_zone()
        week = IsoWeek.of(local_today(), zone).shifted(-1)
        summary = weekly_summary(week, resolve(None))
        _, content = render(summary, fmt)
        return f"{week.code}, {len(content):,} bytes"

    return job


def summary_build(weeks_back: int) -> Callable[[], str]:
    """Rebuild a week's city summary from history, as the first reading of a week does (no cache)."""

    def job() -> str:
        week = IsoWeek.of(local_today(), local_zone()).shifted(-weeks_back)
        summary = build(week, resolve(None))
        return f"{week.code}, {len(summary.warnings)} 通报, {len(summary.events)} events"

    return job


def measure_jobs(app: Flask) -> dict:
    """Every job; the real reminder run last, since it writes (its repeat finds nothing new to send)."""
    results = {f"export_{fmt}": timed(app, export(fmt)) for fmt in MIMETYPES}
    results["weekly_build_last"] = timed(app, summary_build(1))
    results["weekly_build_current"] = timed(app, summary_build(0))
    results["reminder_dry_run"] = timed(app, scan(dry_run=True))
    results["reminder_run"] = timed(app, scan(dry_run=False), runs=1)
    results["reminder_run_again"] = timed(app, scan(dry_run=False), runs=2)
    return results
