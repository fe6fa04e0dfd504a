"""No query string gives a 500 (issue 14, point 1): every GET route of the app, with hostile values in
every query parameter its view reads, as an admin and as a 南湖区 officer.

Which parameters a view reads is not listed by hand (a list goes stale): a first plain request records
every name the view looks up in ``request.args``, and each of those names (plus the usual suspects:
page, ids, dates, sort, q) is then sent each hostile value. A page number past the end must answer the
last page or a 404; nothing may answer 5xx or raise.
"""

from functools import cached_property

import pytest
from werkzeug.datastructures import ImmutableMultiDict

from crm.core.request_values import CleanRequest
from tests.routes import walk_answer
from tests.test_route_walk import PUBLIC, SKIPPED, Walker, build_world, url_variants

# What a hostile user (or a mangled link) puts in a query string.
HOSTILE = [
    "99999999999999999999",  # overflows SQLite INTEGER and PostgreSQL bigint
    "-1",
    "abc",
    "1e30",
    "NaN",
    "１２",  # full-width digits
    "",
    "a\x00b",  # NUL: PostgreSQL refuses it in text
    "x" * 10_000,
    "9999-12-31",
    "2026-W99",
]
# Sent in each parameter alone.
ALONE = ["99999999999999999999", "abc", "a\x00b", "9999-12-31"]  # the likeliest to crash a parse
# Names any view might read, sent with the others even where the plain request didn't read them.
USUAL = ["page", "q", "sort", "owner", "cluster", "segment", "region", "week", "start", "end", "part", "col"]
ACTORS = [("admin", "全市"), ("officer", "南湖区")]


class RecordingArgs(ImmutableMultiDict):
    """request.args that notes each name the view asks for."""

    read: set[str] = set()

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        RecordingArgs.read.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        RecordingArgs.read.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        RecordingArgs.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        RecordingArgs.read.add(key)
        return super().__contains__(key)


class RecordingRequest(CleanRequest):
    @cached_property
    def args(self):
        return RecordingArgs(super().args)


def allowed_get_urls(app, world):
    """One URL per GET route the actor may open (their own or an in-scope record when it takes one)."""
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    for rule in rules:
        if rule.endpoint in SKIPPED | PUBLIC or "GET" not in rule.methods:
            continue
        actor = world.actor
        for _, url, records in url_variants(rule, world):
            if walk_answer(rule.endpoint, "GET", actor.role, actor.scope, records) is None:
                yield rule.endpoint, url
                break


def answer(client, url: str, params: dict) -> int | str:
    try:
        return client.get(url, query_string=params).status_code
    except Exception as error:  # a crash is a finding: the walk goes on
        return f"{type(error).__name__}: {str(error)[:200]}"


@pytest.mark.parametrize(("role", "scope"), ACTORS, ids=[r for r, _ in ACTORS])
def test_no_query_value_makes_a_page_fail(app, monkeypatch, role, scope):
    monkeypatch.setattr(app, "request_class", RecordingRequest)
    world = build_world(app, role, scope)
    client = Walker(app, world).client
    failures, count = [], 0
    for endpoint, url in allowed_get_urls(app, world):
        RecordingArgs.read = set()
        plain = answer(client, url, {})
        if plain != 200:
            failures.append(f"{url} [{endpoint}] answers {plain} without a query string")
            continue
        # every value in every parameter at once (the usual names too), then each parameter the view
        # read alone (an early refusal of one parameter must not hide another's crash)
        tries = [dict.fromkeys(sorted(RecordingArgs.read | set(USUAL)), value) for value in HOSTILE]
        read = sorted(RecordingArgs.read)
        if role == "admin":  # parameters are parsed the same for every role: one actor sends them alone
            tries += [{name: value} for name in read for value in ALONE]
        for params in tries:
            got = answer(client, url, params)
            count += 1
            if not isinstance(got, int) or got >= 500:
                shown = next(iter(params)) if len(params) == 1 else "every parameter"
                failures.append(f"{url} [{endpoint}] {shown}={next(iter(params.values()))[:30]!r}: {got}")
    assert count > 400
    assert not failures, f"{len(failures)} failures in {count} requests:\n" + "\n".join(failures)
