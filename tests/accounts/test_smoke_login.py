from __future__ import annotations

from tests.conftest import PASSWORD, last_sms_code


def test_it_signs_in_without_second_factor(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    page = client.get("/dashboard/")
    assert "Welcome, alice" in page.content.decode()


def test_it_asks_for_the_sms_code_after_the_password(client, alice_with_sms):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/accounts/login/code/"
    assert client.get("/dashboard/").status_code == 302  # password only reaches nothing
    response = client.post("/accounts/login/code/", {"code": last_sms_code()})
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200
