"""One run of tests/bench/end.sh on the Tacitus side: POST /batches of FILE with the
argument TAG, then, from QUIET_MS after the POST on, GET /batches/{id}/state every 10 ms on
one kept-alive connection until it says success.  Prints "ID MS" (MS from before the POST
to the first success seen); exits 2 when the first look already saw success (QUIET_MS was
too long: the end may have come earlier).

Why so: a poller that runs all along (nginx's TLS, a worker, PostgreSQL, this Python, 60
times a second) takes enough of a 2-core machine to slow the very spark-submit it waits
for (a curl per poll, a process and a TLS handshake each, even more).
"""
import os
import sys
import time

import requests


def main(argv):
    path, tag, quiet = argv[1], argv[2], int(argv[3]) / 1000
    url = os.environ["TACITUS_URL"]
    os.environ["REQUESTS_CA_BUNDLE"] = os.environ["TACITUS_CA"]
    api = requests.Session()
    api.auth = (os.environ["TACITUS_USER"], os.environ["TACITUS_PASSWORD"])
    api.verify = os.environ["TACITUS_CA"]
    api.get(f"{url}/version").raise_for_status()       # the connection, made before t0
    t0 = time.monotonic()
    r = api.post(f"{url}/batches", json={"file": path, "args": [tag]})
    r.raise_for_status()
    bid = r.json()["id"]
    time.sleep(max(0.0, quiet - (time.monotonic() - t0)))
    first = True
    while True:
        state = api.get(f"{url}/batches/{bid}/state").json()["state"]
        if state == "success" and first:
            print(f"end: batch {bid} had ended before the first look, {quiet} s after the "
                  "POST: lower BENCH_QUIET_MS", file=sys.stderr)
            return 2
        if state == "success":
            break
        first = False
        if state in ("dead", "killed", "error") or time.monotonic() - t0 > 120:
            print(f"end: batch {bid} is {state}", file=sys.stderr)
            return 1
        time.sleep(0.01)
    print(bid, round((time.monotonic() - t0) * 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
