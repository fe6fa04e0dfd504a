"""What a view reads from a query string or a form: text without control characters.

A NUL typed into a search box or a form field is refused by PostgreSQL for any text column or
parameter (a 500, while SQLite takes it), and no other control character belongs in anything a
person types either. They are dropped where werkzeug decodes the request, once for every view;
tab and line breaks stay (text areas hold them, and crm.core.urls refuses them in paths). The
importer drops the same characters from the cells it reads (crm.imports.rows.as_text).
"""

import re
from collections.abc import Iterable
from typing import Any

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CleanValues(ImmutableMultiDict):
    """request.args and request.form: every text value without control characters."""

    def __init__(self, mapping: Any = None) -> None:
        super().__init__(None if mapping is None else _cleaned(iter_multi_items(mapping)))


def _cleaned(items: Iterable[tuple[str, Any]]) -> Iterable[tuple[str, Any]]:
    for key, value in items:
        yield (
            CONTROL_CHARACTERS.sub("", key),
            CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value,
        )


class CleanRequest(Request):
    """The app's request class (create_app): query strings and forms decoded into CleanValues."""

    parameter_storage_class = CleanValues
