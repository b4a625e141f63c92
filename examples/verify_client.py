"""Verify a phone number with the SMS Authenticator, from ../shared/API.md alone (urllib only).

    API_KEY=sk_live_... python examples/verify_client.py +40712345678   # then type the code
    API_KEY=sk_live_... python examples/verify_client.py check vf_... 123456
BASE_URL: the portal's address (default http://localhost:8000, as `make run` serves it)."""
import json
import os
import sys
from urllib.error import HTTPError
from urllib.request import Request, urlopen


def call(base, key, path, body):
    request = Request(f"{base}/api/v1{path}", json.dumps(body).encode(),  # noqa: S310
                      method="POST",
                      headers={"X-API-Key": key, "Content-Type": "application/json"})
    try:
        with urlopen(request, timeout=15) as response:  # noqa: S310 - the portal's own URL
            return json.load(response)
    except HTTPError as refused:  # 4xx: {"status": false, "error": {"code", "message"}}
        return json.load(refused)


def start(base, key, number):
    return call(base, key, "/verify", {"to": number})


def check(base, key, verification_id, code):
    return call(base, key, f"/verify/{verification_id}/check", {"code": code})


if __name__ == "__main__":
    base, key = os.environ.get("BASE_URL", "http://localhost:8000"), os.environ["API_KEY"]
    if sys.argv[1] == "check":
        answer = check(base, key, sys.argv[2], sys.argv[3])
    else:
        started = start(base, key, sys.argv[1])
        if not started["status"]:
            sys.exit(started["error"]["message"])
        print("Sent:", started["verification"]["id"])
        code = input("Code from the SMS: ").strip()
        answer = check(base, key, started["verification"]["id"], code)
    print(answer["verification"]["status"] if answer["status"] else answer["error"]["message"])
