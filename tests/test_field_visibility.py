"""Data a role may not see stays unseen everywhere (issue 14, point 6).

SPEC §1: a 责任单位/调度会 reader (viewer) reads dashboards and summaries, not a target company's
contacts (联系人, 职务, 电话, 邮箱). The values planted here are edited once, so the history holds them
as old → new too. A viewer then opens every page and download of the app (every GET rule of the URL
map, with every record the route walk builds) and none of the values may appear in any of them —
HTML, .xlsx or .docx. The same walk as the target's officer finds them, so the walk does look where
they would show.
"""

import html
import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from crm.core import history
from crm.core.permissions import RULES, hidden_fields, visible_changes
from crm.extensions import db
from crm.models import AuditEvent, TargetCompany, User
from tests.factories import make_target, make_user
from tests.test_route_walk import PUBLIC, SKIPPED, Walker, build_world, url_variants

CONTACTS = {
    "contact_name": "保密联络人甲",
    "contact_title": "保密职务乙",
    "contact_phone": "13905731234",
    "contact_email": "hidden.contact@example.cn",
}
EARLIER_PHONE = "13905739876"  # the phone before the edit: history's "old" value
SECRETS = [*CONTACTS.values(), EARLIER_PHONE]
ROLES = ("officer", "head", "viewer", "admin")


def plant_contacts(target_id: int) -> None:
    """Give the target its contacts, then change the phone, as an edit does (history: old → new)."""
    target = db.session.get(TargetCompany, target_id)
    owner = target.owner
    history.apply_changes(target, CONTACTS | {"contact_phone": EARLIER_PHONE}, owner)
    history.apply_changes(target, {"contact_phone": CONTACTS["contact_phone"]}, owner, note="换了手机")
    db.session.commit()


def readable(body: bytes) -> str:
    """A response as text: a page, or an .xlsx or .docx as the XML of every part (entities decoded:
    the spreadsheet writer stores 联系人 as &#32852;&#31995;&#20154;)."""
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as document:
            text = "\n".join(document.read(name).decode(errors="replace") for name in document.namelist())
    else:
        text = body.decode(errors="replace")
    return html.unescape(text)


def everything_shown(app, role: str, scope: str, as_owner: bool = False) -> dict[str, str]:
    """Every GET page and download the actor may open, by URL, with its text."""
    world = build_world(app, role, scope)
    with app.app_context():
        target_id = world.variants["target_id"]["own" if as_owner else "in"]["target_id"]
        plant_contacts(target_id)
    walker = Walker(app, world)
    shown = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED | PUBLIC or "GET" not in rule.methods:
            continue
        for _, url, _ in url_variants(rule, world):
            response = walker.client.get(url)
            if response.status_code == 200:
                shown[url] = readable(response.data)
    return shown


def leaks(shown: dict[str, str]) -> list[str]:
    return sorted(f"{url}: {secret}" for url, text in shown.items() for secret in SECRETS if secret in text)


@pytest.mark.parametrize("scope", ["全市", "南湖区"])
def test_no_page_or_download_shows_a_viewer_a_targets_contacts(app, scope):
    shown = everything_shown(app, "viewer", scope)
    assert any(url.startswith("/targets/") and url.rstrip("/").split("/")[-1].isdigit() for url in shown)
    assert any(url.startswith("/reports/weekly") for url in shown)
    assert not leaks(shown), "\n".join(leaks(shown))


def test_the_same_walk_shows_the_owner_the_contacts_and_their_history(app):
    shown = everything_shown(app, "officer", "南湖区", as_owner=True)
    found = {secret for secret in SECRETS if any(secret in text for text in shown.values())}
    assert found == set(SECRETS)  # the edit's old phone too: the history shows it to those who may see


def test_the_history_leaves_out_contact_edits_for_a_viewer_only(app, auth, client):
    officer = make_user(app, "officer", "南湖区")
    target_id = make_target(app, officer, name="历史可见性测试有限公司")
    with app.app_context():
        plant_contacts(target_id)
        target = db.session.get(TargetCompany, target_id)
        history.record(target, "updated", target.owner, field="priority", old="中", new="低")
        db.session.commit()
    auth.login(role="viewer", scope="南湖区")
    page = client.get(f"/targets/{target_id}").get_data(as_text=True)
    assert "修改 优先级：中 → 低" in page  # the rest of the history is there
    assert not [s for s in SECRETS if s in page]
    assert "联系电话" not in page and "联系人" not in page  # not even that they were changed
    with app.app_context():
        viewer = db.session.scalar(sa.select(User).where(User.role == "viewer"))
        target = db.session.get(TargetCompany, target_id)
        fields = {entry.field for entry in history.entries_for(target, viewer)}
        owner_fields = {entry.field for entry in history.entries_for(target, target.owner)}
    assert fields == {None, "priority"}
    assert owner_fields == {None, "priority", *CONTACTS}


def test_hidden_fields_names_the_contacts_for_a_viewer_and_nothing_for_workers(app):
    with app.app_context():
        users = {role: User(username=role, role=role, region_id=None, active=True) for role in ROLES}
        assert hidden_fields(users["viewer"], "target") == set(CONTACTS)
        for role in ("officer", "head", "admin"):
            assert hidden_fields(users[role], "target") == set()
        assert hidden_fields(users["viewer"], "project") == set()


def test_the_audit_log_withholds_the_fields_its_reader_may_not_see(app, auth, client, monkeypatch):
    """The audit log is the admins' (route walk), who see contacts; were that rule ever narrowed, the
    audit page and its export would withhold them too — one mechanism for every view of a change."""
    officer = make_user(app, "officer", "南湖区")
    target_id = make_target(app, officer)
    with app.app_context():
        plant_contacts(target_id)
        changes = db.session.scalars(
            sa.select(AuditEvent.changes).where(AuditEvent.entity_type == "target")
        ).all()
    assert any(CONTACTS["contact_phone"] in c for c in changes)  # the audit log does hold them
    auth.login(role="admin")
    assert CONTACTS["contact_phone"] in client.get("/admin/audit?entity_type=target").get_data(as_text=True)
    monkeypatch.setitem(RULES, "target.contacts", lambda user, record: False)
    page = client.get("/admin/audit?entity_type=target").get_data(as_text=True)
    export = readable(client.get("/admin/audit/export?entity_type=target").data)
    for text in (page, export):
        assert not [s for s in SECRETS if s in text]
        assert "无权查看" in text
    with app.app_context():
        viewer = User(username="v", role="viewer", region_id=None, active=True)
        note = visible_changes(viewer, "target", "登录成功")
        withheld = json.loads(visible_changes(viewer, "target", json.dumps({"contact_phone": ["1", "2"]})))
    assert note == "登录成功"
    assert withheld == {"contact_phone": ["（无权查看）", "（无权查看）"]}


@pytest.mark.parametrize("role", ["viewer", "officer"])
def test_searching_for_a_phone_number_finds_no_company(app, auth, client, role):
    """The list's search matches names and credit codes, never contact fields: a viewer can't learn
    whose phone a number is by searching for it."""
    officer = make_user(app, "officer", "南湖区")
    target_id = make_target(app, officer, name="电话搜索测试有限公司")
    with app.app_context():
        plant_contacts(target_id)
    auth.login(role=role, scope="南湖区")
    assert "电话搜索测试有限公司" in client.get("/targets/").get_data(as_text=True)
    for term in (CONTACTS["contact_phone"], CONTACTS["contact_phone"][-4:], CONTACTS["contact_name"]):
        for path in ("/targets/", "/projects/", "/targets/export.xlsx"):
            text = readable(client.get(path, query_string={"q": term}).data)
            assert "电话搜索测试有限公司" not in text, f"{path}?q={term}"
