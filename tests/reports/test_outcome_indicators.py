"""目标任务进展 on a constructed year: every figure below is worked out by hand from the issue's rules.

Week 2026-W20 ends Sunday 17 May 2026 24:00 (Beijing): T. 序时进度 = 137 days (31+28+31+30+17) / 365 = 37.5%.
Rates: 2026 7.00, 2025 7.20 人民币 per 美元.
- A 南湖区, signed 2026-02-10, 60 亿元, 世界500强: 签约, 10亿+, 50亿+, 超亿美元 (60 ≥ 7).
- B 南湖区 (内资), signed 2026-03-05, 5 亿元, started 2026-04-01: 签约 only (5 < 7), 新开工.
- C 嘉善县 (外资), signed 2026-04-20, 12 亿元: 签约, 10亿+, 超亿美元.
- D 南湖区, signed 2026-06-01: after T, not in W20.
- E 南湖区 (外资), signed 2025-03-01, 20 亿元: last year's 签约, 10亿+, 超亿美元 (20 ≥ 7.2).
到资: A 7000 万美元 外资 (corrected to 9000 on 2026-06-01, after the week), B 增资 5000 万元 → 内资 0.50,
C 14000 万元 外资 ÷ 7 = 2000 万美元; so 外资 0.90 亿美元 at T. Last year E 4500 万美元 → 0.45.
Targets 2026: 全市 签约 10 (3/10 = 30.0%), 实际使用外资 3.00 (0.90/3 = 30.0%); 南湖区 签约 4 (2/4 = 50.0%);
嘉善县 签约 1 (1/1 = 100.0%). 同比 签约 (3−1)/1 = +200.0%, 外资 (0.90−0.45)/0.45 = +100.0%.
"""

import io
import re
from datetime import date, datetime
from decimal import Decimal

import docx
import openpyxl
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import (
    AnnualTarget,
    CapitalType,
    Currency,
    ExchangeRate,
    FundEntry,
    FundKind,
    HistoryEntry,
    Indicator,
    Project,
    ProjectStage,
    Region,
    User,
)
from crm.outcomes.targets import set_targets
from tests.factories import cluster_id, jiaxing_at_utc, make_user

BEFORE = jiaxing_at_utc(date(2026, 1, 5))
LAST_YEAR = jiaxing_at_utc(date(2025, 1, 5))
AFTER_WEEK = jiaxing_at_utc(date(2026, 6, 1))
WEEK = "2026-W20"
SIGNED_ROW = ["签约项目数", "个", "3", "10", "30.0%", "37.5%", "+200.0%"]
FOREIGN_ROW = ["实际使用外资", "亿美元", "0.90", "3.00", "30.0%", "37.5%", "+100.0%"]
DOMESTIC_ROW = ["实到内资", "亿元", "0.50", "未设", "未设", "37.5%", "—"]
FIFTY_ROW = ["50亿元以上项目数", "个", "1", "未设", "未设", "37.5%", "—"]
SIGNED_LINE = "签约 3 个、总投资 77.00 亿元，其中10亿元以上 2 个、超亿美元 2 个、世界500强 1 个"
STARTED_LINE = "新开工 1 个、总投资 5.00 亿元，其中10亿元以上 0 个、超亿美元 0 个、世界500强 0 个"
RANK_ROWS = [
    ["签约项目数", "1", "嘉善县", "1", "1", "100.0%"],
    ["签约项目数", "2", "南湖区", "2", "4", "50.0%"],
]
NANHU_SIGNED_ROW = ["签约项目数", "个", "2", "4", "50.0%", "37.5%", "+100.0%"]


def _project(name, region, owner, created, **fields):
    region_id = db.session.scalar(sa.select(Region.id).where(Region.name == region))
    project = Project(
        name=name,
        name_key=name,
        company_name="投资方",
        cluster_id=cluster_id({"南湖区": "南湖区微电子", "嘉善县": "嘉善县集成电路"}[region]),
        region_id=region_id,
        stage=ProjectStage.SIGNED,
        owner_id=owner,
        created_at=created,
        stage_since=created,
        **fields,
    )
    db.session.add(project)
    db.session.flush()
    return project


def _fund(project, arrived, currency, amount, kind, recorded, **fields):
    entry = FundEntry(
        project_id=project.id,
        arrived_on=arrived,
        currency=currency,
        amount=Decimal(amount),
        kind=kind,
        recorded_at=recorded,
        **fields,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


@pytest.fixture
def year(app):
    officer = make_user(app, "officer", "全市")
    with app.app_context():
        admin = db.session.get(User, make_user(app, "admin"))
        a = _project(
            "项目A", "南湖区", officer, BEFORE, total_investment=Decimal(60), signed_on=date(2026, 2, 10)
        )
        a.tags = ["世界500强"]
        b = _project(
            "项目B",
            "南湖区",
            officer,
            BEFORE,
            total_investment=Decimal(5),
            signed_on=date(2026, 3, 5),
            actual_start_on=date(2026, 4, 1),
            capital_type=CapitalType.DOMESTIC,
        )
        c = _project(
            "项目C", "嘉善县", officer, BEFORE, total_investment=Decimal(12), signed_on=date(2026, 4, 20),
            capital_type=CapitalType.FOREIGN,
        )  # fmt: skip
        _project("项目D", "南湖区", officer, BEFORE, total_investment=Decimal(3), signed_on=date(2026, 6, 1))
        e = _project(
            "项目E", "南湖区", officer, LAST_YEAR, total_investment=Decimal(20), signed_on=date(2025, 3, 1),
            capital_type=CapitalType.FOREIGN,
        )  # fmt: skip
        db.session.add_all(
            [
                ExchangeRate(year=2026, cny_per_usd=Decimal("7.00")),
                ExchangeRate(year=2025, cny_per_usd=Decimal("7.20")),
            ]
        )
        first = _fund(
            a, date(2026, 3, 1), Currency.USD, 7000, FundKind.FOREIGN, BEFORE, replaced_at=AFTER_WEEK
        )
        _fund(a, date(2026, 3, 1), Currency.USD, 9000, FundKind.FOREIGN, AFTER_WEEK, replaces_id=first.id)
        _fund(b, date(2026, 4, 1), Currency.CNY, 5000, FundKind.CAPITAL_INCREASE, BEFORE)
        _fund(c, date(2026, 4, 25), Currency.CNY, 14000, FundKind.FOREIGN, BEFORE)
        _fund(e, date(2025, 4, 1), Currency.USD, 4500, FundKind.FOREIGN, LAST_YEAR)
        regions = dict(db.session.execute(sa.select(Region.name, Region.id)).tuples().all())
        set_targets(2026, None, {Indicator.SIGNED: Decimal(10), Indicator.FOREIGN_CAPITAL: Decimal(3)}, admin)
        set_targets(2026, regions["南湖区"], {Indicator.SIGNED: Decimal(4)}, admin)
        set_targets(2026, regions["嘉善县"], {Indicator.SIGNED: Decimal(1)}, admin)
        db.session.flush()
        db.session.execute(
            sa.update(HistoryEntry)
            .where(HistoryEntry.entity_type == "annual_target")
            .values(created_at=BEFORE)
        )
        db.session.commit()
    return regions


def _cells(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return [
        [re.sub(r"<.*?>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
        for r in rows
    ]


def test_weekly_page_shows_the_constructed_year_as_of_the_weeks_end(year, auth, client):
    auth.login(role="head", scope="全市")
    html = client.get(f"/reports/weekly?week={WEEK}").get_data(as_text=True)
    cells = _cells(html)
    for row in (SIGNED_ROW, FOREIGN_ROW, DOMESTIC_ROW, FIFTY_ROW, *RANK_ROWS):
        assert row in cells, row
    assert SIGNED_LINE in html and STARTED_LINE in html
    assert ["超亿美元项目数", "个", "2", "未设", "未设", "37.5%", "+100.0%"] in cells


def test_weekly_files_hold_the_same_strings(year, auth, client):
    auth.login(role="head", scope="全市")
    xlsx = client.get(f"/reports/weekly/export?week={WEEK}&format=xlsx").data
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    values = [[str(v) for v in row] for row in book["目标任务进展"].iter_rows(values_only=True) if row[0]]
    assert SIGNED_ROW in values and FOREIGN_ROW in values and DOMESTIC_ROW in values
    assert [v[0] for v in values if v[0].startswith("签约 ")] == [SIGNED_LINE]
    ranking = [[str(v) for v in row] for row in book["分地区"].iter_rows(values_only=True)]
    assert RANK_ROWS[0] in ranking and RANK_ROWS[1] in ranking
    brief = docx.Document(io.BytesIO(client.get(f"/reports/weekly/export?week={WEEK}&format=docx").data))
    tables = [[[c.text for c in r.cells] for r in t.rows] for t in brief.tables]
    assert SIGNED_ROW in tables[0] and FOREIGN_ROW in tables[0]
    assert RANK_ROWS[0] in tables[1]
    assert SIGNED_LINE in [p.text for p in brief.paragraphs]


def test_a_correction_after_the_week_leaves_the_week_alone_but_counts_afterwards(year, app):
    from crm.core.timeutil import BUREAU_ZONE
    from crm.reports.outcomes import build
    from crm.reports.scope import ReportScope

    with app.app_context():
        at_week_end = build(ReportScope(None), jiaxing_at_utc(date(2026, 5, 17), 23), BUREAU_ZONE)
        later = build(ReportScope(None), jiaxing_at_utc(date(2026, 6, 2)), BUREAU_ZONE)
    foreign = {r.indicator: r.actual for r in at_week_end.rows}["实际使用外资"]
    assert foreign == "0.90"  # 7000 + 2000 万美元
    assert {r.indicator: r.actual for r in later.rows}["实际使用外资"] == "1.10"  # 9000 + 2000


def test_missing_rate_is_named_not_guessed(year, app):
    from crm.core.timeutil import BUREAU_ZONE
    from crm.reports.outcomes import build
    from crm.reports.scope import ReportScope

    with app.app_context():
        db.session.execute(sa.delete(ExchangeRate).where(ExchangeRate.year == 2026))
        result = build(ReportScope(None), jiaxing_at_utc(date(2026, 5, 17), 23), BUREAU_ZONE)
        db.session.rollback()
    shown = {r.indicator: r.actual for r in result.rows}
    assert shown["超亿美元项目数"] == "缺少2026年汇率"
    assert shown["实际使用外资"] == "缺少2026年汇率"  # C's 人民币 entry needs the rate
    assert shown["签约项目数"] == "3"


def test_region_head_sees_only_their_region(year, auth, client):
    auth.login(role="head", scope="南湖区")
    html = client.get(f"/reports/weekly?week={WEEK}").get_data(as_text=True)
    cells = _cells(html)
    assert NANHU_SIGNED_ROW in cells  # A, B; last year E: (2 − 1) / 1
    assert "分地区（赛马榜）" not in html and "嘉善县" not in "".join(
        c[2] if len(c) > 2 else "" for c in cells
    )


def test_region_head_sets_only_their_regions_targets(year, app, auth, client):
    auth.login(role="head", scope="南湖区")
    page = client.get("/reports/targets?year=2026").get_data(as_text=True)
    assert f'name="scope_key" value="{year["南湖区"]}"' in page
    assert 'value="city"' not in page and "嘉善县" not in page
    answer = client.post("/reports/targets", data={"year": "2026", "scope_key": "city", "city-SIGNED": "99"})
    assert answer.status_code == 403
    key = str(year["南湖区"])
    answer = client.post(
        "/reports/targets",
        data={"year": "2026", "scope_key": key, f"{key}-SIGNED": "6", f"{key}-FOREIGN_CAPITAL": "1.5"},
    )
    assert answer.status_code == 302
    with app.app_context():
        saved = {
            (t.region_id, t.indicator): t.value
            for t in db.session.scalars(sa.select(AnnualTarget).where(AnnualTarget.year == 2026))
        }
    assert saved[(year["南湖区"], Indicator.SIGNED)] == Decimal(6)
    assert saved[(year["南湖区"], Indicator.FOREIGN_CAPITAL)] == Decimal("1.50")
    assert saved[(None, Indicator.SIGNED)] == Decimal(10)  # the city's untouched


def test_bad_target_changes_nothing_and_says_why(year, app, auth, client):
    auth.login(role="admin")
    answer = client.post(
        "/reports/targets",
        data={"year": "2026", "scope_key": "city", "city-SIGNED": "2.5", "city-DOMESTIC_CAPITAL": "1e30"},
    )
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "项目数须为整数。" in html and "请填写数字" in html
    with app.app_context():
        value = db.session.scalar(
            sa.select(AnnualTarget.value).where(
                AnnualTarget.region_id.is_(None), AnnualTarget.indicator == Indicator.SIGNED
            )
        )
    assert value == Decimal(10)


def test_a_past_week_keeps_the_targets_of_its_time(year, app, auth, client, monkeypatch):
    auth.login(role="admin")
    client.post(
        "/reports/targets",
        data={"year": "2026", "scope_key": "city", "city-SIGNED": "", "city-FOREIGN_CAPITAL": "3"},
    )
    html = client.get(f"/reports/weekly?week={WEEK}").get_data(as_text=True)
    assert SIGNED_ROW in _cells(html)  # 签约 10 still, though removed (未设) today
    # The dashboard as it stood on 1 December 2026 (Beijing) — before the target was removed, whenever
    # the suite runs: 335 of 365 days gone; 签约 A, B, C, D = 4 of the target 10 then in force; 1 last year.
    monkeypatch.setattr(
        "crm.reports.dashboard_views.datetime", _frozen(jiaxing_at_utc(date(2026, 12, 1), 10))
    )
    dashboard = client.get("/reports/dashboard").get_data(as_text=True)
    signed = [row for row in _cells(dashboard) if row and row[0] == "签约项目数"][0]
    assert signed == ["签约项目数", "个", "4", "10", "40.0%", "91.8%", "+300.0%"]
    assert "2026年1月1日至12月1日，序时进度 91.8%" in dashboard


def _frozen(moment: datetime) -> type[datetime]:
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    return Frozen


def test_no_targets_show_as_not_set_never_zero(app, auth, client):
    auth.login(role="head", scope="全市")
    html = client.get("/reports/dashboard").get_data(as_text=True)
    rows = [row for row in _cells(html) if len(row) == 7 and row[0] in {i.value for i in Indicator}]
    assert len(rows) == 8 and all(row[3] == "未设" and row[4] == "未设" for row in rows)
    assert "0.0%" not in "".join(row[4] for row in rows)


def test_older_projects_count_by_what_happened_in_the_year_as_it_stood(year, app):
    """Only projects with a date or 到资 in the year are read — but all of those, as they stood at T:
    E (signed 2025) received 1.00 亿元 in April 2026; F was signed in April 2026 as of the week, and
    its date was moved back to 2025 only after the week."""
    from crm.core.timeutil import BUREAU_ZONE
    from crm.reports.outcomes import build
    from crm.reports.scope import ReportScope

    officer = make_user(app, "officer", "全市")
    with app.app_context():
        e = _project(
            "项目E", "嘉善县", officer, LAST_YEAR, total_investment=Decimal(2), signed_on=date(2025, 6, 1)
        )
        _fund(e, date(2026, 4, 10), Currency.CNY, 10000, FundKind.DOMESTIC, BEFORE)
        f = _project(
            "项目F", "嘉善县", officer, BEFORE, total_investment=Decimal(3), signed_on=date(2025, 12, 20)
        )
        db.session.add(
            HistoryEntry(
                entity_type="project", entity_id=f.id, action="update", field="signed_on",
                old_value="2026-04-15", new_value="2025-12-20", created_at=AFTER_WEEK,
            )
        )  # fmt: skip
        db.session.commit()
        shown = build(ReportScope(None), jiaxing_at_utc(date(2026, 5, 17), 23), BUREAU_ZONE)
    actual = {r.indicator: r.actual for r in shown.rows}
    assert actual["实到内资"] == "1.50"  # B's 0.50 and E's 1.00
    assert actual["签约项目数"] == "4"  # A, B, C and F (as it stood)
