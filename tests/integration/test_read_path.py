"""The read path under a burst, and the workers' end of a request (issue 25).

A worker ends a request read to its end by closing its FastCGI connection at once, instead
of libfcgi's shutdown and drain (which waited for nginx to close first); a request whose
body was left unread keeps the drain.  nginx keeps no connection to the workers: a kept
connection would pin a libfcgi worker, and more kept connections than workers stalled every
request.  Checked black-box:

    1. a burst of many more client connections than workers (8 per worker, each keeping its
       own HTTPS connection and sending one request after the other) on GET /version and
       GET /batches: every answer a 200, none slower than STALL, and a lone request right
       after is answered at once;
    2. request bodies still arrive whole and get their answer, not a 502: large bodies
       (nginx sends them in many writes) and small ones, one after the other on one
       client connection.
"""

import json
import os
import threading
import time

import tacitus_testlib as tl

INSTANCES = int(os.environ.get("TACITUS_INSTANCES", "3"))
WORKERS = int(os.environ.get("TACITUS_WORKERS", "2"))
PER_WORKER = 8                  # client connections per worker of the stack
BURST = 4.0                     # s
STALL = 2.0                     # s: the slowest answer allowed during the burst
AFTER = 1.0                     # s: a lone request right after the burst


def _hammer(cfg, until, paths, out):
    api = tl.Api(cfg)
    statuses, slowest, n = {}, 0.0, 0
    try:
        while time.monotonic() < until:
            path = paths[n % len(paths)]
            t0 = time.monotonic()
            try:
                r = api.get(path, timeout=30)
                status = r.status_code
            except Exception as e:      # noqa: BLE001 (reported below)
                status = repr(e)
            slowest = max(slowest, time.monotonic() - t0)
            statuses[status] = statuses.get(status, 0) + 1
            n += 1
    finally:
        api.close()
    out.append((statuses, slowest))


def test_a_burst_beyond_the_workers_never_stalls(cfg):
    conns = PER_WORKER * INSTANCES * WORKERS
    until = time.monotonic() + BURST
    out = []
    threads = [threading.Thread(target=_hammer, args=(cfg, until, ["/version", "/batches?size=1"], out))
               for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(BURST + 60)
    assert len(out) == conns, f"{conns - len(out)} of {conns} clients never finished"
    statuses = {}
    for s, _ in out:
        for k, v in s.items():
            statuses[k] = statuses.get(k, 0) + v
    slowest = max(w for _, w in out)
    assert set(statuses) == {200}, f"answers during the burst: {statuses}"
    assert statuses[200] >= conns, f"only {statuses[200]} answers from {conns} clients in {BURST} s"
    assert slowest < STALL, \
        f"an answer took {slowest:.2f} s during a burst of {conns} connections ({statuses[200]} answers)"
    api = tl.Api(cfg)
    try:
        t0 = time.monotonic()
        r = api.get("/version")
        took = time.monotonic() - t0
    finally:
        api.close()
    assert r.status_code == 200, tl.describe(r)
    assert took < AFTER, f"GET /version took {took:.2f} s right after the burst"


def test_request_bodies_arrive_whole_one_after_the_other(cfg):
    """Bodies that are not a batch request: each is read whole and answered 400 with
    Livy's message, large (sent by nginx in many writes) or small, on one connection."""
    api = tl.Api(cfg)
    big = json.dumps([1] * 300_000)         # 900 kB, under nginx's 1 MiB
    small = json.dumps([1])
    try:
        for i in range(6):
            body = big if i % 2 == 0 else small
            r = api.post("/batches", data=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 400, f"body {i} ({len(body)} bytes): {tl.describe(r)}"
            assert isinstance(tl.json_body(r, 400).get("msg"), str), tl.describe(r)
            r = api.get("/version")
            assert r.status_code == 200, f"after body {i}: {tl.describe(r)}"
    finally:
        api.close()
