"""The factory, configuration, database settings, migrations and the health check."""

import os
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from crm import configure_database_url, create_app, ensure_secret_key
from crm.extensions import db
from crm.models import Cluster, User
from crm.models.migration_hooks import compare_type
from tests.factories import make_user


def test_healthz_answers_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_broken_database(tmp_path):
    broken = create_app(
        {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none", "SECRET_KEY": "x"}
    )
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    app = Flask(__name__, instance_path=str(tmp_path))
    ensure_secret_key(app)
    key = app.config["SECRET_KEY"]
    assert len(key) == 64
    assert (tmp_path / "secret_key").read_text() == key
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    again = Flask(__name__, instance_path=str(tmp_path))
    ensure_secret_key(again)
    assert again.config["SECRET_KEY"] == key


def test_configured_secret_key_is_used_and_nothing_written(tmp_path):
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config["SECRET_KEY"] = "from-environment"
    ensure_secret_key(app)
    assert app.config["SECRET_KEY"] == "from-environment"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_is_normalised_for_psycopg(monkeypatch, tmp_path, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    app = Flask(__name__, instance_path=str(tmp_path))
    configure_database_url(app)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = Flask(__name__, instance_path=str(tmp_path))
    configure_database_url(app)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + os.path.join(tmp_path, "crm.sqlite3")


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite-only connection settings")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_foreign_keys_are_enforced(app):
    with app.app_context():
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(
                sa.insert(User).values(
                    username="ghost",
                    display_name="ghost",
                    role="officer",
                    region_id=999_999,
                    active=True,
                    password_hash="x",
                    must_change_password=False,
                    created_at=datetime.now(UTC),
                )
            )
            db.session.flush()
        db.session.rollback()


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": compare_type,
                "render_as_batch": True,
            },
        )
        assert compare_metadata(context, db.metadata) == []


def test_money_is_exact_and_sums_exactly(app):
    with app.app_context():
        cluster = db.session.scalar(sa.select(Cluster).where(Cluster.name == "嘉兴港区氢能"))
        original = cluster.value_2023
        try:
            cluster.value_2023 = Decimal("0.10")
            db.session.commit()
            db.session.expire_all()
            assert db.session.get(Cluster, cluster.id).value_2023 == Decimal("0.10")
            total = db.session.scalar(
                sa.select(sa.func.sum(Cluster.value_2023)).where(Cluster.id == cluster.id)
            )
            assert total == Decimal("0.10") and isinstance(total, Decimal)
            cluster.value_2023 = Decimal("1.005")
            with pytest.raises(sa.exc.StatementError):
                db.session.commit()
            db.session.rollback()
        finally:
            cluster = db.session.get(Cluster, cluster.id)
            cluster.value_2023 = original
            db.session.commit()


def test_times_are_stored_in_utc_and_returned_aware(app):
    user_id = make_user(app)
    beijing = timezone(timedelta(hours=8))
    with app.app_context():
        user = db.session.get(User, user_id)
        user.last_login_at = datetime(2026, 11, 25, 9, 0, tzinfo=beijing)
        db.session.commit()
        db.session.expire_all()
        stored = db.session.get(User, user_id).last_login_at
    assert stored == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)
