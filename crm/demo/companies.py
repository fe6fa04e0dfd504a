"""Demo target companies themselves: names, credit codes, tags, contacts (used by crm/demo/targets.py).

Names are unique by name key and credit codes unique and valid (GB 32100-2015, with a GB 11714
organisation code inside), also against the companies already in the database.
"""

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from crm.core.identity import CODE_SET, WEIGHTS, name_key
from crm.demo import words
from crm.models import COMPANY_TYPES, HONOURS, Priority, TargetSource, TargetStatus
from crm.models.enums import tags_to_bits

CODE_SHARE, NO_SEGMENT_SHARE = 0.70, 0.10
CITY_WEIGHTS = [weight for *_, weight in words.CITIES]
LEGAL_FORMS = [form for form, _ in words.LEGAL_FORMS]
LEGAL_FORM_WEIGHTS = [weight for _, weight in words.LEGAL_FORMS]
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714
CODE_VALUES = {char: value for value, char in enumerate(CODE_SET)}


@dataclass
class ClusterInfo:
    """What the generator needs to know about a cluster, read once."""

    id: int
    title: str
    industry: str
    region_id: int
    region_name: str
    park: str
    formal: bool
    weight: Decimal
    segments: list[tuple[int, str]]  # (id, name) of the segments that get companies; leaves twice
    name_words: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    english: list[str] = field(default_factory=list)

    def __post_init__(self):
        name_words, products, english = words.INDUSTRIES.get(self.industry, words.DEFAULT_INDUSTRY)
        self.name_words, self.products, self.english = (
            name_words.split(),
            products.split(),
            english.split("|"),
        )


class Companies:
    """Makes companies; remembers the name keys and credit codes in use."""

    def __init__(self, rng: random.Random, names: set[str], codes: set[str]):
        self.rng, self.names, self.codes = rng, names, codes

    def make(self, cluster: ClusterInfo, foreign: bool, status: TargetStatus) -> tuple[dict, dict]:
        """The company's own columns, and the words its visit notes use."""
        rng = self.rng
        identity, short = self._foreign(cluster) if foreign else self._chinese(cluster)
        listed = rng.random() < (0.3 if foreign else 0.5 if "股份" in identity["name"] else 0)
        types, honours = _tags(rng, foreign, listed)
        use_segment = cluster.segments and rng.random() >= NO_SEGMENT_SHARE
        segment_id, segment = rng.choice(cluster.segments) if use_segment else (None, cluster.industry)
        source = _weighted(rng, words.SOURCES[foreign])
        investment = _investment(rng, status, foreign or "世界500强" in honours)
        contact, say = _contact(rng, foreign)
        products = rng.sample(cluster.products, min(2, len(cluster.products)))
        row = dict(
            identity,
            type_bits=tags_to_bits(types, COMPANY_TYPES),
            honour_bits=tags_to_bits(honours, HONOURS),
            cluster_id=cluster.id,
            segment_id=segment_id,
            region_id=cluster.region_id,
            source=TargetSource(source),
            priority=_priority(rng, investment, honours),
            intended_investment=investment,
            industry_note=_note(rng, products, foreign),
            version=1,
            **contact,
        )
        amount = f"{investment or 0:.2f}".rstrip("0").rstrip(".")
        say.update(short=short, region=cluster.region_name, cluster=cluster.title, product=products[0])
        say.update(segment=segment, city=identity["hq_city"], amount=amount, mu=rng.randint(30, 300))
        say.update(park=cluster.park, event=rng.choice(words.EVENTS), source=source)
        say["reason"] = rng.choice(words.ABANDON_REASONS).format(elsewhere=rng.choice(words.ELSEWHERE), **say)
        return row, say

    def _chinese(self, cluster: ClusterInfo) -> tuple[dict, str]:
        rng = self.rng
        city, division, _ = rng.choices(words.CITIES, weights=CITY_WEIGHTS)[0]

        def make(attempt: int) -> tuple[str, str]:
            brand = "".join(rng.sample(words.BRAND_CHARS, 2 if attempt < 20 else 3))
            trade = brand + rng.choice(cluster.name_words)
            return city + trade + rng.choices(LEGAL_FORMS, weights=LEGAL_FORM_WEIGHTS)[0], trade

        name, key, trade = self._unique_name(make)
        code = self._credit_code(division) if rng.random() < CODE_SHARE else None
        identity = {"name": name, "name_key": key, "credit_code": code, "foreign_registration": None}
        return identity | {"country": "中国", "hq_city": city}, trade

    def _foreign(self, cluster: ClusterInfo) -> tuple[dict, str]:
        rng = self.rng
        country, cities, starts, ends, forms, pattern = rng.choices(
            words.FOREIGN, weights=words.FOREIGN_WEIGHTS
        )[0]

        def make(attempt: int) -> tuple[str, str]:
            stem = rng.choice(starts.split()) + rng.choice(ends.split())
            qualifiers = [rng.choice(words.QUALIFIERS.split()) for _ in range(min(2, attempt // 10))]
            return " ".join(
                [stem, rng.choice(cluster.english), *qualifiers, rng.choice(forms.split("|"))]
            ), stem

        name, key, stem = self._unique_name(make)
        registration = "".join(
            rng.choice("0123456789") if c == "#" else rng.choice(CODE_SET[10:]) if c == "@" else c
            for c in pattern
        )
        identity = {"name": name, "name_key": key, "credit_code": None, "foreign_registration": registration}
        return identity | {"country": country, "hq_city": rng.choice(cities.split())}, stem

    def _unique_name(self, make: Callable[[int], tuple[str, str]]) -> tuple[str, str, str]:
        """A name from make(attempt) whose key no company has yet (make varies more as attempts grow)."""
        for attempt in itertools.count():
            name, short = make(attempt)
            key = name_key(name)
            if key not in self.names:
                self.names.add(key)
                return name, key, short
        raise AssertionError("unreachable")

    def _credit_code(self, division: str) -> str:
        """A valid unused 统一社会信用代码: 91 (enterprise), division, organisation code, check character."""
        while True:
            org = f"{self.rng.randrange(10**8):08d}"
            check = 11 - sum(int(d) * w for d, w in zip(org, ORG_CODE_WEIGHTS, strict=True)) % 11
            body = "91" + division + org + {10: "X", 11: "0"}.get(check, str(check))
            total = sum(CODE_VALUES[c] * w for c, w in zip(body, WEIGHTS, strict=True))
            code = body + CODE_SET[(31 - total % 31) % 31]
            if code not in self.codes:
                self.codes.add(code)
                return code


def _tags(rng: random.Random, foreign: bool, listed: bool) -> tuple[set[str], set[str]]:
    types = set(rng.sample(words.FOREIGN_TYPES if foreign else words.CHINESE_TYPES, rng.choice((1, 1, 2))))
    odds = words.FOREIGN_HONOURS if foreign else words.CHINESE_HONOURS
    honours = {honour for honour, p in odds if rng.random() < p}
    if listed:
        types.add("上市型")
        honours.add("上市公司")
    return types, honours


def _contact(rng: random.Random, foreign: bool) -> tuple[dict, dict]:
    name = rng.choice(words.CONTACT_SURNAMES) + "".join(rng.sample(words.CONTACT_GIVEN, rng.choice((1, 2))))
    title, address = rng.choice(words.FOREIGN_TITLES if foreign else words.TITLES)
    phone = (
        f"1{rng.choice('3589')}{rng.randrange(10)}0000{rng.randrange(10000):04d}"  # 1xx-0000-xxxx: made up
    )
    row = {"contact_name": name, "contact_title": title, "contact_phone": phone, "contact_email": ""}
    return row, {"contact": name[0] + address, "contact_name": name, "title": title}


def _investment(rng: random.Random, status: TargetStatus, big: bool) -> Decimal | None:
    """亿元, 0.50–80.00, mostly a few 亿; unknown for some companies not yet contacted."""
    if status == TargetStatus.UNCONTACTED and rng.random() < 0.15:
        return None
    amount = rng.lognormvariate(1.0, 1.0) * (2.5 if big else 1)
    return Decimal(f"{min(80.0, max(0.5, amount)):.2f}")


def _priority(rng: random.Random, investment: Decimal | None, honours: set[str]) -> Priority:
    if "世界500强" in honours or (investment or 0) >= 20:
        return Priority.HIGH
    return Priority(_weighted(rng, {"高": 15, "中": 55, "低": 30}))


def _note(rng: random.Random, products: list[str], foreign: bool) -> str:
    fact = rng.choice(words.FOREIGN_FACTS if foreign else words.NOTE_FACTS)
    fact = fact.format(revenue=rng.randint(3, 300), staff=rng.randrange(2, 60) * 1000)
    return f"主营{'、'.join(products)}，{fact}。"


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]
