"""Size classes come from 总投资 by the rule (issue 15, point 2): the highest class reached; 超亿美元
from a USD figure, else from 亿元 and the year's rate, else unknown."""

from decimal import Decimal as D

import pytest

from crm.models import PROJECT_TAGS
from crm.models.enums import tags_to_bits
from crm.outcomes.sizes import breakdown, over_100m_usd, size_class, threshold_of


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (None, None),
        (D("0.99"), None),
        (D("1.00"), "亿元以上"),
        (D("9.99"), "亿元以上"),
        (D("10.00"), "10亿元以上"),
        (D("49.99"), "10亿元以上"),
        (D("50.00"), "50亿元以上"),
        (D("99.99"), "50亿元以上"),
        (D("100.00"), "100亿元以上"),
        (D("350.00"), "100亿元以上"),
    ],
)
def test_the_size_class_is_the_highest_threshold_reached(total, label):
    assert size_class(total) == label


def test_each_class_starts_at_its_threshold():
    assert [threshold_of(label) for label in ("亿元以上", "10亿元以上", "50亿元以上", "100亿元以上")] == [
        1,
        10,
        50,
        100,
    ]
    with pytest.raises(KeyError):
        threshold_of("5亿元以上")


@pytest.mark.parametrize(
    ("total", "usd", "rate", "expected"),
    [
        (D("5.00"), D("10000.00"), None, True),  # its own USD figure decides: 1 亿美元 = 10,000 万美元
        (D("900.00"), D("9999.99"), D("7.1"), False),  # even when 亿元 ÷ rate would say otherwise
        (D("7.10"), None, D("7.1000"), True),  # 7.10 亿元 at 7.1 元 per 美元 = 1 亿美元
        (D("7.09"), None, D("7.1000"), False),
        (D("50.00"), None, None, None),  # no USD figure and no rate: unknown, never guessed
        (None, None, D("7.1"), None),
    ],
)
def test_over_100m_usd(total, usd, rate, expected):
    assert over_100m_usd(total, usd, rate) is expected


@pytest.mark.parametrize(
    ("total", "usd", "rate", "tags", "expected"),
    [
        (D("50.00"), None, D("7.1"), ["世界500强"], (True, True, True, True)),
        (D("49.99"), None, D("7.1"), [], (True, False, True, False)),
        (D("9.99"), D("10000.00"), None, ["上市公司"], (False, False, True, False)),
        (D("12.00"), None, None, [], (True, False, None, False)),  # the rate is missing: unknown
        (None, None, None, [], (False, False, False, False)),  # nothing to judge: not 超亿美元
    ],
)
def test_the_breakdown_of_a_count_by_the_same_rules(total, usd, rate, tags, expected):
    """其中10亿元以上 / 50亿元以上 / 超亿美元 / 世界500强, as 目标任务进展 and the weekly 概况 count them."""
    classes = breakdown(total, usd, rate, tags_to_bits(tags, PROJECT_TAGS))
    assert (classes.ten, classes.fifty, classes.usd, classes.fortune) == expected
