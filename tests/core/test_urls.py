"""Return paths (back, next, a Referer) are reduced to a path on this site, whatever the user sent."""

from datetime import timedelta

import pytest

from crm.core.timeutil import local_today
from crm.core.urls import same_site_path
from crm.extensions import db
from crm.models import User
from tests.factories import PASSWORD, make_target, make_user

HOST = "crm.example"


@pytest.mark.parametrize(
    "target",
    [
        "/projects/?page=2&owner=3",
        "/targets/5#follow-ups",
        "/reports/weekly?week=2026-W48",
        "/%E5%8D%97%E6%B9%96",  # an encoded Chinese path stays a path
    ],
)
def test_a_path_on_this_site_is_kept(target):
    assert same_site_path(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/\x00/evil.example",
        "/%2F%2Fevil.example",
        "/%2f/evil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "/%5cevil.example",
        "/%09/evil.example",
        "/%00",
        "https://evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " //evil.example",
        "projects/",
        "evil.example",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_anything_that_may_leave_the_site_is_refused(target):
    assert same_site_path(target) is None
    assert same_site_path(target, HOST) is None


def test_a_referer_on_this_host_counts_as_its_path_and_one_on_another_does_not():
    assert (
        same_site_path(f"http://{HOST}/reports/weekly?week=2026-W48", HOST) == "/reports/weekly?week=2026-W48"
    )
    assert same_site_path(f"https://{HOST}/", HOST) == "/"
    assert same_site_path("https://evil.example/reports/weekly", HOST) is None
    assert same_site_path(f"https://{HOST}.evil.example/", HOST) is None
    assert same_site_path(f"http://{HOST}/reports/weekly") is None  # no host given: paths only


@pytest.mark.parametrize(
    "back", ["//evil.example", "/\t/evil.example", "/%2F%2Fevil.example", "https://evil.example"]
)
def test_the_login_never_sends_the_browser_elsewhere(app, auth, client, back):
    user_id = make_user(app, "officer", "南湖区")
    with app.app_context():
        username = db.session.get(User, user_id).username
    response = client.post(
        "/login", query_string={"next": back}, data={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 302 and response.location == "/"


@pytest.mark.parametrize(
    "back", ["//evil.example", "/\t/evil.example", "/%5Cevil.example", "javascript:alert(1)"]
)
def test_a_form_posted_with_a_foreign_back_returns_to_its_own_page(app, auth, client, back):
    officer = auth.login(role="officer", scope="南湖区")
    target_id = make_target(app, officer)
    with app.app_context():
        today = local_today()
    data = {"occurred_on": today.isoformat(), "method": "电话", "content": "电话沟通", "back": back,
            "next_follow_up_on": (today + timedelta(days=3)).isoformat()}  # fmt: skip
    response = client.post(f"/targets/{target_id}/follow-ups", data=data)
    assert response.status_code == 302 and response.location == f"/targets/{target_id}#follow-ups"
