"""Reminder runs (SPEC §4): who gets which digest, and nothing twice.

The helpers (jiaxing_at, follow_ups, remind, ...) are in tests/factories.py.
Every run uses an explicit moment; item dates are set relative to it.
"""

from datetime import date

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import (
    Notification,
    OutgoingMessage,
    Project,
    ProjectStage,
    ReminderDelivery,
    TargetCompany,
    TargetStatus,
    User,
)
from tests.factories import (
    AS_OF,
    RED,
    SHANGHAI,
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


@pytest.fixture
def desk(app):
    """A 南湖区 officer with a red project, a yellow target and two closed items that would be red."""
    officer = make_user(app, "officer", "南湖区", display_name="张伟")
    red = make_project(app, officer, name="红灯在谈项目")
    follow_ups(app, Project, red, **RED)
    yellow = make_target(app, officer, name="黄灯待接触企业有限公司")
    follow_ups(app, TargetCompany, yellow, **YELLOW)
    produced = make_project(app, officer, stage="建成投产", name="已投产项目")
    follow_ups(app, Project, produced, **RED)
    abandoned = make_target(app, officer, name="已放弃企业有限公司")
    follow_ups(app, TargetCompany, abandoned, **RED)
    with app.app_context():
        db.session.execute(
            sa.update(TargetCompany)
            .where(TargetCompany.id == abandoned)
            .values(status=TargetStatus.ABANDONED, abandon_reason="企业已在外地落户")
        )
        db.session.commit()
        assert db.session.get(Project, produced).stage == ProjectStage.PRODUCING
    return {"officer": officer, "red": red, "yellow": yellow}


def test_officer_gets_one_digest_listing_red_before_yellow_and_no_closed_items(app, desk):
    report = remind(app, AS_OF)
    assert report["stalled"] == 2
    [note] = notes(app, desk["officer"])
    assert note.kind == "reminder"
    assert note.title == "【嘉兴招商】停滞提醒（2026-12-01）：红灯 1 项，黄灯 1 项"
    body = note.body
    assert body.startswith("张伟，您好：")
    assert "截至 2026年12月01日 09:00，以下 2 项跟进停滞（其中红灯 1 项，已升级督办）" in body
    assert (
        f"1. [项目] 红灯在谈项目 — 跟进逾期；停滞 11 个工作日（自 2026-11-17 起）；责任人 张伟；南湖区\n"
        f"   /projects/{desk['red']}" in body
    )
    assert (
        "1. [招商企业] 黄灯待接触企业有限公司 — 跟进逾期；停滞 2 个工作日（自 2026-11-28 起）；责任人 张伟；南湖区"
        in body
    )
    assert body.index("红灯（1 项）") < body.index("红灯在谈项目") < body.index("黄灯（1 项）")
    assert body.index("黄灯（1 项）") < body.index("黄灯待接触企业有限公司")
    assert "已投产项目" not in body and "已放弃企业有限公司" not in body
    [message] = rows(app, OutgoingMessage, OutgoingMessage.recipient_id == desk["officer"])
    assert (message.channel, message.status, message.notification_id) == ("inapp", "sent", note.id)
    assert note.link == f"/notifications/{note.id}"


def test_red_items_reach_the_active_heads_whose_scope_covers_them(app, desk):
    nanhu = make_user(app, "head", "南湖区", display_name="南湖区领导")
    city = make_user(app, "head", "全市", display_name="市领导")
    xiuzhou = make_user(app, "head", "秀洲区", display_name="秀洲区领导")
    retired = make_user(app, "head", "南湖区", display_name="已停用领导")
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == retired).values(active=False))
        db.session.commit()
    remind(app, AS_OF)
    for head, greeting in ((nanhu, "南湖区领导"), (city, "市领导")):
        [note] = notes(app, head)
        assert note.title == "【嘉兴招商】停滞提醒（2026-12-01）：红灯 1 项"
        assert note.body.startswith(f"{greeting}，您好：")
        assert "红灯在谈项目" in note.body and "责任人 张伟" in note.body
        assert "黄灯待接触企业有限公司" not in note.body
    assert notes(app, xiuzhou) == [] and notes(app, retired) == []
    assert len(rows(app, Notification)) == 3
    assert {(d.recipient, d.item_type, d.level) for d in rows(app, ReminderDelivery)} == {
        (f"user:{desk['officer']}", "project", "red"),
        (f"user:{desk['officer']}", "target", "yellow"),
        (f"user:{nanhu}", "project", "red"),
        (f"user:{city}", "project", "red"),
    }


def test_running_again_at_the_same_or_a_later_moment_sends_nothing_new(app, desk):
    make_user(app, "head", "南湖区")
    first = remind(app, AS_OF)
    assert first["claimed"] == [("inapp", "sent"), ("inapp", "sent")]
    before = counts(app)
    assert before == (2, 3, 2)
    for later in (AS_OF, jiaxing_at(date(2026, 12, 1), 17), jiaxing_at(date(2026, 12, 2))):
        again = remind(app, later)
        assert again["stalled"] == 2
        assert (again["claimed"], again["skipped"]) == ([], 2)
        assert counts(app) == before


def test_a_stall_after_a_new_follow_up_is_a_new_episode_and_is_sent_again(app, desk):
    officer, yellow = desk["officer"], desk["yellow"]
    remind(app, AS_OF)
    # 12-02: a visit, next one planned for 12-03. On 12-03 nothing is due; on 12-04 it is overdue again.
    follow_ups(app, TargetCompany, yellow, next_on=date(2026, 12, 3), last_on=date(2026, 12, 2))
    assert remind(app, jiaxing_at(date(2026, 12, 3)))["claimed"] == []
    assert remind(app, jiaxing_at(date(2026, 12, 4)))["claimed"] == [("inapp", "sent")]
    first, second = notes(app, officer)
    assert "黄灯待接触企业有限公司" in first.body and "红灯在谈项目" in first.body
    assert second.title == "【嘉兴招商】停滞提醒（2026-12-04）：黄灯 1 项"
    assert "黄灯待接触企业有限公司 — 跟进逾期；停滞 1 个工作日（自 2026-12-04 起）" in second.body
    assert "红灯在谈项目" not in second.body  # the red one's episode was sent already
    episodes = rows(app, ReminderDelivery, ReminderDelivery.item_type == "target")
    assert [(d.item_id, d.episode, d.level) for d in episodes] == [
        (yellow, date(2026, 11, 28), "yellow"),
        (yellow, date(2026, 12, 4), "yellow"),
    ]


def test_yellow_turning_red_is_sent_to_the_officer_and_now_to_the_head(app, desk):
    officer, yellow = desk["officer"], desk["yellow"]
    head = make_user(app, "head", "南湖区")
    remind(app, AS_OF)
    [red_only] = notes(app, head)
    assert "黄灯待接触企业有限公司" not in red_only.body
    # 12-07 (Monday): the 6th working day after the missed 11-27.
    assert remind(app, jiaxing_at(date(2026, 12, 4)))["claimed"] == []
    assert remind(app, jiaxing_at(date(2026, 12, 7)))["claimed"] == [("inapp", "sent"), ("inapp", "sent")]
    for user_id in (officer, head):
        latest = notes(app, user_id)[-1]
        assert latest.title == "【嘉兴招商】停滞提醒（2026-12-07）：红灯 1 项"
        assert (
            "黄灯待接触企业有限公司 — 跟进逾期、超期未跟进；停滞 6 个工作日（自 2026-11-28 起）"
            in latest.body
        )
    delivered = rows(
        app, ReminderDelivery, ReminderDelivery.item_id == yellow, ReminderDelivery.item_type == "target"
    )
    assert sorted((d.recipient, d.episode, d.level) for d in delivered) == sorted(
        [
            (f"user:{officer}", date(2026, 11, 28), "yellow"),
            (f"user:{officer}", date(2026, 11, 28), "red"),
            (f"user:{head}", date(2026, 11, 28), "red"),
        ]
    )


def test_a_long_digest_lists_the_worst_items_and_points_to_the_rest():
    from crm.reminders import digest

    entries = [
        digest.Entry("project", n, f"项目{n}", "red", "跟进逾期", date(2026, 11, 2), n, "王", 1, "南湖区", 1)
        for n in range(1, digest.LISTED_PER_LEVEL + 8)
    ]
    body = digest.text(entries, "李局长", AS_OF, SHANGHAI, "http://crm.example")
    assert f"项目{digest.LISTED_PER_LEVEL}" in body and f"项目{digest.LISTED_PER_LEVEL + 1} " not in body
    assert "……另有 7 项，见系统“预警”页：http://crm.example/warnings" in body
    post = digest.markdown(entries, AS_OF, SHANGHAI, "http://crm.example")
    assert "另有 7 项" in post and post.count("\n- [") == digest.LISTED_PER_LEVEL
