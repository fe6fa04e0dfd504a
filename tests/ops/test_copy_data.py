"""copy-data (issue 8): every row of an install's database into an empty migrated one, value for value.

The source is a small SQLite install made once for the module: migrated, demo data at a twenty-fifth
of scale 1, and what the demo lacks (an admin's stall rule, a holiday, an archived file, a chain
segment whose parent has a larger id). Targets are fresh databases: SQLite files always, and new
PostgreSQL databases when the suite runs on PostgreSQL (TEST_DATABASE_URL).
"""

import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import date, timedelta
from decimal import Decimal

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from crm.core import audit
from crm.demo import generate
from crm.demo import projects as demo_projects
from crm.demo import targets as demo_targets
from crm.extensions import db
from crm.models import (
    AuditEvent,
    CalendarDay,
    ChainSegment,
    Project,
    ReportArchive,
    StallRule,
    TargetCompany,
    User,
)
from crm.ops.backup_commands import code_revisions
from tests.factories import PASSWORD, build_app, everything, kind_of, make_target, make_user, suite_url

# copy-data reads and writes through engines of its own.
pytestmark = pytest.mark.real_commits

KINDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> tuple[str, dict]:
    """The source install's URL and every row it holds."""
    url = f"sqlite:///{tmp_path_factory.mktemp('source') / 'crm.sqlite3'}"
    app = build_app(url)
    with app.app_context(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo_targets, "TARGETS_PER_SCALE", 80)
        patch.setattr(demo_projects, "PROJECTS_PER_SCALE", 20)
        flask_migrate.upgrade()
        generate(1, PASSWORD)
        add_what_the_demo_lacks()
        db.session.commit()
        audit.event("login.failure", username="不存在的用户")
    rows = everything(app)
    dispose(app)
    return url, rows


def add_what_the_demo_lacks() -> None:
    admin = db.session.scalar(sa.select(User).where(User.username == "city-head"))
    rule = db.session.scalar(sa.select(StallRule).where(StallRule.status_or_stage == "在谈"))
    rule.limit_days, rule.updated_by_id = 12, admin.id
    db.session.add(CalendarDay(day=date(2031, 1, 1), is_working=False, note="元旦", created_by_id=admin.id))
    db.session.add(
        ReportArchive(
            week="2026-W48",
            scope_key="city",
            scope_label="全市",
            fmt="xlsx",
            filename="周调度.xlsx",
            content=bytes(range(256)) * 4,
            size=1024,
            sha256="0" * 64,
            created_by_id=admin.id,
        )
    )
    cluster_id = db.session.scalar(sa.select(ChainSegment.cluster_id).limit(1))
    child = ChainSegment(cluster_id=cluster_id, name="后来挂到新环节下的子环节", category="", sort_order=99)
    db.session.add(child)
    db.session.flush()
    parent = ChainSegment(cluster_id=cluster_id, name="后来新建的环节", category="", sort_order=98)
    db.session.add(parent)
    db.session.flush()
    child.parent_id = parent.id  # refers to a row copied after it in id order


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def new_database(app, tmp_path):
    """Make empty databases (migrated to `revision` unless None) of a kind; an app for each."""
    made: list[tuple] = []

    def make(kind: str = "sqlite", revision: str | None = "head"):
        if kind == "postgresql" and kind_of(app) != "postgresql":
            pytest.skip("PostgreSQL: run the suite with TEST_DATABASE_URL=postgresql+psycopg://…")
        name = f"copy_{uuid.uuid4().hex[:8]}"
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / name}.sqlite3"
        else:
            url = suite_url(app).set(database=f"{suite_url(app).database}_{name}")
            with maintenance(app) as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
            url = url.render_as_string(hide_password=False)
        other = build_app(url)
        made.append((other, kind, url))
        if revision:
            with other.app_context():
                flask_migrate.upgrade(revision=revision)
        return other

    yield make
    for other, kind, url in made:
        dispose(other)
        if kind == "postgresql":
            with maintenance(app) as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)'))


@contextmanager
def maintenance(app) -> Iterator[sa.Connection]:
    """A connection to the PostgreSQL server's maintenance database, for CREATE and DROP DATABASE."""
    engine = sa.create_engine(suite_url(app).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def copy_data(target_app, source_url: str):
    return target_app.test_cli_runner().invoke(args=["copy-data", "--from", source_url])


def database_url(target_app) -> str:
    return target_app.config["SQLALCHEMY_DATABASE_URI"]


@pytest.mark.parametrize("kind", KINDS)
def test_copy_data_copies_every_row_exactly(source, new_database, kind):
    source_url, before = source
    target = new_database(kind)

    result = copy_data(target, source_url)

    assert result.exit_code == 0, result.output
    follow_ups = f"{len(before['follow_up']):,}"
    assert re.search(rf"^follow_up +{follow_ups} +{follow_ups}$", result.output, re.MULTILINE)
    assert "各表行数与源数据库一致" in result.output and "用时" in result.output
    after = everything(target)
    assert after == before
    for table in ("target_company", "project", "follow_up", "history_entry", "audit_event", "problem"):
        assert len(after[table]) >= 5, table
    with target.app_context():
        amounts = db.session.scalars(sa.select(Project.total_investment).where(Project.total_investment > 0))
        assert all(isinstance(a, Decimal) and a.as_tuple().exponent == -2 for a in amounts)
        event = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert (event.action, event.username) == ("login.failure", "不存在的用户")
        assert event.at.utcoffset() == timedelta(0)
        rule = db.session.scalar(sa.select(StallRule).where(StallRule.status_or_stage == "在谈"))
        head = db.session.scalar(sa.select(User.id).where(User.username == "city-head"))
        assert (rule.limit_days, rule.updated_by_id) == (12, head)  # the source's rule, not 0004's
        assert db.session.scalar(sa.select(ReportArchive.content)) == bytes(range(256)) * 4
        assert db.session.scalar(sa.select(CalendarDay.is_working)) is False


@pytest.mark.parametrize("kind", KINDS)
def test_new_rows_after_a_copy_get_ids_beyond_the_copied_ones(source, new_database, kind):
    source_url, before = source
    target = new_database(kind)
    assert copy_data(target, source_url).exit_code == 0

    officer = make_user(target, "officer", "南湖区", username="copied-officer")
    company = make_target(target, officer, name="复制之后新建的企业有限公司")
    with target.app_context():
        audit.event("logout", username="copied-officer")
        newest_event = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
        owner = db.session.get(TargetCompany, company).owner.username
    assert owner == "copied-officer"
    assert officer > max(row[0] for row in before["user_account"])
    assert company > max(row[0] for row in before["target_company"])
    assert newest_event > max(row[0] for row in before["audit_event"])


def test_copy_data_works_back_from_postgresql_to_sqlite(source, new_database):
    source_url, before = source
    postgresql = new_database("postgresql")
    assert copy_data(postgresql, source_url).exit_code == 0
    sqlite_again = new_database("sqlite")

    result = copy_data(sqlite_again, database_url(postgresql))

    assert result.exit_code == 0, result.output
    assert everything(sqlite_again) == before


def test_a_target_holding_data_is_refused_and_left_unchanged(app, source, new_database):
    before = everything(app)  # the suite's database: migrated and seeded with the plan
    result = copy_data(app, source[0])
    assert result.exit_code == 1
    assert "目标数据库已有数据（region 9 行" in result.output and "不要运行 seed" in result.output
    assert everything(app) == before

    target = new_database()
    make_user(target, "admin", "全市", username="too-early")
    result = copy_data(target, source[0])
    assert result.exit_code == 1
    assert "user_account 1 行" in result.output
    assert [row[1] for row in everything(target)["user_account"]] == ["too-early"]


def test_a_target_with_edited_stall_rules_is_refused(source, new_database):
    target = new_database()
    with target.app_context():
        db.session.execute(
            sa.update(StallRule).where(StallRule.status_or_stage == "在建").values(limit_days=40)
        )
        db.session.commit()
    result = copy_data(target, source[0])
    assert result.exit_code == 1
    assert "stall_rule（已修改）" in result.output
    assert sum(len(rows) for name, rows in everything(target).items() if name != "alembic_version") == 6


def previous_revision(app) -> str:
    with app.app_context():
        (head,) = code_revisions()[0]
        script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
        return script.get_revision(head).down_revision


def tables_of(target_app) -> dict[str, int]:
    """Each table's row count, alembic_version included."""
    with target_app.app_context():
        names = sa.inspect(db.engine).get_table_names()
        counts = {name: db.session.scalar(sa.text(f"SELECT count(*) FROM {name}")) for name in names}
        db.session.remove()
        return counts


@pytest.mark.parametrize("migrated", [True, False])
def test_a_target_at_another_revision_is_refused(app, source, new_database, migrated):
    older = previous_revision(app)
    target = new_database(revision=older if migrated else None)
    before = tables_of(target)

    result = copy_data(target, source[0])

    assert result.exit_code == 1
    assert (f"目标数据库修订为 {older}" if migrated else "目标数据库尚未迁移") in result.output
    assert "请先对目标数据库运行 flask --app wsgi db upgrade（只迁移，不要运行 seed）" in result.output
    assert tables_of(target) == before


def test_a_source_at_an_older_revision_is_refused(app, new_database):
    older = previous_revision(app)
    old_source = new_database(revision=older)
    target = new_database()
    before = everything(target)

    result = copy_data(target, database_url(old_source))

    assert result.exit_code == 1
    assert f"源数据库的修订为 {older}" in result.output
    assert "请先对源数据库运行 flask --app wsgi db upgrade" in result.output
    assert everything(target) == before


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("no-such-thing", "无法识别的数据库 URL"),
        ("mysql://crm@127.0.0.1/crm", "不支持 mysql 数据库"),
        (
            "postgresql://nobody@127.0.0.1:1/none",
            "无法连接源数据库 postgresql+psycopg://nobody@127.0.0.1:1/none",
        ),
    ],
)
def test_a_bad_source_url_is_refused_with_a_reason(new_database, url, message):
    target = new_database(revision=None)  # refused before the target is looked at
    result = copy_data(target, url)
    assert result.exit_code == 1
    assert message in result.output


def test_a_missing_sqlite_file_is_refused_not_created(new_database, tmp_path):
    missing = tmp_path / "missing.sqlite3"
    result = copy_data(new_database(revision=None), f"sqlite:///{missing}")
    assert result.exit_code == 1
    assert f"源数据库文件不存在：{missing}" in result.output
    assert not missing.exists()


def test_the_target_itself_as_source_is_refused(new_database):
    target = new_database()
    result = copy_data(target, database_url(target))
    assert result.exit_code == 1
    assert "是同一个数据库" in result.output


@pytest.mark.parametrize("kind", KINDS)
def test_a_failure_halfway_leaves_the_target_empty(source, new_database, tmp_path, kind):
    broken = tmp_path / "broken.sqlite3"
    with (
        closing(sqlite3.connect(sa.make_url(source[0]).database)) as conn,
        closing(sqlite3.connect(broken)) as copy,
    ):
        conn.backup(copy)
        # every officer deactivated behind the app's back, while still owning open companies
        copy.execute("UPDATE user_account SET active = 0")
        copy.commit()
    target = new_database(kind)
    before = everything(target)

    result = copy_data(target, f"sqlite:///{broken}")

    assert result.exit_code == 1
    assert "复制失败（复制表 target_company 时），目标数据库未改动" in result.output
    assert everything(target) == before
    assert copy_data(target, source[0]).exit_code == 0  # and it is still a fine target
