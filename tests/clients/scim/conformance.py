#!/usr/bin/env python3
"""Runs every check of scim2-tester against a SCIM server and prints one line
per result, then a summary. Exits 1 unless every result is SUCCESS: SKIPPED
(a feature the tester could not exercise) fails too.

    conformance.py --url http://127.0.0.1:8080/scim/v2 --token TOKEN [--log FILE]

--log writes every HTTP exchange (without the Authorization header) to FILE.
"""

import argparse
import json
import sys
from collections import Counter

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="the SCIM base URL, .../scim/v2")
    parser.add_argument("--token", required=True, help="a SCIM bearer token")
    parser.add_argument("--log", help="write every HTTP exchange to this file")
    args = parser.parse_args()

    log = open(args.log, "w") if args.log else None

    def record(response):
        response.read()
        request = response.request
        log.write(f">>> {request.method} {request.url}\n")
        if request.content:
            log.write(f"    {request.content.decode(errors='replace')}\n")
        log.write(f"<<< {response.status_code} {response.headers.get('content-type', '')}\n")
        if response.text:
            log.write(f"    {response.text}\n")
        log.write("\n")

    http = Client(
        base_url=args.url,
        headers={"Authorization": f"Bearer {args.token}"},
        timeout=30.0,
        trust_env=False,  # 127.0.0.1 never goes through an HTTP(S)_PROXY
        event_hooks={"response": [record]} if log else {},
    )
    # check_server runs the discovery itself, then every check (no tag filter).
    results = check_server(SyncSCIMClient(http), raise_exceptions=False)

    for r in results:
        where = f" [{r.resource_type}]" if r.resource_type else ""
        print(f"{r.status.name:8} {r.title}{where}" + (f": {r.reason}" if r.reason else ""))
        if r.status != Status.SUCCESS and r.data is not None:
            print("         data:", json.dumps(r.data, default=str)[:2000])
    failed = [r for r in results if r.status != Status.SUCCESS]
    counts = Counter(r.status.name for r in results)
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed ({dict(counts)})")
    if not results:
        print("scim2-tester produced no results", file=sys.stderr)
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
