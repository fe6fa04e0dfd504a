"""统一社会信用代码 (GB 32100-2015) and company-name normalisation."""

import pytest

from crm.core.identity import credit_code_problem, name_key, normalize_credit_code

# Published codes of real companies.
REAL_CODES = [
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "91110000802100433B",  # 中国石油天然气股份有限公司
    "91330000142916567N",  # 浙江省能源集团有限公司
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert credit_code_problem(code) is None


@pytest.mark.parametrize("code", REAL_CODES)
def test_changing_any_one_character_is_caught(code):
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for position in range(18):
        for replacement in alphabet[::7]:
            if replacement == code[position]:
                continue
            mutated = code[:position] + replacement + code[position + 1 :]
            assert credit_code_problem(mutated) is not None, mutated


def test_swapping_two_neighbours_is_caught():
    code = REAL_CODES[0]
    swapped = code[:3] + code[4] + code[3] + code[5:]
    assert credit_code_problem(swapped) is not None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91330100799655058", "应为 18 位，实际为 17 位"),
        ("91330100799655058BB", "应为 18 位，实际为 19 位"),
        ("9133010079965505IB", "第 17 位“I”不是有效字符"),
        ("91330100799655058C", "第 18 位应为“B”，实际为“C”"),
        ("91330100799655o58B", "第 15 位“o”不是有效字符"),
    ],
)
def test_problems_are_named_in_chinese(code, message):
    assert message in credit_code_problem(code)


def test_codes_are_normalised_before_checking():
    assert normalize_credit_code(" 9133 0100 7996 5505 8b ") == "91330100799655058B"
    assert normalize_credit_code("９１３３０１００７９９６５５０５８Ｂ") == "91330100799655058B"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("阿里巴巴（中国）有限公司", "阿里巴巴"),
        ("阿里巴巴(中国)有限公司", "阿里巴巴（中国）有限公司"),
        ("华友钴业股份有限公司", "华友钴业"),
        ("浙江ＡＢＣ新材料有限责任公司", "浙江abc新材料"),
        ("Siemens Ltd., China", "SIEMENS China"),
    ],
)
def test_names_that_differ_only_in_form_share_a_key(a, b):
    assert name_key(a) == name_key(b)


def test_different_companies_keep_different_keys():
    assert name_key("巨石集团有限公司") != name_key("桐昆集团股份有限公司")
