"""Shared fixtures: one migrated database per test process, each test inside a transaction.

The suite runs on SQLite by default (a temporary file per process) and on PostgreSQL when
TEST_DATABASE_URL names a database (.ci/run creates a fresh one); with pytest-xdist each worker makes
its own database next to that one (``<name>_gw0``, ...) and drops it at the end. It never reads
DATABASE_URL, so it can't touch a developer's own database.

Each test runs inside one transaction on one connection, rolled back at the end (``transaction``):
the app's sessions join it with a savepoint per session transaction, so their commits and
rollbacks behave as usual, and ``db.engine.begin()`` (the audit log's own transaction, the report
cache) is a savepoint on the same connection whose writes are kept as if committed (SharedEngine). A test whose work must really be committed — other
connections, threads or processes, apps on other databases, the live server of the browser tests —
is marked ``real_commits``: it runs as the app does and the tables are emptied after it.
"""

import os
from contextlib import contextmanager

import flask_migrate
import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from crm import create_app
from crm.clusters.seed import seed_plan
from crm.extensions import db
from crm.models import StallRule
from crm.stall.rules import DEFAULT_ESCALATION_DAYS, DEFAULT_LIMITS
from tests.factories import AuthActions

# Loaded once per database from the plan; tests that change them put them back (or roll back).
REFERENCE_TABLES = {"region", "cluster", "chain_segment", "stall_rule"}
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... under xdist


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        return
    if not WORKER:
        yield url
        return
    base = sa.make_url(url)
    own = base.set(database=f"{base.database}_{WORKER}")
    maintenance = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with maintenance.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{own.database}"')
        # a test database need not survive a crash: commits (real_commits tests, migrations) don't wait
        # for the disk
        conn.exec_driver_sql(f'ALTER DATABASE "{own.database}" SET synchronous_commit = off')
    try:
        yield own.render_as_string(hide_password=False)
    finally:
        with maintenance.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)')
        maintenance.dispose()


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        _drop_everything()
        flask_migrate.upgrade()
        seed_plan()
        db.session.commit()
        db.session.remove()
        # Bound to a connection in a transaction (see `transaction`), a session works in a savepoint
        # of its own; bound to the engine, as the app and real_commits tests have it, this changes nothing.
        db.session.configure(join_transaction_mode="create_savepoint")
    _empty_tables(app)  # seeding's audit events: every test starts from the reference data alone
    yield app
    with app.app_context():
        if not (WORKER and os.environ.get("TEST_DATABASE_URL")):  # a worker's own database is dropped
            _drop_everything()
        db.engine.dispose()


def _drop_everything() -> None:
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(autouse=True)
def transaction(request, app):
    """The test inside one transaction, rolled back after it; real_commits tests: emptied tables."""
    if request.node.get_closest_marker("real_commits"):
        yield
        _empty_tables(app)
        return
    with app.app_context():
        engine = db.engine
    with _one_transaction(engine) as connection:
        shared = SharedEngine(connection)
        engines, single = SQLAlchemy.engines, SQLAlchemy.engine
        suite = engine.url

        def own_engines(self):  # every app on the suite's database uses the connection, too
            found = engines.fget(self)
            return {None: connection} if found[None].url == suite else found

        def own_engine(self):
            found = engines.fget(self)[None]
            return shared if found.url == suite else found

        SQLAlchemy.engines, SQLAlchemy.engine = property(own_engines), property(own_engine)
        try:
            yield
        finally:
            SQLAlchemy.engines, SQLAlchemy.engine = engines, single
            committed = not connection.in_transaction()
    leftovers = _rows_outside_reference_tables(app)
    if committed or leftovers:
        _empty_tables(app)
        pytest.fail(
            "this test's writes outlived its transaction"
            + (f" (rows in {', '.join(leftovers)})" if leftovers else "")
            + ": mark it @pytest.mark.real_commits",
            pytrace=False,
        )


@contextmanager
def _one_transaction(engine):
    """A connection in a transaction that is rolled back at the end, whatever happened inside."""
    connection = engine.connect()
    driver = connection.connection.driver_connection
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:  # pysqlite begins lazily and commits at the outermost RELEASE: take BEGIN in hand
        isolation_level, driver.isolation_level = driver.isolation_level, None
    outer = connection.begin()
    if sqlite:
        connection.exec_driver_sql("BEGIN")
    try:
        yield connection
    finally:
        if outer.is_active:
            outer.rollback()
        if sqlite:
            driver.rollback()
            driver.isolation_level = isolation_level
        connection.close()


class SharedEngine:
    """db.engine during a transactional test: the test's connection, never another one.

    begin() — the audit log's and the report cache's own transaction — is a savepoint on it, and
    what it wrote outlives the sessions around it as a committed transaction would: when a savepoint
    that was open before the write is rolled back (a request that ends without committing), the
    write is made again. connect() hands the connection out without closing it; dispose() has
    nothing to let go.
    """

    def __init__(self, connection: sa.Connection):
        self._connection = connection
        self.dialect = connection.dialect
        self.url = connection.engine.url
        self.name = connection.engine.name
        self._written: list[list[tuple]] = []  # each begin() block's statements, in order
        self._written_before: dict[str, int] = {}  # savepoint -> how many blocks preceded it
        savepoint, rollback_to = connection._savepoint_impl, connection._rollback_to_savepoint_impl

        def savepoint_counted(name=None):
            name = savepoint(name)
            self._written_before[name] = len(self._written)
            return name

        def rollback_to_keeping_own_writes(name):
            rollback_to(name)
            connection.info["replaying"] = True  # not the request's own statements (count_statements)
            try:
                for block in self._written[self._written_before.get(name, len(self._written)) :]:
                    for args, kwargs in block:
                        connection.execute(*args, **kwargs)
            finally:
                connection.info["replaying"] = False

        connection._savepoint_impl = savepoint_counted
        connection._rollback_to_savepoint_impl = rollback_to_keeping_own_writes

    @contextmanager
    def begin(self):
        block = []
        with self._connection.begin_nested():
            yield _Recording(self._connection, block)
        self._written.append(block)

    @contextmanager
    def connect(self):
        yield self._connection

    def dispose(self) -> None:
        pass


class _Recording:
    """The connection, keeping what is executed through it."""

    def __init__(self, connection: sa.Connection, block: list):
        self._connection, self._block = connection, block

    def execute(self, *args, **kwargs):
        self._block.append((args, kwargs))
        return self._connection.execute(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._connection, name)


def _rows_outside_reference_tables(app) -> list[str]:
    """Tables other than the plan's that hold rows: none, after a test rolled back."""
    with app.app_context():
        tables = [t for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
        counts = sa.select(*(sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables))
        found = db.session.execute(counts).one()
        db.session.remove()
    return [t.name for t, n in zip(tables, found, strict=True) if n]


def _empty_tables(app) -> None:
    """Back to the plan's reference data and nothing else, after a test that committed."""
    with app.app_context():
        db.session.rollback()
        # reference rows may name a user (who last edited a rule): let the users go
        db.session.execute(sa.text("UPDATE stall_rule SET updated_by_id = NULL"))
        for key, days in DEFAULT_LIMITS.items():  # and any test's edit of a rule is undone
            db.session.execute(
                sa.update(StallRule)
                .where(StallRule.status_or_stage == key)
                .values(limit_days=days, escalation_days=DEFAULT_ESCALATION_DAYS)
            )
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(app, client):
    return AuthActions(app, client)
