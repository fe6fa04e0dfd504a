"""The command line of SPEC §7: create-user, init-admin and demo-data (seed: test_seed.py)."""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Region, Role, User


def _user(app, username):
    with app.app_context():
        return db.session.scalar(
            sa.select(User).options(joinedload(User.region)).where(User.username == username)
        )


def test_create_user_reads_the_password_from_stdin(app, runner, client):
    result = runner.invoke(
        args=["create-user", "wang.head", "--role", "head", "--scope", "南湖区", "--password-stdin"],
        input="Smoke-2026-Strong!\n",
    )
    assert result.exit_code == 0, result.output
    assert "已创建用户 wang.head（局领导，范围：南湖区）" in result.output
    user = _user(app, "wang.head")
    assert (user.role, user.region.name, user.must_change_password) == (Role.HEAD, "南湖区", False)
    response = client.post("/login", data={"username": "wang.head", "password": "Smoke-2026-Strong!"})
    assert response.location == "/"


def test_create_user_without_stdin_prints_a_one_time_password(app, runner):
    result = runner.invoke(args=["create-user", "li", "--role", "viewer", "--scope", "全市"])
    assert result.exit_code == 0
    assert "一次性密码：" in result.output
    user = _user(app, "li")
    assert user.must_change_password and user.region_id is None


def test_create_user_refuses_bad_input_in_chinese_and_creates_nothing(app, runner):
    cases = [
        (["--role", "officer", "--scope", "上海市"], "input", "未知的范围“上海市”"),
        (["--role", "officer", "--scope", "全市", "--password-stdin"], "123\n", "密码至少 10 位"),
        (["--role", "boss", "--scope", "全市"], "", "Invalid value for '--role'"),
    ]
    for options, stdin, message in cases:
        result = runner.invoke(args=["create-user", "li", *options], input=stdin)
        assert result.exit_code != 0
        assert message in result.output
    assert _user(app, "li") is None


def test_create_user_refuses_a_duplicate_username(app, runner):
    args = ["create-user", "li", "--role", "officer", "--scope", "全市", "--password-stdin"]
    assert runner.invoke(args=args, input="Smoke-2026-Strong!\n").exit_code == 0
    result = runner.invoke(args=args, input="Other-2026-Strong!\n")
    assert result.exit_code != 0 and "已存在" in result.output


def test_init_admin_creates_the_first_admin_once(app, runner):
    first = runner.invoke(args=["init-admin"])
    assert "一次性密码：" in first.output
    admin = _user(app, "admin")
    assert admin.role == Role.ADMIN and admin.must_change_password
    second = runner.invoke(args=["init-admin"])
    assert "一次性密码" not in second.output and "已有用户" in second.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_demo_data_makes_people_in_every_region_once(app, runner, client):
    """One run (each generates 2,000 companies; their checks live in test_demo.py)."""
    result = runner.invoke(args=["demo-data", "--scale", "1", "--password-stdin"], input="Demo-pass-2026\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        for region in db.session.scalars(sa.select(Region)):
            people = db.session.scalars(sa.select(User).where(User.region_id == region.id)).all()
            roles = [u.role for u in people]
            assert roles.count(Role.HEAD) >= 1 and roles.count(Role.OFFICER) >= 3, region.name
            assert all(u.email and "@" in u.email for u in people)
        viewers = db.session.scalar(
            sa.select(sa.func.count()).select_from(User).where(User.role == Role.VIEWER)
        )
        total = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    assert viewers >= 1
    assert 50 <= total <= 60
    response = client.post("/login", data={"username": "nanhu-officer1", "password": "Demo-pass-2026"})
    assert response.status_code == 302 and response.location == "/"
    again = runner.invoke(args=["demo-data"])
    assert "新增 0 个" in again.output
    assert "统一密码" not in again.output  # no new account, so no password to show
