"""API sign-in tokens: short-lived JWTs (HS256 only) tied to the account's token epoch.

"Sign out of all devices" and a password change raise `User.token_epoch`; a token carries
the epoch it was issued under and is refused once they differ.
"""

from __future__ import annotations

import secrets
import time

import jwt
from django.conf import settings

from accounts.models import User

ALGORITHM = "HS256"
REQUIRED = ["exp", "iat", "iss", "aud", "sub", "epoch"]


def issue(user: User) -> tuple[str, int]:
    """A new token for `user` and its lifetime in seconds."""
    now = int(time.time())
    lifetime = settings.JWT_LIFETIME_SECONDS
    claims = {
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sub": str(user.pk),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "epoch": user.token_epoch,
        "jti": secrets.token_urlsafe(12),
    }
    return jwt.encode(claims, settings.JWT_SECRET, algorithm=ALGORITHM), lifetime


def user_for(token: str) -> User | None:
    """The active user a valid token names, or None for anything else.

    The algorithm is pinned (RFC 8725 §2.1): a token saying "none", HS512 or RS256 is
    refused before its signature is looked at.
    """
    if not token or len(token) > 4096:
        return None
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SECRET,
            algorithms=[ALGORITHM],
            audience=settings.JWT_AUDIENCE,
            issuer=settings.JWT_ISSUER,
            options={"require": REQUIRED, "verify_signature": True},
        )
    except jwt.PyJWTError:
        return None
    except (ValueError, TypeError):  # a malformed header the library did not wrap
        return None
    subject, epoch = claims.get("sub"), claims.get("epoch")
    if not (isinstance(subject, str) and subject.isdigit() and len(subject) <= 18):
        return None
    if type(epoch) is not int:
        return None
    user = User.objects.select_related("owner").filter(pk=int(subject), is_active=True).first()
    if user is None or user.token_epoch != epoch:
        return None
    return user
