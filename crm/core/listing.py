"""What the list pages share: filters as query-string arguments, record ids and page numbers read from
the query string without trusting it, and pagination that answers a page past the end with the last page."""

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination

from crm.extensions import db

DEFAULT_SORT = "updated"  # last changed first: the lists' default order, never written into links


@dataclass
class ListFilters:
    """A list's filters, read from and written back to its query string (a dataclass per list)."""

    sort: str = DEFAULT_SORT

    def as_args(self, **overrides: Any) -> dict[str, Any]:
        """The non-empty filters in field order, for links (pagination, export, board ↔ table, counts)."""
        values = {f.name: _arg(getattr(self, f.name)) for f in fields(self) if f.name != "sort"}
        values["sort"] = "" if self.sort == DEFAULT_SORT else self.sort
        values.update(overrides)
        return {k: v for k, v in values.items() if v not in (None, "", [])}  # a list: one value each


def _arg(value: Any) -> Any:
    """A checkbox filter is "1" when on and left out when off."""
    if isinstance(value, bool):
        return "1" if value else ""
    return value


# --- reading the query string without trusting it ---------------------------------------------------------

MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger number names no record (and overflows SQLite)
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
MAX_PAGE = 1_000_000  # any page number beyond this is "past the end" anyway
P = TypeVar("P", bound=Pagination)


def record_id(text: str) -> int:
    """A record id from the query string, as werkzeug's type=: ASCII digits 1 … MAX_ID, else ValueError.

    args.get("owner", type=record_id) is None for "abc", "-1", "１２" or 30 digits: the filter is left
    out, as for any other value that names no record.
    """
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        raise ValueError(f"not a record id: {text[:20]!r}")
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise ValueError(f"not a record id: {value}")
    return value


def requested_page(name: str = "page") -> int:
    """The page the query string asks for: 1 when absent or not a page number (0, -1, abc), at most
    MAX_PAGE. A page past the end is for the list to settle (page_of: its last page)."""
    text = request.args.get(name, "")
    if not (text.isascii() and text.isdigit()):
        return 1
    return max(1, min(int(text) if len(text) <= 7 else MAX_PAGE, MAX_PAGE))


def page_of(make: Callable[[int], P], page: int | None = None) -> P:
    """make(page) for the requested page, or make(last page) when the request asked past the end."""
    pagination = make(requested_page() if page is None else page)
    last = max(pagination.pages, 1)
    return make(last) if pagination.page > last else pagination


def paginate(stmt: sa.Select, per_page: int | None = None) -> Pagination:
    """One page of stmt's rows, as every list shows them (?page=; PAGE_SIZE rows unless per_page)."""
    size = per_page or current_app.config["PAGE_SIZE"]
    return page_of(lambda page: db.paginate(stmt, page=page, per_page=size, error_out=False))


def clamped_page(page: int, count: int, per_page: int) -> int:
    """page within 1 … the last page of count rows (for lists that page by hand, like the board)."""
    return max(1, min(page, -(-count // per_page)))


def query_day(text: str) -> date:
    """A date from the query string, as werkzeug's type=: YYYY-MM-DD in FIRST_DAY … LAST_DAY, else
    ValueError (a day's end, the next day, must still be a date)."""
    day = date.fromisoformat(text.strip())
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"date out of range: {day}")
    return day
