"""What the list pages (招商清单, 项目清单) share: their filters as query-string arguments."""

from dataclasses import dataclass, fields
from typing import Any

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
        return {k: v for k, v in values.items() if v not in (None, "")}


def _arg(value: Any) -> Any:
    """A checkbox filter is "1" when on and left out when off."""
    if isinstance(value, bool):
        return "1" if value else ""
    return value
