"""Fill a site's database for a run: an account, N filler keys, and the keys a run uses.

`python -m bench.seed --filler 10000 --cloud 2 --signing 20` prints one JSON object with
the full keys (and signing secrets) of the keys made for the run. The filler keys are
inserted in bulk (they only need to be in the table); the run's keys are made through
`apikeys.flows.create_key` like any other, and given a rate limit no run reaches (an
operator's per-key setting), so that the figures measure the checks, not refusals.
"""

from __future__ import annotations

import argparse
import json

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filler", type=int, default=10_000)
    parser.add_argument("--cloud", type=int, default=2)
    parser.add_argument("--signing", type=int, default=0)
    parser.add_argument("--default", type=int, default=0)
    parser.add_argument("--username", default="bench")
    args = parser.parse_args()
    django.setup()

    from accounts.models import User
    from apikeys import flows, keyformat
    from apikeys.models import APIKey

    user = User.objects.filter(username=args.username).first()
    if user is None:
        user = User.objects.create_user(args.username, f"{args.username}@example.com",
                                        "Bench-Password-2024", email_confirmed=True)
    filler = []
    for n in range(args.filler):
        new = keyformat.generate()
        filler.append(APIKey(user=user, description=f"filler {n}", type=APIKey.Type.CLOUD,
                             prefix=new.prefix, lookup_id=new.lookup_id,
                             secret_hash=new.secret_hash, last4=new.last4))
    APIKey.objects.bulk_create(filler, batch_size=1000)

    def make(kind: str, signing: bool = False) -> dict:
        created = flows.create_key(None, user, description=f"bench {kind}", type=kind,
                                   signing=signing)
        APIKey.objects.filter(pk=created.key.pk).update(rate_limit_per_minute=10**9)
        return {"id": created.key.lookup_id, "key": created.full_key,
                "secret": created.signing_secret}

    keys = {
        "cloud": [make(APIKey.Type.CLOUD) for _ in range(args.cloud)],
        "signing": [make(APIKey.Type.CLOUD, signing=True) for _ in range(args.signing)],
        "default": [make(APIKey.Type.DEFAULT) for _ in range(args.default)],
    }
    print(json.dumps({"user": user.username, "keys": keys,
                      "total_keys": APIKey.objects.count()}))


if __name__ == "__main__":
    main()
