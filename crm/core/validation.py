"""How input is refused: one exception for bad input, one for a concurrent edit, and the one rule for
amounts that every form field and import column holding money, capital or land reads through."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from crm.models import Item

CENT = Decimal("0.01")
# What a person writes for a number: digits, grouped by thousands or not, with an optional sign and
# decimal part (after NFKC, so full-width １２．５ is 12.5, and without spaces). No exponent ("1e30"), no
# NaN or Infinity, which Decimal would accept.
PLAIN_NUMBER = re.compile(r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)")


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
    """Conflict when the form was opened on an older version than the record now has (or sent none)."""
    if str(expected_version).strip() != str(item.version):
        raise Conflict()


class AmountError(ValueError):
    """Why a value is not an acceptable amount: Chinese, to show under the field or after the column's name."""


DECIMALS_IN_WORDS = {2: "两", 4: "四"}


@dataclass(frozen=True)
class Amount:
    """An amount's rule: its unit, the largest value accepted, and (for a rate) its decimals and least value.

    The maximum is far above any real figure of its unit, so a value typed in the wrong unit (元 for 亿元)
    is caught, and far below what the column holds (NUMERIC(14, 2): under 10^12), so nothing accepted
    overflows it. Two decimals at most unless places says otherwise, never negative; "-0" is read as 0.
    """

    unit: str
    maximum: Decimal
    places: int = 2
    minimum: Decimal = Decimal(0)

    def parse(self, value: object) -> Decimal:
        """value (text typed, or a spreadsheet's number) as an exact amount; AmountError in Chinese."""
        number = self._number(value)
        if number < 0 and not self.minimum:
            raise AmountError("不能为负数。")
        if number < self.minimum:
            raise AmountError(f"不能小于 {self.minimum} {self.unit}。")
        if number > self.maximum:  # before any rounding: 30 digits exceed Decimal's precision
            raise AmountError(f"不能超过 {self.maximum:,} {self.unit}（请确认单位是{self.unit}）。")
        quantum = Decimal(1).scaleb(-self.places)
        if number != number.quantize(quantum):
            raise AmountError(f"最多保留{DECIMALS_IN_WORDS.get(self.places, self.places)}位小数。")
        return abs(number.quantize(quantum))  # abs: "-0" is 0

    def _number(self, value: object) -> Decimal:
        if isinstance(value, bool | date):
            raise self._not_a_number()
        if isinstance(value, int | Decimal):
            number = Decimal(value)
        elif isinstance(value, float):
            # Excel shows 15 significant digits: 1.5699999999999998 in a file is the 1.57 the user sees.
            number = Decimal(format(value, ".15g"))
        else:
            text = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(value)))
            if not PLAIN_NUMBER.fullmatch(text):
                raise self._not_a_number()
            number = Decimal(text.replace(",", ""))
        if not number.is_finite():
            raise self._not_a_number()
        return number

    def _not_a_number(self) -> AmountError:
        return AmountError(f"请填写数字（单位：{self.unit}），如 12.5。")


YI_YUAN = Amount("亿元", Decimal("10000"))  # investment, output: a single project above 1 万亿元 is a typo
WAN_USD = Amount("万美元", Decimal("10000000"))  # foreign capital: up to 1,000 亿美元
WAN_YUAN = Amount("万元", Decimal("100000000"))  # 到资, capital in 万元: the same 10,000 亿元 as YI_YUAN
MU = Amount("亩", Decimal("100000"))  # land: up to 100,000 亩 (about 67 km²)
# 人民币 per 美元, kept with four decimals: 0.1 … 100 catches a rate typed the wrong way round (0.14)
RATE = Amount("人民币元/美元", Decimal("100"), places=4, minimum=Decimal("0.1"))
