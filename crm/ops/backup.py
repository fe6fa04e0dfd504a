"""Backup and restore of the whole database (issue 7, 等保2.0 数据备份恢复).

SQLite: sqlite3's online backup API copies every page inside one read transaction, so the copy is
consistent while the app keeps writing (WAL). PostgreSQL: pg_dump / pg_restore in the custom format,
connection details from DATABASE_URL and the password only in the environment (PGPASSWORD), never on a
command line. A backup is written to a temporary file beside its target and renamed when complete; a
restore checks the file (kind, readable, an Alembic revision this code knows) before touching anything.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
KIND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SQLITE_TIMEOUT_SECONDS = 30


class BackupError(Exception):
    """A refusal or failure with a Chinese message; the database was not changed."""


@dataclass
class BackupSummary:
    kind: str
    path: Path
    size: int
    seconds: float
    tables: int
    rows: int | None  # counted for SQLite; a pg_dump archive is not opened to count


def database_kind(url: sa.URL) -> str:
    """'sqlite' or 'postgresql' for the configured database URL."""
    kind = url.get_backend_name()
    if kind not in KIND_LABELS:
        raise BackupError(f"不支持备份或恢复 {kind} 数据库（仅支持 SQLite 和 PostgreSQL）。")
    if kind == "sqlite" and url.database in (None, "", ":memory:"):
        raise BackupError("内存中的 SQLite 数据库无法备份或恢复，请配置数据库文件。")
    return kind


def backup_kind(path: Path) -> str:
    """The kind of database a backup file holds, told by its first bytes."""
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    with path.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if not head:
        raise BackupError(f"备份文件是空的：{path}")
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"不是本系统的备份文件（既不是 SQLite 数据库，也不是 pg_dump 自定义格式）：{path}")


def backup(url: sa.URL, output: Path, force: bool = False) -> BackupSummary:
    """Write a complete backup of the database at url to output, all or nothing."""
    kind = database_kind(url)
    if output.is_dir():
        raise BackupError(f"{output} 是一个目录，请给出备份文件名。")
    if output.exists() and not force:
        raise BackupError(f"文件已存在：{output}。加 --force 才会覆盖。")
    if not output.parent.is_dir():
        raise BackupError(f"目录不存在：{output.parent}")
    started = time.monotonic()
    fd, name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".part")
    os.close(fd)
    partial = Path(name)
    try:
        if kind == "sqlite":
            tables, rows = _sqlite_backup(sqlite_path(url), partial)
        else:
            tables, rows = _pg_dump(url, partial), None
        _fsync(partial)
        if output.exists() and not force:  # appeared while we were copying
            raise BackupError(f"文件已存在：{output}。加 --force 才会覆盖。")
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return BackupSummary(kind, output, output.stat().st_size, time.monotonic() - started, tables, rows)


def backup_revision(url: sa.URL, path: Path) -> str:
    """The Alembic revision recorded in a backup, after checking it fits the configured database."""
    kind, target = backup_kind(path), database_kind(url)
    if kind != target:
        raise BackupError(
            f"这是 {KIND_LABELS[kind]} 数据库的备份，而当前配置的数据库是 {KIND_LABELS[target]}，"
            "不能恢复到这里。"
        )
    return _sqlite_revision(path) if kind == "sqlite" else _pg_revision(path)


def restore(url: sa.URL, path: Path) -> None:
    """Replace the configured database's contents with the backup (checked by backup_revision)."""
    if database_kind(url) == "sqlite":
        _sqlite_restore(path, sqlite_path(url))
    else:
        conninfo, env = libpq_connection(url)
        options = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
        try:
            _run_pg("pg_restore", options, ["--dbname", conninfo, str(path)], env)
        except BackupError as error:  # one transaction: pg_restore rolled everything back
            raise BackupError(f"恢复失败，数据库未改动。{error}") from None


# SQLite


def sqlite_path(url: sa.URL) -> Path:
    """The database file of a SQLite URL (Flask-SQLAlchemy has made it absolute)."""
    if not url.database:
        raise BackupError("内存中的 SQLite 数据库没有文件，无法备份或恢复。")
    return Path(url.database)


def _open_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=SQLITE_TIMEOUT_SECONDS)


def _sqlite_backup(source: Path, partial: Path) -> tuple[int, int]:
    if not source.is_file():
        raise BackupError(f"数据库文件不存在：{source}")
    src = sqlite3.connect(source, timeout=SQLITE_TIMEOUT_SECONDS)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)  # all pages in one step: one read transaction, one consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file, no -wal beside it
        tables = _sqlite_tables(dst)
        rows = sum(dst.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
    except sqlite3.Error as error:
        raise BackupError(f"备份失败：{error}") from None
    finally:
        dst.close()
        src.close()
    return len(tables), rows


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    return [name for (name,) in conn.execute(sql)]


def _sqlite_revision(path: Path) -> str:
    try:
        conn = _open_readonly(path)
        try:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"备份文件已损坏（SQLite 完整性检查未通过）：{path}")
            if "alembic_version" not in _sqlite_tables(conn):
                raise BackupError(f"不是本系统的备份：数据库中没有 alembic_version 表：{path}")
            revisions = [r for (r,) in conn.execute("SELECT version_num FROM alembic_version")]
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise BackupError(f"无法读取备份文件（{error}）：{path}") from None
    return _one_revision(revisions, path)


def _sqlite_restore(path: Path, target: Path) -> None:
    if not target.parent.is_dir():
        raise BackupError(f"数据库所在目录不存在：{target.parent}")
    try:
        src = _open_readonly(path)
        dst = sqlite3.connect(target, timeout=SQLITE_TIMEOUT_SECONDS)
        try:
            src.backup(dst)  # one write transaction on the live file: all pages or none
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as error:
        raise BackupError(f"恢复失败，数据库未改动：{error}") from None


def _fsync(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())


# PostgreSQL


def libpq_connection(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it (PGPASSWORD)."""
    conninfo = sa.URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    ).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _pg_dump(url: sa.URL, partial: Path) -> int:
    conninfo, env = libpq_connection(url)
    options = ["--format=custom", "--no-owner", "--no-privileges"]
    try:
        _run_pg("pg_dump", options, ["--file", str(partial), "--dbname", conninfo], env)
    except BackupError as error:
        raise BackupError(f"备份失败，未生成备份文件。{error}") from None
    listing = _run_pg("pg_restore", ["--list"], [str(partial)], env)
    return len(re.findall(r"^\d+; \d+ \d+ TABLE DATA ", listing, re.MULTILINE))


def _pg_revision(path: Path) -> str:
    env = dict(os.environ)
    try:
        listing = _run_pg("pg_restore", ["--list"], [str(path)], env)
    except BackupError:
        raise BackupError(f"不是有效的 pg_dump 备份文件（无法读取目录）：{path}") from None
    if not re.search(r"^\d+; \d+ \d+ TABLE DATA \S+ alembic_version ", listing, re.MULTILINE):
        raise BackupError(f"不是本系统的备份：其中没有 alembic_version 表的数据：{path}")
    script = _run_pg("pg_restore", ["--data-only", "--table=alembic_version", "--file=-"], [str(path)], env)
    copy = re.search(
        r"^COPY \S*alembic_version .*? FROM stdin;\n(.*?)^\\\.$", script, re.MULTILINE | re.DOTALL
    )
    revisions = copy.group(1).split() if copy else []
    return _one_revision(revisions, path)


def _run_pg(program: str, options: list[str], arguments: list[str], env: dict[str, str]) -> str:
    """Run a PostgreSQL client program; its output, or BackupError with the end of its complaint."""
    executable = shutil.which(program) or f"/usr/bin/{program}"
    try:
        done = subprocess.run([executable, *options, *arguments], env=env, capture_output=True, check=False)
    except OSError as error:
        raise BackupError(
            f"无法运行 {program}（请安装 PostgreSQL 客户端 postgresql-client）：{error}"
        ) from None
    if done.returncode != 0:
        complaint = [line.strip() for line in done.stderr.decode(errors="replace").splitlines()]
        raise BackupError(f"{program} 失败：" + " / ".join(line for line in complaint[-5:] if line))
    return done.stdout.decode(errors="replace")


def _one_revision(revisions: list[str], path: Path) -> str:
    if len(revisions) != 1:
        raise BackupError(f"备份中的数据库修订记录不完整（alembic_version 有 {len(revisions)} 行）：{path}")
    return revisions[0]
