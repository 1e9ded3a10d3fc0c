"""Session benchmark (run by tests/bench/sessions.sh against its own stack).

Prints medians and p99 of: POST /sessions -> idle with a warm driver and with a cold one,
a bare spark-submit building the same SparkSession, the `1+1` round trip (POST statement ->
available, polled every millisecond), and the RSS of the instances with 10 open sessions.
"""
import os
import statistics
import subprocess
import time

import requests

URL = os.environ["TACITUS_URL"]
PSQL = os.environ["TACITUS_PSQL"].split()
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# requests prefers REQUESTS_CA_BUNDLE from the environment to a session's verify
os.environ["REQUESTS_CA_BUNDLE"] = os.environ["TACITUS_CA"]
api = requests.Session()
api.auth = (os.environ["TACITUS_USER"], os.environ["TACITUS_PASSWORD"])
api.verify = os.environ["TACITUS_CA"]


def sql(q):
    return subprocess.run(PSQL + ["-Atc", q], capture_output=True, text=True, check=True).stdout.strip()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def show(name, xs, unit="ms"):
    print(f"| {name:<44} | {statistics.median(xs):9.1f} | {pct(xs, 90):9.1f} | {pct(xs, 99):9.1f} "
          f"| {min(xs):9.1f} | {max(xs):9.1f} | {len(xs):4d} | {unit}")


def wait(pred, timeout=180, every=0.005):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise SystemExit("bench: timed out")
        time.sleep(every)


def state(sid):
    return api.get(f"{URL}/sessions/{sid}/state").json()["state"]


def open_session(body, every):
    t0 = time.monotonic()
    r = api.post(f"{URL}/sessions", json=body)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    wait(lambda: state(sid) == "idle", every=every)
    return sid, (time.monotonic() - t0) * 1000


def pool_ready():
    return sql("select count(*) from batch where pool is not null and repl_state = 'idle' "
               "and state = 'running' and deleted_at is null") != "0"


def bare_spark_submit():
    env = dict(os.environ, PYSPARK_PYTHON=f"{ROOT}/.venv/bin/python",
               PYSPARK_DRIVER_PYTHON=f"{ROOT}/.venv/bin/python")
    t0 = time.monotonic()
    p = subprocess.Popen([f"{os.environ['SPARK_HOME']}/bin/spark-submit", "--master", "local[1]",
                          f"{ROOT}/tests/bench/bare_session.py"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, env=env)
    for line in p.stdout:
        if line.startswith("READY"):
            break
    else:
        raise SystemExit("bench: the bare spark-submit never built its SparkSession")
    ms = (time.monotonic() - t0) * 1000
    p.wait()
    return ms


def rss_kb(pred):
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/status") as f:
                rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
        if pred(cmd):
            total += rss
    return total


def main():
    runs = int(os.environ.get("BENCH_RUNS", "5"))
    print("| what (ms)                                    |    median |       p90 |       p99 "
          "|       min |       max |    n |")
    print("|---|---|---|---|---|---|---|---|")
    warm, cold, bare, sids = [], [], [], []
    for _ in range(runs):
        wait(pool_ready, every=0.1)
        sid, ms = open_session({"kind": "pyspark"}, every=0.002)
        born = sql(f"select reason from batch_event where batch_id = (select driver_id from "
                   f"session where id = {sid}) order by at limit 1")
        if born != "warm pool":
            raise SystemExit(f"bench: session {sid} did not take a warm driver ({born})")
        warm.append(ms)
        sids.append(sid)
    show("POST /sessions -> idle, warm driver", warm)
    for i in range(3):
        wait(lambda: sql("select count(*) from batch where state = 'starting'") == "0", every=0.1)
        time.sleep(5)        # let the pool's refills settle: cold starts alone on the CPU
        sid, ms = open_session({"kind": "pyspark", "conf": {"spark.tacitus.bench": str(i)}}, 0.02)
        cold.append(ms)
        sids.append(sid)
        bare.append(bare_spark_submit())
    show("POST /sessions -> idle, cold driver", cold)
    show("bare spark-submit building the SparkSession", bare)
    print(f"cold minus bare (medians): {statistics.median(cold) - statistics.median(bare):+.0f} ms")

    sid = sids[0]
    trips = []
    for _ in range(int(os.environ.get("BENCH_STATEMENTS", "200"))):
        t0 = time.monotonic()
        n = api.post(f"{URL}/sessions/{sid}/statements", json={"code": "1+1"}).json()["id"]
        wait(lambda: api.get(f"{URL}/sessions/{sid}/statements/{n}").json()["state"] == "available",
             every=0.001)
        trips.append((time.monotonic() - t0) * 1000)
    show("statement 1+1: POST -> available", trips)

    # what sparkmagic polls: a session's state and a statement, 32 connections
    auth = "Authorization: Basic " + __import__("base64").b64encode(
        f"{os.environ['TACITUS_USER']}:{os.environ['TACITUS_PASSWORD']}".encode()).decode()
    for name, path in (("GET /sessions/{id}/state", f"/sessions/{sid}/state"),
                       ("GET /sessions/{id}/statements/{n}", f"/sessions/{sid}/statements/0")):
        out = subprocess.run(["wrk", "-t2", "-c32", "-d10s", "--latency", "-H", auth, URL + path],
                             capture_output=True, text=True).stdout
        rps = next((l.split()[1] for l in out.splitlines() if l.startswith("Requests/sec")), "?")
        p99 = next((l.split()[1] for l in out.splitlines() if l.strip().startswith("99%")), "?")
        print(f"{name}: {rps} req/s, p99 {p99} (wrk -t2 -c32 -d10s)")

    while len(sids) < 10:
        sids.append(open_session({"kind": "pyspark"}, 0.05)[0])
    time.sleep(10)
    tac = rss_kb(lambda c: "tacitus serve" in c) / 1024
    drivers = rss_kb(lambda c: "repl.py" in c) / 1024      # each driver's JVM and Python
    print(f"RSS with 10 open sessions: Tacitus instances (masters, workers, monitors) "
          f"{tac:.0f} MB in all; the 10 Spark drivers (JVM + Python each) {drivers:.0f} MB")
    for sid in sids:
        api.delete(f"{URL}/sessions/{sid}")


if __name__ == "__main__":
    main()
