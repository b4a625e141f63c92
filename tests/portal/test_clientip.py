from __future__ import annotations

from django.test import RequestFactory

from portal.clientip import client_ip

rf = RequestFactory()


def _ip(**meta) -> str:
    return client_ip(rf.get("/", **meta))


def test_only_remote_addr_is_trusted_by_default(settings):
    settings.TRUSTED_PROXIES = []
    assert _ip(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="203.0.113.1") == "198.51.100.9"


def test_a_trusted_proxy_passes_on_the_client_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert _ip(REMOTE_ADDR="10.1.2.3",
               HTTP_X_FORWARDED_FOR="203.0.113.1, 198.51.100.9") == "198.51.100.9"


def test_a_forged_left_hop_behind_a_trusted_proxy_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    # The client sent "X-Forwarded-For: 192.0.2.1"; the proxy appended the real address.
    assert _ip(REMOTE_ADDR="10.0.0.1",
               HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.9") == "198.51.100.9"


def test_an_untrusted_sender_cannot_use_the_header(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert _ip(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="10.0.0.5") == "198.51.100.9"


def test_ipv6_and_mapped_addresses_are_normalised(settings):
    settings.TRUSTED_PROXIES = []
    assert _ip(REMOTE_ADDR="2001:DB8::1") == "2001:db8::1"
    assert _ip(REMOTE_ADDR="::ffff:198.51.100.9") == "198.51.100.9"
    assert _ip(REMOTE_ADDR="garbage") == ""


def test_an_overlong_hop_is_malformed_and_trusts_nothing_to_its_left(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    padded = " " * 200 + "198.51.100.9"  # valid once stripped, but no real hop is this long
    assert _ip(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.1, {padded}") == "10.0.0.1"
    assert _ip(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.9") == (
        "198.51.100.9")


def test_a_chain_of_trusted_proxies_is_walked_past_to_the_client(settings):
    # A CDN edge (203.0.113.0/24) in front of nginx (10.0.0.1): the README's CDN set-up.
    settings.TRUSTED_PROXIES = ["10.0.0.1", "203.0.113.0/24"]
    assert _ip(REMOTE_ADDR="10.0.0.1",
               HTTP_X_FORWARDED_FOR="192.0.2.66, 198.51.100.9, 203.0.113.5") == "198.51.100.9"


def test_a_hop_with_a_bad_port_is_malformed_not_truncated(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert _ip(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.9:abc") == (
        "10.0.0.1")
    assert _ip(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.9:443") == (
        "198.51.100.9")


def test_no_client_can_be_an_unspecified_or_multicast_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert _ip(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9, 0.0.0.0") == (
        "10.0.0.1")
    assert _ip(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="224.0.0.1") == "10.0.0.1"
