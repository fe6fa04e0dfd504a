"""Backup and restore (issue 7): a backup restored into an empty database holds every record.

Runs on the suite's database (SQLite, or PostgreSQL with TEST_DATABASE_URL); an empty database to
restore into is a new SQLite file or a PostgreSQL database created for the test and dropped after it.
"""

import sqlite3
import subprocess
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from crm.extensions import db
from crm.followups.services import FollowUpInput, log_follow_up
from crm.models import CalendarDay, Project, TargetCompany, User
from crm.ops.backup import PGDUMP_MAGIC, SQLITE_MAGIC
from crm.ops.backup_commands import code_revisions
from tests.factories import (
    PASSWORD,
    build_app,
    everything,
    kind_of,
    make_project,
    make_target,
    make_user,
    suite_url,
)

# Backups and restores read the suite's database through other connections and processes.
pytestmark = pytest.mark.real_commits

UNREACHABLE_POSTGRESQL = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def head_revision(app) -> str:
    with app.app_context():
        (head,) = code_revisions()[0]
        return head


@pytest.fixture
def empty_database_url(app, tmp_path):
    """An empty database of the suite's kind: a new SQLite file, or a new PostgreSQL database."""
    url = suite_url(app)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"{url.database}_restore_{uuid.uuid4().hex[:8]}"
    maintenance = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with maintenance.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with maintenance.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        maintenance.dispose()


@pytest.fixture
def restored_app(empty_database_url):
    """A second app configured for the empty database."""
    other = build_app(empty_database_url)
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def take_backup(runner, path: Path, *options: str):
    return runner.invoke(args=["backup", "-o", str(path), *options])


def make_records(app) -> dict:
    """Users, target companies and projects with follow-ups and history, made through the services."""
    officer = make_user(app, "officer", "南湖区", username="backup-officer")
    head = make_user(app, "head", "全市", username="backup-head")
    targets = [make_target(app, officer, name=f"备份测试企业{n}有限公司") for n in range(3)]
    projects = [make_project(app, officer, stage="在建", name="备份测试项目甲"), make_project(app, officer)]
    with app.app_context():
        actor = db.session.get(User, officer)
        visit = FollowUpInput(
            date(2026, 11, 16), "电话", "电话沟通落地意向", next_follow_up_on=date(2026, 11, 23)
        )
        for item in (db.session.get(TargetCompany, targets[0]), db.session.get(Project, projects[0])):
            log_follow_up(item, actor, visit)
        db.session.commit()
    return {
        "users": ["backup-officer", "backup-head"],
        "targets": targets,
        "projects": projects,
        "head": head,
    }


def test_a_backup_restored_into_an_empty_database_holds_every_record(app, runner, tmp_path, restored_app):
    records = make_records(app)
    before = everything(app)
    backup = tmp_path / "crm.ops.backup"

    result = take_backup(runner, backup)
    assert result.exit_code == 0, result.output
    assert "已备份" in result.output and "用时" in result.output
    magic = SQLITE_MAGIC if kind_of(app) == "sqlite" else PGDUMP_MAGIC
    assert backup.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == ["crm.ops.backup"]  # no temporary file left behind

    result = restored_app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"数据库修订：{head_revision(app)}（与程序一致）" in result.output
    assert "项目（project）：2 行" in result.output and "用户（user_account）：2 行" in result.output

    after = everything(restored_app)
    assert after == before
    assert len(after["follow_up"]) == 2 and after["history_entry"]
    with restored_app.app_context():
        names = db.session.scalars(sa.select(TargetCompany.name).order_by(TargetCompany.id)).all()
        assert names == [f"备份测试企业{n}有限公司" for n in range(3)]
        assert db.session.get(Project, records["projects"][0]).name == "备份测试项目甲"
    client = restored_app.test_client()
    for username in records["users"]:
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, username
        assert "备份测试项目甲" in client.get(f"/projects/{records['projects'][0]}").get_data(as_text=True)
        client.post("/logout")


def test_backup_refuses_to_overwrite_a_file_unless_forced(app, runner, tmp_path):
    existing = tmp_path / "crm.ops.backup"
    existing.write_bytes(b"yesterday's backup")

    result = take_backup(runner, existing)
    assert result.exit_code == 1
    assert "文件已存在" in result.output and "--force" in result.output
    assert existing.read_bytes() == b"yesterday's backup"

    assert take_backup(runner, existing, "--force").exit_code == 0
    assert existing.read_bytes()[:5] in (SQLITE_MAGIC[:5], PGDUMP_MAGIC)
    assert [p.name for p in tmp_path.iterdir()] == ["crm.ops.backup"]


def test_backup_into_a_missing_directory_is_refused(runner, tmp_path):
    result = take_backup(runner, tmp_path / "nowhere" / "crm.ops.backup")
    assert result.exit_code == 1
    assert "目录不存在" in result.output
    assert not (tmp_path / "nowhere").exists()


def sqlite_file(path: Path, revision: str | None) -> Path:
    """A SQLite database with one table, and an alembic_version row when revision is given."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE note (text TEXT)")
    if revision:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    conn.commit()
    conn.close()
    return path


def not_a_backup(kind: str, case: str, path: Path) -> tuple[Path, str]:
    """A file that must be refused, and the reason expected on a database of this kind."""
    other_kind = "不能恢复到这里"
    if case == "missing":
        return path, "备份文件不存在"
    if case == "empty":
        path.write_bytes(b"")
        return path, "备份文件是空的"
    if case == "random":
        path.write_bytes(bytes(range(256)) * 16)
        return path, "不是本系统的备份文件"
    if case == "sqlite without alembic_version":
        return sqlite_file(path, None), "没有 alembic_version 表" if kind == "sqlite" else other_kind
    if case == "sqlite header then garbage":
        path.write_bytes(SQLITE_MAGIC + bytes(range(256)) * 16)
        return path, "无法读取备份文件" if kind == "sqlite" else other_kind
    path.write_bytes(PGDUMP_MAGIC + bytes(range(256)) * 16)  # "pg_dump header then garbage"
    return path, "不是有效的 pg_dump 备份文件" if kind == "postgresql" else other_kind


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "empty",
        "random",
        "sqlite without alembic_version",
        "sqlite header then garbage",
        "pg_dump header then garbage",
    ],
)
def test_restoring_something_that_is_not_a_backup_is_refused_and_changes_nothing(app, runner, tmp_path, case):
    make_records(app)
    before = everything(app)
    path, reason = not_a_backup(kind_of(app), case, tmp_path / "suspect.backup")

    result = runner.invoke(args=["restore", str(path), "--yes"])

    assert result.exit_code == 1
    assert reason in result.output
    assert everything(app) == before


def test_a_backup_from_unknown_code_is_refused(app, runner, tmp_path):
    path = sqlite_file(tmp_path / "future.backup", "9999_from_the_future")
    target = tmp_path / "target.sqlite3"
    other = build_app(f"sqlite:///{target}")
    result = other.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 1
    assert "不是本程序认识的版本" in result.output
    assert not target.exists()


@pytest.fixture
def older_revision(app):
    """The suite's database recorded as one revision behind the code, for one test."""
    head = head_revision(app)
    with app.app_context():
        script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
        previous = script.get_revision(head).down_revision
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
        db.session.commit()
    try:
        yield previous
    finally:
        with app.app_context():
            db.session.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head})
            db.session.commit()


def test_restoring_an_older_backup_says_to_upgrade(app, runner, tmp_path, restored_app, older_revision):
    backup = tmp_path / "old.backup"
    assert take_backup(runner, backup).exit_code == 0
    result = restored_app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"数据库修订：{older_revision}，早于程序的 {head_revision(app)}" in result.output
    assert "flask --app wsgi db upgrade" in result.output


def test_restore_asks_before_replacing_the_data(app, runner, tmp_path):
    make_records(app)
    backup = tmp_path / "crm.ops.backup"
    assert take_backup(runner, backup).exit_code == 0
    make_target(app, make_user(app, "officer", "南湖区"), name="备份之后新建的企业有限公司")
    before = everything(app)

    result = runner.invoke(args=["restore", str(backup)], input="n\n")

    assert result.exit_code == 1
    assert "确定继续吗" in result.output and "已取消，数据库未改动" in result.output
    assert everything(app) == before


def backup_of_kind(app, runner, tmp_path, kind: str) -> Path:
    """A real backup of the suite's database when it is of this kind, else a stand-in with its header."""
    path = tmp_path / f"{kind}.backup"
    if kind_of(app) == kind:
        assert take_backup(runner, path).exit_code == 0
    elif kind == "sqlite":
        sqlite_file(path, head_revision(app))
    else:
        path.write_bytes(PGDUMP_MAGIC + b"\x01\x0e\x00\x04\x08\x01\x01")
    return path


def test_a_sqlite_backup_is_not_restored_into_postgresql(app, runner, tmp_path):
    path = backup_of_kind(app, runner, tmp_path, "sqlite")
    other = build_app(UNREACHABLE_POSTGRESQL)  # refused before any connection is tried
    result = other.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 1
    assert "这是 SQLite 数据库的备份，而当前配置的数据库是 PostgreSQL" in result.output


def test_a_postgresql_backup_is_not_restored_into_sqlite(app, runner, tmp_path):
    path = backup_of_kind(app, runner, tmp_path, "postgresql")
    target = tmp_path / "target.sqlite3"
    result = build_app(f"sqlite:///{target}").test_cli_runner().invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 1
    assert "这是 PostgreSQL 数据库的备份，而当前配置的数据库是 SQLite" in result.output
    assert not target.exists()


def test_a_backup_taken_while_another_connection_writes_is_consistent(app, runner, tmp_path):
    make_records(app)
    backup = tmp_path / "crm.ops.backup"
    writer = sa.create_engine(suite_url(app))
    try:
        with writer.connect() as conn:
            transaction = conn.begin()
            conn.execute(
                sa.insert(CalendarDay),
                [
                    {"day": date(2030, 1, day), "is_working": False, "note": "未提交的写入"}
                    for day in range(1, 8)
                ],
            )
            result = take_backup(runner, backup)  # while the insert is neither committed nor rolled back
            transaction.rollback()
    finally:
        writer.dispose()
    assert result.exit_code == 0, result.output

    if kind_of(app) == "sqlite":
        conn = sqlite3.connect(backup)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("SELECT count(*) FROM calendar_day").fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM target_company").fetchone() == (3,)
        finally:
            conn.close()
    else:
        listing = pg_restore_data(backup, "calendar_day") + pg_restore_data(backup, "target_company")
        assert "未提交的写入" not in listing
        assert all(f"备份测试企业{n}有限公司" in listing for n in range(3))


def pg_restore_data(backup: Path, table: str) -> str:
    """The COPY data of one table in a pg_dump archive, as pg_restore writes it."""
    args = ["pg_restore", "--data-only", f"--table={table}", "--file=-", str(backup)]
    return subprocess.run(args, capture_output=True, check=True, text=True).stdout


def test_pg_dump_gets_the_password_in_its_environment_never_on_its_command_line(tmp_path, monkeypatch):
    calls = []

    def fake_run(args, env, **kwargs):
        calls.append((args, env))
        if "--file" in args:  # pg_dump writes its archive
            Path(args[args.index("--file") + 1]).write_bytes(PGDUMP_MAGIC + b"archive")
        listing = "3608; 0 27231 TABLE DATA public alembic_version crm\n"
        return subprocess.CompletedProcess(args, 0, stdout=listing.encode(), stderr=b"")

    monkeypatch.setattr("crm.ops.backup.subprocess.run", fake_run)
    app = build_app("postgresql://crm:s%40cret-pw@db.example:5433/crm?sslmode=require")
    result = app.test_cli_runner().invoke(args=["backup", "-o", str(tmp_path / "crm.dump")])

    assert result.exit_code == 0, result.output
    assert "1 张表" in result.output
    (dump_args, dump_env), (list_args, _) = calls
    assert Path(dump_args[0]).name == "pg_dump" and Path(list_args[0]).name == "pg_restore"
    assert dump_args[1:] == [
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        "--file",
        dump_args[5],
        "--dbname",
        "postgresql://crm@db.example:5433/crm?sslmode=require",
    ]
    assert dump_env["PGPASSWORD"] == "s@cret-pw"
    assert not any("cret-pw" in arg for arg in dump_args)
    assert (tmp_path / "crm.dump").read_bytes() == PGDUMP_MAGIC + b"archive"


def test_restore_replaces_the_data_of_a_database_in_use(app, runner, tmp_path):
    records = make_records(app)
    backup = tmp_path / "crm.ops.backup"
    assert take_backup(runner, backup).exit_code == 0
    before = everything(app)
    make_target(app, make_user(app, "officer", "南湖区"), name="备份之后新建的企业有限公司")
    with app.app_context():
        db.session.get(TargetCompany, records["targets"][0]).name = "备份之后改过的名字有限公司"
        db.session.commit()
    worker = sa.create_engine(suite_url(app))  # another process's connection, open throughout
    count = sa.text("SELECT count(*) FROM target_company")
    try:
        with worker.connect() as conn:
            assert conn.scalar(count) == 4
            conn.rollback()

            result = runner.invoke(args=["restore", str(backup), "--yes"])

            assert result.exit_code == 0, result.output
            assert "招商清单企业（target_company）：3 行" in result.output
            assert conn.scalar(count) == 3
            conn.rollback()
    finally:
        worker.dispose()
    assert everything(app) == before
