"""Print the Times Used of some keys (by id) as one JSON object: `python -m bench.counts ID...`

`--flush` first writes what is pending (with REDIS_URL: what killed server processes left
in Redis), as any server process's flusher would.
"""

from __future__ import annotations

import argparse
import json

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--flush", action="store_true")
    args = parser.parse_args()
    django.setup()
    from apikeys.api import counting
    from apikeys.models import APIKey

    flushed = counting.flush() if args.flush else 0
    used = dict(APIKey.objects.filter(lookup_id__in=args.ids)
                .values_list("lookup_id", "times_used"))
    print(json.dumps({"times_used": {key_id: used.get(key_id) for key_id in args.ids},
                      "flushed": flushed}))


if __name__ == "__main__":
    main()
