"""Temporary databases for the benchmark, and the demo data loaded into them.

A database is made for one measurement and removed after it. The PostgreSQL server is named by
BENCH_POSTGRES_URL (its maintenance database, default postgres@127.0.0.1:5432/postgres); DATABASE_URL
is never read, so a developer's own database can't be touched.
"""

import os
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import flask_migrate
import sqlalchemy as sa
from flask import Flask

from crm import create_app
from crm.clusters.seed import seed_plan
from crm.demo import generate
from crm.extensions import db

POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def postgres_reachable() -> bool:
    """Whether the PostgreSQL server accepts a TCP connection."""
    url = sa.make_url(POSTGRES_ADMIN_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=2):
            return True
    except OSError:
        return False


@contextmanager
def temporary_database(kind: str, label: str) -> Iterator[str]:
    """The URL of a new, empty database of kind ("sqlite" or "postgresql"), dropped on exit."""
    if kind == "sqlite":
        with _sqlite_file(label) as url:
            yield url
    elif kind == "postgresql":
        with _postgres_database(label) as url:
            yield url
    else:
        raise ValueError(f"unknown database kind {kind!r} (BENCH_DATABASES: sqlite, postgresql)")


@contextmanager
def _sqlite_file(label: str) -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="crm-bench-")
    try:
        yield "sqlite:///" + os.path.join(directory, f"{label}.sqlite3")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def _postgres_database(label: str) -> Iterator[str]:
    name = f"crm_bench_{os.getpid()}_{label}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_app(url: str) -> Flask:
    """The application on url, configured as in production except for what must stay local."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secrets.token_hex(32),  # never instance/secret_key
            "MAIL_SERVER": "",  # reminder e-mail goes to the outbox table, never to a server
            "WEBHOOK_URL": "",
        }
    )


def load_demo(app: Flask, scale: int, password: str) -> float:
    """Migrate, seed and load the demo data at scale; returns the seconds the load took."""
    with app.app_context():
        flask_migrate.upgrade()
        seed_plan()
        db.session.commit()
        started = time.perf_counter()
        generate(scale, password)
        db.session.commit()
        loaded = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            # what autovacuum does by itself shortly after a bulk load: statistics and visibility map
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
    return loaded


def server_version(app: Flask) -> str:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            return db.session.scalar(sa.text("SHOW server_version"))
        return db.session.scalar(sa.text("SELECT sqlite_version()"))


def dispose(app: Flask) -> None:
    """Close the app's connections, so its database can be dropped."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
