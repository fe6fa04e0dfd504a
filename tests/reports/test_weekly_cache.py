"""Kept weekly summaries (crm.reports.cache) and the page's windows onto long tables."""

import json
import re
import zlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import ReportCache, TargetCompany, User
from crm.reports import cache, records
from crm.reports.cache import weekly_summary
from crm.reports.scope import resolve
from crm.reports.weekly import build
from tests.factories import (
    W45,
    W46,
    W47,
    Story,
    backdate,
    city_scope,
    follow_up,
    jiaxing_at_utc,
    make_target,
    make_user,
)


@pytest.fixture
def story(app):
    return Story(app)


@pytest.fixture
def builds(monkeypatch):
    """How many times a summary was rebuilt from history."""
    calls = []
    real = cache.build

    def counting(*args, **kwargs):
        calls.append(args[0].code)
        return real(*args, **kwargs)

    monkeypatch.setattr(cache, "build", counting)
    return calls


def test_a_kept_summary_reads_back_equal_to_a_fresh_build(app, story, builds):
    with app.app_context():
        for week in (W45, W46):
            fresh = build(week, city_scope())
            assert weekly_summary(week, city_scope()) == fresh  # built and kept
            db.session.rollback()
            kept = weekly_summary(week, city_scope())  # read back
            assert kept == fresh
        assert builds == ["2026-W45", "2026-W46"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportCache)) == 2
    # the values come back with their types: exact amounts and dates, not strings or floats
    signing = next(e for e in kept.events if e.kind == "started")
    assert signing.investment == Decimal("10.10") and signing.on == date(2026, 11, 10)
    assert isinstance(next(f.value for f in kept.figures if f.unit == "亿元"), Decimal)
    assert kept.warnings[0].since == date(2026, 11, 13)


def test_renaming_a_person_or_a_cluster_rebuilds_a_kept_week(app, story, builds):
    with app.app_context():
        weekly_summary(W46, city_scope())
        db.session.get(User, story.wang).display_name = "王新名"
        db.session.commit()
        summary = weekly_summary(W46, city_scope())
        assert {w.officer for w in summary.warnings} == {"王新名"}
        weekly_summary(W46, city_scope())
    assert builds == ["2026-W46", "2026-W46"]


def test_changes_after_a_finished_week_leave_its_kept_summary_in_use(app, story, builds):
    with app.app_context():
        before = weekly_summary(W46, city_scope())
        target = db.session.get(TargetCompany, story.ids["t3"])
        follow_up(target, db.session.get(User, story.wang), date(2026, 11, 20), date(2026, 11, 27))
        db.session.commit()
        assert weekly_summary(W46, city_scope()) == before
    assert builds == ["2026-W46"]


def test_the_week_in_progress_is_rebuilt_after_any_change_and_every_few_minutes(app, story, builds):
    now = jiaxing_at_utc(date(2026, 11, 18), 15)  # Wednesday of W47, after the story's last step
    with app.app_context():
        first = weekly_summary(W47, city_scope(), now)
        weekly_summary(W47, city_scope(), now + timedelta(minutes=1))
        assert builds == ["2026-W47"]
        target = db.session.get(TargetCompany, story.ids["t3"])
        follow_up(target, db.session.get(User, story.wang), date(2026, 11, 18), date(2026, 11, 25))
        db.session.commit()
        backdate(jiaxing_at_utc(date(2026, 11, 18), 14))
        changed = weekly_summary(W47, city_scope(), now + timedelta(minutes=2))
        assert len(builds) == 2 and changed != first
        weekly_summary(W47, city_scope(), now + timedelta(minutes=3))
        assert len(builds) == 2
        weekly_summary(W47, city_scope(), now + timedelta(minutes=8))  # kept longer than IN_PROGRESS_FOR
        assert len(builds) == 3
    assert not first.complete


def test_instructions_written_after_the_summary_was_kept_show_at_once(app, story, builds):
    with app.app_context():
        warning = weekly_summary(W46, city_scope()).warnings[0]
        item = db.session.get(TargetCompany, warning.item_id)
        head = db.session.get(User, story.head)
        records.set_instruction(item, W46.code, "本周内上门走访", head)
        db.session.commit()
        assert weekly_summary(W46, city_scope()).warnings[0].instruction == "本周内上门走访"
        records.set_instruction(item, W46.code, "", head)  # cleared
        db.session.commit()
        assert weekly_summary(W46, city_scope()).warnings[0].instruction == ""
    assert builds == ["2026-W46"]


@pytest.mark.parametrize("payload", [b"not zlib", b"x\x9c\x03\x00\x00\x00\x00\x01", None])
def test_an_unreadable_kept_copy_is_rebuilt(app, story, builds, payload):
    with app.app_context():
        fresh = weekly_summary(W46, city_scope())
        if payload is None:  # readable, but rows of another shape (an older FORMAT's fields)
            data = {"format": cache.FORMAT, "as_of": fresh.as_of.isoformat(), "sections": {"figures": [[1]]}}
            payload = zlib.compress(json.dumps(data).encode())
        with db.engine.begin() as conn:
            conn.execute(sa.update(ReportCache).values(payload=payload))
        assert weekly_summary(W46, city_scope()) == fresh
        assert cache.clear() == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportCache)) == 0
    assert builds == ["2026-W46", "2026-W46"]


def test_scopes_are_kept_apart(app, story, builds):
    with app.app_context():
        city_summary = weekly_summary(W46, city_scope())
        nanhu = db.session.scalar(sa.text("SELECT id FROM region WHERE name = '南湖区'"))
        region_summary = weekly_summary(W46, resolve(None, region=nanhu))
        assert [u.name for u in city_summary.next_week] == ["嘉善乙微电子有限公司"]
        assert region_summary.next_week == []
        assert weekly_summary(W46, city_scope()) == city_summary
    assert len(builds) == 2


# --- the page: a preview of each long table, or one table page by page -----------------------


@pytest.fixture
def many_warnings(app):
    """130 target companies overdue for follow-up during W46 (all 红灯 by its end)."""
    officer = make_user(app, username="weekly.many", scope="南湖区", display_name="孙专员")
    ids = [make_target(app, officer, name=f"南湖通报测试企业{n:03d}有限公司") for n in range(130)]
    with app.app_context():
        backdate(jiaxing_at_utc(date(2026, 11, 2)))
        db.session.execute(
            sa.update(TargetCompany)
            .where(TargetCompany.id.in_(ids))
            .values(next_follow_up_on=date(2026, 11, 5))
        )
        db.session.commit()
    return ids


def warning_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="item-target-(\d+)">', html)


def test_the_page_shows_the_first_rows_of_the_list_and_links_to_all_of_it(app, auth, client, many_warnings):
    auth.login(role="head")
    html = client.get("/reports/weekly?week=2026-W46").get_data(as_text=True)
    assert "通报（红灯 130 项，黄灯 0 项）" in html
    assert len(warning_rows(html)) == 20
    assert "共 130 项，此处显示前 20 项" in html
    assert "/reports/weekly?part=warnings&amp;week=2026-W46" in html

    first = client.get("/reports/weekly?week=2026-W46&part=warnings").get_data(as_text=True)
    second = client.get("/reports/weekly?week=2026-W46&part=warnings&page=2").get_data(as_text=True)
    rows = warning_rows(first) + warning_rows(second)
    assert (len(warning_rows(first)), len(warning_rows(second))) == (100, 30)
    assert sorted(map(int, rows)) == sorted(many_warnings)  # every row once, over the two pages
    assert "第 2/2 页" in second and "一、概况" not in second and "返回周调度全文概览" in second
    # the page links (the lists' own render_pagination) keep the week and the table
    link = re.search(r'href="\s*(/reports/weekly\?[^"]*page=2[^"]*)"', first)[1].replace("&amp;", "&")
    assert "part=warnings" in link and "week=2026-W46" in link

    document = client.get("/reports/weekly/export?week=2026-W46&format=html").get_data(as_text=True)
    assert document.count("南湖通报测试企业") == 130  # the file holds every row


def test_a_table_that_does_not_exist_is_refused(app, auth, client, many_warnings):
    auth.login(role="head")
    assert client.get("/reports/weekly?week=2026-W46&part=nothing").status_code == 400


@pytest.mark.parametrize("page", ["3", "99999999999999999999"])
def test_a_page_past_the_end_of_a_table_shows_its_last_page(app, auth, client, many_warnings, page):
    auth.login(role="head")
    response = client.get(f"/reports/weekly?week=2026-W46&part=warnings&page={page}")
    assert response.status_code == 200 and "第 2/2 页" in response.get_data(as_text=True)


def test_each_process_decodes_a_kept_summary_once_and_never_serves_a_replaced_one(app, story, monkeypatch):
    decoded = []
    real = cache._decode
    monkeypatch.setattr(cache, "_decode", lambda *args: decoded.append(1) or real(*args))
    with app.app_context():
        weekly_summary(W46, city_scope())  # built and kept (nothing to decode)
        first = weekly_summary(W46, city_scope())
        again = weekly_summary(W46, city_scope())
        assert len(decoded) == 1 and again == first
        assert again is not first  # each reader gets its own copy (instructions are applied to it)
        db.session.get(User, story.wang).display_name = "王更名"  # the stamp changes: rebuilt and replaced
        db.session.commit()
        renamed = weekly_summary(W46, city_scope())
        assert {w.officer for w in weekly_summary(W46, city_scope()).warnings} == {"王更名"}
        assert {w.officer for w in renamed.warnings} == {"王更名"} and len(decoded) == 2
