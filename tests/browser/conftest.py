"""Browser fixtures: the app served on a loopback port with CSRF on, and Debian's Chromium.

The served app is a second instance on the session's database (already migrated and seeded by
the `app` fixture), configured as in production except for the cheap password hash.
"""

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from crm.extensions import db
from tests.factories import build_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# How long a step may wait for its condition (an element, a URL, a text): only a failing step waits
# this long, so it is generous for a busy machine.
TIMEOUT_MS = 30_000
BROWSER_DIR = Path(__file__).parent


def pytest_collection_modifyitems(items):
    """The served app reads and writes through its own connections: browser tests commit for real."""
    for item in items:
        if BROWSER_DIR in item.path.parents:
            item.add_marker(pytest.mark.real_commits)


@pytest.fixture(scope="session")
def live_server(app, database_url):
    """Serve a CSRF-protected app on a free 127.0.0.1 port; yields its base URL."""
    live_app = build_app(database_url, csrf=True)
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()
    with live_app.app_context():
        db.engine.dispose()  # release connections before the session drops the tables


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; skips when Debian's package is missing (fails in CI)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CRM_REQUIRE_BROWSER"):
            pytest.fail("CRM_REQUIRE_BROWSER is set but Chromium is missing: apt-get install -y chromium")
        pytest.skip("Chromium 未安装：apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh context (no cookies) and page per test; fails the test on uncaught script errors."""
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)  # expect(...) has its own default, 5 s
    page = context.new_page()
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(error))
    yield page
    context.close()
    assert not script_errors, f"JavaScript errors: {script_errors}"
