"""The docs page in a real Chromium, with every request off this server blocked."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_renders_every_endpoint_offline(page, live_server):
    here = urlsplit(live_server.url).netloc
    outside = []

    def only_here(route):
        if urlsplit(route.request.url).netloc == here:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto("/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "SMS Gateway API" in page.inner_text(".swagger-ui .info .title")
    page.get_by_text("/api/v1/sms/send", exact=True).first.wait_for()
    assert page.locator(".opblock").count() >= 14
    assert outside == []
    assert errors == [] and page.locator(".errors-wrapper").count() == 0
