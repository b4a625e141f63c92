"""Browser tests: Playwright driving a real Chromium against pytest-django's live server.

Which Chromium, and how `make test` sets one up: tests/browser/chromium.py.
"""

from __future__ import annotations

import os

import pytest

from tests.browser import chromium

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# (reading the outbox, building users) are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = chromium.launch(playwright, chromium.executable())
        except Error as exc:
            why = chromium.first_line(str(exc))
        else:
            why = None
        if why is not None:
            # One line per test, not a traceback: `make test` sets a browser up first.
            pytest.fail(f"No Chromium starts ({why}): run `make test`, which sets one up "
                        "(tests/browser/chromium.py).", pytrace=False)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Make pages in fresh browser contexts (separate cookies, like separate browsers)."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
