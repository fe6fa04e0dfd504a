"""Company identity: the 统一社会信用代码 check (GB 32100-2015) and name normalisation."""

import re
import unicodedata

# GB 32100-2015 code set: digits and capital letters except I, O, Z, S, V (31 characters).
CODE_SET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_problem(code: str) -> str | None:
    """A Chinese sentence naming what is wrong with code, or None if it is valid."""
    if len(code) != 18:
        return f"统一社会信用代码应为 18 位，实际为 {len(code)} 位。"
    for position, char in enumerate(code, start=1):
        if char not in CODE_SET:
            return (
                f"统一社会信用代码第 {position} 位“{char}”不是有效字符"
                "（只能是数字和除 I、O、Z、S、V 以外的大写字母）。"
            )
    total = sum(CODE_SET.index(c) * w for c, w in zip(code[:17], WEIGHTS, strict=True))
    expected = CODE_SET[(31 - total % 31) % 31]
    if code[17] != expected:
        return f"统一社会信用代码校验位错误：第 18 位应为“{expected}”，实际为“{code[17]}”。"
    return None


def normalize_credit_code(raw: str) -> str:
    """Upper-case, width-folded, without spaces: how codes are stored and compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).upper()


# Removed from names before comparing, longest first ("股份有限公司" before "有限公司").
NAME_NOISE = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份",
    "(中国)",
    "(集团)",
    "co.,ltd.",
    "co.,ltd",
    "co.ltd",
    "corporation",
    "limited",
    "company",
    "gmbh",
    "inc.",
    "ltd.",
    "corp.",
    "inc",
    "ltd",
    "corp",
)


def name_key(name: str) -> str:
    """Comparable form of a company name: width-folded, lower-case, without legal-form words.

    "阿里巴巴（中国）有限公司", "阿里巴巴(中国)有限公司" and "阿里巴巴" share one key.
    """
    key = unicodedata.normalize("NFKC", name).lower()
    key = re.sub(r"\s+", "", key)
    for noise in NAME_NOISE:
        key = key.replace(noise, "")
    key = re.sub(r"[\s.,·•、，。\-_'\"()（）]+", "", key)
    return key or re.sub(r"\s+", "", unicodedata.normalize("NFKC", name).lower())
