"""The OpenAPI document's own string formats, as values schemathesis can send.

A format names what a pattern cannot say: a phone number that exists in its country's
numbering plan, a CIDR range without host bits, an expiry in the future. Each strategy here
draws only values of that meaning, so that a refusal of one is a real mismatch. For its
invalid cases schemathesis counts any string as breaking a format it does not know; so a
value easy to draw and valid (the empty string: no expiry) is said by a schema branch of its
own, never by a format. Imported by test_schemathesis.py; the command line loads it with
`SCHEMATHESIS_HOOKS=tests.api.fuzz_formats`. Needs no Django: it runs in schemathesis's own
process too.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, date, datetime, timedelta

import phonenumbers
import schemathesis
from hypothesis import strategies as st

# Keep clear of the edges: the account's time zone moves "today" by up to a day either way,
# and the limit is 10 years (apikeys.forms.MAX_EXPIRY_DAYS).
EXPIRY_DAYS = (2, 3000)
NUMBER_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
                phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.VOIP)


def _valid_numbers() -> list[str]:
    """Example numbers of every region the phonenumbers library knows, in E.164."""
    numbers = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in NUMBER_TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None and phonenumbers.is_valid_number(example):
                numbers.add(phonenumbers.format_number(example,
                                                       phonenumbers.PhoneNumberFormat.E164))
    return sorted(numbers)


VALID_NUMBERS = _valid_numbers()
NUMBERS = st.sampled_from(VALID_NUMBERS)
NUMBER_LISTS = st.builds(
    lambda numbers, comma: comma.join(numbers),
    st.lists(NUMBERS, min_size=1, max_size=5), st.sampled_from([",", ", ", " , "]),
)


@st.composite
def networks(draw) -> str:
    """An address, or a range of 1 to all-but-one fixed bits with no host bits set."""
    address = draw(st.ip_addresses())
    prefix = draw(st.integers(1, address.max_prefixlen))
    if prefix == address.max_prefixlen and draw(st.booleans()):
        return str(address)
    return str(ipaddress.ip_network((address, prefix), strict=False))


@st.composite
def expiries(draw) -> str:
    """A date or an ISO 8601 time, days ahead (the server's today, give or take a day)."""
    today = date.today()
    day = draw(st.dates(today + timedelta(days=EXPIRY_DAYS[0]),
                        today + timedelta(days=EXPIRY_DAYS[1])))
    if draw(st.booleans()):
        return day.isoformat()
    moment = datetime.combine(day, draw(st.times()), tzinfo=UTC)
    return moment.isoformat() if draw(st.booleans()) else moment.replace(tzinfo=None).isoformat()


FORMATS = {
    "e164": NUMBERS,
    "e164-list": NUMBER_LISTS,
    "ip-network": networks(),
    "key-expiry": expiries(),
}
for _name, _strategy in FORMATS.items():
    schemathesis.openapi.format(_name, _strategy)
