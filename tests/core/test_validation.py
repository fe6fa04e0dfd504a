"""The one rule for amounts (forms and imports): plain numbers in their unit's range, two decimals."""

from datetime import date
from decimal import Decimal

import pytest

from crm.core.validation import MU, WAN_USD, YI_YUAN, AmountError

COLUMN_LIMIT = Decimal("999999999999.99")  # NUMERIC(14, 2), the Money column


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("12.5", "12.50"),
        ("0", "0.00"),
        ("-0", "0.00"),  # stored as 0, not -0
        ("-0.00", "0.00"),
        ("１２．５", "12.50"),  # full-width, as a Chinese IME types it
        (" 12.5 ", "12.50"),
        ("1,234.5", "1234.50"),
        ("１，２３４", "1234.00"),
        (".5", "0.50"),
        ("10000", "10000.00"),
        (12, "12.00"),
        (1.5699999999999998, "1.57"),  # a spreadsheet's float, as Excel shows it
    ],
)
def test_what_people_write_is_read_exactly(value, amount):
    assert YI_YUAN.parse(value) == Decimal(amount) and str(YI_YUAN.parse(value)) == amount


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1e30", "请填写数字"),
        ("1E3", "请填写数字"),
        ("1e-9", "请填写数字"),
        ("NaN", "请填写数字"),
        ("sNaN", "请填写数字"),
        ("Infinity", "请填写数字"),
        ("-inf", "请填写数字"),
        ("abc", "请填写数字"),
        ("", "请填写数字"),
        ("12,5.5", "请填写数字"),
        ("0x10", "请填写数字"),
        ("1_000", "请填写数字"),
        ("a\x00", "请填写数字"),
        (float("nan"), "请填写数字"),
        (float("inf"), "请填写数字"),
        (True, "请填写数字"),
        (date(2026, 1, 1), "请填写数字"),
        ("-1", "不能为负数"),
        ("-0.01", "不能为负数"),
        ("10000.01", "不能超过 10,000 亿元"),
        ("9" * 30, "不能超过 10,000 亿元"),
        ("9" * 5000, "不能超过 10,000 亿元"),
        (10**40, "不能超过 10,000 亿元"),
        ("1.234", "最多保留两位小数"),
        ("0.000000001", "最多保留两位小数"),
    ],
)
def test_anything_else_is_refused_with_a_chinese_reason(value, reason):
    with pytest.raises(AmountError, match=reason):
        YI_YUAN.parse(value)


@pytest.mark.parametrize("rule", [YI_YUAN, WAN_USD, MU])
def test_every_accepted_amount_fits_the_money_column(rule):
    assert rule.maximum < COLUMN_LIMIT
    assert rule.parse(str(rule.maximum)) == rule.maximum


def test_each_unit_has_its_own_ceiling():
    assert WAN_USD.parse("5000000") == Decimal("5000000.00")  # 500 亿美元 of foreign capital
    with pytest.raises(AmountError, match="万美元"):
        WAN_USD.parse("10000000.01")
    with pytest.raises(AmountError, match="亩"):
        MU.parse("100000.01")
