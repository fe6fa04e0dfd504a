"""Security headers on every response, and no inline script for the CSP to forbid."""

import re
from pathlib import Path

import pytest

from tests.factories import make_project, make_target

# Written out rather than imported: a change to the policy must be a change to this test too.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
FIXED = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
TEMPLATES = Path(__file__).resolve().parent.parent / "crm" / "templates"
# The weekly 调度会 document is a standalone file sent as an attachment, opened from disk: its
# stylesheet has to travel inside it. It is never served as a page.
STANDALONE_DOCUMENTS = {"reports/weekly_document.html"}

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)


def inline_code(html: str) -> list[str]:
    """Inline scripts, event-handler attributes, javascript: URLs and style attributes in html."""
    found = [m.group(0) for m in SCRIPT_TAG.finditer(html) if "src=" not in m.group(1)]
    found += EVENT_ATTRIBUTE.findall(html) + STYLE_ATTRIBUTE.findall(html)
    found += re.findall(r"javascript:", html, re.IGNORECASE)
    return found


def assert_fixed_headers(response) -> None:
    for name, value in FIXED.items():
        assert response.headers.get(name) == value, name
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_login_page_has_the_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert_fixed_headers(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/targets/",
        "/projects/",
        "/projects/board",
        "/projects/problems",
        "/warnings",
        "/notifications",
        "/reports/dashboard",
        "/reports/weekly",
        "/admin/users",
        "/account/password",
    ],
)
def test_every_signed_in_page_has_the_headers_and_is_not_stored(auth, client, path):
    auth.login(role="admin")
    response = client.get(path)
    assert response.status_code == 200
    assert_fixed_headers(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert inline_code(response.get_data(as_text=True)) == []


def test_detail_pages_and_exports_have_the_headers(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    target_id = make_target(app, officer)
    project_id = make_project(app, officer)
    for path in (f"/targets/{target_id}", f"/projects/{project_id}", "/targets/export.xlsx"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_fixed_headers(response)
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("path", "status"), [("/no-such-page", 404), ("/targets/999999", 404)])
def test_error_pages_have_the_headers(auth, client, path, status):
    auth.login(role="admin")
    response = client.get(path)
    assert response.status_code == status
    assert_fixed_headers(response)
    assert inline_code(response.get_data(as_text=True)) == []


def test_refused_and_anonymous_responses_have_the_headers(auth, client):
    response = client.get("/targets/")  # anonymous: sent to the login page
    assert response.status_code == 302
    assert_fixed_headers(response)
    auth.login(role="viewer")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert_fixed_headers(response)


@pytest.mark.parametrize(
    "path", ["/static/css/app.css", "/static/js/app.js", "/bootstrap/static/js/bootstrap.min.js"]
)
def test_static_files_are_nosniff_and_may_be_cached(auth, client, path):
    auth.login()
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    response = client.get("/login", environ_overrides={"wsgi.url_scheme": "https"})
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_hsts_when_configured_for_https_behind_a_proxy(app, client, monkeypatch):
    # TLS ends at the proxy, so the app sees http; the secure-cookie setting says the site is https
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    response = client.get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def test_templates_are_found():
    assert len(_templates()) > 20


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_or_style(path):
    html = path.read_text(encoding="utf-8")
    assert inline_code(html) == []
    if str(path.relative_to(TEMPLATES)) not in STANDALONE_DOCUMENTS:
        assert "<style" not in html.lower()


def test_inline_code_detector_catches_what_the_csp_forbids():
    assert inline_code("<script>alert(1)</script>")
    assert inline_code('<SCRIPT type="module">x()</SCRIPT>')
    assert inline_code('<button onclick="go()">')
    assert inline_code('<a href="javascript:go()">')
    assert inline_code('<div style="color: red">')
    assert inline_code('<script src="/static/js/app.js"></script><p class="once">') == []
