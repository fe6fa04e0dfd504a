"""嘉兴招商 CRM: the application factory."""

import os
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from crm.config import Defaults
from crm.core.request_values import CleanRequest


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, instance/config.py, CRM_* environment, then test_config."""
    app = Flask(__name__, instance_relative_config=True)
    app.request_class = CleanRequest  # no control characters in query strings and forms
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("CRM")
    if test_config is not None:
        app.config.from_mapping(test_config)
    configure_database_url(app)
    ensure_secret_key(app)
    trust_proxy_headers(app)

    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def configure_database_url(app: Flask) -> None:
    """DATABASE_URL (environment or instance config) or the SQLite file in instance/."""
    url = (
        app.config.get("SQLALCHEMY_DATABASE_URI")
        or os.environ.get("DATABASE_URL")
        or app.config.get("DATABASE_URL")
        or "sqlite:///" + os.path.join(app.instance_path, "crm.sqlite3")
    )
    # psycopg 3 is the installed driver; accept the URLs people usually write.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    app.config["SQLALCHEMY_DATABASE_URI"] = url


def ensure_secret_key(app: Flask) -> None:
    """Use CRM_SECRET_KEY, else a key generated once into instance/secret_key."""
    if app.config.get("SECRET_KEY"):
        return
    path = os.path.join(app.instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    with open(path) as f:
        app.config["SECRET_KEY"] = f.read().strip()


def trust_proxy_headers(app: Flask) -> None:
    """Take the client's address, scheme and host from PROXY_FIX trusted proxies' X-Forwarded-* headers."""
    proxies = int(app.config["PROXY_FIX"])
    if proxies > 0:
        # Flask documents wrapping wsgi_app in middleware; mypy reads the assignment as replacing a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )


def register_extensions(app: Flask) -> None:
    import crm.database  # noqa: F401  (installs the SQLite connection pragmas)
    from crm.extensions import bootstrap, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: Flask) -> None:
    from crm.admin import bp as admin_bp
    from crm.auth import bp as auth_bp
    from crm.clusters import bp as clusters_bp
    from crm.main import bp as main_bp
    from crm.outcomes.views import bp as funds_bp
    from crm.projects import bp as projects_bp
    from crm.reports import bp as reports_bp
    from crm.targets import bp as targets_bp
    from crm.warnings_overview import bp as warnings_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(clusters_bp, url_prefix="/clusters")
    app.register_blueprint(targets_bp, url_prefix="/targets")
    app.register_blueprint(projects_bp, url_prefix="/projects")
    app.register_blueprint(funds_bp, url_prefix="/funds")
    app.register_blueprint(warnings_bp)
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(admin_bp, url_prefix="/admin")


def register_request_hooks(app: Flask) -> None:
    from crm.auth.guard import register as register_guard
    from crm.core.audit import register as register_audit
    from crm.security import register as register_security

    register_security(app)  # the session clock is checked before the login guard
    register_guard(app)
    register_audit(app)


def register_error_handlers(app: Flask) -> None:
    from crm.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from crm.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from crm.commands import register

    register(app)
