"""到资台账 (issue 15 point 1): the rules of an entry, corrections that keep the original, deletions that
keep the row, 累计到资 on the project page, the ledger as of a past moment, and who may record."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from crm.core.validation import Conflict, Invalid
from crm.extensions import db
from crm.models import FundEntry, HistoryEntry, Project, User, utcnow
from crm.outcomes.funds import FundInput, correct_entry, delete_entry, record_entry, standing_at, totals_for
from tests.factories import jiaxing_today, make_project, make_user, page_form
from tests.routes import ACTORS, RELATIONS, expected

SIGNED_ON = date(2026, 3, 2)  # make_project's 签约日期


def signed_project(app, owner: int, region: str = "南湖区", **classification) -> int:
    """A 拟建 project signed on SIGNED_ON, with classification set as given (内资, 新引进 …)."""
    project_id = make_project(app, owner, region=region, stage="拟建")
    if classification:
        with app.app_context():
            project = db.session.get(Project, project_id)
            for name, value in classification.items():
                setattr(project, name, value)
            db.session.commit()
    return project_id


def fund_state(app, project_id: int) -> tuple:
    """Every entry of the project and its history: what a refusal must leave as it was."""
    with app.app_context():
        entries = db.session.execute(
            sa.select(FundEntry.id, FundEntry.amount, FundEntry.replaced_at, FundEntry.deleted_at)
            .where(FundEntry.project_id == project_id)
            .order_by(FundEntry.id)
        ).all()
        history = db.session.scalars(
            sa.select(HistoryEntry.id).where(
                HistoryEntry.entity_type == "project", HistoryEntry.entity_id == project_id
            )
        ).all()
        return tuple(entries), tuple(history)


def text_of(response) -> str:
    """The page as a reader sees it: tags removed, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


def form_data(**overrides) -> dict[str, str]:
    values = {
        "arrived_on": "2026-03-05",
        "kind": "实到内资",
        "currency": "人民币",
        "amount": "500",
        "note": "进账单 001",
    }
    return {**values, **overrides}


def add(client, project_id: int, **overrides):
    return client.post(f"/funds/projects/{project_id}/new", data=form_data(**overrides))


def record(app, project_id: int, actor_id: int, **values) -> int:
    """An entry written through the service (as the form does); its id."""
    data = {
        "arrived_on": date(2026, 3, 5),
        "currency": "人民币",
        "amount": "500",
        "kind": "实到内资",
        "note": "",
    }
    data.update(values)
    with app.app_context():
        project, actor = db.session.get(Project, project_id), db.session.get(User, actor_id)
        entry = record_entry(project, FundInput(**data), actor, jiaxing_today(app))
        db.session.commit()
        return entry.id


# --- each rule, refused with its message, nothing saved -----------------------------------------------

REFUSALS = [
    ({"amount": "0"}, {}, "金额必须大于 0"),
    ({"amount": "-5"}, {}, "不能为负数"),
    ({"amount": "1e30"}, {}, "请填写数字"),
    ({"amount": "NaN"}, {}, "请填写数字"),
    ({"amount": ""}, {}, "请填写金额"),
    ({"amount": "12.345"}, {}, "最多保留两位小数"),
    ({"amount": "100000000.01"}, {}, "不能超过 100,000,000 万元"),
    ({"amount": "10000000.01", "currency": "美元"}, {}, "不能超过 10,000,000 万美元"),
    ({"arrived_on": "2026-03-01"}, {}, "到资日期不能早于项目签约日期（2026-03-02）"),
    ({"arrived_on": ""}, {}, "请填写到资日期"),
    ({"currency": "欧元"}, {}, "不是有效的选择"),
    ({"kind": "合同外资"}, {}, "不是有效的选择"),
    ({"kind": "实际使用外资"}, {"capital_type": "内资"}, "内资项目不能登记“实际使用外资”"),
    ({"kind": "增资到位"}, {"project_type": "新引进"}, "“增资到位”只适用于增资扩产项目"),
    ({"note": "凭" * 501}, {}, "最长 500"),
]


@pytest.mark.parametrize(("values", "classification", "message"), REFUSALS, ids=[m for _, _, m in REFUSALS])
def test_each_rule_refuses_the_entry_with_its_message_and_saves_nothing(
    app, auth, client, values, classification, message
):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer, **classification)
    before = fund_state(app, project_id)
    response = add(client, project_id, **values)
    assert response.status_code == 422
    assert message in text_of(response)
    assert fund_state(app, project_id) == before


def test_an_arrival_dated_tomorrow_is_refused(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    today, before = jiaxing_today(app), fund_state(app, project_id)
    response = add(client, project_id, arrived_on=(today + timedelta(days=1)).isoformat())
    assert response.status_code == 422
    assert f"到资日期不能晚于今天（{today.isoformat()}）" in text_of(response)
    assert fund_state(app, project_id) == before


def test_a_project_not_yet_signed_takes_no_funds(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = make_project(app, officer)  # 在谈: no 签约日期
    before = fund_state(app, project_id)
    response = add(client, project_id)
    assert response.status_code == 422
    assert "项目尚未签约，不能登记到资" in text_of(response)
    assert fund_state(app, project_id) == before
    with app.app_context(), pytest.raises(Invalid, match="项目尚未签约，不能登记到资"):
        project = db.session.get(Project, project_id)
        record_entry(
            project, FundInput(date(2026, 3, 5), "人民币", "1", "实到内资"), project.owner, date(2026, 12, 1)
        )


@pytest.mark.parametrize(
    ("kind", "classification"),
    [
        ("实际使用外资", {"capital_type": "外资"}),
        ("实际使用外资", {"capital_type": "中外合资"}),
        ("实际使用外资", {}),  # not yet classified: nothing to contradict
        ("增资到位", {"project_type": "增资扩产"}),
        ("增资到位", {}),
    ],
)
def test_a_kind_that_fits_the_project_is_recorded(app, auth, client, kind, classification):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer, **classification)
    assert add(client, project_id, kind=kind, currency="美元", amount="320").status_code == 302
    with app.app_context():
        entry = db.session.scalar(sa.select(FundEntry).where(FundEntry.project_id == project_id))
        assert (entry.kind.value, entry.currency.value, entry.amount) == (kind, "美元", Decimal("320.00"))


# --- recording, correcting, deleting --------------------------------------------------------------------


def test_recording_writes_the_entry_and_a_readable_history_line(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    response = add(client, project_id, amount="1,500")
    assert response.status_code == 302 and response.location.endswith(f"/projects/{project_id}#funds")
    with app.app_context():
        entry = db.session.scalar(sa.select(FundEntry).where(FundEntry.project_id == project_id))
        assert (entry.arrived_on, entry.amount, entry.note, entry.recorded_by_id) == (
            date(2026, 3, 5), Decimal("1500.00"), "进账单 001", officer,
        )  # fmt: skip
    html = text_of(client.get(f"/projects/{project_id}"))
    assert "登记到资 2026-03-05 实到内资 1,500.00 万元；来源或凭证：进账单 001" in html


def test_the_add_form_sent_twice_records_one_entry(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    page = client.get(f"/funds/projects/{project_id}/new").get_data(as_text=True)
    data = page_form(page) | form_data()
    first, second = (
        client.post(f"/funds/projects/{project_id}/new", data=data),
        client.post(f"/funds/projects/{project_id}/new", data=data),
    )
    assert first.status_code == second.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(FundEntry.project_id == project_id)) == 1


def test_the_same_entry_again_is_refused_unless_its_note_says_how_it_differs(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    assert add(client, project_id).status_code == 302
    again = add(client, project_id)
    assert again.status_code == 422 and "已有一笔相同的到资记录" in text_of(again)
    assert add(client, project_id, note="进账单 002").status_code == 302
    assert len(fund_state(app, project_id)[0]) == 2


def test_a_correction_keeps_the_original_and_the_totals_use_the_new_entry(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    old_id = record(app, project_id, officer)
    response = client.post(
        f"/funds/{old_id}/correct", data=form_data(amount="550", note="更正：以银行回单为准")
    )
    assert response.status_code == 302
    with app.app_context():
        old = db.session.get(FundEntry, old_id)
        new = db.session.scalar(sa.select(FundEntry).where(FundEntry.replaces_id == old_id))
        assert old.amount == Decimal("500.00") and old.replaced_at is not None and old.deleted_at is None
        assert new.amount == Decimal("550.00") and new.replaced_at is None
        assert old.replaced_at == new.recorded_at  # one moment: never both standing, never neither
        assert [(t.kind.value, t.amount) for t in totals_for([project_id])[project_id]] == [
            ("实到内资", Decimal("550.00"))
        ]
    html = text_of(client.get(f"/projects/{project_id}"))
    assert "累计到资：实到内资 550.00 万元" in html
    assert "更正与删除记录（1 笔）" in html
    assert "更正为 2026-03-05 实到内资 550.00 万元" in html
    assert "更正到资 2026-03-05 实到内资 500.00 万元 → 2026-03-05 实到内资 550.00 万元" in html


def test_a_correction_after_the_week_leaves_that_weeks_figures_unchanged(app, auth):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    old_id = record(app, project_id, officer)
    week_end = utcnow() - timedelta(days=3)
    with app.app_context():
        old = db.session.get(FundEntry, old_id)
        old.recorded_at = week_end - timedelta(days=2)  # recorded in that week
        db.session.commit()
        correct_entry(
            old,
            FundInput(date(2026, 3, 5), "人民币", "550", "实到内资"),
            old.project.owner,
            date(2026, 12, 1),
        )
        db.session.commit()

        def total_at(moment):
            return db.session.scalar(
                sa.select(sa.func.sum(FundEntry.amount)).where(
                    FundEntry.project_id == project_id, standing_at(moment)
                )
            )

        assert total_at(week_end) == Decimal("500.00")
        assert total_at(utcnow()) == Decimal("550.00")
        assert total_at(week_end - timedelta(days=3)) is None  # before it was recorded


def test_a_deletion_keeps_the_row_with_who_and_why(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    entry_id = record(app, project_id, officer)
    response = client.post(f"/funds/{entry_id}/delete", data={"reason": "重复登记"})
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.get(FundEntry, entry_id)
        assert (entry.deleted_by_id, entry.delete_reason, entry.amount) == (
            officer,
            "重复登记",
            Decimal("500.00"),
        )
        assert entry.deleted_at is not None and totals_for([project_id]) == {}
    html = text_of(client.get(f"/projects/{project_id}"))
    assert "累计到资：暂无" in html and "暂无到资记录" in html
    assert "原因：重复登记" in html
    assert "删除到资 2026-03-05 实到内资 500.00 万元；删除原因：重复登记" in html


def test_a_deletion_without_a_reason_is_refused(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    entry_id = record(app, project_id, officer)
    before = fund_state(app, project_id)
    response = client.post(f"/funds/{entry_id}/delete", data={"reason": "  "}, follow_redirects=True)
    assert "未删除：请填写删除原因" in text_of(response)
    assert fund_state(app, project_id) == before


def test_the_delete_button_asks_for_a_reason_and_confirmation(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    entry_id = record(app, project_id, officer)
    html = client.get(f"/projects/{project_id}").get_data(as_text=True)
    form = re.search(rf'<form[^>]*action="/funds/{entry_id}/delete"[^>]*>', html, re.S).group(0)
    assert 'data-confirm="确定删除这笔到资' in form
    assert f'href="/funds/{entry_id}/correct"' in html


def test_correcting_or_deleting_an_entry_already_replaced_is_a_conflict(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    old_id = record(app, project_id, officer)
    assert client.post(f"/funds/{old_id}/correct", data=form_data(amount="550")).status_code == 302
    before = fund_state(app, project_id)
    again = client.post(f"/funds/{old_id}/correct", data=form_data(amount="600"))
    assert again.status_code == 422 and Conflict.MESSAGE in text_of(again)
    deleted = client.post(f"/funds/{old_id}/delete", data={"reason": "错了"}, follow_redirects=True)
    assert Conflict.MESSAGE in text_of(deleted)
    assert fund_state(app, project_id) == before


def test_a_correction_that_changes_nothing_is_refused(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    entry_id = record(app, project_id, officer, note="进账单 001")
    before = fund_state(app, project_id)
    response = client.post(f"/funds/{entry_id}/correct", data=form_data())
    assert response.status_code == 422 and "更正后的内容与原记录相同" in text_of(response)
    assert fund_state(app, project_id) == before


# --- 累计到资 ---------------------------------------------------------------------------------------------


def test_the_project_page_shows_the_totals_per_kind_and_currency(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    record(app, project_id, officer, amount="1000")
    record(app, project_id, officer, amount="500", arrived_on=date(2026, 4, 1))
    record(app, project_id, officer, amount="320", currency="美元", kind="实际使用外资")
    html = text_of(client.get(f"/projects/{project_id}"))
    assert "累计到资：实到内资 1,500.00 万元；实际使用外资 320.00 万美元" in html


def test_totals_for_many_projects_come_from_one_query(app, auth):
    officer = auth.login(role="officer", scope="南湖区")
    first, second, empty = (signed_project(app, officer) for _ in range(3))
    record(app, first, officer, amount="100")
    record(app, first, officer, amount="200", arrived_on=date(2026, 3, 6))
    record(app, first, officer, amount="30", currency="美元")  # the same 口径 in another currency: apart
    record(app, second, officer, amount="7.5", currency="美元", kind="实际使用外资")
    statements = []
    with app.app_context():
        listener = lambda *args: statements.append(args[2]) if "SAVEPOINT" not in args[2] else None  # noqa: E731
        engine = db.engines[None]  # the connection a transactional test runs on
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            totals = totals_for({first, second, empty})
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert {pid: [str(t) for t in found] for pid, found in totals.items()} == {
        first: ["实到内资 300.00 万元", "实到内资 30.00 万美元"],
        second: ["实际使用外资 7.50 万美元"],
    }


# --- who may record -------------------------------------------------------------------------------------


def _cases():
    for role, scope in ACTORS:
        for relation in RELATIONS:
            if relation == "own" and role not in ("officer", "head"):
                continue
            yield pytest.param(role, scope, relation, id=f"{role}-{scope}-{relation}")


@pytest.mark.parametrize(("role", "scope", "relation"), list(_cases()))
def test_who_may_record_funds_on_a_project(app, auth, client, role, scope, relation):
    actor = auth.login(role=role, scope=scope)
    region = "嘉善县" if relation == "outside" else "南湖区"
    owner = actor if relation == "own" else make_user(app, role="officer", scope=region)
    project_id = signed_project(app, owner, region=region)
    before = fund_state(app, project_id)
    response = add(client, project_id)
    refusal = expected("work", role, scope, relation)
    if refusal is None:
        assert response.status_code == 302
        assert len(fund_state(app, project_id)[0]) == 1
    else:
        assert response.status_code == refusal
        assert fund_state(app, project_id) == before


def test_a_viewer_reads_the_ledger_but_gets_no_forms(app, auth, client):
    officer = make_user(app, role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    entry_id = record(app, project_id, officer)
    auth.login(role="viewer", scope="南湖区")
    response = client.get(f"/projects/{project_id}")
    html = response.get_data(as_text=True)
    assert "累计到资：实到内资 500.00 万元" in text_of(response)
    assert f"/funds/{entry_id}/correct" not in html and f"/funds/projects/{project_id}/new" not in html
    assert add(client, project_id).status_code == 403
    assert client.post(f"/funds/{entry_id}/delete", data={"reason": "x"}).status_code == 403


def test_an_officer_cannot_record_on_a_colleagues_project(app, auth, client):
    auth.login(role="officer", scope="南湖区")
    colleague = make_user(app, role="officer", scope="南湖区")
    project_id = signed_project(app, colleague)
    entry_id = record(app, project_id, colleague)
    before = fund_state(app, project_id)
    assert add(client, project_id).status_code == 403
    assert client.post(f"/funds/{entry_id}/correct", data=form_data(amount="1")).status_code == 403
    assert client.post(f"/funds/{entry_id}/delete", data={"reason": "x"}).status_code == 403
    assert fund_state(app, project_id) == before


def test_a_region_head_cannot_see_another_regions_ledger(app, auth, client):
    auth.login(role="head", scope="南湖区")
    outsider = make_user(app, role="officer", scope="嘉善县")
    project_id = signed_project(app, outsider, region="嘉善县")
    entry_id = record(app, project_id, outsider, note="嘉善县的进账单")
    for path in (
        f"/projects/{project_id}",
        f"/funds/projects/{project_id}/new",
        f"/funds/{entry_id}/correct",
    ):
        assert client.get(path).status_code == 404, path
    listing = client.get("/funds/")
    assert listing.status_code == 200 and "嘉善县的进账单" not in text_of(listing)


def test_the_ledger_list_shows_the_standing_entries_in_scope(app, auth, client):
    auth.login(role="head", scope="南湖区")
    officer = make_user(app, role="officer", scope="南湖区")
    project_id = signed_project(app, officer)
    record(app, project_id, officer, note="南湖区的进账单")
    gone = record(app, project_id, officer, note="已删除的进账单", amount="9")
    with app.app_context():
        delete_entry(db.session.get(FundEntry, gone), "重复", db.session.get(User, officer))
        db.session.commit()
    html = text_of(client.get("/funds/"))
    assert "南湖区的进账单" in html and "已删除的进账单" not in html and "共 1 笔" in html


def test_every_label_on_the_project_page_names_one_field(app, auth, client):
    """The ledger's form shares the page with 改派 and 跟进 forms: a shared id would label the wrong field."""
    officer = auth.login(role="head", scope="南湖区")
    project_id = signed_project(app, officer)
    html = client.get(f"/projects/{project_id}").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    for target in re.findall(r'<label[^>]*\sfor="([^"]+)"', html):
        assert ids.count(target) == 1, f"label for={target!r} matches {ids.count(target)} elements"


def test_the_project_export_carries_each_projects_standing_funds(app, auth, client):
    """累计到资 in the .xlsx: standing entries per 口径 and currency; a replaced one counts no more."""
    head = auth.login(role="head", scope="全市")
    funded = make_project(app, head, stage="拟建", name="到资导出甲项目")
    make_project(app, head, stage="拟建", name="到资导出乙项目")
    today = date(2026, 6, 1)
    with app.app_context():
        actor, project = db.session.get(User, head), db.session.get(Project, funded)
        record_entry(project, FundInput(date(2026, 4, 1), "人民币", "1200", "实到内资"), actor, today)
        wrong = record_entry(project, FundInput(date(2026, 5, 1), "美元", "50", "实际使用外资"), actor, today)
        correct_entry(wrong, FundInput(date(2026, 5, 1), "美元", "80", "实际使用外资"), actor, today)
        db.session.commit()
    sheet = load_workbook(io.BytesIO(client.get("/projects/export.xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("累计到资")
    shown = {row[0]: row[column] for row in rows[1:]}
    assert shown["到资导出甲项目"] == "实到内资 1,200.00 万元；实际使用外资 80.00 万美元"
    assert shown["到资导出乙项目"] == "暂无"
