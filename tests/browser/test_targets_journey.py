"""招商清单 journeys through a real browser: import with a bad row, fix, commit, follow up, reassign."""

import re
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from crm.targets.imports import COLUMNS
from tests.factories import (
    DESK_URL,
    PASSWORD,
    PHONE_WIDTH,
    log_in,
    log_out,
    make_target,
    make_user,
    nav_link,
    scripts_ran,
    shanghai_today,
)

pytestmark = pytest.mark.browser

TARGETS_URL = re.compile(r"/targets/?$")
DETAIL_URL = re.compile(r"/targets/\d+$")
PREVIEW_URL = re.compile(r"/targets/import/\d+$")
GOOD_CODE = "91330402MA28A1B2C4"
BAD_CODE = "91330100799655058C"  # wrong check character: GB 32100 gives B
FIXED_CODE = "91330100799655058B"
CLUSTER = "南湖区微电子"
COMPANY = "嘉兴芯源半导体有限公司"


def write_import_file(path, rows: list[dict]) -> None:
    """An .xlsx with the template's header row (as import_columns defines it) and one row per dict."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "招商清单"
    sheet.append([c.template_header for c in COLUMNS])
    for row in rows:
        sheet.append([row.get(c.key) for c in COLUMNS])
    workbook.save(path)


def open_target_from_list(page: Page, name: str) -> None:
    """招商清单 in the nav → search by name → the one hit's page."""
    nav_link(page, "招商清单").click()
    expect(page).to_have_url(TARGETS_URL)
    page.get_by_label("企业名称或信用代码").fill(name)
    page.get_by_role("button", name="筛选").click()
    table = page.get_by_role("table")
    expect(table.locator("tbody tr")).to_have_count(1)
    table.get_by_role("link", name=name).click()
    expect(page).to_have_url(DETAIL_URL)
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def fill_follow_up(page: Page, occurred_on, method: str, content: str, next_on) -> None:
    form = page.locator("form[action$='/follow-ups']")
    form.get_by_label("跟进日期", exact=True).fill(occurred_on.isoformat())
    form.get_by_label("跟进方式").select_option(method)
    form.get_by_label("跟进情况").fill(content)
    form.get_by_label("下次跟进日期").fill(next_on.isoformat())


def test_officer_imports_fixes_commits_follows_up_and_head_reassigns(app, page, tmp_path):
    """The issue's journey: import → errors → fix → commit → follow-up → 改派 → the new owner is told."""
    make_user(app, username="nh.officer", scope="南湖区", display_name="赵专员")
    make_user(app, username="nh.officer2", scope="南湖区", display_name="钱专员")
    make_user(app, role="head", username="nh.head", scope="南湖区", display_name="孙局长")
    today = shanghai_today()
    next_on = today + timedelta(days=3)

    # The officer downloads the template.
    log_in(page, "nh.officer", PASSWORD)
    expect(page).to_have_url(DESK_URL)
    nav_link(page, "招商清单").click()
    expect(page).to_have_url(TARGETS_URL)
    expect(page.get_by_text("招商清单还是空的。")).to_be_visible()
    page.get_by_role("link", name="导入", exact=True).click()
    expect(page.get_by_role("heading", name="导入招商清单")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载导入模板（.xlsx）").click()
    download = download_info.value
    assert download.suggested_filename == "招商清单导入模板.xlsx"
    download.save_as(tmp_path / download.suggested_filename)
    template = openpyxl.load_workbook(tmp_path / download.suggested_filename, read_only=True)
    header = [cell.value for cell in next(template["招商清单"].iter_rows(max_row=1))]
    template.close()
    assert header[0] == "企业名称*"
    assert header == [c.template_header for c in COLUMNS]

    # It uploads a file with one bad credit code.
    rows = [
        {
            "name": COMPANY,
            "credit_code": GOOD_CODE,
            "cluster_id": CLUSTER,
            "source": "招商地图",
            "priority": "高",
            "intended_investment": Decimal("3.50"),
            "contact_name": "周总",
            "owner_id": "nh.officer",
        },
        {"name": "南湖晶测科技有限公司", "cluster_id": CLUSTER, "source": "展会", "owner_id": ""},
        {
            "name": "禾芯封装材料有限公司",
            "credit_code": BAD_CODE,
            "cluster_id": CLUSTER,
            "source": "以商引商",
            "owner_id": "nh.officer",
        },
    ]
    upload = tmp_path / "南湖区招商清单.xlsx"
    write_import_file(upload, rows)
    page.get_by_label("招商清单文件").set_input_files(upload)
    page.get_by_role("button", name="上传并预览").click()

    expect(page).to_have_url(PREVIEW_URL)
    expect(page.get_by_role("heading", level=1)).to_contain_text("南湖区招商清单.xlsx")
    expect(page.locator("#count-total")).to_have_text("3")
    expect(page.locator("#count-bad")).to_have_text("1")
    bad_rows = page.locator("#bad-rows tbody tr")
    expect(bad_rows).to_have_count(1)
    expect(bad_rows).to_contain_text("第 4 行")
    expect(bad_rows).to_contain_text("禾芯封装材料有限公司")
    expect(bad_rows).to_contain_text("统一社会信用代码校验位错误：第 18 位应为“B”，实际为“C”。")
    expect(page.get_by_role("alert").filter(has_text="有错误行时不能导入")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^确认导入"))).to_be_disabled()

    # The bad rows come back as a file, each with its reason.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载错误行（.xlsx）").click()
    errors_file = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(errors_file)
    assert errors_file.name == "南湖区招商清单-错误行.xlsx"
    errors_book = openpyxl.load_workbook(errors_file, read_only=True)
    error_rows = [list(row) for row in errors_book.active.iter_rows(values_only=True)]
    errors_book.close()
    assert error_rows[0][-1] == "错误原因"
    assert len(error_rows) == 2
    assert error_rows[1][0] == "禾芯封装材料有限公司"
    assert "校验位错误" in error_rows[1][-1]

    # Nothing was written.
    nav_link(page, "招商清单").click()
    expect(page.get_by_text("招商清单还是空的。")).to_be_visible()

    # The officer corrects the code in the same file and uploads it again.
    book = openpyxl.load_workbook(upload)
    code_column = [c.key for c in COLUMNS].index("credit_code") + 1
    assert book.active.cell(row=4, column=code_column).value == BAD_CODE
    book.active.cell(row=4, column=code_column).value = FIXED_CODE
    book.save(upload)
    page.get_by_role("link", name="导入", exact=True).click()
    page.get_by_label("招商清单文件").set_input_files(upload)
    page.get_by_role("button", name="上传并预览").click()

    expect(page).to_have_url(PREVIEW_URL)
    expect(page.locator("#count-bad")).to_have_text("0")
    expect(page.locator("#count-new")).to_have_text("3")
    expect(page.locator("#bad-rows")).to_have_count(0)
    commit = page.get_by_role("button", name="确认导入（新增 3 家）")
    expect(commit).to_be_enabled()
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    # Accepts every confirm from here on. The commit button's data-confirm is not shown today
    # (see test_import_commit_can_be_cancelled), so no assertion on it here.
    page.on("dialog", accept)
    scripts_ran(page)
    commit.click()
    expect(page).to_have_url(TARGETS_URL)
    expect(page.get_by_role("alert")).to_contain_text("导入完成：新增 3 家")
    expect(page.get_by_text("共 3 家企业")).to_be_visible()

    # It opens one of them and logs a follow-up.
    open_target_from_list(page, COMPANY)
    expect(page.get_by_text(GOOD_CODE, exact=True)).to_be_visible()
    expect(page.locator("p", has_text="责任人")).to_contain_text("责任人 赵专员")
    expect(page.get_by_text("改派责任人")).to_have_count(0)  # officers don't reassign
    content = "到企业走访，周总介绍了 12 英寸晶圆测试扩产计划，有意在南湖区选址。"
    fill_follow_up(page, today, "走访", content, next_on)
    page.get_by_role("button", name="保存跟进记录").click()
    expect(page.get_by_role("alert")).to_contain_text("跟进记录已保存。")
    timeline = page.locator("#follow-ups")
    expect(timeline).to_contain_text(content)
    expect(timeline).to_contain_text(f"{today.isoformat()} · 走访 · 赵专员")
    expect(timeline).to_contain_text(f"下次跟进：{next_on.isoformat()}")
    log_out(page)

    # The head reassigns it to 钱专员 with a handover note.
    log_in(page, "nh.head", PASSWORD)
    expect(page).to_have_url(DESK_URL)
    open_target_from_list(page, COMPANY)
    expect(page.locator("#follow-ups")).to_contain_text(content)
    note = "赵专员调岗，请钱专员继续跟进扩产选址，周总电话见联系人。"
    assign = page.locator("form[action$='/assign']")
    assign.get_by_label("新责任人").select_option(label="钱专员（南湖区·招商专员）")
    assign.get_by_label("交接说明").fill(note)
    dialogs.clear()
    assign.get_by_role("button", name="改派").click()
    expect(page.get_by_role("alert")).to_contain_text("已改派给 钱专员，并已通知本人。")
    assert dialogs == ["确定改派该企业吗？新责任人会收到通知。"]
    expect(page.locator("p", has_text="责任人")).to_contain_text("责任人 钱专员")
    reassigned = page.get_by_role("row").filter(has_text="改派")
    expect(reassigned).to_have_count(1)
    expect(reassigned).to_contain_text("孙局长")
    expect(reassigned).to_contain_text("赵专员 → 钱专员")
    expect(reassigned).to_contain_text(note)
    log_out(page)

    # 钱专员 finds the message waiting.
    log_in(page, "nh.officer2", PASSWORD)
    expect(page).to_have_url(DESK_URL)
    expect(page.locator("#unread-count")).to_be_visible()
    expect(page.locator("#unread-count")).to_contain_text("1")
    page.locator("nav.navbar").get_by_role("link", name=re.compile("^消息")).click()
    expect(page.get_by_role("heading", name="消息")).to_be_visible()
    message = page.locator(".list-group-item").filter(has_text=COMPANY)
    expect(message).to_have_count(1)
    expect(message).to_contain_text(f"孙局长 将“{COMPANY}”交由您负责")
    expect(message).to_contain_text(f"交接说明：{note}")
    expect(message).to_contain_text("未读")


def test_officer_logs_a_follow_up_on_a_phone(app, page):
    """At 375 px the detail page doesn't scroll sideways and the follow-up form can be sent."""
    officer = make_user(app, username="nh.mobile", scope="南湖区", display_name="李专员")
    make_target(app, officer, name="嘉兴微纳传感科技有限公司")
    today = shanghai_today()
    next_on = today + timedelta(days=3)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})

    log_in(page, "nh.mobile", PASSWORD)
    expect(page).to_have_url(DESK_URL)
    page.get_by_role("button", name="展开导航").click()  # the navbar is collapsed on a phone
    open_target_from_list(page, "嘉兴微纳传感科技有限公司")

    content = "电话联系企业负责人，约定下周到南湖区实地考察。"
    fill_follow_up(page, today, "电话", content, next_on)
    submit = page.get_by_role("button", name="保存跟进记录")
    submit.scroll_into_view_if_needed()
    expect(submit).to_be_in_viewport()
    box = submit.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH + 1
    assert page.evaluate("window.scrollX") == 0

    submit.click()
    expect(page.get_by_role("alert")).to_contain_text("跟进记录已保存。")
    expect(page.locator("#follow-ups")).to_contain_text(content)
    expect(page.locator("#follow-ups")).to_contain_text(f"下次跟进：{next_on.isoformat()}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH + 1


def test_import_commit_can_be_cancelled(app, page, tmp_path):
    """确认导入 asks first; dismissing the confirm leaves the preview and imports nothing."""
    make_user(app, username="nh.cancel", scope="南湖区", display_name="吴专员")
    upload = tmp_path / "一家企业.xlsx"
    write_import_file(upload, [{"name": "南湖光芯科技有限公司", "cluster_id": CLUSTER, "source": "展会"}])
    log_in(page, "nh.cancel", PASSWORD)
    page.goto("/targets/import")
    page.get_by_label("招商清单文件").set_input_files(upload)
    page.get_by_role("button", name="上传并预览").click()
    expect(page).to_have_url(PREVIEW_URL)
    preview_url = page.url
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    scripts_ran(page)  # the confirm comes from static/js/app.js
    page.get_by_role("button", name="确认导入（新增 1 家）").click()
    page.wait_for_load_state()
    assert dialogs == ["确定导入吗？将新增 1 家企业。"]
    assert page.url == preview_url
    page.goto("/targets/")
    expect(page.get_by_text("招商清单还是空的。")).to_be_visible()
