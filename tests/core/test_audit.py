"""The audit log and login throttling: every kind of event is recorded; the log is append-only."""

import io
import json
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import AuditEvent, CalendarDay, TargetCompany, User
from tests.factories import PASSWORD, make_user
from tests.routes import ADMIN_AUDIT_ROUTES, ROLE_ACTORS


def events(app, **where) -> list[AuditEvent]:
    with app.app_context():
        stmt = sa.select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)
        found = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return found


def username(app, user_id) -> str:
    with app.app_context():
        return db.session.get(User, user_id).username


def attempt(client, name, password):
    return client.post("/login", data={"username": name, "password": password})


@pytest.mark.parametrize(("role", "scope"), ROLE_ACTORS, ids=[f"{r}-{s}" for r, s in ROLE_ACTORS])
@pytest.mark.parametrize("endpoint", sorted(ADMIN_AUDIT_ROUTES))
def test_only_admins_read_the_audit_log(app, auth, client, endpoint, role, scope):
    auth.login(role=role, scope=scope)
    method, path = ADMIN_AUDIT_ROUTES[endpoint]
    response = client.open(path, method=method)
    assert response.status_code == (200 if role == "admin" else 403)
    if role != "admin":
        assert events(app, action="access.denied")[-1].changes == "admin.audit（403）"


def test_logins_logouts_and_failures_are_recorded_with_the_address(app, client):
    name = username(app, make_user(app, "officer", "南湖区"))
    attempt(client, name, "wrong-password-1")
    attempt(client, name, PASSWORD)
    client.post("/logout")
    recorded = [
        (e.action, e.username, e.ip, e.path) for e in events(app) if e.action.startswith(("login", "logout"))
    ]
    assert recorded == [
        ("login.failure", name, "127.0.0.1", "/login"),
        ("login.success", name, "127.0.0.1", "/login"),
        ("logout", name, "127.0.0.1", "/logout"),
    ]


def test_unknown_users_and_wrong_passwords_get_the_same_answer(app, client):
    name = username(app, make_user(app, "officer", "南湖区"))
    wrong = attempt(client, name, "wrong-password-1")
    unknown = attempt(client, "no-such-user", "wrong-password-1")
    assert wrong.status_code == unknown.status_code == 200
    strip = lambda r: r.get_data(as_text=True).replace(name, "").replace("no-such-user", "")  # noqa: E731
    assert strip(wrong) == strip(unknown) and "用户名或密码错误" in strip(wrong)


def test_every_create_update_and_delete_is_recorded_with_old_and_new_values(app, auth, client):
    from tests.factories import make_target

    owner = make_user(app, "officer", "南湖区")
    target_id = make_target(app, owner, name="审计测试有限公司")
    created = events(app, action="record.create", entity_type="target", entity_id=target_id)
    assert json.loads(created[0].changes)["name"] == [None, "审计测试有限公司"]
    assert created[0].username == "system"  # made outside a request (a command or a script)
    with app.app_context():
        db.session.get(TargetCompany, target_id).hq_city = "上海"
        db.session.commit()
    updated = events(app, action="record.update", entity_type="target", entity_id=target_id)
    assert json.loads(updated[-1].changes) == {"hq_city": ["", "上海"]}
    auth.login(role="admin")
    client.post("/admin/calendar", data={"day": "2027-02-08", "is_working": "", "note": "春节"})
    with app.app_context():
        day_id = db.session.scalar(sa.select(CalendarDay.id))
    client.post(f"/admin/calendar/{day_id}/delete")
    deleted = events(app, action="record.delete", entity_type="calendar_day")
    assert json.loads(deleted[0].changes)["note"] == ["春节", None]
    assert deleted[0].username.startswith("admin") and deleted[0].path == f"/admin/calendar/{day_id}/delete"


def test_a_password_change_is_recorded_without_the_hash(app, auth, client):
    user_id = auth.login(role="officer", scope="南湖区")
    client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "Another-pass-2026",
            "confirm": "Another-pass-2026",
        },
    )
    change = [e for e in events(app, action="record.update", entity_type="user_account", entity_id=user_id)]
    assert change, "the password change was not audited"
    values = json.loads(change[-1].changes)
    assert values["password_hash"] == ["***", "***（已更改）"]
    assert "pbkdf2" not in change[-1].changes and "scrypt" not in change[-1].changes


def test_refused_access_is_recorded(app, auth, client):
    auth.login(role="officer", scope="南湖区")
    assert client.get("/admin/users").status_code == 403
    other = make_user(app, "officer", "嘉善县")
    from tests.factories import make_target

    hidden = make_target(app, other, region="嘉善县")
    assert client.get(f"/targets/{hidden}/edit").status_code in (403, 404)
    denied = events(app, action="access.denied")
    assert [e.changes for e in denied][:1] == ["admin.users（403）"]
    assert any(e.entity_type == "target" and e.entity_id == hidden for e in denied)


def test_the_log_is_append_only(app):
    with app.app_context():
        db.session.add(AuditEvent(action="logout", username="x"))
        db.session.commit()
        with pytest.raises(sa.exc.DBAPIError):
            db.session.execute(sa.update(AuditEvent).values(username="tampered"))
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(sa.select(AuditEvent.username)) == "x"
    assert not [
        r
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/admin/audit") and r.methods - {"GET", "HEAD", "OPTIONS"}
    ]


def test_admins_search_and_export_the_log(app, auth, client):
    name = username(app, make_user(app, "officer", "南湖区"))
    attempt(client, name, "wrong-password-1")
    auth.login(role="admin")
    page = client.get(f"/admin/audit?user={name}&action=login.failure").get_data(as_text=True)
    assert "登录失败" in page and "共 1 条" in page
    today = datetime.now(UTC).date().isoformat()
    assert "共 0 条" in client.get(f"/admin/audit?user={name}&end=2020-01-01").get_data(as_text=True)
    assert "共 1 条" in client.get(f"/admin/audit?user={name}&start={today}").get_data(as_text=True)
    exported = client.get(f"/admin/audit/export?user={name}")
    sheet = openpyxl.load_workbook(io.BytesIO(exported.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间（北京时间）", "用户", "事件") and [r[1:3] for r in rows[1:]] == [
        (name, "登录失败")
    ]


def test_pruning_keeps_at_least_180_days(app, runner):
    now = datetime.now(UTC)
    with app.app_context():
        for days in (400, 200, 179, 1):
            db.session.add(AuditEvent(action="logout", username=f"d{days}", at=now - timedelta(days=days)))
        db.session.commit()
    refused = runner.invoke(args=["prune-audit", "--days", "90"])
    assert refused.exit_code != 0 and "至少保留 180 天" in refused.output
    done = runner.invoke(args=["prune-audit", "--days", "180"])
    assert done.exit_code == 0 and "2 条" in done.output
    with app.app_context():
        left = set(db.session.scalars(sa.select(AuditEvent.username).where(AuditEvent.username.like("d%"))))
    assert left == {"d179", "d1"}


def test_someone_elses_message_and_archive_are_404_and_audited(app, auth, client):
    from crm.models import Notification, ReportArchive

    other = make_user(app, "officer", "嘉善县")
    with app.app_context():
        note = Notification(user_id=other, kind="test", title="别人的消息")
        archive = ReportArchive(
            week="2026-W46",
            scope_key="city",
            scope_label="嘉兴市",
            region_id=None,
            fmt="xlsx",
            filename="x.xlsx",
            content=b"x",
            size=1,
            sha256="0" * 64,
            created_by_id=other,
        )
        db.session.add_all([note, archive])
        db.session.commit()
        note_id, archive_id = note.id, archive.id
    auth.login(role="head", scope="南湖区")
    assert client.get(f"/notifications/{note_id}").status_code == 404
    assert client.post(f"/notifications/{note_id}/read").status_code == 404
    assert client.get(f"/reports/archive/{archive_id}").status_code == 404
    denied = [(e.entity_type, e.entity_id, e.changes) for e in events(app, action="access.denied")]
    assert denied == [
        ("notification", note_id, "notification.view（404）"),
        ("notification", note_id, "notification.view（404）"),
        ("report_archive", archive_id, "report.view（404）"),
    ]
    with app.app_context():
        assert db.session.get(Notification, note_id).read_at is None
