"""Connection settings per database, and the check /healthz runs."""

import sqlite3

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from crm.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 5000


@sa.event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: object, _connection_record: object) -> None:
    """WAL for concurrent readers, a busy timeout for writers, and enforced foreign keys."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def database_ok() -> bool:
    """True when a trivial query succeeds."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
