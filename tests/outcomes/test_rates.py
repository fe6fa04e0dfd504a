"""管理 → 汇率 (issue 15): admins list, add and edit a year's 人民币/美元 rate; nobody else can; bad input
gets a Chinese reason and changes nothing."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import AuditEvent, ExchangeRate, User
from crm.outcomes.rates import all_rates
from tests.factories import page_form
from tests.routes import ADMIN_RATE_ROUTES, ROLE_ACTORS


def _rates(app) -> dict[int, tuple[Decimal, str]]:
    with app.app_context():
        return {r.year: (r.cny_per_usd, r.note) for r in db.session.scalars(sa.select(ExchangeRate))}


def _add(client, **values):
    form = page_form(client.get("/admin/rates").get_data(as_text=True), action="/admin/rates")
    return client.post("/admin/rates", data={**form, **values})


@pytest.mark.parametrize(("role", "scope"), ROLE_ACTORS, ids=[f"{r}-{s}" for r, s in ROLE_ACTORS])
@pytest.mark.parametrize("endpoint", sorted(ADMIN_RATE_ROUTES))
def test_only_admins_reach_the_rates(app, auth, client, endpoint, role, scope):
    auth.login(role=role, scope=scope)
    method, path = ADMIN_RATE_ROUTES[endpoint]
    response = client.open(path, method=method, data={"year": "2030", "cny_per_usd": "7.1"})
    if role == "admin":
        assert response.status_code in (200, 302, 422)
    else:
        assert response.status_code == 403
        assert _rates(app) == {}


def test_an_admin_adds_a_rate_and_the_list_shows_who_and_when(app, auth, client):
    admin = auth.login(role="admin")
    page = client.get("/admin/rates").get_data(as_text=True)
    assert "暂无汇率" in page and "汇率</a>" in page  # the empty state, and the tab
    response = _add(client, year="2027", cny_per_usd="7.1234", note="国家外汇管理局 年平均汇率")
    assert response.status_code == 302
    assert _rates(app) == {2027: (Decimal("7.1234"), "国家外汇管理局 年平均汇率")}
    page = client.get("/admin/rates").get_data(as_text=True)
    row = next(chunk for chunk in page.split("<tr") if "<td>2027</td>" in chunk)
    with app.app_context():
        name = db.session.get(User, admin).display_name
        assert all_rates() == {2027: Decimal("7.1234")}
        assert db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity_type == "exchange_rate")
        )
    assert (
        "7.1234" in row
        and "国家外汇管理局" in row
        and name in row
        and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", row)
    )


def test_a_year_already_entered_is_changed_only_from_its_own_form(app, auth, client):
    auth.login(role="admin")
    assert _add(client, year="2027", cny_per_usd="7.1").status_code == 302
    response = _add(client, year="2027", cny_per_usd="8")
    assert "2027年汇率已录入" in response.get_data(as_text=True)
    assert _rates(app)[2027][0] == Decimal("7.1000")
    form = page_form(
        client.get("/admin/rates?year=2027").get_data(as_text=True), action="/admin/rates?year=2027"
    )
    assert form["cny_per_usd"] == "7.1000" and form["editing"] == "2027"
    response = client.post("/admin/rates?year=2027", data={**form, "cny_per_usd": "7.2", "note": "修正"})
    assert response.status_code == 302
    assert _rates(app) == {2027: (Decimal("7.2000"), "修正")}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"cny_per_usd": "100.0001"}, "不能超过 100 人民币元/美元"),
        ({"cny_per_usd": "0.09"}, "不能小于 0.1 人民币元/美元"),
        ({"cny_per_usd": "-7"}, "不能小于 0.1 人民币元/美元"),
        ({"cny_per_usd": "1e30"}, "请填写数字"),
        ({"cny_per_usd": "7.12345"}, "最多保留四位小数"),
        ({"cny_per_usd": "NaN"}, "请填写数字"),
        ({"cny_per_usd": ""}, "请填写汇率"),
        ({"year": "1999"}, "年份须在 2000 到 2100 之间"),
        ({"year": "2101"}, "年份须在 2000 到 2100 之间"),
    ],
)
def test_bad_input_gets_a_chinese_reason_and_saves_nothing(app, auth, client, values, message):
    auth.login(role="admin")
    response = _add(client, **{"year": "2027", "cny_per_usd": "7.1", **values})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _rates(app) == {}
