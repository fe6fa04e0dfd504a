"""Query-string numbers are read without trusting them: record ids, dates and page numbers."""

import re
from datetime import date

import pytest

from crm.core.listing import MAX_ID, clamped_page, query_day, record_id, requested_page
from tests.factories import make_user


@pytest.mark.parametrize("text", ["1", "42", str(MAX_ID)])
def test_a_record_id_is_read(text):
    assert record_id(text) == int(text)


@pytest.mark.parametrize(
    "text", ["", "0", "-1", "-0", "abc", "1.5", "1e3", "１２", " 1", str(MAX_ID + 1), "9" * 20, "9" * 5000]
)
def test_anything_else_is_no_record_id(text):
    with pytest.raises(ValueError):
        record_id(text)


@pytest.mark.parametrize(("text", "page"), [("", 1), ("3", 3), ("0", 1), ("-1", 1), ("abc", 1), ("１２", 1),
                                            ("99999999999999999999", 1_000_000), ("9" * 10_000, 1_000_000)])  # fmt: skip
def test_the_requested_page_is_a_page_number(app, text, page):
    with app.test_request_context(query_string={"page": text}):
        assert requested_page() == page


@pytest.mark.parametrize(
    ("page", "count", "expected"), [(1, 0, 1), (5, 0, 1), (3, 120, 3), (99, 120, 3), (0, 10, 1)]
)
def test_a_hand_paged_list_stays_within_its_pages(page, count, expected):
    assert clamped_page(page, count, 50) == expected


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "2026-02-30", "abc", ""])
def test_a_query_date_is_refused_outside_its_range(text):
    with pytest.raises(ValueError):
        query_day(text)


def test_a_query_date_is_read():
    assert query_day("2026-03-15") == date(2026, 3, 15)


@pytest.mark.parametrize("page", ["3", "99999999999999999999"])
def test_a_list_asked_for_a_page_past_its_end_shows_its_last_page(app, auth, client, page):
    auth.login(role="admin", scope="全市")

    for _ in range(3):
        make_user(app, "viewer", "全市")
    app.config["PAGE_SIZE"], size = 2, app.config["PAGE_SIZE"]
    try:
        html = client.get("/admin/users", query_string={"page": page}).get_data(as_text=True)
    finally:
        app.config["PAGE_SIZE"] = size
    current = re.search(r'aria-current="page">\s*<a class="page-link" href="#">(\d+)</a>', html)
    assert current and current[1] == "2" and "共 4 个用户" in html
