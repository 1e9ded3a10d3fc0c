"""A driver's own code cannot stall the API with its driver's secret.

Bodies of POST /driver/sync stream from nginx to a worker as the driver sends them, so
that a caller without a secret is refused before its body is read.  Session code runs in
the driver's process and can find the secret there; it then opens 8 syncs that announce a
1 MiB body and send one byte.  Each would hold a worker for as long as nginx waits for the
rest (60 s, renewed by each byte): with 8 of them every worker of the harness's stack (3
instances x 2) is held and GET /version gets no answer.  Now nginx lets a driver have 1
sync at once (the others get 429 at once) and a worker reads a sync's body for a bounded
time (5 s + 1 s per announced MiB, then 408): the API answers throughout, and every slow
sync is over within seconds.
"""

import json
import time

import tacitus_testlib as tl
from test_interactive import main  # noqa: F401  (the module's warm pyspark session)

SLOW_SYNCS = 8
VERSION_WITHIN = 2.0        # s: what GET /version may take while the syncs hang
WATCH = 10.0                # s of GET /version while they hang
SYNC_OVER_WITHIN = 20.0     # s: each slow sync answered (408 or 429) and closed by then

ATTACK = r'''
import builtins, gc, socket, ssl, threading, time
link = next(o for o in gc.get_objects() if type(o).__name__ == "Link")
secret = link.secret          # the one in use (repl.py's Link keeps it there)
probe = link.connect()
host, port = probe.host, probe.port
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
results = []
def slow(i):
    t0 = time.monotonic()
    try:
        s = ctx.wrap_socket(socket.create_connection((host, port), timeout=60),
                            server_hostname=host)
        s.sendall(("POST /driver/sync HTTP/1.1\r\nHost: %s\r\nX-Tacitus-Secret: %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{"
                   % (host, secret)).encode())
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        results.append([i, round(time.monotonic() - t0, 1), data.split(b"\r\n")[0].decode()])
        s.close()
    except Exception as e:
        results.append([i, round(time.monotonic() - t0, 1), repr(e)])
threads = [threading.Thread(target=slow, args=(i,), daemon=True) for i in range(SLOW_SYNCS)]
for t in threads:
    t.start()
builtins._tacitus_slow_syncs = (threads, results)
print("started")
'''.replace("SLOW_SYNCS", str(SLOW_SYNCS))

REPORT = r'''
import builtins, json
threads, results = builtins._tacitus_slow_syncs
for t in threads:
    t.join(60)
print(json.dumps(sorted(results)))
'''


def test_slow_syncs_with_the_drivers_secret_do_not_stall_the_api(tac, main):  # noqa: F811
    s = main.require()
    s.wait_idle()
    n = s.submit(ATTACK)
    t0 = time.monotonic()
    slowest = 0.0
    while time.monotonic() - t0 < WATCH:
        t = time.monotonic()
        r = tac.api.get("/version", timeout=(VERSION_WITHIN, VERSION_WITHIN + 5))
        took = time.monotonic() - t
        assert r.status_code == 200, tl.describe(r)
        slowest = max(slowest, took)
        assert took < VERSION_WITHIN, \
            f"GET /version took {took:.1f} s while a driver's code held {SLOW_SYNCS} slow syncs"
        time.sleep(0.2)
    obj, _ = s.wait_statement(n, timeout=60)
    assert obj["state"] == "available", obj
    _, out = s.run(REPORT, timeout=90)
    results = json.loads(out["data"]["text/plain"].strip().splitlines()[-1])
    assert len(results) == SLOW_SYNCS, results
    statuses = [line for _, _, line in results]
    for i, took, line in results:
        assert line.startswith(("HTTP/1.1 408", "HTTP/1.1 429")), \
            f"slow sync {i}: answered {line!r} after {took} s"
        assert took < SYNC_OVER_WITHIN, f"slow sync {i} held for {took} s: {line!r}"
    assert sum(x.startswith("HTTP/1.1 429") for x in statuses) >= SLOW_SYNCS - 1, \
        f"a driver may have 1 sync at once: {results}"
