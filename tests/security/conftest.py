"""Helpers for the security centre's tests: sign in as a given browser from a given address."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD, last_sms_code

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_WIN = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0.0.0 Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")


def browser(ip: str = "198.51.100.7", agent: str = FIREFOX) -> Client:
    """A test client that looks like one browser at one address."""
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)


def sign_in(client: Client, user, password: str = PASSWORD, remember: bool = False,
            next_url: str = ""):
    """The real two pages; returns the last response (a redirect when it worked)."""
    data = {"username": user.username, "password": password}
    if next_url:
        data["next"] = next_url
    response = client.post("/accounts/login/", data)
    if response.status_code == 302 and response["Location"].endswith("/accounts/login/code/"):
        form = {"code": last_sms_code()}
        if remember:
            form["remember"] = "1"
        response = client.post("/accounts/login/code/", form)
    return response


@pytest.fixture
def alice_browser(alice):
    client = browser()
    assert sign_in(client, alice).status_code == 302
    return client
