"""The production settings with bench/bare_urls.py as the URLconf (bench/lean.py only)."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
