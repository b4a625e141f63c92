"""A software authenticator: what a phone or a security key does in a WebAuthn ceremony (an
ES256 key pair per passkey, "none" attestation), so that the server's checks run on real
signatures. The browser tests use Chromium's own virtual authenticator instead.

`Authenticator(origin)` plays one device used from a page at `origin`; `sign_up` and
`sign_in_alone` drive the portal's endpoints with a Django test client.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

UP, UV, AT = 0x01, 0x04, 0x40  # authenticator data flags: user present, verified, key data


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


@dataclass
class Credential:
    id: bytes
    key: ec.EllipticCurvePrivateKey
    user_handle: bytes
    sign_count: int = 0

    @property
    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})


@dataclass
class Authenticator:
    origin: str = field(default_factory=lambda: _origin(settings.SITE_URL))
    credentials: list[Credential] = field(default_factory=list)

    def new_credential(self, user_handle: bytes = b"") -> Credential:
        credential = Credential(os.urandom(32), ec.generate_private_key(ec.SECP256R1()),
                                user_handle or os.urandom(64))
        self.credentials.append(credential)
        return credential

    def create(self, options: dict) -> dict:
        """navigator.credentials.create(options["publicKey"]-like JSON) -> the JSON a page
        sends back (as @simplewebauthn/browser shapes it)."""
        credential = self.new_credential(unb64url(options["user"]["id"]))
        key_data = (bytes(16) + struct.pack(">H", len(credential.id)) + credential.id
                    + credential.cose_public_key)
        auth_data = (_sha256(options["rp"]["id"].encode()) + bytes([UP | UV | AT])
                     + struct.pack(">I", 0) + key_data)
        client_data = self._client_data("webauthn.create", options["challenge"])
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": b64url(credential.id), "rawId": b64url(credential.id),
                "type": "public-key", "authenticatorAttachment": "platform",
                "response": {"clientDataJSON": b64url(client_data),
                             "attestationObject": b64url(attestation),
                             "transports": ["internal"]},
                "clientExtensionResults": {"credProps": {"rk": True}}}

    def get(self, options: dict, credential: Credential | None = None,
            signing_key: ec.EllipticCurvePrivateKey | None = None) -> dict:
        """navigator.credentials.get() -> the assertion JSON. `credential`: the one to use
        (by default the first the options allow); `signing_key`: sign with another key (a
        forged proof)."""
        allowed = [unb64url(c["id"]) for c in options.get("allowCredentials") or []]
        if credential is None:
            credential = next(c for c in self.credentials if not allowed or c.id in allowed)
        credential.sign_count += 1
        auth_data = (_sha256(options["rpId"].encode()) + bytes([UP | UV])
                     + struct.pack(">I", credential.sign_count))
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = (signing_key or credential.key).sign(auth_data + _sha256(client_data),
                                                         ec.ECDSA(hashes.SHA256()))
        return {"id": b64url(credential.id), "rawId": b64url(credential.id),
                "type": "public-key", "authenticatorAttachment": "platform",
                "response": {"clientDataJSON": b64url(client_data),
                             "authenticatorData": b64url(auth_data),
                             "signature": b64url(signature),
                             "userHandle": b64url(credential.user_handle)},
                "clientExtensionResults": {}}

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin,
                           "crossOrigin": False}).encode()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def post_json(client, url: str, data: dict | None = None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def ceremony(client, prefix: str, act):
    """Begin (options from the server), `act(options)` (the authenticator), complete."""
    begin = post_json(client, f"{prefix}begin/")
    assert begin.status_code == 200, begin.content
    return post_json(client, f"{prefix}complete/", act(begin.json()))


def register(client, authenticator: Authenticator, name: str = "Laptop"):
    """Add a passkey on the Security page (the client is signed in with fresh proof): the
    name, then the ceremony, then the page after it. Returns the ceremony's answer."""
    assert client.post("/account/security/passkeys/new/", {"name": name}).status_code == 302
    answer = ceremony(client, "/account/security/passkeys/register/", authenticator.create)
    if answer.status_code == 200:
        client.post("/account/security/passkeys/added/")
    return answer


def sign_in_alone(client, authenticator: Authenticator, **get):
    """The sign-in page's "Sign in with a passkey"."""
    return ceremony(client, "/accounts/login/passkey/",
                    lambda options: authenticator.get(options, **get))


def add_passkey(user, authenticator: Authenticator, name: str = "Laptop"):
    """A passkey of `user` as django-otp-webauthn stores one after registering it (for tests
    about using one, whose users need not sign in first)."""
    from accounts.passkeys import Passkey

    credential = authenticator.new_credential()
    return Passkey.objects.create(user=user, name=name, credential_id=credential.id,
                                  public_key=credential.cose_public_key, sign_count=0,
                                  transports=["internal"], discoverable=True)
