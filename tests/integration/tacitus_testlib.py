"""Helpers for the Tacitus black-box integration tests (fixtures are in conftest.py).

The harness starts a real stack (PostgreSQL, nginx with TLS + basic auth, two app instances,
local Spark) and exports, before pytest runs:

    TACITUS_URL       e.g. https://127.0.0.1:18998
    TACITUS_USER, TACITUS_PASSWORD   basic-auth credentials
    TACITUS_CA        CA / self-signed certificate of nginx (requests verify=)
    TACITUS_JOBS      absolute path of tests/jobs (whitelisted in livy.conf)
    TACITUS_VAR       runtime folder of the stack
    TACITUS_PSQL      shell command prefix running psql against the stack's database

Everything here talks to the server over HTTPS only (plus psql for "the database keeps it" checks
and /proc for "no process is left" checks); nothing imports server code.
"""

import base64
import hashlib
import json
import os
import re
import shlex
import signal
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass

import pytest
import requests

# --------------------------------------------------------------------------- constants

BATCH_KEYS = ["id", "name", "owner", "proxyUser", "state", "appId", "appInfo", "log"]
APPINFO_KEYS = ["driverLogUrl", "sparkUiUrl", "executorLogUrls"]
STATE_KEYS = ["id", "state"]
LOG_KEYS = {"id", "from", "total", "log"}
LIST_KEYS = {"from", "total", "sessions"}

# The 11 session states Livy clients know (pylivy/sparkmagic/Airflow crash on anything else).
LIVY_STATES = {
    "not_started", "starting", "recovering", "idle", "running", "busy",
    "shutting_down", "error", "dead", "killed", "success",
}
# What a batch may show, ranked in the only order it may move through them.
BATCH_STATE_RANK = {"starting": 0, "running": 1, "success": 2, "dead": 2, "killed": 2}
TERMINAL = {"success", "dead", "killed", "error"}  # terminal for every client
GONE = "<404>"  # pseudo-state recorded by the watcher once the batch answers 404

POLL_INTERVAL = 0.5          # seconds between state polls (like the brief asks)
JOB_TIMEOUT = 180.0          # seconds a real Spark job may take on this 2-core box
HTTP_TIMEOUT = (10, 120)     # (connect, read) for every request; DELETE may wait for a kill

LOG_HEAD = "stdout: "        # Livy's log presentation: ["stdout: ", lines..., "\nstderr: "]
LOG_TAIL = "\nstderr: "


# --------------------------------------------------------------------------- configuration

@dataclass(frozen=True)
class Config:
    url: str
    user: str
    password: str
    ca: str
    jobs: str
    var: str
    psql: tuple

    def job(self, name):
        """Absolute path of a job script in tests/jobs."""
        return os.path.join(self.jobs, name)


def load_config():
    """(Config, None) from the environment, or (None, reason) if the stack is not described."""
    names = ["TACITUS_URL", "TACITUS_USER", "TACITUS_PASSWORD", "TACITUS_CA",
             "TACITUS_JOBS", "TACITUS_VAR", "TACITUS_PSQL"]
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        return None, ("integration tests need a running stack; missing environment variables: "
                      + ", ".join(missing))
    jobs = os.environ["TACITUS_JOBS"].rstrip("/")
    return Config(
        url=os.environ["TACITUS_URL"].rstrip("/"),
        user=os.environ["TACITUS_USER"],
        password=os.environ["TACITUS_PASSWORD"],
        ca=os.environ["TACITUS_CA"],
        jobs=jobs,
        var=os.environ["TACITUS_VAR"],
        psql=tuple(shlex.split(os.environ["TACITUS_PSQL"])),
    ), None


# --------------------------------------------------------------------------- HTTP client

class Api:
    """A requests.Session bound to the server's base URL, with auth and the stack's CA.

    trust_env is off so that proxy variables, .netrc and REQUESTS_CA_BUNDLE in the
    environment cannot change what the tests send.
    """

    def __init__(self, cfg, auth="default"):
        self.cfg = cfg
        self.base = cfg.url
        self.s = requests.Session()
        self.s.trust_env = False
        self.s.verify = cfg.ca
        self.s.auth = (cfg.user, cfg.password) if auth == "default" else auth

    def url(self, path):
        return self.base + path

    def request(self, method, path, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("verify", self.cfg.ca)
        return self.s.request(method, self.url(path), **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def close(self):
        self.s.close()


def ssha(password):
    """An {SSHA} entry of nginx's htpasswd for `password`."""
    salt = os.urandom(4).hex().encode()
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def metric_sum(api, name):
    """The sum over every instance and label of counter `name` in GET /metrics (`api`
    must be a superuser's: the harness lists its user in livy.superusers)."""
    text = api.get("/metrics").text
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def frozen_while_running(tac, bid, pid, seconds, metric, who):
    """Freeze pid (a cluster manager: SIGSTOP) for `seconds` while batch bid runs: the batch
    must stay running all along, and counter `metric` (its calls that got no answer) grow;
    pid runs on (SIGCONT) whatever happens."""
    errors = metric_sum(tac.api, metric)
    os.kill(pid, signal.SIGSTOP)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert tac.state(bid) == "running", f"a job must not end while {who} is away"
            time.sleep(2)
        assert metric_sum(tac.api, metric) > errors, f"{who}'s outage must show in /metrics"
    finally:
        os.kill(pid, signal.SIGCONT)


def wait_until(pred, timeout, what, interval=0.25):
    """Poll pred() until it returns something truthy; fail the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for "
                        f"{what() if callable(what) else what}")
        time.sleep(interval)


def describe(resp):
    """One-line description of a response for assertion messages."""
    body = resp.text
    if len(body) > 600:
        body = body[:600] + f"... ({len(resp.text)} chars)"
    return (f"{resp.request.method} {resp.url} -> {resp.status_code} "
            f"[{resp.headers.get('Content-Type')}] {body!r}")


def json_body(resp, status=None):
    """Assert the status (if given) and an application/json body; return the parsed body."""
    if status is not None:
        assert resp.status_code == status, f"expected {status}: {describe(resp)}"
    ctype = resp.headers.get("Content-Type", "")
    assert ctype.lower().startswith("application/json"), \
        f"expected an application/json body: {describe(resp)}"
    try:
        return resp.json()
    except ValueError as e:
        raise AssertionError(f"body is not JSON ({e}): {describe(resp)}") from None


def error_msg(resp, status, *, exact=None, startswith=None, contains=None):
    """Assert an error response {"msg": <non-empty string>} with the given status."""
    body = json_body(resp, status)
    assert isinstance(body, dict) and "msg" in body, \
        f"error body must be an object with 'msg': {describe(resp)}"
    msg = body["msg"]
    assert isinstance(msg, str) and msg.strip(), f"'msg' must be a non-empty string: {describe(resp)}"
    if exact is not None:
        assert msg == exact, f"msg {msg!r} != expected {exact!r}"
    if startswith is not None:
        assert msg.startswith(startswith), f"msg {msg!r} does not start with {startswith!r}"
    if contains is not None:
        for part in ([contains] if isinstance(contains, str) else contains):
            assert part in msg, f"msg {msg!r} does not mention {part!r}"
    return msg


def check_batch_object(obj, where=""):
    """The Livy Batch object: exactly 8 keys in Livy's order, with the right types."""
    assert isinstance(obj, dict), f"{where}: batch is not an object: {obj!r}"
    assert list(obj) == BATCH_KEYS, f"{where}: batch keys {list(obj)} != {BATCH_KEYS}"
    assert type(obj["id"]) is int and obj["id"] >= 0, f"{where}: bad id {obj['id']!r}"
    assert obj["name"] is None or isinstance(obj["name"], str), f"{where}: bad name {obj['name']!r}"
    assert obj["owner"] is None or isinstance(obj["owner"], str), f"{where}: bad owner"
    assert obj["proxyUser"] is None or isinstance(obj["proxyUser"], str), f"{where}: bad proxyUser"
    assert obj["state"] in BATCH_STATE_RANK, \
        f"{where}: state {obj['state']!r} is not a batch state {sorted(BATCH_STATE_RANK)}"
    assert obj["appId"] is None or isinstance(obj["appId"], str), f"{where}: bad appId"
    info = obj["appInfo"]
    assert isinstance(info, dict), f"{where}: appInfo must be an object, got {info!r}"
    assert list(info) == APPINFO_KEYS, f"{where}: appInfo keys {list(info)} != {APPINFO_KEYS}"
    assert isinstance(obj["log"], list) and all(isinstance(x, str) for x in obj["log"]), \
        f"{where}: log must be a list of strings, got {obj['log']!r}"
    assert len(obj["log"]) <= 10, f"{where}: batch log has {len(obj['log'])} lines, at most 10 allowed"
    return obj


# --------------------------------------------------------------------------- database

def psql_env(cfg):
    """libpq's environment for the stack's database, from TACITUS_PSQL (its connection URI,
    as `sh app/stack.sh env` prints it: postgresql:///DB?host=DIR&port=N&user=U&passfile=F)."""
    uri = next(a for a in cfg.psql if a.startswith("postgresql://"))
    u = urllib.parse.urlsplit(uri)
    q = dict(urllib.parse.parse_qsl(u.query))
    return {"PGHOST": q["host"], "PGPORT": q["port"], "PGUSER": q["user"],
            "PGDATABASE": u.path.lstrip("/"), "PGPASSFILE": q["passfile"]}


class Psql:
    """Runs one SQL statement through the stack's psql command prefix (unaligned, tuples only)."""

    def __init__(self, argv):
        self.argv = list(argv)

    def query(self, sql):
        p = subprocess.run(self.argv + ["-Atc", sql], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, f"psql failed ({p.returncode}) for {sql!r}: {p.stderr.strip()}"
        return p.stdout.strip()

    def batch_count(self):
        # batches only: session drivers are rows of batch with negative ids
        return int(self.query("select count(*) from batch where id >= 0"))

    def batch_state(self, batch_id):
        return self.query(f"select state from batch where id={int(batch_id)}") or None


# --------------------------------------------------------------------------- the Tacitus helper

class Tacitus:
    """API + DB helper handed to tests through the `tac` fixture."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.api = Api(cfg)
        self.db = Psql(cfg.psql)

    # -- batches
    def create_batch(self, body):
        """POST /batches; returns (response, id or None)."""
        r = self.api.post("/batches", json=body)
        bid = None
        if r.status_code == 201:
            try:
                bid = r.json().get("id")
            except ValueError:
                pass
        return r, bid

    def state(self, batch_id):
        """State string, or GONE on 404."""
        r = self.api.get(f"/batches/{batch_id}/state")
        if r.status_code == 404:
            return GONE
        body = json_body(r, 200)
        return body["state"]

    def wait_for_state(self, batch_id, wanted=TERMINAL, timeout=JOB_TIMEOUT, poll=POLL_INTERVAL):
        """Poll GET /batches/{id}/state until the state is in `wanted`.

        Returns (state, history of distinct states seen).  Fails the test on timeout."""
        deadline = time.monotonic() + timeout
        history = []
        while True:
            r = self.api.get(f"/batches/{batch_id}/state")
            if r.status_code == 404:
                st = GONE
            else:
                body = json_body(r, 200)
                assert list(body) == STATE_KEYS, f"/state keys {list(body)} != {STATE_KEYS}"
                assert body["id"] == batch_id, f"/state id {body['id']!r} != {batch_id}"
                st = body["state"]
            if not history or history[-1] != st:
                history.append(st)
            if st in wanted or st == GONE:
                return st, history
            if time.monotonic() > deadline:
                pytest.fail(f"batch {batch_id} not in {sorted(wanted)} after {timeout:.0f} s; "
                            f"states seen {history}; log tail {self.log_tail(batch_id)!r}")
            time.sleep(poll)

    def run_batch(self, body, timeout=JOB_TIMEOUT):
        """Create a batch and wait for a terminal state; returns (id, state, history)."""
        r, bid = self.create_batch(body)
        assert r.status_code == 201 and bid is not None, f"batch not created: {describe(r)}"
        st, history = self.wait_for_state(bid, TERMINAL, timeout)
        return bid, st, history

    def sleeping_batch(self, file, token, seconds=600):
        """POST a batch of tests/jobs/sleep.py (file) and wait until it runs and printed its
        SLEEPING line with token; returns its id (the caller deletes it)."""
        r, bid = self.create_batch({"file": file, "args": [token, str(seconds)],
                                    "name": f"sleep-{token}"})
        assert r.status_code == 201 and bid is not None, f"batch not created: {describe(r)}"
        try:
            wait_until(lambda: self.state(bid) == "running" and
                       any(f"token={token}" in line for line in self.full_log(bid)),
                       JOB_TIMEOUT, lambda: f"batch {bid} to run; log {self.log_tail(bid)!r}",
                       interval=0.5)
        except BaseException:
            self.delete_quietly(bid)
            raise
        return bid

    def full_log(self, batch_id):
        """Whole log presentation via size=-1."""
        body = json_body(self.api.get(f"/batches/{batch_id}/log", params={"size": -1}), 200)
        assert isinstance(body.get("log"), list), f"log is not a list: {body!r}"
        return body["log"]

    def log_tail(self, batch_id, n=30):
        try:
            r = self.api.get(f"/batches/{batch_id}/log", params={"size": n})
            return r.json().get("log") if r.status_code == 200 else describe(r)
        except Exception as e:  # only used inside failure messages
            return f"<log unavailable: {e}>"

    def airflow_log(self, batch_id, page=100):
        """Page the log exactly like Airflow's LivyHook.dump_batch_logs.

        Returns (lines, total, number of requests)."""
        start, total, lines, calls = 0, 0, [], 0
        totals = set()
        while start <= total:
            r = self.api.get(f"/batches/{batch_id}/log", params={"from": start, "size": page})
            body = json_body(r, 200)
            calls += 1
            assert set(body) == LOG_KEYS, f"log keys {sorted(body)} != {sorted(LOG_KEYS)}"
            assert body["id"] == batch_id, f"log id {body['id']!r} != {batch_id}"
            assert type(body["total"]) is int, f"total must be an int: {body['total']!r}"
            assert body["from"] == start, f"from={start} echoed as {body['from']!r}"
            total = body["total"]
            totals.add(total)
            expect_len = max(0, min(page, total - start))
            assert len(body["log"]) == expect_len, \
                f"page from={start} size={page} of total={total}: {len(body['log'])} lines, want {expect_len}"
            lines.extend(body["log"])
            start += page
            assert calls < 100000, "log paging does not terminate"
        assert len(totals) == 1, f"total changed while paging a finished batch: {sorted(totals)}"
        return lines, total, calls

    def list_batches(self, **params):
        return json_body(self.api.get("/batches", params=params or None), 200)

    def list_total(self):
        return self.list_batches()["total"]

    def counts(self):
        """(rows in table batch, total of GET /batches): to prove nothing new was created."""
        return self.db.batch_count(), self.list_total()

    def assert_no_new_batch(self, before, what=""):
        rows, total = self.counts()
        assert rows == before[0], \
            f"{what}: table batch went from {before[0]} to {rows} rows (a rejected request must not store a batch)"
        # with the rows unchanged no batch can have come; one may have left the API's
        # window meanwhile (state-retain), which lowers the total
        assert total <= before[1], \
            f"{what}: GET /batches total went from {before[1]} to {total} (no ghost batch allowed)"

    def delete_quietly(self, batch_id):
        try:
            self.api.delete(f"/batches/{batch_id}")
        except requests.RequestException:
            pass

    def close(self):
        self.api.close()

















# --------------------------------------------------------------------------- state watcher

class StateWatcher:
    """Background thread polling GET /batches/{id}/state of some batches every POLL_INTERVAL.

    Records every distinct state each batch shows (GONE once it answers 404) so that tests
    can check the transitions even if they look at a batch long after it moved, and so that
    several real Spark jobs can be waited for concurrently."""

    def __init__(self, cfg, poll=POLL_INTERVAL):
        self.api = Api(cfg)
        self.poll = poll
        self.cond = threading.Condition()
        self.hist = {}  # id -> [(monotonic time, state)]
        self.errors = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-watcher", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=30)
        self.api.close()

    def watch(self, batch_id):
        with self.cond:
            self.hist.setdefault(batch_id, [])

    def _poll_one(self, bid):
        try:
            r = self.api.get(f"/batches/{bid}/state", timeout=(5, 30))
        except requests.RequestException as e:
            self.errors.append(f"batch {bid}: {e!r}")
            return None
        if r.status_code == 404:
            return GONE
        if r.status_code != 200:
            self.errors.append(f"batch {bid}: {describe(r)}")
            return None
        try:
            body = r.json()
        except ValueError:
            self.errors.append(f"batch {bid}: not JSON: {describe(r)}")
            return None
        if not isinstance(body, dict) or list(body) != STATE_KEYS or body.get("id") != bid:
            self.errors.append(f"batch {bid}: bad /state body {body!r}")
            return None
        return body["state"]

    def _run(self):
        while not self._stop.is_set():
            with self.cond:
                ids = [b for b, h in self.hist.items() if not (h and h[-1][1] == GONE)]
            for bid in ids:
                st = self._poll_one(bid)
                if st is None:
                    continue
                with self.cond:
                    h = self.hist[bid]
                    if not h or h[-1][1] != st:
                        h.append((time.monotonic(), st))
                        self.cond.notify_all()
            self._stop.wait(self.poll)

    def states(self, batch_id):
        with self.cond:
            return [s for _, s in self.hist.get(batch_id, [])]

    def current(self, batch_id):
        s = self.states(batch_id)
        return s[-1] if s else None

    def wait_for(self, batch_id, pred, timeout=JOB_TIMEOUT):
        """Wait until pred(current state) holds; returns the state or None on timeout."""
        def ok():
            h = self.hist.get(batch_id)
            return bool(h) and pred(h[-1][1])
        with self.cond:
            self.cond.wait_for(ok, timeout=timeout)
            h = self.hist.get(batch_id)
            return h[-1][1] if h and pred(h[-1][1]) else None


def check_transitions(states, where=""):
    """Distinct states seen must be batch states and only move forward:
    starting -> running -> one terminal state (GONE may follow anything)."""
    seen = [s for s in states if s != GONE]
    for s in seen:
        assert s in BATCH_STATE_RANK, f"{where}: state {s!r} is not a batch state (seen {states})"
    ranks = [BATCH_STATE_RANK[s] for s in seen]
    assert ranks == sorted(ranks), f"{where}: states went backwards: {states}"
    finals = [s for s in seen if BATCH_STATE_RANK[s] == 2]
    assert len(finals) <= 1, f"{where}: more than one terminal state: {states}"


# --------------------------------------------------------------------------- processes (/proc)

def _read_proc(pid):
    """(cmdline with NULs as spaces, state letter) or None if the process vanished."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("utf-8", "replace")
        state = stat[stat.rindex(")") + 2:][:1]
        return cmd, state
    except (OSError, ValueError):
        return None


def processes(pred):
    """{pid: cmdline} of live (non-zombie) processes whose cmdline satisfies pred."""
    out = {}
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        info = _read_proc(name)
        if info is None:
            continue
        cmd, state = info
        if state != "Z" and cmd and pred(cmd):
            out[int(name)] = cmd
    return out


def processes_with(text):
    return processes(lambda cmd: text in cmd)


def pid_alive(pid):
    """True if the process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    info = _read_proc(pid)
    if info is None:
        return False
    return info[1] != "Z"


def is_spark_submit(cmd):
    return "org.apache.spark.deploy.SparkSubmit" in cmd or "spark-submit" in cmd


def cwd_of(pid):
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""


class SparkSubmitWatch:
    """Background /proc scanner: remembers every spark-submit process that appears after start.

    Used by the bad-input tests, which must never cause a spark-submit to start."""

    def __init__(self, var, interval=0.1):
        self.interval = interval
        self.var = os.path.realpath(var).rstrip("/") + "/"
        self.baseline = set(self._ours())
        self.seen = {}  # pid -> cmdline
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spark-submit-watch", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)

    def _ours(self):
        # the stack starts every job in its folder TACITUS_VAR/jobs/batch-<id>
        return {pid: cmd for pid, cmd in processes(is_spark_submit).items()
                if cwd_of(pid).startswith(self.var)}

    def scan(self):
        found = self._ours()
        with self.lock:
            for pid, cmd in found.items():
                if pid not in self.baseline:
                    self.seen.setdefault(pid, cmd)

    def _run(self):
        while not self._stop.is_set():
            self.scan()
            self._stop.wait(self.interval)

    def new(self):
        self.scan()
        with self.lock:
            return dict(self.seen)


# --------------------------------------------------------------------------- misc

def pylivy_version_lt(a, b):
    """pylivy's Version comparison (livy/models.py): components compared AS STRINGS."""
    def parse(v):
        m = re.match(r"(\d+)\.(\d+)\.(\d+)(\S*)$", v)
        if m is None:
            raise ValueError(f"invalid version string {v!r}")
        return m.groups()[:3]
    (a1, a2, a3), (b1, b2, b3) = parse(a), parse(b)
    if a1 < b1:
        return True
    if a1 == b1:
        if a2 < b2:
            return True
        if a2 == b2:
            return a3 < b3
    return False


def dumps(obj):
    return json.dumps(obj).encode()
