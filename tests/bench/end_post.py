"""One run of tests/bench/end.sh on the Tacitus side: POST /batches of FILE with the
argument TAG, then one GET /batches/{id}/state?until=end on the same kept-alive connection
(held by nginx until the batch ends; asked again should the wait run out) until it says
success.  Prints "ID T0" (T0: the wall clock, in ms since the epoch, just before the
POST).  end.sh takes the end from the state event's own time (batch_event.at, the same
host's clock).  A poller would cost the very spark-submit it waits for: one that looked
every 100 ms (nginx's TLS, a worker, PostgreSQL and this Python, ten times a second) made
the gaps of 5 runs 229-445 ms on 2 cores where one waiting request makes them ~50 ms.
"""
import os
import sys
import time

import requests


def main(argv):
    path, tag = argv[1], argv[2]
    url = os.environ["TACITUS_URL"]
    os.environ["REQUESTS_CA_BUNDLE"] = os.environ["TACITUS_CA"]
    api = requests.Session()
    api.auth = (os.environ["TACITUS_USER"], os.environ["TACITUS_PASSWORD"])
    api.verify = os.environ["TACITUS_CA"]
    api.get(f"{url}/version").raise_for_status()       # the connection, made before t0
    t0 = time.time()
    r = api.post(f"{url}/batches", json={"file": path, "args": [tag]})
    r.raise_for_status()
    bid = r.json()["id"]
    while True:
        state = api.get(f"{url}/batches/{bid}/state", params={"until": "end"}).json()["state"]
        if state == "success":
            break
        if state in ("dead", "killed", "error") or time.time() - t0 > 120:
            print(f"end: batch {bid} is {state}", file=sys.stderr)
            return 1
        time.sleep(0.1)     # the wait ran out (or is off): no loop at full speed
    print(bid, round(t0 * 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
