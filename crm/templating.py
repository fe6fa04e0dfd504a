"""Template filters and globals: local time, amounts, permissions."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from crm.permissions import can


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time shown in the configured zone (Asia/Shanghai)."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(fmt)


def amount(value: Decimal | None, places: int = 2) -> str:
    """An amount with fixed decimals and thousands separators; empty for None."""
    if value is None:
        return "—"
    return f"{value:,.{places}f}"


def register(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(amount, "amount")
    app.add_template_global(can, "can")
