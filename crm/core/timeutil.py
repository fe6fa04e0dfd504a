"""Dates as the bureau sees them: in the configured zone (Asia/Shanghai)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_today() -> date:
    """Today's date in Jiaxing, whatever the server's own zone."""
    return datetime.now(local_zone()).date()
