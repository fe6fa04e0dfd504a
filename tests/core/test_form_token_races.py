"""One form sent twice at the same moment (a double tap reaching two workers): one record, no 500.

Two test clients of the same user, in two threads with their own connections, post the same form
with the same token while the first one's transaction is still open (its write is slowed down), so
the second claim meets the first one uncommitted: PostgreSQL makes it wait on the UNIQUE nonce,
SQLite on the write lock. Really committed, so real_commits.
"""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.followups import services as followups
from crm.models import FollowUp, TargetCompany
from crm.targets import views as target_views
from tests.factories import at_once, cluster_id, jiaxing_today, log_in_again, make_target, page_form

pytestmark = pytest.mark.real_commits

NOTICE = "该表单已提交过，未重复保存。"
SLOW = 0.5  # seconds the first write keeps its transaction open


def slowed(function):
    def slow(*args, **kwargs):
        time.sleep(SLOW)
        return function(*args, **kwargs)

    return slow


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def send_twice_at_once(app, me: int, client, url: str, data: dict) -> list:
    other = log_in_again(app, me)
    first, second = at_once(lambda: client.post(url, data=data), lambda: other.post(url, data=data))
    return [(first, flashes(client)), (second, flashes(other))]


def assert_one_saved_one_told(results, saved_message: str) -> None:
    assert [r.status_code for r, _ in results] == [302, 302]
    assert results[0][0].location == results[1][0].location  # both land where the saving one went
    told = sorted(
        ("saved" if saved_message in messages else "told" if NOTICE in messages else "?")
        for _, messages in results
    )
    assert told == ["saved", "told"]


def test_a_follow_up_sent_twice_at_once_is_logged_once(app, auth, client, monkeypatch):
    me = auth.login(role="officer", scope="南湖区")
    target = make_target(app, me)
    html = client.get(f"/targets/{target}").get_data(as_text=True)
    day = jiaxing_today(app)
    data = page_form(html, f"/targets/{target}/follow-ups") | {
        "content": "走访企业，确认设备采购进度",
        "next_follow_up_on": (day + timedelta(days=3)).isoformat(),
    }
    monkeypatch.setattr(followups, "log_follow_up", slowed(followups.log_follow_up))
    results = send_twice_at_once(app, me, client, f"/targets/{target}/follow-ups", data)
    assert_one_saved_one_told(results, "跟进记录已保存。")
    assert count(app, FollowUp, FollowUp.target_id == target) == 1


def test_a_new_company_sent_twice_at_once_is_created_once(app, auth, client, monkeypatch):
    me = auth.login(role="officer", scope="南湖区")
    with app.app_context():
        cluster = cluster_id("南湖区微电子")
    html = client.get("/targets/new").get_data(as_text=True)
    data = page_form(html, None) | {
        "name": "同时提交科技有限公司",
        "cluster_id": str(cluster),
        "source": "招商地图",
    }
    monkeypatch.setattr(target_views, "create_target", slowed(target_views.create_target))
    results = send_twice_at_once(app, me, client, "/targets/new", data)
    assert_one_saved_one_told(results, "已新建“同时提交科技有限公司”。")
    assert count(app, TargetCompany) == 1
