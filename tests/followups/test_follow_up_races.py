"""A follow-up saved while someone else saves the same item: never a 500, never lost, never doubled."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm.core.timeutil import local_today
from crm.core.validation import Conflict
from crm.extensions import db
from crm.followups import services as followups
from crm.models import FollowUp
from tests.factories import make_project, make_target

TABLES = {"target": "target_company", "project": "project"}
CONTENT = "走访企业，确认设备采购进度"


def someone_else_saves_first(monkeypatch, kind: str, times: int) -> list:
    """Before each of the next `times` follow-ups is written, another connection saves the item."""
    saves = []
    real = followups.log_follow_up

    def racing(item, actor, data):
        if len(saves) < times:
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text(f"UPDATE {TABLES[kind]} SET version = version + 1 WHERE id = :id"),
                    {"id": item.id},
                )
            saves.append(item.id)
        return real(item, actor, data)

    monkeypatch.setattr(followups, "log_follow_up", racing)
    return saves


def post_follow_up(app, client, kind: str, item_id: int):
    with app.app_context():
        day = local_today()
    return client.post(
        f"/{kind}s/{item_id}/follow-ups",
        data={
            "occurred_on": day.isoformat(),
            "method": "走访",
            "content": CONTENT,
            "next_follow_up_on": (day + timedelta(days=3)).isoformat(),
        },
    )


def saved(app, kind: str, item_id: int) -> int:
    column = FollowUp.target_id if kind == "target" else FollowUp.project_id
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).where(column == item_id, FollowUp.content == CONTENT)
        )


@pytest.mark.parametrize("kind", ["target", "project"])
def test_a_save_by_someone_else_in_between_does_not_refuse_the_follow_up(
    app, auth, client, monkeypatch, kind
):
    officer = auth.login(role="officer", scope="南湖区")
    item_id = (make_target if kind == "target" else make_project)(app, officer)
    saves = someone_else_saves_first(monkeypatch, kind, times=1)
    response = post_follow_up(app, client, kind, item_id)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert saves == [item_id] and saved(app, kind, item_id) == 1  # logged once, on the item as saved


@pytest.mark.parametrize("kind", ["target", "project"])
def test_a_follow_up_that_keeps_colliding_is_refused_with_a_message_and_nothing_saved(
    app, auth, client, monkeypatch, kind
):
    officer = auth.login(role="officer", scope="南湖区")
    item_id = (make_target if kind == "target" else make_project)(app, officer)
    someone_else_saves_first(monkeypatch, kind, times=10)
    response = post_follow_up(app, client, kind, item_id)
    assert response.status_code == 422
    assert Conflict.MESSAGE in response.get_data(as_text=True)
    assert saved(app, kind, item_id) == 0
