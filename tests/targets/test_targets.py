"""招商清单 behaviour: create, edit, conflicts, status, follow-ups, reassignment, lists, chain map."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa

from crm.core.validation import Conflict
from crm.extensions import db
from crm.followups.services import FollowUpInput, follow_up_problems
from crm.models import FollowUp, HistoryEntry, Notification, TargetCompany, TargetStatus, User
from crm.targets.services import TargetInput, update_target
from tests.factories import cluster_id, make_target, make_user


def local_today():
    """Today in Jiaxing, as the app computes it."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _target(app, target_id) -> TargetCompany:
    with app.app_context():
        target = db.session.get(TargetCompany, target_id)
        db.session.expunge(target)
        return target


def _history(app, target_id) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            sa.select(HistoryEntry.action, HistoryEntry.field, HistoryEntry.old_value, HistoryEntry.new_value)
            .where(HistoryEntry.entity_type == "target", HistoryEntry.entity_id == target_id)
            .order_by(HistoryEntry.id)
        ).all()


def _form(app, **overrides) -> dict:
    with app.app_context():
        data = {
            "name": "宁波恒创新材料科技有限公司",
            "credit_code": "91330100799655058B",
            "country": "中国",
            "cluster_id": cluster_id("南湖区微电子"),
            "source": "展会",
            "priority": "高",
            "intended_investment": "12.50",
            "type_tags": ["高新型", "成长型"],
            "honours": ["专精特新"],
        }
    data.update(overrides)
    return data


def test_officer_creates_a_target_they_own(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    response = client.post("/targets/new", data=_form(app, owner_id=officer))
    assert response.status_code == 302
    with app.app_context():
        target = db.session.scalar(sa.select(TargetCompany))
        assert (target.owner_id, target.status, target.name_key) == (
            officer,
            TargetStatus.UNCONTACTED,
            "宁波恒创新材料科技",
        )
        assert target.type_tags == ["高新型", "成长型"] and target.honours == ["专精特新"]
        assert str(target.intended_investment) == "12.50"
        assert target.region.name == "南湖区"
    assert _history(app, target.id) == [("created", None, None, None)]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"credit_code": "91330100799655058C"}, "第 18 位应为“B”，实际为“C”"),
        ({"credit_code": "123"}, "应为 18 位"),
        ({"name": ""}, "请填写企业名称"),
        ({"intended_investment": "1.234"}, "最多保留两位小数"),
        ({"intended_investment": "-1"}, "不能为负数"),
        ({"cluster_id": "__other_region__"}, "您的范围（南湖区）不包括"),
        ({"owner_id": "__colleague__"}, "招商专员新建的企业由本人负责"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_created(app, auth, client, overrides, message):
    officer = auth.login(role="officer", scope="南湖区")
    colleague = make_user(app, role="officer", scope="南湖区")
    data = _form(app, **{"owner_id": officer, **overrides})
    if data["cluster_id"] == "__other_region__":
        with app.app_context():
            data["cluster_id"] = cluster_id("桐乡市新材料")
    if data.get("owner_id") == "__colleague__":
        data["owner_id"] = colleague
    response = client.post("/targets/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TargetCompany)) == 0


def test_a_credit_code_belongs_to_one_company(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    make_target(app, officer, name="已在清单企业", credit_code="91330100799655058B")
    html = client.post("/targets/new", data=_form(app, owner_id=officer)).get_data(as_text=True)
    assert "已被招商清单中的“已在清单企业”使用" in html


def test_head_creates_for_an_officer_in_scope_but_not_for_a_viewer(app, auth, client):
    auth.login(role="head", scope="南湖区")
    officer = make_user(app, role="officer", scope="南湖区")
    viewer = make_user(app, role="viewer", scope="南湖区")
    jiashan = make_user(app, role="officer", scope="嘉善县")
    html = client.post("/targets/new", data=_form(app, owner_id=viewer)).get_data(as_text=True)
    assert "不是有效的选择" in html  # viewers are not offered as owners
    html = client.post("/targets/new", data=_form(app, owner_id=jiashan)).get_data(as_text=True)
    assert "不是有效的选择" in html  # not even offered: out of the head's scope
    assert client.post("/targets/new", data=_form(app, owner_id=officer)).status_code == 302


def test_the_database_itself_refuses_a_bad_owner(app):
    officer = make_user(app, role="officer", scope="南湖区")
    viewer = make_user(app, role="viewer", scope="南湖区")
    jiashan = make_user(app, role="officer", scope="嘉善县")
    target_id = make_target(app, officer)
    for bad_owner in (viewer, jiashan, None):
        with app.app_context():
            with pytest.raises(sa.exc.IntegrityError):
                db.session.execute(
                    sa.update(TargetCompany).where(TargetCompany.id == target_id).values(owner_id=bad_owner)
                )
                db.session.flush()
            db.session.rollback()
    with app.app_context():
        db.session.execute(
            sa.update(User).where(User.id == officer).values(active=False)
        )  # a closed item may keep a departed owner; an open one may not be given one
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(
                sa.update(TargetCompany).where(TargetCompany.id == target_id).values(status="已接触")
            )
            db.session.flush()
        db.session.rollback()


def test_edit_records_each_changed_field(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    target_id = make_target(app, officer, name="旧名称有限公司")
    data = _form(app, name="新名称有限公司", priority="低", version=1)
    data.pop("owner_id", None)
    assert client.post(f"/targets/{target_id}/edit", data=data).status_code == 302
    rows = _history(app, target_id)
    assert ("updated", "name", "旧名称有限公司", "新名称有限公司") in rows
    assert ("updated", "priority", "中", "低") in rows
    assert _target(app, target_id).version == 2


def test_the_later_of_two_saves_is_refused_and_overwrites_nothing(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    head_client = app.test_client()
    head = make_user(app, role="head", scope="南湖区", username="head-nh")
    target_id = make_target(app, officer, name="原名称有限公司")
    head_client.post("/login", data={"username": "head-nh", "password": "Test-password-2026"})
    assert head  # both opened the edit form on version 1
    first = head_client.post(f"/targets/{target_id}/edit", data=_form(app, name="领导改的名称", version=1))
    assert first.status_code == 302
    second = client.post(f"/targets/{target_id}/edit", data=_form(app, name="专员改的名称", version=1))
    html = second.get_data(as_text=True)
    assert second.status_code == 200 and "该记录已被他人修改" in html
    assert "专员改的名称" in html  # the officer's typing is still in the form, not lost
    assert _target(app, target_id).name == "领导改的名称"


def test_a_race_between_two_saves_is_caught_by_the_database(app):
    officer = make_user(app, role="officer", scope="南湖区")
    target_id = make_target(app, officer)
    with app.app_context():
        target = db.session.get(TargetCompany, target_id)
        actor = db.session.get(User, officer)
        # another worker saves between our read and our write
        with db.engine.begin() as other:
            other.execute(
                sa.text("UPDATE target_company SET version = version + 1 WHERE id = :i"), {"i": target_id}
            )
        data = TargetInput(name="竞争写入有限公司", cluster_id=target.cluster_id, source="展会")
        update_target(target, data, actor, expected_version=1)
        with pytest.raises(sa.orm.exc.StaleDataError):
            db.session.commit()
        db.session.rollback()
    assert _target(app, target_id).name != "竞争写入有限公司"


def test_stale_form_version_raises_conflict(app):
    officer = make_user(app, role="officer", scope="南湖区")
    target_id = make_target(app, officer)
    with app.app_context():
        target = db.session.get(TargetCompany, target_id)
        with pytest.raises(Conflict):
            update_target(target, TargetInput(name="x", cluster_id=1, source="展会"), target.owner, 0)


def _status(client, target_id, status, reason="", version=1):
    return client.post(
        f"/targets/{target_id}/status", data={"status": status, "reason": reason, "version": version}
    )


def test_status_moves_forward_freely_and_back_only_with_a_reason(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    target_id = make_target(app, officer)
    assert _status(client, target_id, "有意向").status_code == 302
    html = _status(client, target_id, "已接触", version=2).get_data(as_text=True)
    assert "回退或重新启用须填写原因" in html
    assert _status(client, target_id, "已接触", "对方暂缓决策", version=2).status_code == 302
    assert ("status", "status", "有意向", "已接触") in _history(app, target_id)


def test_abandoning_needs_a_reason_and_closes_the_follow_up_date(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    target_id = make_target(app, officer)
    assert "放弃须填写原因" in _status(client, target_id, "已放弃").get_data(as_text=True)
    assert _status(client, target_id, "已放弃", "企业已落户外省").status_code == 302
    target = _target(app, target_id)
    assert (target.status, target.abandon_reason, target.next_follow_up_on) == (
        TargetStatus.ABANDONED,
        "企业已落户外省",
        None,
    )


def test_converted_status_is_not_set_by_hand(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    target_id = make_target(app, officer)
    response = _status(client, target_id, "已转项目", "x")
    assert response.status_code == 422
    assert _target(app, target_id).status == TargetStatus.UNCONTACTED


def _follow_up(client, target_id, **overrides):
    today = local_today()
    data = {
        "occurred_on": today.isoformat(),
        "method": "走访",
        "content": "走访企业总部，了解扩产计划",
        "participants": "王局长、李专员",
        "next_step": "发送用地方案",
        "next_follow_up_on": (today + timedelta(days=5)).isoformat(),
    }
    data.update(overrides)
    return client.post(f"/targets/{target_id}/follow-ups", data=data)


def test_a_follow_up_moves_the_follow_up_dates_and_shows_in_the_timeline(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    target_id = make_target(app, officer)
    assert _follow_up(client, target_id).status_code == 302
    target = _target(app, target_id)
    assert target.last_follow_up_on == local_today()
    assert target.next_follow_up_on == local_today() + timedelta(days=5)
    html = client.get(f"/targets/{target_id}").get_data(as_text=True)
    assert "走访企业总部，了解扩产计划" in html and "发送用地方案" in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"next_follow_up_on": ""}, "请填写下次跟进日期"),
        ({"content": ""}, "请填写跟进情况"),
        ({"occurred_on": "2026-13-40"}, "请填写跟进日期"),
        ({"next_follow_up_on": "2099-01-01"}, "个工作日内再次跟进"),
    ],
)
def test_bad_follow_ups_are_refused_with_a_reason(app, auth, client, overrides, message):
    officer = auth.login(role="officer", scope="南湖区")
    target_id = make_target(app, officer)
    response = _follow_up(client, target_id, **overrides)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUp)) == 0


def test_follow_up_rules_use_working_days_and_allow_closed_items_without_next_date(app):
    officer = make_user(app, role="officer", scope="南湖区")
    target_id = make_target(app, officer)
    with app.app_context():
        target = db.session.get(TargetCompany, target_id)
        from datetime import date

        # 2026-09-30 + 10 working days crosses 国庆 (10-01..10-07 off) and counts 10-10, a 调休 Saturday
        start = date(2026, 9, 30)
        ok = FollowUpInput(start, "电话", "电话", next_follow_up_on=date(2026, 10, 20))
        late = FollowUpInput(start, "电话", "电话", next_follow_up_on=date(2026, 10, 21))
        assert follow_up_problems(target, ok, start) == {}
        assert "2026-10-20" in follow_up_problems(target, late, start)["next_follow_up_on"]
        target.status = TargetStatus.ABANDONED
        closed = FollowUpInput(start, "电话", "回访", next_follow_up_on=None)
        assert follow_up_problems(target, closed, start) == {}
        db.session.rollback()


def test_reassignment_needs_a_note_notifies_and_keeps_the_chain_of_owners(app, auth, client):
    auth.login(role="head", scope="南湖区")
    first = make_user(app, role="officer", scope="南湖区", display_name="张一")
    second = make_user(app, role="officer", scope="南湖区", display_name="李二")
    target_id = make_target(app, first)
    html = client.post(f"/targets/{target_id}/assign", data={"owner_id": second, "note": ""}).get_data(
        as_text=True
    )
    assert "请填写交接说明" in html and _target(app, target_id).owner_id == first
    response = client.post(f"/targets/{target_id}/assign", data={"owner_id": second, "note": "张一调岗"})
    assert response.status_code == 302
    assert _target(app, target_id).owner_id == second
    assert ("reassigned", "owner_id", "张一", "李二") in _history(app, target_id)
    with app.app_context():
        message = db.session.scalar(sa.select(Notification).where(Notification.user_id == second))
        assert "交由您负责" in message.title and "张一调岗" in message.body
        assert message.link == f"/targets/{target_id}"


def test_bulk_reassignment_is_all_or_nothing(app, auth, client):
    auth.login(role="head", scope="全市")
    nanhu = make_user(app, role="officer", scope="南湖区")
    jiashan = make_user(app, role="officer", scope="嘉善县")
    new_owner = make_user(app, role="officer", scope="南湖区")
    ids = [make_target(app, nanhu), make_target(app, nanhu), make_target(app, jiashan, region="嘉善县")]
    response = client.post(
        "/targets/bulk-assign",
        data={"ids": ids, "owner_id": new_owner, "note": "调整分工"},
        follow_redirects=True,
    )
    assert "未改派任何企业" in response.get_data(as_text=True)
    assert [_target(app, i).owner_id for i in ids] == [nanhu, nanhu, jiashan]
    response = client.post(
        "/targets/bulk-assign",
        data={"ids": ids[:2], "owner_id": new_owner, "note": "调整分工"},
        follow_redirects=True,
    )
    assert "已将 2 家企业改派给" in response.get_data(as_text=True)
    assert [_target(app, i).owner_id for i in ids] == [new_owner, new_owner, jiashan]


def test_list_search_ignores_legal_form_and_character_width(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    make_target(app, officer, name="阿里巴巴（中国）有限公司")
    make_target(app, officer, name="ＡＢＢ电气股份有限公司")
    make_target(app, officer, name="其他企业有限公司")
    for query, expected in (
        ("阿里巴巴(中国)", "阿里巴巴"),
        ("abb电气", "ＡＢＢ电气"),
        ("阿里巴巴有限公司", "阿里巴巴"),
    ):
        html = client.get("/targets/", query_string={"q": query}).get_data(as_text=True)
        assert expected in html and "其他企业" not in html, query


def test_list_filters_by_tags_status_and_overdue(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    make_target(app, officer, name="专精特新企业", honours=["专精特新"], type_tags=["成长型"])
    late = make_target(app, officer, name="逾期企业")
    with app.app_context():
        db.session.get(TargetCompany, late).next_follow_up_on = local_today() - timedelta(days=3)
        db.session.commit()
    html = client.get("/targets/?honour=专精特新").get_data(as_text=True)
    assert "专精特新企业" in html and "逾期企业" not in html
    html = client.get("/targets/?type_tag=成长型").get_data(as_text=True)
    assert "专精特新企业" in html and "逾期企业" not in html
    html = client.get("/targets/?overdue=1").get_data(as_text=True)
    assert "逾期企业" in html and "专精特新企业" not in html and "逾期 3 天" in html
    html = client.get("/targets/?status=已接触").get_data(as_text=True)
    assert "没有符合筛选条件的企业" in html
    assert client.get("/targets/?sort=nonsense&owner=abc&page=999").status_code == 200


def test_list_paginates(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    for n in range(35):
        make_target(app, officer, name=f"分页企业{n:02d}")
    first = client.get("/targets/?sort=name").get_data(as_text=True)
    second = client.get("/targets/?sort=name&page=2").get_data(as_text=True)
    assert "共 35 家企业" in first and "分页企业00" in first and "分页企业34" not in first
    assert "分页企业34" in second


def test_cluster_chain_map_counts_targets_and_marks_gaps(app, auth, client):
    officer = auth.login(role="officer", scope="桐乡市")
    with app.app_context():
        from crm.models import ChainSegment

        segments = dict(db.session.execute(sa.select(ChainSegment.name, ChainSegment.id)).all())
    make_target(app, officer, region="桐乡市", segment_id=segments["钴镍资源"])
    make_target(app, officer, region="桐乡市", segment_id=segments["钴镍资源"])
    make_target(app, officer, region="桐乡市", segment_id=segments["玻纤"])
    with app.app_context():
        tongxiang = cluster_id("桐乡市新材料")
    html = client.get(f"/clusters/{tongxiang}").get_data(as_text=True)
    chain = html[html.index('id="chain-map"') :]
    row = chain[chain.index("高性能动力电池材料") :]
    assert "补链" not in row[: row.index("</tr>")]
    gap = chain[chain.index("前沿材料") :]
    assert "补链" in gap[: gap.index("</tr>")]
    assert f'segment={segments["钴镍资源"]}&amp;status=%E5%BE%85%E6%8E%A5%E8%A7%A6">2</a>' in chain


def test_cluster_tab_lists_only_that_clusters_targets(app, auth, client):
    officer = auth.login(role="officer", scope="全市")
    make_target(app, officer, region="桐乡市", name="桐乡目标企业")
    make_target(app, officer, region="南湖区", name="南湖目标企业")
    with app.app_context():
        tongxiang = cluster_id("桐乡市新材料")
    html = client.get(f"/clusters/{tongxiang}/targets").get_data(as_text=True)
    assert "桐乡目标企业" in html and "南湖目标企业" not in html


def test_export_neutralises_formulas_and_freezes_the_header(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    make_target(
        app,
        officer,
        name='=HYPERLINK("http://evil","点我")',
        contact_name="@SUM(A1)",
        contact_phone="+8613900000000",
    )
    make_target(app, officer, name="普通企业", industry_note="-2+3")
    response = client.get("/targets/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:3] == ["企业名称", "统一社会信用代码", "境外注册号"]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert '=HYPERLINK("http://evil","点我")' in values and "@SUM(A1)" in values and "-2+3" in values


def test_export_follows_the_filters_and_hides_contacts_from_viewers(app, auth, client):
    owner = make_user(app, role="officer", scope="南湖区")
    make_target(app, owner, name="筛中企业", honours=["隐形冠军"], contact_phone="13911112222")
    make_target(app, owner, name="未筛中企业")
    auth.login(role="viewer", scope="南湖区")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/targets/export.xlsx?honour=隐形冠军").data)).active
    rows = list(sheet.values)
    assert len(rows) == 2 and rows[1][0] == "筛中企业"
    assert "联系电话" not in rows[0] and "13911112222" not in rows[1]


def test_notifications_show_unread_count_and_can_be_read(app, auth, client):
    auth.login(role="head", scope="南湖区")
    officer_client = app.test_client()
    officer = make_user(app, role="officer", scope="南湖区", username="nh-o")
    other = make_user(app, role="officer", scope="南湖区")
    target_id = make_target(app, other)
    client.post(f"/targets/{target_id}/assign", data={"owner_id": officer, "note": "交接"})
    officer_client.post("/login", data={"username": "nh-o", "password": "Test-password-2026"})
    html = officer_client.get("/notifications").get_data(as_text=True)
    assert 'id="unread-count">1' in html and "交接" in html
    with app.app_context():
        note_id = db.session.scalar(sa.select(Notification.id).where(Notification.user_id == officer))
    assert client.post(f"/notifications/{note_id}/read").status_code == 404  # not the head's message
    response = officer_client.post(f"/notifications/{note_id}/read")
    assert response.location == f"/targets/{target_id}"
    assert 'id="unread-count"' not in officer_client.get("/notifications").get_data(as_text=True)


def test_stalled_targets_carry_their_warning_on_the_list_and_the_page(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    red = make_target(app, officer, name="红灯企业")
    yellow = make_target(app, officer, name="黄灯企业")
    calm = make_target(app, officer, name="正常企业")
    with app.app_context():
        month_ago = datetime.now(ZoneInfo("UTC")) - timedelta(days=30)
        for target_id, late_days in ((red, 20), (yellow, 1), (calm, -3)):
            target = db.session.get(TargetCompany, target_id)
            target.status_since = month_ago
            target.last_follow_up_on = local_today() - timedelta(days=25)
            target.next_follow_up_on = local_today() - timedelta(days=late_days)
        for target_id in (yellow, calm):  # followed up lately: no "超期未跟进"
            db.session.get(TargetCompany, target_id).last_follow_up_on = local_today() - timedelta(days=2)
        db.session.commit()
    html = client.get("/targets/?sort=name").get_data(as_text=True)
    row = lambda name: html[html.index(name) : html.index("</tr>", html.index(name))]  # noqa: E731
    assert "红灯" in row("红灯企业") and "跟进逾期" in row("红灯企业")
    assert "黄灯" in row("黄灯企业") and "红灯" not in row("黄灯企业")
    assert "灯" not in row("正常企业")
    page = client.get(f"/targets/{red}").get_data(as_text=True)
    assert "停滞原因：跟进逾期" in page
