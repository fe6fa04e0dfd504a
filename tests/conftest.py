"""Shared fixtures: one migrated database per test session, cleaned after every test.

The suite runs on SQLite by default (a temporary file) and on PostgreSQL when TEST_DATABASE_URL
names a database (.ci/run creates a fresh one). It never reads DATABASE_URL, so it can't touch a
developer's own database.
"""

import os

import flask_migrate
import pytest
import sqlalchemy as sa

from crm import create_app
from crm.clusters.seed import seed_plan
from crm.extensions import db
from crm.models import StallRule
from crm.stall.rules import DEFAULT_ESCALATION_DAYS, DEFAULT_LIMITS
from tests.factories import AuthActions

# Loaded once per session from the plan; tests that change them put them back.
REFERENCE_TABLES = {"region", "cluster", "chain_segment", "stall_rule"}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


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
    yield app
    with app.app_context():
        _drop_everything()
        db.engine.dispose()


def _drop_everything() -> None:
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(autouse=True)
def clean_database(app):
    """Each test starts from the plan's reference data and nothing else."""
    yield
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


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(app, client):
    return AuthActions(app, client)
