"""The 项目清单's outcome filters (issue 15, point 5) return exactly the projects the rule says, the count
shown matches, the export and board honour them, and bad input never fails the page. The SQL form of
the size rules equals the Python form on random projects."""

import io
import random
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from crm.extensions import db
from crm.models import ExchangeRate, Project
from crm.outcomes.sizes import (
    SIZE_LABELS,
    at_least_class_sql,
    over_100m_usd,
    over_100m_usd_sql,
    rate_year,
    rate_year_sql,
    size_class,
)
from tests.factories import jiaxing_today, make_project

D = Decimal
PREFIX = "筛选"
# name → 总投资 亿元, 总投资 万美元, 签约日期, fields
WORLD = {
    "筛选甲": (
        D("10.00"),
        None,
        date(2025, 5, 1),
        {"capital_type": "外资", "tags": ["世界500强", "浙商回归"]},
    ),
    "筛选乙": (D("9.99"), None, date(2025, 5, 1), {"capital_type": "内资", "tags": ["世界500强"]}),
    "筛选丙": (D("50.00"), D("9999.99"), None, {"capital_type": "中外合资", "project_type": "增资扩产"}),
    "筛选丁": (D("7.12"), None, date(2025, 6, 1), {"sector": "服务业", "tags": ["浙商回归"]}),
    "筛选戊": (D("3.00"), D("10000.00"), date(2024, 6, 1), {"sector": "制造业", "project_type": "新引进"}),
    "筛选己": (D("120.00"), None, date(2024, 6, 1), {"tags": ["专精特新"]}),  # no 2024 rate
    "筛选庚": (None, None, None, {}),
}
RATE_2025 = D("7.1234")


@pytest.fixture
def world(app, auth):
    head = auth.login(role="head", scope="全市")
    with app.app_context():
        db.session.add(ExchangeRate(year=2025, cny_per_usd=RATE_2025))
        db.session.commit()
    for name, (total, usd, signed, fields) in WORLD.items():
        project_id = make_project(
            app, head, name=name, total_investment=total, total_investment_usd=usd, **fields
        )
        with app.app_context():
            db.session.get(Project, project_id).signed_on = signed
            db.session.commit()
    return head


def _listed(client, query: str) -> tuple[set[str], int, str]:
    html = client.get(f"/projects/?q={PREFIX}&{query}").get_data(as_text=True)
    names = set(re.findall(rf">({PREFIX}.)</a>", html))
    shown = re.search(r"共 (\d+) 个项目", html)
    return names, int(shown.group(1)) if shown else 0, html


def _by_hand(keep) -> set[str]:
    return {name for name, values in WORLD.items() if keep(*values)}


def test_each_filter_returns_exactly_the_projects_the_rule_says(app, client, world):
    this_year = jiaxing_today(app).year
    rates = {2025: RATE_2025}

    def usd(total, total_usd, signed, _):
        return over_100m_usd(total, total_usd, rates.get(signed.year if signed else this_year))

    cases = {
        "inv_min=9.99&inv_max=50": _by_hand(lambda t, u, s, f: t is not None and D("9.99") <= t <= 50),
        "inv_min=10": _by_hand(lambda t, u, s, f: t is not None and t >= 10),
        "inv_max=7.12": _by_hand(lambda t, u, s, f: t is not None and t <= D("7.12")),
        "size=10亿元以上": _by_hand(lambda t, u, s, f: t is not None and t >= 10),
        "size=50亿元以上": _by_hand(lambda t, u, s, f: t is not None and t >= 50),
        "size=100亿元以上": {"筛选己"},
        "size=亿元以上": _by_hand(lambda t, u, s, f: t is not None and t >= 1),
        "usd=yes": _by_hand(lambda *v: usd(*v) is True),
        "usd=no": _by_hand(lambda *v: usd(*v) is False),
        "usd=unknown": _by_hand(lambda *v: usd(*v) is None),
        "capital=外资": {"筛选甲"},
        "capital=中外合资": {"筛选丙"},
        "ptype=增资扩产": {"筛选丙"},
        "sector=服务业": {"筛选丁"},
        "tag=世界500强": {"筛选甲", "筛选乙"},
        "tag=世界500强&tag=浙商回归": {"筛选甲"},
        "tag=专精特新&size=100亿元以上": {"筛选己"},
    }
    assert cases["usd=yes"] == {"筛选甲", "筛选乙", "筛选戊"}  # the rule, spelled out once
    assert cases["usd=no"] == {"筛选丙", "筛选丁"} and cases["usd=unknown"] == {"筛选己", "筛选庚"}
    for query, expected in cases.items():
        names, count, _ = _listed(client, query)
        assert names == expected, query
        assert count == len(expected), query


def test_the_filters_stay_on_page_export_and_board_links_and_the_export_honours_them(app, client, world):
    _, _, html = _listed(client, "usd=yes&tag=世界500强")
    export = re.search(r'href="(/projects/export\.xlsx[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "usd=yes" in export and "tag=" in export
    sheet = load_workbook(io.BytesIO(client.get(export).data)).active
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"筛选甲", "筛选乙"}
    board = client.get(f"/projects/board?q={PREFIX}&size=50亿元以上").get_data(as_text=True)
    assert set(re.findall(rf">({PREFIX}.)</a>", board)) == {"筛选丙", "筛选己"}


def test_a_missing_rate_is_named_beside_the_filter(app, client, world):
    _, _, html = _listed(client, "usd=yes")
    note = re.search(r'id="missing-rates">(.*?)</div>', html).group(1)
    assert "2024" in note and "未知" in note


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("inv_min=abc", "总投资下限“abc”"),
        ("inv_max=1e30", "总投资上限“1e30”"),
        ("inv_min=-5", "不能为负数"),
        ("inv_min=50&inv_max=10", "总投资下限 50.00 亿元大于上限 10.00 亿元"),
        ("inv_min=" + "9" * 40, "不能超过"),
    ],
)
def test_a_bad_amount_bound_is_named_and_left_out(app, client, world, query, message):
    names, count, html = _listed(client, query)
    assert message in html
    assert names == set(WORLD) and count == len(WORLD)  # the bad bound is not used


@pytest.mark.parametrize(
    "query",
    ["size=5亿元以上", "usd=maybe", "capital=外星", "tag=独角兽", "sector=", "ptype=%00", "tag=&tag="],
)
def test_unknown_filter_values_are_ignored(app, client, world, query):
    names, count, _ = _listed(client, query)
    assert names == set(WORLD) and count == len(WORLD)


def test_the_sql_form_of_the_size_rules_equals_the_python_form(app):
    rng = random.Random(15)
    today = date(2026, 12, 4)
    rates = {2024: D("6.9876"), 2026: D("7.0000")}  # no 2025 rate
    with app.app_context():
        cluster_id = db.session.scalar(sa.text("SELECT min(id) FROM cluster"))
        region_id = db.session.scalar(
            sa.text("SELECT region_id FROM cluster WHERE id = :c"), {"c": cluster_id}
        )
        projects = []
        for n in range(300):
            total = rng.choice(
                [None, D(rng.randint(0, 20000)) / 100, D("6.98"), D("6.99"), D("7.00"), D("10.00"), D("9.99")]
            )
            usd = rng.choice([None, None, D(rng.randint(9_990_00, 10_010_00)) / 100, D("10000.00")])
            signed = rng.choice([None, date(2024, 7, 1), date(2025, 1, 2), date(2026, 12, 31)])
            projects.append(
                Project(
                    name=f"随机{n}", name_key=f"随机{n}", company_name="某公司", cluster_id=cluster_id,
                    region_id=region_id, stage="终止", total_investment=total,
                    total_investment_usd=usd, signed_on=signed,
                )
            )  # fmt: skip
        db.session.add_all(projects)
        db.session.flush()
        ids = [p.id for p in projects]

        def selected(clause) -> set[int]:
            return set(db.session.scalars(sa.select(Project.id).where(Project.id.in_(ids), clause)))

        year = rate_year_sql(Project.signed_on, today)
        for answer in (True, False, None):
            expected = {
                p.id
                for p in projects
                if over_100m_usd(
                    p.total_investment, p.total_investment_usd, rates.get(rate_year(p.signed_on, today))
                )
                is answer
            }
            found = selected(
                over_100m_usd_sql(Project.total_investment, Project.total_investment_usd, year, rates, answer)
            )
            assert found == expected, answer
            assert expected, f"the random projects include none that is {answer}"
        for label in SIZE_LABELS:
            expected = {
                p.id
                for p in projects
                if (c := size_class(p.total_investment)) and SIZE_LABELS.index(c) <= SIZE_LABELS.index(label)
            }
            assert selected(at_least_class_sql(Project.total_investment, label)) == expected, label
        db.session.rollback()
