"""How services refuse: one exception for bad input, one for a concurrent edit."""

from crm.models import Item


class Invalid(ValueError):
    """Input that can't be saved: field name (or "" for the whole form) → Chinese reason."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("；".join(problems.values()))
        self.problems = problems


class Conflict(Exception):
    """Someone else saved the record after this user opened it (optimistic locking)."""

    MESSAGE = (
        "保存失败：该记录已被他人修改。为避免覆盖对方的修改，本次未保存。请刷新页面查看最新内容后重新编辑。"
    )

    def __init__(self, message: str = MESSAGE):
        super().__init__(message)


def check_version(item: Item, expected_version: int | str | None) -> None:
    """Conflict when the form was opened on an older version than the record now has."""
    if expected_version is None or int(expected_version) != item.version:
        raise Conflict()
