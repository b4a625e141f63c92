from __future__ import annotations

import hashlib
import re
import zlib

import pytest

from apikeys import keyformat
from apikeys.keyformat import ALPHABET

KEY_RE = re.compile(r"sk_live_[0-9A-Za-z]{61}")


def test_ten_thousand_keys_are_unique_and_valid():
    keys = [keyformat.generate() for _ in range(10_000)]
    assert len({k.full for k in keys}) == 10_000
    assert len({k.lookup_id for k in keys}) == 10_000
    for k in keys:
        assert KEY_RE.fullmatch(k.full)
        parsed = keyformat.parse(k.full)
        assert parsed is not None
        assert parsed.lookup_id == k.lookup_id
        assert parsed.secret_hash == k.secret_hash


def test_the_secret_part_holds_at_least_256_bits():
    assert len(ALPHABET) ** keyformat.SECRET_LENGTH >= 2**256


def test_the_checksum_is_crc32_of_the_rest_in_base62():
    k = keyformat.generate()
    head, check = k.full[:-6], k.full[-6:]
    value = 0
    for c in check:
        value = value * 62 + ALPHABET.index(c)
    assert value == zlib.crc32(head.encode())


def test_it_rejects_every_single_character_change():
    k = keyformat.generate().full
    others = ALPHABET + "_-+/=. \x00é"
    for i, original in enumerate(k):
        for c in others:
            if c != original:
                assert keyformat.parse(k[:i] + c + k[i + 1 :]) is None, (i, c)
        assert keyformat.parse(k[:i] + k[i + 1 :]) is None  # a character dropped
        assert keyformat.parse(k[:i] + "a" + k[i:]) is None  # a character added


@pytest.mark.parametrize("raw", [None, 42, b"sk_live_", "", "sk_live_", " " * 69, ["sk_live_"]])
def test_it_rejects_what_is_not_a_key(raw):
    assert keyformat.parse(raw) is None


def test_it_rejects_surrounding_whitespace_and_a_wrong_case_prefix():
    k = keyformat.generate().full
    assert keyformat.parse(" " + k) is None
    assert keyformat.parse(k + "\n") is None
    assert keyformat.parse(k.replace("sk_live_", "SK_LIVE_")) is None


def test_the_prefix_comes_from_settings(settings):
    settings.API_KEY_PREFIX = "sms_"
    k = keyformat.generate()
    assert k.full.startswith("sms_") and k.prefix == "sms_"
    assert keyformat.parse(k.full) is not None
    settings.API_KEY_PREFIX = "sk_live_"
    assert keyformat.parse(k.full) is None


def test_the_mask_shows_the_prefix_the_ids_start_and_the_checksums_end():
    k = keyformat.generate()
    masked = keyformat.mask(k.prefix, k.lookup_id, k.last4)
    assert masked == f"sk_live_{k.lookup_id[:4]}...{k.full[-4:]}"


def test_the_mask_never_shows_a_character_of_the_secret():
    # What the mask shows comes from the id and the checksum; the secret's positions are
    # 8+12 .. 8+12+43, and the last four characters lie inside the 6-character checksum.
    start = len("sk_live_") + keyformat.LOOKUP_LENGTH
    end = start + keyformat.SECRET_LENGTH
    for _ in range(200):
        k = keyformat.generate()
        parsed = keyformat.parse(k.full)
        assert k.full[start:end] == parsed.secret
        assert k.last4 == k.full[-4:] and len(k.full) - 4 >= end
        masked = keyformat.mask(k.prefix, k.lookup_id, k.last4)
        assert parsed.secret not in masked
        assert len(masked) == len("sk_live_") + 4 + 3 + 4


def test_the_hash_is_sha256_of_the_secret_and_repr_hides_the_key():
    k = keyformat.generate()
    parsed = keyformat.parse(k.full)
    assert k.secret_hash == hashlib.sha256(parsed.secret.encode()).hexdigest()
    assert parsed.secret not in repr(k) and parsed.secret not in repr(parsed)


def test_signing_secrets_have_256_bits_and_differ():
    secrets = {keyformat.generate_signing_secret() for _ in range(1000)}
    assert len(secrets) == 1000
    assert all(len(s.encode()) >= 32 and re.fullmatch("[0-9A-Za-z]{43}", s) for s in secrets)
