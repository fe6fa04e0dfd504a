"""The bureau's time zone and its local dates and times: the one place for both.

Times are stored in UTC and shown in Asia/Shanghai. Code that runs with an app asks local_zone()
(the TIMEZONE setting, which defaults to BUREAU_ZONE); pure rules take a zone argument that defaults
to BUREAU_ZONE, so they can be called without an app.
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app

BUREAU_ZONE = ZoneInfo("Asia/Shanghai")


def local_zone(app: Flask | None = None) -> ZoneInfo:
    """The configured zone (TIMEZONE) of app, or of the current app."""
    return config_zone((app or current_app).config)


def config_zone(config: Mapping[str, Any]) -> ZoneInfo:
    """The zone a configuration names (TIMEZONE), for code handed the settings rather than the app."""
    return ZoneInfo(config["TIMEZONE"])


def local_today() -> date:
    """Today's date in Jiaxing, whatever the server's own zone."""
    return datetime.now(local_zone()).date()


def local_date(moment: datetime, zone: ZoneInfo = BUREAU_ZONE) -> date:
    """The local calendar day of an aware moment; ValueError for a naive one."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return moment.astimezone(zone).date()


def utc_moment(day: date, clock: time = time(), zone: ZoneInfo = BUREAU_ZONE) -> datetime:
    """The aware UTC moment at which the local clock shows `clock` on `day` (midnight by default)."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)
