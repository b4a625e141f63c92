"""Print the Times Used of some keys (by id) as one JSON object: `python -m bench.counts ID...`"""

from __future__ import annotations

import json
import sys

import django


def main() -> None:
    django.setup()
    from apikeys.models import APIKey

    ids = sys.argv[1:]
    used = dict(APIKey.objects.filter(lookup_id__in=ids).values_list("lookup_id", "times_used"))
    print(json.dumps({"times_used": {key_id: used.get(key_id) for key_id in ids}}))


if __name__ == "__main__":
    main()
