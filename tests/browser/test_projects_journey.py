"""项目清单 journeys through a real browser: a project from 在谈 to 建成投产, a refused move, a 用地
problem, a head's reassignment, and a follow-up logged from 我的工作台 on a phone."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from crm.core.workdays import add_working_days
from crm.extensions import db
from crm.models import Project, User
from crm.projects.services import ProblemInput, raise_problem
from tests.factories import (
    PASSWORD,
    PHONE_WIDTH,
    log_in,
    log_out,
    make_project,
    make_user,
    nav_link,
    project_state,
    scripts_ran,
    shanghai_today,
)

pytestmark = pytest.mark.browser

DESK_URL = re.compile(r"/$")
PROJECTS_URL = re.compile(r"/projects/?$")
BOARD_URL = re.compile(r"/projects/board$")
DETAIL_URL = re.compile(r"/projects/\d+$")
STAGE_URL = re.compile(r"/projects/\d+/stage(\?.*)?$")
PROBLEMS_URL = re.compile(r"/projects/problems(\?.*)?$")

PROJECT = "年产 120 万颗车规级芯片封测项目"
COMPANY = "嘉兴芯源半导体有限公司"
LAND_UNIT = "市自然资源和规划局"
OTHER_UNIT = "南湖区发展和改革局"


def log_in_to_desk(page: Page, username: str) -> None:
    """Sign in and land on 我的工作台 (the root page)."""
    log_in(page, username, PASSWORD)
    expect(page).to_have_url(DESK_URL)
    expect(page.get_by_role("heading", name="我的工作台", level=1)).to_be_visible()
    scripts_ran(page)  # 记录跟进 opens the desk's form through static/js/app.js


def flash(page: Page):
    return page.locator("main > .alert[role=alert]")


def card(page: Page, header: str):
    """A card on the project page, by its header text."""
    return page.locator(".card").filter(has=page.locator(".card-header", has_text=re.compile(f"^{header}$")))


def board_column(page: Page, stage: str):
    return page.locator("section").filter(has=page.get_by_role("heading", name=re.compile(f"^{stage}")))


def move_stage_from_form(page: Page, note: str, **evidence: str) -> None:
    """On the stage form: write the note and the given evidence (label → value), then submit."""
    expect(page).to_have_url(STAGE_URL)
    page.get_by_label("说明", exact=True).fill(note)
    for label, value in evidence.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="确认变更阶段").click()


def test_officer_moves_a_project_raises_a_problem_and_head_reassigns_it(app, page):
    """The issue's journey: 新建 → 在谈 → refused 拟建 → 拟建 → 在建 → 用地问题 → 改派 → 建成投产."""
    officer_a = make_user(app, username="nh.feng", scope="南湖区", display_name="冯专员")
    make_user(app, username="nh.chen", scope="南湖区", display_name="陈专员")
    make_user(app, role="head", username="nh.head", scope="南湖区", display_name="孙局长")
    today = shanghai_today()
    signed_on, started_on, finished_on = (today - timedelta(days=d) for d in (40, 20, 2))

    # Another project of A's already has a problem for another unit: the unit filter must leave it out.
    other_id = make_project(app, officer_a, name="南湖区光电传感器扩产项目")
    with app.app_context():
        other = db.session.get(Project, other_id)
        raise_problem(
            other,
            ProblemInput("用能", "扩产后用能指标缺口约 3000 吨标煤。", OTHER_UNIT, today),
            db.session.get(User, officer_a),
            today,
        )
        db.session.commit()

    # 冯专员 creates the project.
    log_in_to_desk(page, "nh.feng")
    nav_link(page, "项目清单").click()
    expect(page).to_have_url(PROJECTS_URL)
    page.get_by_role("link", name="新建项目").first.click()
    expect(page.get_by_role("heading", name="新建项目（在谈）")).to_be_visible()
    page.get_by_label("项目名称").fill(PROJECT)
    page.get_by_label("项目单位").fill(COMPANY)
    page.get_by_label("所属集群").select_option(label="南湖区微电子")
    page.get_by_label("总投资（亿元）").fill("12.50")
    page.get_by_label("联系领导").fill("王副区长")
    page.get_by_label("责任单位").fill("南湖区经济和信息化局")
    plan = "11 月完成签约，次年一季度摘地开工，年底前主体结顶。"
    page.get_by_label("工作方案").fill(plan)
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(DETAIL_URL)
    expect(flash(page)).to_have_text(f"已新建项目“{PROJECT}”（在谈）。")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(PROJECT)
    expect(heading.locator(".badge", has_text="在谈")).to_be_visible()
    project_url = page.url
    project_id = int(project_url.rsplit("/", 1)[1])
    four = card(page, "四个一")
    expect(four).to_contain_text("联系领导王副区长")
    expect(four).to_contain_text("责任人冯专员")
    expect(four).to_contain_text("责任单位南湖区经济和信息化局")
    expect(four).to_contain_text(f"工作方案{plan}")
    expect(card(page, "阶段历程")).to_contain_text("尚未变更阶段（在谈")

    # On the board its card sits under 在谈 and offers 推进 → 拟建.
    nav_link(page, "项目清单").click()
    page.get_by_role("link", name="看板", exact=True).click()
    expect(page).to_have_url(BOARD_URL)
    project_card = board_column(page, "在谈").locator("li").filter(has_text=PROJECT)
    expect(project_card).to_have_count(1)
    expect(board_column(page, "拟建")).not_to_contain_text(PROJECT)
    project_card.get_by_role("link", name="推进 → 拟建").click()

    # A note alone is not enough: the move is refused and says what is missing.
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"变更阶段：{PROJECT}")
    expect(page.get_by_label("目标阶段")).to_have_value("拟建")
    move_stage_from_form(page, "双方已就投资协议达成一致。")
    expect(page).to_have_url(STAGE_URL)
    expect(page.get_by_role("alert")).to_have_text("转入“拟建”需要：签约日期、签约投资额（亿元）。")
    expect(page.get_by_role("heading", level=1).locator(".badge")).to_have_text("在谈")
    assert project_state(app, project_id)[1].value == "在谈"

    # With the signing date and amount it goes through.
    move_stage_from_form(
        page,
        "双方已就投资协议达成一致。",
        签约日期=signed_on.isoformat(),
        **{"签约投资额（亿元）": "10.00"},
    )
    expect(page).to_have_url(project_url)
    expect(flash(page)).to_have_text("项目已转入“拟建”。")
    expect(page.get_by_role("heading", level=1).locator(".badge", has_text="拟建")).to_be_visible()

    # From the project page: 转入“在建”.
    page.get_by_role("link", name="转入“在建”").click()
    expect(page.get_by_label("目标阶段")).to_have_value("在建")
    move_stage_from_form(page, "项目已摘地并举行开工仪式。", 实际开工日期=started_on.isoformat())
    expect(page).to_have_url(project_url)
    expect(flash(page)).to_have_text("项目已转入“在建”。")
    expect(page.get_by_role("heading", level=1).locator(".badge", has_text="在建")).to_be_visible()

    # 冯专员 raises a 用地 problem.
    problems = page.locator("#problems")
    expect(problems).to_contain_text("暂无需协调的问题。")
    problems.get_by_text("提出需协调问题").click()
    problem_form = problems.locator("form[action$='/problems']")
    expect(problem_form).to_be_visible()
    problem_form.get_by_label("类别").select_option("用地")
    description = "二期厂房用地 45 亩尚缺新增建设用地指标，需市里统筹。"
    problem_form.get_by_label("问题描述").fill(description)
    problem_form.get_by_label("责任单位").fill(LAND_UNIT)
    problem_form.get_by_role("button", name="提交问题").click()
    expect(flash(page)).to_have_text("问题已提交。")
    raised = problems.locator(".list-group-item").filter(has_text=description)
    expect(raised).to_have_count(1)
    expect(raised.locator(".badge", has_text="用地")).to_be_visible()
    expect(raised.locator(".badge", has_text="待协调")).to_be_visible()
    expect(raised).to_contain_text(f"责任单位：{LAND_UNIT} · 提出 {today.isoformat()}")

    # It shows up in 要素保障, and the unit filter keeps only it.
    nav_link(page, "项目清单").click()
    page.get_by_role("link", name="要素保障", exact=True).click()
    expect(page).to_have_url(PROBLEMS_URL)
    expect(page.get_by_role("heading", name="要素保障 · 需协调问题")).to_be_visible()
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_label("责任单位").select_option(LAND_UNIT)
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"[?&]unit="))
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(PROJECT)
    expect(rows).to_contain_text("用地")
    expect(rows).to_contain_text(description)
    expect(rows).to_contain_text(LAND_UNIT)
    expect(rows.locator(".badge")).to_have_text("待协调")
    expect(page.get_by_text("共 1 个问题")).to_be_visible()
    log_out(page)

    # 孙局长 hands the project to 陈专员.
    log_in_to_desk(page, "nh.head")
    nav_link(page, "项目清单").click()
    page.get_by_role("table").get_by_role("link", name=PROJECT).click()
    expect(page).to_have_url(project_url)
    note = "冯专员借调市里，请陈专员接手，重点盯用地指标和竣工验收。"
    assign = page.locator("form[action$='/assign']")
    assign.get_by_label("新责任人").select_option(label="陈专员（南湖区·招商专员）")
    assign.get_by_label("交接说明").fill(note)
    scripts_ran(page)  # the confirm comes from static/js/app.js
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    assign.get_by_role("button", name="改派").click()
    expect(flash(page)).to_have_text("已改派给 陈专员，并已通知本人。")
    assert dialogs == ["确定改派该项目吗？新责任人会收到通知。"]
    expect(card(page, "四个一")).to_contain_text("责任人陈专员")
    reassigned = page.get_by_role("row").filter(has_text="冯专员 → 陈专员")
    expect(reassigned).to_have_count(1)
    expect(reassigned).to_contain_text("孙局长")
    expect(reassigned).to_contain_text(note)
    log_out(page)

    # 陈专员 finds it on 我的工作台, with the message waiting, and finishes the path.
    log_in_to_desk(page, "nh.chen")
    expect(page.locator("#unread-count")).to_be_visible()
    expect(page.locator("#unread-count")).to_contain_text("1")
    desk_item = page.locator(".desk-item").filter(has_text=PROJECT)
    expect(desk_item).to_have_count(1)
    expect(desk_item.locator(".badge", has_text="在建")).to_be_visible()
    desk_item.get_by_role("link", name=PROJECT).click()
    expect(page).to_have_url(project_url)
    page.get_by_role("link", name="转入“建成投产”").click()
    move_stage_from_form(page, "一期产线通过验收，正式投产。", 实际竣工投产日期=finished_on.isoformat())
    expect(page).to_have_url(project_url)
    expect(flash(page)).to_have_text("项目已转入“建成投产”。")
    expect(page.get_by_role("heading", level=1).locator(".badge", has_text="建成投产")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^转入“"))).to_have_count(
        0
    )  # closed: only a head reopens

    moves = card(page, "阶段历程").locator(".list-group-item")  # newest first
    expect(moves).to_have_count(3)
    expect(moves.nth(0)).to_contain_text("在建 → 建成投产")
    expect(moves.nth(0)).to_contain_text("陈专员")
    expect(moves.nth(0)).to_contain_text(f"实际竣工投产日期 {finished_on.isoformat()}")
    expect(moves.nth(1)).to_contain_text("拟建 → 在建")
    expect(moves.nth(1)).to_contain_text("冯专员")
    expect(moves.nth(1)).to_contain_text(f"实际开工日期 {started_on.isoformat()}")
    expect(moves.nth(2)).to_contain_text("在谈 → 拟建")
    expect(moves.nth(2)).to_contain_text("冯专员")
    expect(moves.nth(2)).to_contain_text(f"签约日期 {signed_on.isoformat()}")

    # A finished project leaves the desk.
    nav_link(page, "工作台").click()
    expect(page).to_have_url(DESK_URL)
    expect(page.locator(".desk-item").filter(has_text=PROJECT)).to_have_count(0)


def test_officer_clears_an_overdue_project_from_the_desk_on_a_phone(app, page):
    """At 375 px: 记录跟进 on an overdue desk item, back to the desk, no longer 黄灯（停滞）."""
    officer = make_user(app, username="nh.mobile.p", scope="南湖区", display_name="李专员")
    name = "南湖区毫米波雷达模组项目"
    project_id = make_project(app, officer, name=name)
    today = shanghai_today()
    with app.app_context():
        project = db.session.get(Project, project_id)
        project.stage_since = datetime.now(UTC) - timedelta(days=10)  # in talks for ten days
        project.next_follow_up_on = today - timedelta(days=3)  # and the agreed follow-up is late
        db.session.commit()
    next_on = add_working_days(today, 5)  # the desk form's default
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})

    log_in_to_desk(page, "nh.mobile.p")
    overdue = page.locator("h2:has-text('黄灯（停滞）') + .list-group")
    item = overdue.locator(".desk-item").filter(has_text=name)
    expect(item).to_have_count(1)
    expect(item.locator(".badge", has_text="逾期 3 天")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH + 1

    item.get_by_text("记录跟进").click()
    form = item.locator("form")
    expect(form).to_be_visible()
    expect(form.locator("[name=occurred_on]")).to_have_value(today.isoformat())
    expect(form.locator("[name=next_follow_up_on]")).to_have_value(next_on.isoformat())
    form.locator("[name=method]").select_option("电话")
    content = "电话联系企业，雷达模组产线设备已到港，约定下周现场查看。"
    form.locator("[name=content]").fill(content)
    submit = form.get_by_role("button", name="保存跟进记录")
    submit.scroll_into_view_if_needed()
    expect(submit).to_be_in_viewport()
    box = submit.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH + 1
    assert page.evaluate("window.scrollX") == 0

    submit.click()
    expect(page).to_have_url(DESK_URL)
    expect(flash(page)).to_have_text("跟进记录已保存。")
    expect(page.get_by_role("heading", name=re.compile("^黄灯（停滞）"))).to_have_count(0)
    item = page.locator(".desk-item").filter(has_text=name)
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"下次跟进 {next_on.isoformat()}")
    expect(item.locator(".badge", has_text="逾期")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH + 1
    assert project_state(app, project_id)[4] == next_on


def test_desk_follow_up_fields_are_labelled(app, page):
    """Each field of 记录跟进 on the desk can be found by its label (screen readers, tapping a label)."""
    officer = make_user(app, username="nh.label", scope="南湖区", display_name="吴专员")
    make_project(app, officer, name="南湖区功率器件项目")
    log_in_to_desk(page, "nh.label")
    item = page.locator(".desk-item").filter(has_text="南湖区功率器件项目")
    item.get_by_text("记录跟进").click()
    expect(item.locator("form")).to_be_visible()  # the shared form has moved under the item
    for label in ("跟进日期", "跟进方式", "下次跟进日期", "跟进情况", "下一步工作"):
        expect(item.get_by_label(label, exact=True)).to_have_count(1)


def test_the_desks_one_form_moves_to_the_item_clicked_and_forgets_what_was_typed(app, page):
    """The desk has one follow-up form: it opens under the item clicked, aimed at that item."""
    officer = make_user(app, username="nh.move", scope="南湖区", display_name="钱专员")
    first, second = "南湖区压力传感器项目", "南湖区射频前端项目"
    make_project(app, officer, name=first)
    second_id = make_project(app, officer, name=second)
    log_in_to_desk(page, "nh.move")
    one = page.locator(".desk-item").filter(has_text=first)
    two = page.locator(".desk-item").filter(has_text=second)

    one.get_by_text("记录跟进").click()
    one.locator("[name=content]").fill("写给第一个项目的内容")
    two.get_by_text("记录跟进").click()
    expect(one.locator("form")).to_have_count(0)
    form = two.locator("form")
    expect(form).to_be_visible()
    expect(form).to_have_attribute("action", f"/projects/{second_id}/follow-ups")
    expect(form.locator("[name=content]")).to_have_value("")  # nothing typed for another item
    expect(form).to_contain_text(f"本次跟进：{second}")
    expect(two.get_by_text("记录跟进")).to_have_attribute("aria-expanded", "true")

    two.get_by_text("记录跟进").click()  # a second click closes it
    expect(form).to_be_hidden()
