"""Browser and OS names from a User-Agent header (ua-parser, a maintained parser)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpRequest
from ua_parser import parse

# A header longer than this is cut before parsing: the regexes are not free.
_MAX_AGENT = 512


@dataclass(frozen=True)
class Agent:
    browser: str
    os: str
    device: str
    raw: str


def _version(part) -> str:
    return ".".join(str(x) for x in (part.major, part.minor) if x)


@lru_cache(maxsize=512)
def describe(user_agent: str) -> Agent:
    """"Chrome 140", "Windows 10", "iPhone" (empty device for a desktop) from a header."""
    raw = (user_agent or "")[:_MAX_AGENT]
    result = parse(raw)
    # An unknown part stays empty; pages show "Unknown" in the reader's language.
    browser = os_name = device = ""
    if result.user_agent is not None and result.user_agent.family != "Other":
        browser = f"{result.user_agent.family} {result.user_agent.major or ''}".strip()
    if result.os is not None and result.os.family != "Other":
        os_name = f"{result.os.family} {_version(result.os)}".strip()
    if result.device is not None and result.device.family not in ("Other", "Spider"):
        device = result.device.family
    return Agent(browser[:100], os_name[:100], device[:100], raw[:300])


def of(request: HttpRequest) -> Agent:
    return describe(request.META.get("HTTP_USER_AGENT", ""))
