"""Default configuration; overridden by instance/config.py, CRM_* environment variables and test_config."""

from datetime import timedelta

from crm.core.timeutil import BUREAU_ZONE


class Defaults:
    # DATABASE_URL (environment or instance/config.py) names the database; the SQLite file in
    # instance/ is the embedded default, resolved in create_app once the instance path is known.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    TIMEZONE = BUREAU_ZONE.key  # the zone every local date and time is in (crm.core.timeutil)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = False  # CRM_SESSION_COOKIE_SECURE=true behind https
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # The session clock (crm.security): signed out after this long without a request, and this
    # long after login whatever the activity.
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12

    # Behind nginx (deploy/nginx-crm.conf): the number of proxies in front of the app whose
    # X-Forwarded-For/-Proto/-Host headers are trusted (CRM_PROXY_FIX=1). 0 ignores those headers,
    # as it must when clients reach the app directly and could forge them.
    PROXY_FIX = 0

    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    # One-time form tokens (crm.core.form_tokens): refused after this long, longer than any session
    # (SESSION_ABSOLUTE_HOURS), so only a form from an ended session is refused for its age.
    FORM_TOKEN_HOURS = 24
    WTF_I18N_ENABLED = False  # WTForms' own Chinese messages (crm.core.forms.Form), no Babel needed

    BOOTSTRAP_SERVE_LOCAL = True  # intranet: never a CDN
    BOOTSTRAP_BOOTSWATCH_THEME = None

    PASSWORD_HASH_METHOD = "scrypt"  # werkzeug's default; tests use a cheaper one

    PAGE_SIZE = 30

    # Imports (招商清单): the upload, its unpacked size (an .xlsx is a zip) and its rows.
    IMPORT_MAX_BYTES = 5 * 1024 * 1024
    IMPORT_MAX_UNPACKED_BYTES = 50 * 1024 * 1024
    IMPORT_MAX_ROWS = 20_000

    # Reminders (SPEC §4, §7): links in e-mails and robot posts start with BASE_URL; with no
    # MAIL_SERVER e-mail goes to the outbox admins read; the scan runs on working days at REMINDER_TIME.
    BASE_URL = "http://127.0.0.1:5000"
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_USE_TLS = False
    MAIL_SENDER = "crm@localhost"
    WEBHOOK_URL = ""
    WEBHOOK_SECRET = ""
    REMINDER_TIME = "09:00"
