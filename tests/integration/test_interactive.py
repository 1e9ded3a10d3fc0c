"""Interactive sessions (/sessions, statements, cancel, completion, log), against a real stack.

A session's driver is app/repl.py under spark-submit (a row of table batch with a negative id);
the stack keeps one warm pyspark driver (tacitus.session.warm-pool = 1).  Spark drivers are
expensive on this 2-core box, so this module uses few of them, each made by a module fixture:

    main      {"kind": "pyspark", "name": ...}: takes the warm driver (the fixture first waits
              until SQL shows an idle pooled driver, then measures POST -> idle); almost every
              statement test runs in it, one after the other
    fresh     {"conf": {"spark.ui.enabled": "false"}} (kind shared): the conf does not match the
              pool, so a new driver starts; the fixture tries statements, cancel, completion
              while it is `starting`; later used for the shared-kind rules, the secret file
              and DELETE (which must end every process of its driver)
    expiring  three sessions made at once: {"idleTimeout": "5s"}, {"heartbeatTimeoutInSecond":
              3} and {"ttl": "8s"} (the harness's livy.conf turns ttl-check on); the fixture
              watches them until Tacitus stops them (GETs renew the heartbeat of the second for
              6 s first; they must not count as activity for the first)

Tests rely on file order only in that DELETE of `fresh` and /stop of `main` come last; each
also works alone (-k).
Waiting is polling with generous timeouts; the few timing limits asserted (POST -> idle of a warm
session, idle again after a statement, cancel) are what Livy clients rely on (sparkmagic waits
at most 15 s for `idle` before each statement).
"""

import hashlib
import os
import re
import socket
import ssl
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

import pytest

import tacitus_testlib as tl

SESSION_KEYS = ["id", "name", "appId", "owner", "proxyUser", "state", "kind", "appInfo", "log",
                "ttl", "idleTimeout", "driverMemory", "driverCores", "executorMemory",
                "executorCores", "conf", "archives", "files", "heartbeatTimeoutInSecond", "jars",
                "numExecutors", "pyFiles", "queue"]
SESSION_KINDS = {"spark", "pyspark", "sparkr", "sql", "shared"}
STATEMENT_KEYS = ["id", "code", "state", "output", "progress", "started", "completed"]
# the order a statement may move through its states (available and cancelled are both final)
STATEMENT_RANK = {"waiting": 0, "running": 1, "cancelling": 2, "available": 3, "cancelled": 3}
FINAL = {"available", "cancelled"}
OK_KEYS = ["status", "execution_count", "data"]
ERROR_KEYS = ["status", "execution_count", "ename", "evalue", "traceback"]

STARTUP_TIMEOUT = 180.0     # a new driver on this loaded 2-core box: ~10-20 s, more under load
STATEMENT_TIMEOUT = 180.0   # the first Spark job / the Scala interpreter take several seconds
POOL_SQL = ("select count(*) from batch where pool is not null and state = 'running' "
            "and deleted_at is null and repl_state = 'idle'")
HEX64 = re.compile(rb"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])")
DAY_MS = 86400 * 1000
HOSTILE_DECLARED = 50_000_000   # Content-Length of a sync with a wrong secret (under 64 MiB) ...
HOSTILE_SENT = 1 << 20          # ... of which only this much is sent before the answer
HOSTILE_TIMEOUT = 5.0           # seconds its 403 may take, the rest of its body unsent
HOSTILE_SYNCS = 8               # held open at once: more than the harness's workers (3 x 2)
FREE_TIMEOUT = 5.0              # seconds another request may take meanwhile
BUFFERED_WARNING = b"a client request body is buffered to a temporary file"


# --------------------------------------------------------------------------- helpers

def counts(db):
    """Rows of every table a session request may write (pooled drivers left out: the pool
    refills in the background; taking a warm driver clears its `pool`, so it is counted)."""
    return tuple(int(x) for x in db.query(
        "select (select count(*) from session), (select count(*) from statement), "
        "(select count(*) from completion), (select count(*) from batch where pool is null)"
    ).split("|"))


def assert_nothing_written(db, before, what):
    after = counts(db)
    names = ("session", "statement", "completion", "batch (not pooled)")
    changed = [f"{n}: {a} -> {b}" for n, a, b in zip(names, before, after) if a != b]
    assert not changed, f"{what}: a rejected request wrote rows: {', '.join(changed)}"


def visible_session_ids(db, retain_sec=600):
    out = db.query("select s.id from session s join batch b on b.id = s.driver_id "
                   "where s.deleted_at is null and (b.finished_at is null or "
                   f"b.finished_at > now() - interval '{retain_sec} seconds') order by s.id")
    return [int(x) for x in out.split()] if out else []


def check_session_object(obj, where=""):
    """Livy's Session object: 23 keys in this order, with the right types."""
    assert isinstance(obj, dict), f"{where}: session is not an object: {obj!r}"
    assert list(obj) == SESSION_KEYS, f"{where}: session keys {list(obj)} != {SESSION_KEYS}"
    assert type(obj["id"]) is int and obj["id"] >= 0, f"{where}: bad id {obj['id']!r}"
    for k in ("name", "appId", "owner", "proxyUser", "ttl", "idleTimeout", "driverMemory",
              "executorMemory", "queue"):
        assert obj[k] is None or isinstance(obj[k], str), \
            f"{where}: {k} must be a string or null: {obj[k]!r}"
    assert obj["state"] in tl.LIVY_STATES, \
        f"{where}: state {obj['state']!r} is not a Livy session state"
    assert obj["kind"] in SESSION_KINDS, f"{where}: kind {obj['kind']!r} not in {sorted(SESSION_KINDS)}"
    info = obj["appInfo"]
    assert isinstance(info, dict) and list(info) == tl.APPINFO_KEYS, \
        f"{where}: appInfo {info!r} must be an object with keys {tl.APPINFO_KEYS}"
    log = obj["log"]
    assert isinstance(log, list) and all(isinstance(x, str) for x in log), \
        f"{where}: log must be a list of strings: {log!r}"
    assert len(log) <= 10, f"{where}: session log has {len(log)} lines, at most 10 allowed"
    for k in ("driverCores", "executorCores", "heartbeatTimeoutInSecond", "numExecutors"):
        assert type(obj[k]) is int, f"{where}: {k} must be an int: {obj[k]!r}"
    assert isinstance(obj["conf"], dict), f"{where}: conf must be an object: {obj['conf']!r}"
    for k in ("archives", "files", "jars", "pyFiles"):
        assert isinstance(obj[k], list), f"{where}: {k} must be a list: {obj[k]!r}"
    return obj


def check_output(out, sid, where=""):
    assert isinstance(out, dict), f"{where}: output must be an object, got {out!r}"
    assert out.get("status") in ("ok", "error"), f"{where}: output status {out.get('status')!r}"
    want = OK_KEYS if out["status"] == "ok" else ERROR_KEYS
    assert list(out) == want, f"{where}: output keys {list(out)} != {want}"
    assert out["execution_count"] == sid, \
        f"{where}: execution_count {out['execution_count']!r} != statement id {sid}"
    if out["status"] == "ok":
        assert isinstance(out["data"], dict), f"{where}: data must be an object: {out['data']!r}"
    else:
        assert isinstance(out["ename"], str) and isinstance(out["evalue"], str), \
            f"{where}: ename/evalue must be strings: {out!r}"
        assert isinstance(out["traceback"], list) and \
            all(isinstance(x, str) for x in out["traceback"]), \
            f"{where}: traceback must be a list of strings: {out['traceback']!r}"


def check_statement(obj, where="", sid=None, code=None):
    """Livy's Statement object and the invariants of its state."""
    assert isinstance(obj, dict), f"{where}: statement is not an object: {obj!r}"
    assert list(obj) == STATEMENT_KEYS, f"{where}: statement keys {list(obj)} != {STATEMENT_KEYS}"
    assert type(obj["id"]) is int and obj["id"] >= 0, f"{where}: bad id {obj['id']!r}"
    if sid is not None:
        assert obj["id"] == sid, f"{where}: id {obj['id']} != {sid}"
    assert isinstance(obj["code"], str), f"{where}: code must be a string"
    if code is not None:
        assert obj["code"] == code, f"{where}: code {obj['code']!r} != submitted {code!r}"
    st = obj["state"]
    assert st in STATEMENT_RANK, f"{where}: state {st!r} not in {sorted(STATEMENT_RANK)}"
    p = obj["progress"]
    assert isinstance(p, (int, float)) and not isinstance(p, bool) and 0.0 <= p <= 1.0, \
        f"{where}: progress must be a number in [0, 1] (sparkmagic), got {p!r}"
    started, completed = obj["started"], obj["completed"]
    assert type(started) is int and type(completed) is int and started >= 0 and completed >= 0, \
        f"{where}: started/completed must be non-negative ints: {started!r}, {completed!r}"
    now = int(time.time() * 1000)
    for k, v in (("started", started), ("completed", completed)):
        assert v == 0 or abs(v - now) < DAY_MS, \
            f"{where}: {k}={v} is not epoch milliseconds near now ({now})"
    if st == "waiting":
        assert started == 0 and completed == 0 and obj["output"] is None, \
            f"{where}: a waiting statement has started=0, completed=0, output null: {obj!r}"
    elif st in ("running", "cancelling"):
        assert started > 0 and completed == 0, \
            f"{where}: a {st} statement: started>0, completed=0: {obj!r}"
    elif st == "available":
        assert started > 0 and completed >= started, \
            f"{where}: available: need 0 < started <= completed, got {started}, {completed}"
        assert p == 1.0, f"{where}: progress of an available statement is {p}, Livy forces 1.0"
        check_output(obj["output"], obj["id"], where)
    else:  # cancelled
        assert completed > 0 and (started == 0 or completed >= started), \
            f"{where}: cancelled: completed must be set and >= started: {started}, {completed}"
    return obj


def check_statement_history(history, where=""):
    ranks = [STATEMENT_RANK[s] for s in history]
    assert ranks == sorted(ranks) and len([s for s in history if s in FINAL]) <= 1, \
        f"{where}: statement states went backwards or ended twice: {history}"


def hex_tokens(data):
    return {m.group(0).decode() for m in HEX64.finditer(data)}


# --------------------------------------------------------------------------- sessions

class Sess:
    """One session created by a fixture: its POST response and helpers around it."""

    def __init__(self, tac, resp, t_post):
        self.tac, self.api, self.db = tac, tac.api, tac.db
        self.resp, self.t_post = resp, t_post
        self.id = None
        if resp.status_code == 201:
            try:
                self.id = resp.json()["id"]
            except (ValueError, KeyError, TypeError):
                pass

    def require(self):
        if self.id is None:
            pytest.fail(f"the session was not created, cannot test it: {tl.describe(self.resp)}",
                        pytrace=False)
        return self

    @property
    def path(self):
        return f"/sessions/{self.id}"

    def get(self):
        return check_session_object(tl.json_body(self.api.get(self.path), 200), f"GET {self.path}")

    def state(self):
        body = tl.json_body(self.api.get(f"{self.path}/state"), 200)
        assert list(body) == tl.STATE_KEYS, f"/state keys {list(body)} != {tl.STATE_KEYS}"
        assert body["id"] == self.id, f"/state id {body['id']!r} != {self.id}"
        assert body["state"] in tl.LIVY_STATES, f"/state {body['state']!r} is not a Livy session state"
        return body["state"]

    def log_tail(self, n=30):
        try:
            r = self.api.get(f"{self.path}/log", params={"size": n})
            return r.json().get("log") if r.status_code == 200 else tl.describe(r)
        except Exception as e:  # only used inside failure messages
            return f"<log unavailable: {e}>"

    def full_log(self):
        body = tl.json_body(self.api.get(f"{self.path}/log", params={"size": -1}), 200)
        assert set(body) == tl.LOG_KEYS, f"log keys {sorted(body)} != {sorted(tl.LOG_KEYS)}"
        assert isinstance(body["log"], list), f"log is not a list: {body!r}"
        return body["log"]

    def wait_state(self, wanted, timeout=STARTUP_TIMEOUT, interval=0.25):
        seen = []

        def ok():
            st = self.state()
            if not seen or seen[-1] != st:
                seen.append(st)
            return st in wanted and st
        return tl.wait_until(ok, timeout, lambda: f"session {self.id} to be in {sorted(wanted)}; "
                          f"states seen {seen}; log tail {self.log_tail()!r}", interval)

    def wait_idle(self, timeout=STARTUP_TIMEOUT):
        st = self.wait_state({"idle"} | (tl.TERMINAL - {"success"}), timeout)
        assert st == "idle", f"session {self.id} ended {st!r} instead of idle; log {self.log_tail()!r}"

    def driver(self):
        """(driver id, job folder, pid, pool) of the session's driver, from SQL."""
        row = self.db.query("select b.id, coalesce(b.job_dir, ''), coalesce(b.pid::text, ''), "
                            "coalesce(b.pool, '') from session s join batch b on b.id = s.driver_id "
                            f"where s.id = {int(self.id)}")
        assert row, f"session {self.id} has no row (or no driver) in SQL"
        did, job_dir, pid, pool = row.split("|")
        return int(did), job_dir, int(pid) if pid else None, pool or None

    def post(self, code=None, kind=None, body=None):
        if body is None:
            body = {"code": code}
            if kind is not None:
                body["kind"] = kind
        return self.api.post(f"{self.path}/statements", json=body)

    def submit(self, code, kind=None):
        """POST a statement; asserts Livy's 201 answer; returns its id."""
        r = self.post(code, kind)
        obj = check_statement(tl.json_body(r, 201), f"POST {self.path}/statements", code=code)
        assert obj["state"] in STATEMENT_RANK, obj
        assert r.headers.get("Location") == f"{self.path}/statements/{obj['id']}", \
            f"Location {r.headers.get('Location')!r}, want '{self.path}/statements/{obj['id']}'"
        return obj["id"]

    def statement(self, n, code=None):
        return check_statement(tl.json_body(self.api.get(f"{self.path}/statements/{n}"), 200),
                               f"statement {n} of session {self.id}", sid=n, code=code)

    def wait_statement(self, n, wanted=FINAL, timeout=STATEMENT_TIMEOUT, interval=0.1, code=None):
        """Poll the statement until its state is in wanted; returns (statement, states seen)."""
        history = []
        deadline = time.monotonic() + timeout
        while True:
            obj = self.statement(n, code)
            if not history or history[-1] != obj["state"]:
                history.append(obj["state"])
            check_statement_history(history, f"statement {n}")
            if obj["state"] in wanted:
                return obj, history
            if time.monotonic() > deadline:
                pytest.fail(f"statement {n} of session {self.id} not in {sorted(wanted)} after "
                            f"{timeout:.0f} s: {obj!r}; states {history}; session state "
                            f"{self.state()!r}; log tail {self.log_tail()!r}")
            time.sleep(interval)

    def run(self, code, kind=None, timeout=STATEMENT_TIMEOUT):
        """Submit, wait until available; returns (id, output)."""
        n = self.submit(code, kind)
        obj, history = self.wait_statement(n, timeout=timeout, code=code)
        assert obj["state"] == "available", f"statement {n} {code!r} ended {obj['state']!r}: {obj!r}"
        return n, obj["output"]

    def delete_quietly(self):
        if self.id is not None:
            try:
                self.api.delete(self.path)
            except Exception:
                pass


def text_of(output, where=""):
    assert output["status"] == "ok", f"{where}: statement failed: {output!r}"
    assert "text/plain" in output["data"], f"{where}: no text/plain in {output!r}"
    return output["data"]["text/plain"]


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def main(tac):
    """The warm pyspark session most tests use; its first statement is queued at once."""
    tl.wait_until(lambda: int(tac.db.query(POOL_SQL)) >= 1, STARTUP_TIMEOUT,
               lambda: "an idle driver in the warm pool; drivers: " + tac.db.query(
                   "select id, state, pool, repl_state from batch where id < 0 order by id"))
    name = f"it-sess-{uuid.uuid4().hex[:10]}"
    t0 = time.monotonic()
    r = tac.api.post("/sessions", json={"kind": "pyspark", "name": name})
    s = Sess(tac, r, t0)
    s.name = name
    s.idle_after = None
    s.first = None
    if s.id is not None:
        deadline = t0 + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if s.state() == "idle":
                s.idle_after = time.monotonic() - t0
                break
            time.sleep(0.01)
        s.first = s.post("spark.range(100).count()")
    yield s
    s.delete_quietly()


@pytest.fixture(scope="module")
def fresh(tac):
    """A session whose conf does not fit the warm pool (a new driver), probed while starting."""
    before = counts(tac.db)
    t0 = time.monotonic()
    r = tac.api.post("/sessions", json={"conf": {"spark.ui.enabled": "false"}})
    s = Sess(tac, r, t0)
    s.early = {}
    if s.id is not None:
        e = s.early
        e["state_before"] = s.state()
        e["statement"] = s.post("1+1", "pyspark")
        e["list"] = s.api.get(f"{s.path}/statements")
        e["get0"] = s.api.get(f"{s.path}/statements/0")
        e["cancel"] = s.api.post(f"{s.path}/statements/0/cancel")
        e["completion"] = s.api.post(f"{s.path}/completion",
                                     json={"code": "sp", "kind": "pyspark", "cursor": 2})
        e["state_after"] = s.state()
        e["rows_after"] = counts(tac.db)
        e["rows_before"] = before
    yield s
    s.delete_quietly()


@dataclass
class Expiring:
    idle: Sess
    hb: Sess
    ttl: Sess
    ttl_states: list = field(default_factory=list)    # (seconds since POST, state)
    idle_states: list = field(default_factory=list)   # (seconds since POST, state)
    hb_states: list = field(default_factory=list)     # (seconds since POST, state, how read)
    last_touch: float = 0.0                           # last GET /sessions/{hb}/state
    touch_until: float = 6.0


@pytest.fixture(scope="module")
def expiring(tac):
    """Three sessions made at once and watched until Tacitus stops them (at most 60 s)."""
    api = tac.api
    t0 = time.monotonic()
    ri = api.post("/sessions", json={"kind": "pyspark", "idleTimeout": "5s"})
    rh = api.post("/sessions", json={"kind": "pyspark", "heartbeatTimeoutInSecond": 3})
    rt = api.post("/sessions", json={"kind": "pyspark", "ttl": "8s"})
    ex = Expiring(Sess(tac, ri, t0), Sess(tac, rh, t0), Sess(tac, rt, t0))
    i, h, t = ex.idle, ex.hb, ex.ttl

    def elapsed():
        return time.monotonic() - t0

    def idle_state():   # GET .../state: must not count as activity
        if i.id is not None:
            ex.idle_states.append((elapsed(), i.state()))
        if t.id is not None:
            ex.ttl_states.append((elapsed(), t.state()))

    def listed_state(sid):   # GET /sessions does not renew a heartbeat
        body = tl.json_body(api.get("/sessions", params={"size": 100000}), 200)
        return next((x["state"] for x in body["sessions"] if x["id"] == sid), tl.GONE)

    while elapsed() < ex.touch_until:
        idle_state()
        if h.id is not None and elapsed() - ex.last_touch >= 1.0:
            st = h.state()     # a request under /sessions/{id}: renews the heartbeat
            ex.last_touch = elapsed()
            ex.hb_states.append((ex.last_touch, st, "GET /sessions/{id}/state"))
        time.sleep(0.25)
    while elapsed() < 60:
        idle_state()
        if h.id is not None:
            ex.hb_states.append((elapsed(), listed_state(h.id), "GET /sessions"))
        done_i = i.id is None or ex.idle_states[-1][1] in tl.TERMINAL
        done_h = h.id is None or ex.hb_states[-1][1] in tl.TERMINAL
        done_t = t.id is None or ex.ttl_states[-1][1] in tl.TERMINAL
        if done_i and done_h and done_t:
            break
        time.sleep(0.5)
    yield ex
    i.delete_quietly()
    h.delete_quietly()
    t.delete_quietly()


# --------------------------------------------------------------------------- create

def test_create_takes_the_warm_driver_and_is_idle_at_once(cfg, tac, main):
    r = main.resp
    body = check_session_object(tl.json_body(r, 201), "POST /sessions")
    sid = body["id"]
    assert r.headers.get("Location") == f"/sessions/{sid}", \
        f"Location {r.headers.get('Location')!r}, want '/sessions/{sid}'"
    expect = {"name": main.name, "appId": None, "owner": cfg.user, "proxyUser": None,
              "kind": "pyspark", "ttl": None, "idleTimeout": None, "driverMemory": None,
              "driverCores": 0, "executorMemory": None, "executorCores": 0, "conf": {},
              "archives": [], "files": [], "heartbeatTimeoutInSecond": 0, "jars": [],
              "numExecutors": 0, "pyFiles": [], "queue": None}
    wrong = {k: (body[k], v) for k, v in expect.items() if body[k] != v}
    assert not wrong, f"POST /sessions answered (got, want): {wrong}"
    assert main.idle_after is not None, \
        f"session {sid} from the warm pool never became idle; log {main.log_tail()!r}"
    assert main.idle_after < 1.0, \
        (f"a session taken from an idle warm driver became idle {main.idle_after:.2f} s "
         f"after POST (< 1 s expected)")
    obj = main.get()
    assert obj["id"] == sid and obj["state"] in ("idle", "busy"), f"GET {main.path}: {obj!r}"
    assert main.state() in ("idle", "busy")
    did, job_dir, pid, pool = main.driver()
    assert did < 0, f"a session's driver is a batch row with a negative id, got {did}"
    assert pool is None, f"the taken driver {did} is still in warm pool {pool!r}"
    assert job_dir and os.path.realpath(job_dir).startswith(os.path.realpath(cfg.var)), \
        f"driver {did} runs in {job_dir!r}, not under TACITUS_VAR {cfg.var}"
    tl.error_msg(tac.api.get(f"/batches/{did}"), 404)


def test_statement_while_starting_is_refused(fresh):
    s = fresh.require()
    body = check_session_object(tl.json_body(s.resp, 201), "POST /sessions (new driver)")
    assert body["kind"] == "shared", f"no kind given: kind {body['kind']!r}, want 'shared'"
    assert body["conf"] == {"spark.ui.enabled": "false"}, f"conf {body['conf']!r} not as sent"
    assert body["state"] == "starting", \
        f"a session whose conf does not fit the pool must start a driver: state {body['state']!r}"
    e = s.early
    assert e["state_before"] == "starting" and e["state_after"] == "starting", \
        f"premise: the probes ran while starting; states {e['state_before']!r} .. {e['state_after']!r}"
    tl.error_msg(e["statement"], 500, exact="Session is in state starting")
    assert tl.json_body(e["list"], 200) == {"total_statements": 0, "statements": []}, \
        f"GET statements while starting: {tl.describe(e['list'])}"
    tl.error_msg(e["get0"], 404, exact="Statement not found")
    tl.error_msg(e["cancel"], 500, exact="Session is in state starting")
    tl.error_msg(e["completion"], 500, exact="Session is in state starting")
    before, after = e["rows_before"], e["rows_after"]
    assert after[0] == before[0] + 1, f"session rows {before[0]} -> {after[0]}: want exactly one more"
    assert after[1:3] == before[1:3], \
        (f"refused statement/completion wrote rows: (statement, completion) "
         f"{before[1:3]} -> {after[1:3]}")
    did, _, _, pool = s.driver()
    assert pool is None and did < 0, f"new driver {did}: pool {pool!r}"


def test_pooled_drivers_are_not_listed_as_sessions(tac, main):
    main.require()
    pooled_sql = ("select id from batch where pool is not null and state in ('starting', 'running') "
                  "and deleted_at is null order by id")
    pooled = tl.wait_until(lambda: tac.db.query(pooled_sql), 60,
                        "the warm pool to start a new driver after one was taken")
    pooled = [int(x) for x in pooled.split()]
    body = tl.json_body(tac.api.get("/sessions", params={"size": 100000}), 200)
    assert set(body) == tl.LIST_KEYS, f"GET /sessions keys {sorted(body)}"
    for item in body["sessions"]:
        check_session_object(item, "GET /sessions item")
    ids = [x["id"] for x in body["sessions"]]
    want = visible_session_ids(tac.db)
    assert ids == want, f"GET /sessions lists {ids}, SQL has the sessions {want}"
    assert body["total"] == len(want), \
        f"total {body['total']} is not the number of sessions, {len(want)}"
    assert main.id in ids
    used = tac.db.query("select count(*) from session where driver_id in "
                        f"({','.join(map(str, pooled))})")
    assert used == "0", f"pooled drivers {pooled} belong to a session"
    batches = tl.json_body(tac.api.get("/batches", params={"size": 100000}), 200)["sessions"]
    assert all(b["id"] >= 0 for b in batches), \
        f"GET /batches lists a driver: {[b['id'] for b in batches]}"


# --------------------------------------------------------------------------- statements

def test_first_statement_counts_a_spark_range(main):
    main.require()
    r = main.first
    obj = check_statement(tl.json_body(r, 201), "first POST statements", sid=0,
                          code="spark.range(100).count()")
    assert r.headers.get("Location") == f"{main.path}/statements/0", \
        f"Location {r.headers.get('Location')!r} for the first statement of the session"
    assert obj["output"] is None or obj["state"] == "available"
    done, history = main.wait_statement(0)
    assert done["state"] == "available", f"statement 0 ended {done!r}"
    out = done["output"]
    assert out == {"status": "ok", "execution_count": 0, "data": {"text/plain": "100"}}, \
        f"spark.range(100).count() gave {out!r}"
    assert list(out) == OK_KEYS


def test_statement_ids_count_up_per_session(main):
    main.require()
    codes = ["a_ = 1", "a_ + 1", "a_ + 2"]
    ids = [main.submit(c) for c in codes]
    assert ids == list(range(ids[0], ids[0] + 3)), f"three statements in a row got ids {ids}"
    total = tl.json_body(main.api.get(f"{main.path}/statements"), 200)["total_statements"]
    assert ids[0] == total - 3, f"ids {ids} do not follow the {total - 3} statements before"
    outs = [main.wait_statement(n)[0]["output"] for n in ids]
    assert [text_of(o) for o in outs] == ["", "2", "3"], f"outputs {outs!r}"


def test_session_is_idle_right_after_each_statement(main):
    main.require()
    worst = 0.0
    for code in ("sum(range(10))", "sc.parallelize(range(4), 2).count()"):
        n = main.submit(code)
        obj, _ = main.wait_statement(n, interval=0.05)
        assert obj["state"] == "available", obj
        t0 = time.monotonic()
        seen = []
        while True:
            st = main.state()
            seen.append(st)
            if st == "idle":
                break
            assert time.monotonic() - t0 < 1.0, \
                f"statement {n} was available but the session was not idle within 1 s: states {seen}"
            time.sleep(0.05)
        worst = max(worst, time.monotonic() - t0)
    assert worst < 1.0


def test_python_error_output(main):
    main.require()
    n = main.submit("1/0")
    obj, _ = main.wait_statement(n)
    out = obj["output"]
    assert obj["state"] == "available", f"a failed statement is still 'available' in Livy: {obj!r}"
    assert out["status"] == "error", f"1/0 gave {out!r}"
    assert list(out) == ERROR_KEYS, f"error output keys {list(out)} != {ERROR_KEYS}"
    assert out["ename"] == "ZeroDivisionError" and out["evalue"] == "division by zero", out
    tb = out["traceback"]
    assert tb and tb[0] == "Traceback (most recent call last):\n", f"traceback {tb!r}"
    assert all(isinstance(x, str) and x.endswith("\n") for x in tb), \
        f"every traceback element must end in a newline: {tb!r}"
    assert tb[-1] == "ZeroDivisionError: division by zero\n", f"last traceback line {tb[-1]!r}"
    # the session still works after an error
    assert text_of(main.run("40 + 2")[1]) == "42"


def test_stdout_then_value_then_stderr(main):
    main.require()
    _, out = main.run("import sys; print('out'); print('err', file=sys.stderr); 7")
    assert out["data"] == {"text/plain": "out\n7\nerr"}, f"got {out!r}"
    _, out = main.run("x_ = 5")
    assert out["data"] == {"text/plain": ""}, f"an assignment gives '', got {out!r}"
    _, out = main.run("print('a')\nprint('b')\n\n")
    assert out["data"] == {"text/plain": "a\nb"}, f"got {out!r}"
    _, out = main.run("print('h\u00e9llo \u2713 \U0001F600')")
    assert out["data"] == {"text/plain": "h\u00e9llo \u2713 \U0001F600"}, f"unicode: {out!r}"


def test_sql_statement(main):
    main.require()
    _, out = main.run("select 1 as a, 'x' as b", kind="sql")
    assert out["status"] == "ok" and list(out["data"]) == ["application/json"], f"got {out!r}"
    doc = out["data"]["application/json"]
    assert set(doc) == {"schema", "data"}, f"application/json keys {sorted(doc)}"
    schema = doc["schema"]
    assert schema.get("type") == "struct", f"schema {schema!r}"
    assert [f.get("name") for f in schema.get("fields", [])] == ["a", "b"], f"schema {schema!r}"
    assert doc["data"] == [[1, "x"]], f"rows {doc['data']!r}"


def test_magics_json_and_table(main):
    main.require()
    main.run("d_ = {'a': 1, 'b': [1, 2]}\nrows_ = [{'n': 1, 's': 'a'}, {'n': 2, 's': 'b'}]")
    n, out = main.run("%json d_")
    assert out == {"status": "ok", "execution_count": n,
                   "data": {"application/json": {"a": 1, "b": [1, 2]}}}, f"%json gave {out!r}"
    _, out = main.run("%table rows_")
    table = out["data"].get("application/vnd.livy.table.v1+json")
    assert table == {"headers": [{"name": "n", "type": "INT_TYPE"},
                                 {"name": "s", "type": "STRING_TYPE"}],
                     "data": [[1, "a"], [2, "b"]]}, f"%table gave {out!r}"
    _, out = main.run("%nosuchmagic d_")
    assert out["status"] == "error" and out["ename"] == "UnknownMagic", f"unknown magic gave {out!r}"


def test_scala_statement(main):
    main.require()
    n, out = main.run("1+1", kind="spark")
    assert out == {"status": "ok", "execution_count": n,
                   "data": {"text/plain": "res0: Int = 2\n"}}, f"Scala 1+1 gave {out!r}"
    _, out = main.run("spark.range(7).count()", kind="spark")
    assert text_of(out) == "res1: Long = 7\n", f"Scala Spark job gave {out!r}"


def test_progress_is_a_fraction_that_moves(main):
    main.require()
    code = "sc.parallelize(range(10), 10).map(lambda x: __import__('time').sleep(0.5)).count()"
    n = main.submit(code)
    seen = []
    while True:
        obj = main.statement(n)          # checks 0 <= progress <= 1 every time
        seen.append((obj["state"], obj["progress"]))
        if obj["state"] in FINAL:
            break
        assert len(seen) < 3000, f"statement {n} not done after {len(seen)} polls: {seen[-5:]}"
        time.sleep(0.1)
    assert obj["state"] == "available" and text_of(obj["output"]) == "10", obj
    assert obj["progress"] == 1.0
    running = [p for st, p in seen if st == "running"]
    assert running == sorted(running), f"progress went backwards while running: {running}"
    assert any(0.0 < p < 1.0 for p in running), \
        f"a 10-task job never showed partial progress while running (polled every 0.1 s): {running}"


def test_statement_list_get_and_paging(main):
    main.require()
    have = tl.json_body(main.api.get(f"{main.path}/statements"), 200)["total_statements"]
    for k in range(have, 5):   # run alone (-k): make a list worth paging
        main.submit(f"{k} * 2")
    tl.wait_until(lambda: all(x["state"] in FINAL for x in tl.json_body(
        main.api.get(f"{main.path}/statements"), 200)["statements"]), STATEMENT_TIMEOUT,
        "every statement of the main session to finish")
    body = tl.json_body(main.api.get(f"{main.path}/statements"), 200)
    assert list(body) == ["total_statements", "statements"], f"keys {list(body)}"
    items = body["statements"]
    for x in items:
        check_statement(x, "list item")
    total = body["total_statements"]
    ids = [x["id"] for x in items]
    assert total >= 5 and ids == list(range(total)), \
        f"total_statements {total}, ids {ids}: want every id 0..total-1 in order"

    def page(**params):
        b = tl.json_body(main.api.get(f"{main.path}/statements", params=params), 200)
        assert b["total_statements"] == total, f"{params}: total {b['total_statements']} != {total}"
        return [x["id"] for x in b["statements"]]

    assert page(order="desc") == ids[::-1], "order=desc must reverse the list"
    assert page(order=" DESC ") == ids[::-1], "order is case-insensitive and trimmed"
    assert page(**{"from": 1, "size": 2}) == ids[1:3], "from=1&size=2"
    assert page(order="desc", **{"from": 1, "size": 2}) == ids[::-1][1:3], "desc, then from/size"
    assert page(**{"from": total}) == [], "from=total: empty"
    assert page(size=0) == [], "size=0: empty"
    assert page(size=-1) == [], "size=-1 on a list is empty in Livy (only /log means 'all')"
    for n in (0, total - 1):
        assert main.statement(n) == items[n], f"GET statement {n} differs from the list item"
    r = main.api.get(f"{main.path}/statements/{total + 1000}")
    tl.error_msg(r, 404, exact="Statement not found")
    tl.error_msg(main.api.get(f"{main.path}/statements/abc"), 400, exact='For input string: "abc"')
    tl.error_msg(main.api.get(f"{main.path}/statements", params={"from": "abc"}), 400,
                 exact='For input string: "abc"')


def test_statement_list_negative_from_is_a_livy_slice(main):
    """Livy: statements.slice(from, from + size) with size defaulting to the count, so from=-1
    leaves out the last statement (as Livy 0.9 does)."""
    main.require()
    total = tl.json_body(main.api.get(f"{main.path}/statements"), 200)["total_statements"]
    assert total >= 2, "premise: the session has statements"
    b = tl.json_body(main.api.get(f"{main.path}/statements", params={"from": -1}), 200)
    ids = [x["id"] for x in b["statements"]]
    assert ids == list(range(total - 1)), \
        f"from=-1 (no size) of {total} statements gave ids {ids}, Livy gives slice(-1, {total - 1})"
    b = tl.json_body(main.api.get(f"{main.path}/statements", params={"from": -2, "size": 2}), 200)
    assert b["statements"] == [], "from=-2&size=2 is slice(-2, 0): empty"


def test_session_addressed_by_name(main):
    main.require()
    obj = check_session_object(tl.json_body(main.api.get(f"/sessions/{main.name}"), 200), "by name")
    assert obj["id"] == main.id and obj["name"] == main.name, f"GET /sessions/{main.name}: {obj!r}"
    st = tl.json_body(main.api.get(f"/sessions/{main.name}/state"), 200)
    assert st["id"] == main.id, f"/sessions/{main.name}/state gave {st!r}"
    r = main.api.post(f"/sessions/{main.name}/statements", json={"code": "'by-name'"})
    n = check_statement(tl.json_body(r, 201), "POST by name")["id"]
    assert r.headers.get("Location") == f"{main.path}/statements/{n}", \
        f"Location {r.headers.get('Location')!r} should name the session by id"
    obj, _ = main.wait_statement(n)
    assert text_of(obj["output"]) == "'by-name'"
    by_name = tl.json_body(main.api.get(f"/sessions/{main.name}/statements/{n}"), 200)
    assert by_name == obj, "GET statement by session name differs from by id"
    tl.error_msg(main.api.get(f"/sessions/{main.name}-nope"), 404,
                 exact=f"Session '{main.name}-nope' not found.")


# --------------------------------------------------------------------------- cancel

def test_cancel_running_python_statement(main):
    main.require()
    code = "import time; time.sleep(60)"
    n = main.submit(code)
    main.wait_statement(n, {"running"} | FINAL)
    r = main.api.post(f"{main.path}/statements/{n}/cancel")
    assert tl.json_body(r, 200) == {"msg": "canceled"}, tl.describe(r)
    t0 = time.monotonic()
    obj, history = main.wait_statement(n, timeout=30)
    took = time.monotonic() - t0
    assert obj["state"] == "cancelled", f"cancelled sleep(60) ended {obj['state']!r} (states {history})"
    assert took < 10, f"cancelling a running time.sleep(60) took {took:.1f} s (Livy interrupts it)"
    assert obj["started"] > 0, f"it was running, started must stay set: {obj!r}"
    main.wait_state({"idle"}, timeout=10, interval=0.1)
    assert text_of(main.run("'after-cancel'")[1]) == "'after-cancel'"


def test_cancel_running_spark_job(main):
    main.require()
    code = "sc.parallelize(range(100), 2).map(lambda x: __import__('time').sleep(0.5)).count()"
    n = main.submit(code)
    main.wait_statement(n, {"running"} | FINAL)
    time.sleep(1.5)  # setup, not an assertion: let the Spark job get going (it needs >= 50 s)
    r = main.api.post(f"{main.path}/statements/{n}/cancel")
    assert tl.json_body(r, 200) == {"msg": "canceled"}, tl.describe(r)
    t0 = time.monotonic()
    obj, history = main.wait_statement(n, timeout=60)
    took = time.monotonic() - t0
    assert obj["state"] == "cancelled", f"the cancelled Spark job ended {obj!r} (states {history})"
    assert took < 15, f"cancelling a running Spark job took {took:.1f} s"
    main.wait_state({"idle"}, timeout=15, interval=0.1)
    assert text_of(main.run("sc.parallelize(range(4), 2).count()")[1]) == "4", \
        "the SparkContext must still run jobs after a cancelled one"


def test_cancel_waiting_statement_and_unknown_id(tac, main):
    main.require()
    tok = uuid.uuid4().hex[:8]
    first = main.submit("import time; time.sleep(30)")
    second = main.submit(f"ran_{tok} = True")
    main.wait_statement(first, {"running"} | FINAL)
    assert main.statement(second)["state"] == "waiting", "premise: the second waits behind the first"
    r = main.api.post(f"{main.path}/statements/{second}/cancel")
    assert tl.json_body(r, 200) == {"msg": "canceled"}, tl.describe(r)
    obj = main.statement(second)
    assert obj["state"] == "cancelled", f"a waiting statement is cancelled at once: {obj!r}"
    assert obj["started"] == 0 and obj["completed"] > 0 and obj["output"] is None, \
        f"a statement cancelled before it ran: started 0, completed set, no output: {obj!r}"
    # cancel the first one too, and check that the second never ran
    assert tl.json_body(main.api.post(f"{main.path}/statements/{first}/cancel"), 200) == \
        {"msg": "canceled"}
    obj, _ = main.wait_statement(first, timeout=30)
    assert obj["state"] == "cancelled", obj
    _, out = main.run(f"'ran_{tok}' in globals()")
    assert text_of(out) == "False", "the statement cancelled while waiting ran anyway"
    assert main.statement(second)["state"] == "cancelled", "the cancelled statement changed state"

    # cancel of an unknown or a finished statement: 200 canceled, nothing changes
    before = counts(tac.db)
    for bad in (999999, first):
        r = main.api.post(f"{main.path}/statements/{bad}/cancel")
        assert tl.json_body(r, 200) == {"msg": "canceled"}, tl.describe(r)
    tl.error_msg(main.api.get(f"{main.path}/statements/999999"), 404, exact="Statement not found")
    assert main.statement(first)["state"] == "cancelled"
    assert_nothing_written(tac.db, before, "cancel of unknown/finished statements")
    tl.error_msg(main.api.post(f"{main.path}/statements/abc/cancel"), 400,
                 exact='For input string: "abc"')


# --------------------------------------------------------------------------- completion, log

def test_completion(tac, main):
    main.require()
    r = main.api.post(f"{main.path}/completion", json={"code": "spa", "kind": "pyspark", "cursor": 3})
    body = tl.json_body(r, 200)
    assert list(body) == ["candidates"], f"completion keys {list(body)}"
    cands = body["candidates"]
    assert isinstance(cands, list) and all(isinstance(c, str) for c in cands), f"candidates {cands!r}"
    assert "spark" in cands, f"completing 'spa' in a pyspark session gave {cands!r}"
    before = counts(tac.db)
    # Livy's Java client calls .../connect: activity, and the session object
    r = main.api.post(f"{main.path}/connect")
    assert tl.json_body(r, 200)["id"] == main.id, tl.describe(r)
    r = main.api.post(f"{main.path}/completion", json={"code": "spa", "kind": "pyspark", "foo": 1})
    tl.error_msg(r, 400, startswith='Unrecognized field "foo"')
    r = main.api.post(f"{main.path}/completion", json={"code": "spa", "kind": "pyspark", "cursor": "x"})
    tl.error_msg(r, 400)
    assert_nothing_written(tac.db, before, "bad completion requests")


def test_session_log(main):
    main.require()
    r = main.api.get(f"{main.path}/log", params={"from": 0, "size": 1000})
    body = tl.json_body(r, 200)
    assert set(body) == tl.LOG_KEYS, f"log keys {sorted(body)} != {sorted(tl.LOG_KEYS)}"
    assert body["id"] == main.id and body["from"] == 0, f"id/from {body['id']!r}/{body['from']!r}"
    total, log = body["total"], body["log"]
    assert type(total) is int and len(log) == min(total, 1000), f"{len(log)} lines, total {total}"
    assert log[0] == tl.LOG_HEAD, f"the log must start with {tl.LOG_HEAD!r}: {log[:3]!r}"
    full = main.full_log()
    assert full[0] == tl.LOG_HEAD and full[-1] == tl.LOG_TAIL, \
        f"log must be ['stdout: ', ..., '\\nstderr: ']: {full[:2]!r} .. {full[-2:]!r}"
    assert any("Running Spark version" in x for x in full), \
        "the driver's spark-submit output is not in the session log"
    stable = full[:-1]   # the log only grows; the final '\nstderr: ' marker moves
    n = len(stable)
    assert n > 20, f"a driver's log should have more than {n} lines"

    def page(frm, size):
        b = tl.json_body(main.api.get(f"{main.path}/log", params={"from": frm, "size": size}), 200)
        assert b["from"] == frm, f"from={frm}&size={size}: from echoed as {b['from']!r}"
        return b["log"]

    assert page(0, 5) == stable[:5], "from=0&size=5"
    assert page(7, 3) == stable[7:10], "from=7&size=3"
    k = 0
    while k + 10 <= n:   # Airflow-style pages reassemble the log
        assert page(k, 10) == stable[k:k + 10], f"page from={k}&size=10 differs from size=-1"
        k += 10
    tail = tl.json_body(main.api.get(f"{main.path}/log", params={"size": 3}), 200)
    assert len(tail["log"]) == 3 and tail["from"] == tail["total"] - 3, f"size=3 (tail): {tail!r}"
    tl.error_msg(main.api.get(f"{main.path}/log", params={"from": "abc"}), 400,
                 exact='For input string: "abc"')
    for _ in range(3):   # the session's "log" is the last 10 lines (retry: Spark may log meanwhile)
        obj, last = main.get(), main.full_log()[-10:]
        if obj["log"] == last:
            break
    assert obj["log"] == last, f"session 'log' {obj['log']!r} != last 10 lines of /log {last!r}"


# --------------------------------------------------------------------------- bad input

def test_bad_session_requests_write_nothing(tac, main):
    main.require()
    cases = [
        ({"kind": "bogus"}, 400, {"startswith": "Invalid kind: bogus"}),
        ({"kind": "pyspark3"}, 400, {"startswith": "Invalid kind: pyspark3"}),
        ({"kind": "pyspark", "foo": 1}, 400, {"startswith": 'Unrecognized field "foo"'}),
        ({"kind": "pyspark", "idleTimeout": "1x"}, 400,
         {"exact": 'Rejected, Reason: Invalid suffix: "x"'}),
        ({"kind": "pyspark", "idleTimeout": "-5s"}, 400,
         {"exact": "Rejected, Reason: Invalid value: -5"}),
        ({"kind": "pyspark", "ttl": "abc"}, 400,
         {"exact": "Rejected, Reason: Invalid time string: abc"}),
        ({"kind": "pyspark", "name": "123"}, 400,
         {"exact": "Rejected, Reason: Invalid session name: 123"}),
        ({"kind": "pyspark", "name": main.name}, 400,
         {"startswith": f"Rejected, Reason: Duplicate session name: Some({main.name})"}),
        ({"kind": "sparkr"}, 400, {"contains": "sparkr"}),
        ({"kind": "pyspark", "conf": {"spark.master": "yarn"}}, 400, {"contains": "spark.master"}),
        ({"kind": "pyspark", "heartbeatTimeoutInSecond": "x"}, 400, {}),
        # past what a date holds: Tacitus would fail on it later, so it is refused now
        ({"kind": "pyspark", "idleTimeout": "3500000d"}, 400, {"contains": "out of range"}),
        ({"kind": "pyspark", "name": "a\u0000b"}, 400, {"contains": "NUL"}),
        ([], 400, {}),
    ]
    before = counts(tac.db)
    for body, status, how in cases:
        r = tac.api.post("/sessions", json=body)
        if r.status_code == 201:   # never leave a driver running because of a wrong answer
            tac.api.delete(f"/sessions/{r.json().get('id')}")
        tl.error_msg(r, status, **how)
    for raw in (b"", b"not json", b"{\"kind\": "):
        r = tac.api.post("/sessions", data=raw, headers={"Content-Type": "application/json"})
        tl.error_msg(r, 400)
    assert_nothing_written(tac.db, before, "bad POST /sessions")
    for path in ("/sessions/99999999", "/sessions/99999999/state", "/sessions/99999999/log",
                 "/sessions/99999999/statements", "/sessions/99999999/statements/0"):
        tl.error_msg(tac.api.get(path), 404, exact="Session '99999999' not found.")
    tl.error_msg(tac.api.post("/sessions/99999999/statements", json={"code": "1"}), 404)
    tl.error_msg(tac.api.delete("/sessions/99999999"), 404)
    assert_nothing_written(tac.db, before, "requests for an unknown session")


def test_bad_statement_requests_write_nothing(tac, main):
    main.require()
    cases = [
        ({"code": "1", "foo": 1}, {"startswith": 'Unrecognized field "foo"'}),
        ({"kind": "pyspark"}, {}),
        ({"code": 1}, {}),
        ({"code": None}, {}),
        ({"code": "1", "kind": "sparkr"}, {"contains": "sparkr"}),
        ({"code": "1", "kind": "shared"}, {}),
        ({"code": "1", "kind": "bogus"}, {"contains": "bogus"}),
        ([], {}),
    ]
    before = counts(tac.db)
    for body, how in cases:
        tl.error_msg(main.post(body=body), 400, **how)
    for raw in (b"", b"{\"code\": "):
        r = main.api.post(f"{main.path}/statements", data=raw,
                          headers={"Content-Type": "application/json"})
        tl.error_msg(r, 400)
    assert_nothing_written(tac.db, before, "bad POST statements")
    # the accepted extra field of ExecuteRequest, and the kind aliases
    r = main.post(body={"code": "6 * 7", "kind": "python", "msg_type": "execute_request"})
    n = check_statement(tl.json_body(r, 201), "msg_type + kind python")["id"]
    assert text_of(main.wait_statement(n)[0]["output"]) == "42"


def test_statement_and_completion_bodies_are_strict_json(tac, main):
    """JSON only a lenient parser takes is a 400 (a key with \\u0000 once even smuggled a
    "kind" past the field check), and a body that is not declared JSON a 415."""
    main.require()
    before = counts(tac.db)
    for what in ("statements", "completion"):
        for raw in (b"{'code': '1'}", b'{"code": "1",}', b'{"code": "caf\xe9"}',
                    b'{"code": "1", "kind\\u0000x": "sql"}', b'{"code": "1", "cursor": NaN}'):
            r = main.api.post(f"{main.path}/{what}", data=raw,
                              headers={"Content-Type": "application/json"})
            tl.error_msg(r, 400, startswith="Malformed JSON")
        r = main.api.post(f"{main.path}/{what}", data=b'{"code": "1"}',
                          headers={"Content-Type": "text/plain"})
        tl.error_msg(r, 415, contains="application/json")
    assert_nothing_written(tac.db, before, "lenient JSON in statements and completions")


def test_negative_statement_id_gets_a_clear_answer(main):
    """Livy parses the id as an int: -1 is just an unknown statement (GET 404 "Statement not
    found", cancel 200 "canceled").  A 400 is acceptable too, but then with a message that
    names the id, never an empty or garbage one."""
    main.require()
    for method, path, ok in (("GET", f"{main.path}/statements/-1", (404, "Statement not found")),
                             ("POST", f"{main.path}/statements/-1/cancel", (200, "canceled"))):
        r = main.api.request(method, path)
        desc = f"{method} {path} -> {r.status_code} {r.content[:200]!r}"
        assert r.status_code in (ok[0], 400), desc
        try:
            msg = r.json().get("msg")
        except ValueError:
            pytest.fail(f"body is not valid JSON: {desc}")
        if r.status_code == 400:
            assert isinstance(msg, str) and "-1" in msg, \
                f"a 400 for statement id -1 must say why (mention '-1'): {desc}"
        else:
            assert msg == ok[1], desc


def test_code_with_nul_character_is_refused(tac, main):
    """Code is a JSON string and may hold U+0000, which PostgreSQL's text cannot: it is
    refused with a 400 that says so, never cut at the NUL and run."""
    main.require()
    before = counts(tac.db)
    tl.error_msg(main.post('len("a\u0000b")'), 400, contains="NUL")
    assert_nothing_written(tac.db, before, "POST code with NUL")


# --------------------------------------------------------------------------- the new driver

def test_shared_session_needs_a_statement_kind(tac, fresh):
    s = fresh.require()
    s.wait_idle()
    before = counts(tac.db)
    tl.error_msg(s.post("1+1"), 400, exact="Code type should be specified if session kind is shared")
    tl.error_msg(s.post("1+1", "shared"), 400)
    tl.error_msg(s.api.post(f"{s.path}/completion", json={"code": "sp", "cursor": 2}), 400)
    assert_nothing_written(tac.db, before, "shared session without a statement kind")
    n, out = s.run("1+1", kind="pyspark")
    assert n == 0, f"the first statement of a session has id 0 (refused ones use none), got {n}"
    assert text_of(out) == "2"
    n, out = s.run("select 'ok' as v", kind="sql")
    assert n == 1 and out["data"]["application/json"]["data"] == [["ok"]], f"statement {n}: {out!r}"


def test_driver_secret_file_is_gone_once_idle(cfg, tac, main, fresh):
    for s in (main.require(), fresh.require()):
        s.wait_idle()
        did, job_dir, _, _ = s.driver()
        assert os.path.isdir(job_dir), f"driver {did}: job folder {job_dir} does not exist"
        secret = os.path.join(job_dir, "work", "driver.secret")   # the job's own folder
        assert not os.path.exists(secret), f"session {s.id} is idle but {secret} still exists"
        has = tac.db.query(f"select secret_hash is not null from batch where id = {did}")
        assert has == "t", f"driver {did} has no secret hash in SQL"


def test_driver_sync_needs_the_drivers_secret(tac, unauth_api, api, main):
    main.require()
    body = {"state": "busy", "wake_port": 9, "next": 0, "pending": [], "results": [],
            "completions": []}
    wrong = uuid.uuid4().hex + uuid.uuid4().hex
    for who, client in (("no user", unauth_api), ("a user's basic auth", api)):
        for headers in ({}, {"X-Tacitus-Secret": wrong}, {"X-Tacitus-Secret": "abc"},
                        {"X-Tacitus-Secret": ""}):
            r = client.post("/driver/sync", json=body, headers=headers)
            shown = {k: v[:8] + "..." for k, v in headers.items()}
            assert r.status_code == 403, f"{who}, headers {shown}: {tl.describe(r)}"
            tl.error_msg(r, 403)
    r = unauth_api.get("/driver/sync", headers={"X-Tacitus-Secret": wrong})
    assert r.status_code in (403, 405), f"GET /driver/sync: {tl.describe(r)}"
    applied = tac.db.query("select count(*) from batch where wake_addr like '%:9'")
    assert applied == "0", "a refused sync changed a driver's wake-up address"
    assert main.state() in ("idle", "busy"), "a refused sync changed the session state"


def open_hostile_sync(cfg, secret):
    """A TLS connection that sent the head of POST /driver/sync and HOSTILE_SENT bytes of
    its HOSTILE_DECLARED-byte body, the rest unsent."""
    u = urllib.parse.urlsplit(cfg.url)
    ctx = ssl.create_default_context(cafile=cfg.ca)
    raw = socket.create_connection((u.hostname, u.port), timeout=HOSTILE_TIMEOUT)
    conn = ctx.wrap_socket(raw, server_hostname=u.hostname)
    head = (f"POST {u.path}/driver/sync HTTP/1.1\r\nHost: {u.netloc}\r\n"
            f"X-Tacitus-Secret: {secret}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {HOSTILE_DECLARED}\r\n\r\n").encode()
    conn.sendall(head + b"{" + b" " * (HOSTILE_SENT - 1))
    return conn


def read_answer(conn, timeout):
    """(status, headers text, body bytes) of the response on conn, or None when it has
    not come whole within timeout seconds."""
    deadline = time.monotonic() + timeout
    data = b""
    need = None
    while need is None or len(data) < need:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        conn.settimeout(left)
        try:
            chunk = conn.recv(65536)
        except (TimeoutError, socket.timeout):
            return None
        if not chunk:
            break
        data += chunk
        if need is None and b"\r\n\r\n" in data:
            head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
            m = re.search(r"(?im)^content-length:\s*(\d+)\s*$", head)
            need = len(head) + 4 + (int(m.group(1)) if m else 0)
    if b"\r\n\r\n" not in data:
        return None
    head, body = data.split(b"\r\n\r\n", 1)
    head = head.decode("latin-1")
    return int(head.split(" ", 2)[1]), head, body


def spooled_body_files(cfg):
    """Files nginx's workers of this stack hold open in its client body temp path
    (nginx.conf.in: client_body_temp_path), which it unlinks at once."""
    body_dir = os.path.join(cfg.var, "nginx", "tmp", "body")
    with open(os.path.join(cfg.var, "nginx", "nginx.pid")) as f:
        master = f.read().strip()
    held = []
    for pid in tl.processes(lambda cmd: cmd.startswith("nginx: worker")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[1] != master:
                    continue
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith(body_dir + "/"):
                    held.append(target)
        except OSError:
            continue
    return held


def test_driver_sync_with_a_wrong_secret_is_refused_before_its_body(cfg, tac, main):
    """A well-shaped but wrong secret gets its 403 while most of a 50 MB body is unsent:
    the secret is checked before the body is read, and nginx streams the body to the
    worker instead of spooling it (nothing in its client body temp path).  Several at
    once, held open, leave the workers free for other requests; real drivers still sync."""
    log = os.path.join(cfg.var, "nginx", "logs", "error.log")
    with open(log, "rb") as f:
        warned_before = f.read().count(BUFFERED_WARNING)
    conns = []
    try:
        for _ in range(HOSTILE_SYNCS):
            wrong = uuid.uuid4().hex + uuid.uuid4().hex
            conns.append(open_hostile_sync(cfg, wrong))
            spooled = spooled_body_files(cfg)
            answer = read_answer(conns[-1], HOSTILE_TIMEOUT)
            assert answer is not None, (
                f"sync {len(conns)} with a wrong secret: no answer within {HOSTILE_TIMEOUT} s "
                f"after {HOSTILE_SENT} of its {HOSTILE_DECLARED} bytes (the body is read "
                f"before the secret is checked); nginx holds spooled bodies: {spooled}")
            status, head, body = answer
            assert status == 403, f"sync {len(conns)} with a wrong secret: {head!r} {body[:200]!r}"
            assert b"No running driver has this secret" in body, (
                f"sync {len(conns)}: not the worker's refusal: {body[:200]!r}")
            assert not spooled, f"nginx spooled a refused sync's body: {spooled}"
        # every refused connection is still open, its body unsent: the workers are free
        t0 = time.monotonic()
        r = tac.api.get("/version", timeout=FREE_TIMEOUT)
        assert r.status_code == 200, f"GET /version beside {len(conns)} refused syncs: {tl.describe(r)}"
        took = time.monotonic() - t0
        assert took < FREE_TIMEOUT, f"GET /version took {took:.1f} s beside the refused syncs"
    finally:
        for c in conns:
            c.close()
    body_dir = os.path.join(cfg.var, "nginx", "tmp", "body")
    left = [os.path.join(d, f) for d, _, fs in os.walk(body_dir) for f in fs]
    assert not left, f"files in nginx's client body temp path: {left}"
    with open(log, "rb") as f:
        warned = f.read().count(BUFFERED_WARNING) - warned_before
    assert warned == 0, f"nginx logged {warned} request bodies buffered to a temporary file"
    # a driver with its secret still syncs: a statement runs and its result comes back
    n, out = main.require().run("6*7")
    assert text_of(out, f"statement {n}") == "42"


# --------------------------------------------------------------------------- timeouts

def test_idle_timeout_stops_the_session(tac, expiring):
    s = expiring.idle.require()
    body = check_session_object(tl.json_body(s.resp, 201), "POST idleTimeout 5s")
    assert body["idleTimeout"] == "5s", f"idleTimeout {body['idleTimeout']!r}"
    states = expiring.idle_states
    early = [(round(t, 1), st) for t, st in states if t < 4.0 and st in tl.TERMINAL]
    assert not early, f"stopped before its 5 s idle timeout (GETs polled it): {early}"
    dead = [t for t, st in states if st == "dead"]
    assert dead, f"session {s.id} (idleTimeout 5s) not dead after 60 s: states {states[-5:]}"
    assert dead[0] < 20, f"idle timeout 5s: dead only {dead[0]:.1f} s after creation"
    assert s.state() == "dead"
    log = s.full_log()
    assert any("idle for longer than" in x for x in log), \
        f"no 'idle for longer than' line in the log of session {s.id}: tail {log[-5:]!r}"
    reason = tac.db.query(f"select stop_reason from session where id = {s.id}")
    assert reason.startswith("idle for longer than"), f"stop_reason {reason!r}"


def test_heartbeat_timeout_stops_the_session(tac, expiring):
    s = expiring.hb.require()
    body = check_session_object(tl.json_body(s.resp, 201), "POST heartbeatTimeoutInSecond 3")
    assert body["heartbeatTimeoutInSecond"] == 3, \
        f"heartbeatTimeoutInSecond {body['heartbeatTimeoutInSecond']!r}"
    states = expiring.hb_states
    touched = [(round(t, 1), st) for t, st, how in states if how != "GET /sessions"]
    assert len(touched) >= 4 and not any(st in tl.TERMINAL for _, st in touched), \
        f"a session whose GET /sessions/{{id}}/state came every 1 s was stopped: {touched}"
    dead = [t for t, st, how in states if st == "dead"]
    assert dead, f"session {s.id} (heartbeat 3 s) not dead 60 s after its last request: {states[-5:]}"
    after = dead[0] - expiring.last_touch
    assert after < 15, f"dead only {after:.1f} s after the last request (heartbeat 3 s)"
    log = s.full_log()
    assert any("heartbeat" in x.lower() for x in log), \
        f"no line about the heartbeat in the log of session {s.id}: {log[-5:]!r}"
    reason = tac.db.query(f"select stop_reason from session where id = {s.id}")
    assert "heartbeat" in reason.lower(), f"stop_reason {reason!r}"


def test_ttl_stops_the_session(tac, expiring):
    s = expiring.ttl.require()
    body = check_session_object(tl.json_body(s.resp, 201), "POST ttl 8s")
    assert body["ttl"] == "8s", f"ttl {body['ttl']!r}"
    states = expiring.ttl_states
    early = [(round(t, 1), st) for t, st in states if t < 7.0 and st in tl.TERMINAL]
    assert not early, f"stopped before its ttl of 8 s: {early}"
    dead = [t for t, st in states if st == "dead"]
    assert dead, f"session {s.id} (ttl 8s) not dead after 60 s: states {states[-5:]}"
    assert dead[0] < 25, f"ttl 8s: dead only {dead[0]:.1f} s after creation"
    log = s.full_log()
    assert any("older than its ttl" in x for x in log), \
        f"no 'older than its ttl' line in the log of session {s.id}: tail {log[-5:]!r}"


def test_statement_on_dead_session_is_refused(tac, expiring):
    s = expiring.idle.require()
    assert s.state() == "dead", "premise: the idle-timeout session is dead"
    before = counts(tac.db)
    tl.error_msg(s.post("1+1"), 400)
    tl.error_msg(s.api.post(f"{s.path}/statements/0/cancel"), 400)
    tl.error_msg(s.api.post(f"{s.path}/completion", json={"code": "sp", "kind": "pyspark",
                                                           "cursor": 2}), 400)
    assert_nothing_written(tac.db, before, "work for a dead session")


# --------------------------------------------------------------------------- secrets, DELETE

def test_driver_secrets_never_appear_in_logs_or_responses(cfg, tac, main, fresh, expiring):
    sessions = [x for x in (main, fresh, expiring.idle, expiring.hb, expiring.ttl)
                if x.id is not None]
    assert main.id is not None and fresh.id is not None
    found = {}

    def scan(where, data):
        for t in hex_tokens(data):
            found.setdefault(t, set()).add(where)

    var = cfg.var
    logs = os.path.join(var, "nginx", "logs")
    files = [os.path.join(logs, f) for f in sorted(os.listdir(logs))]
    files += [os.path.join(var, "log", f) for f in sorted(os.listdir(os.path.join(var, "log")))
              if f.startswith("app-")]
    for s in sessions:
        _, job_dir, _, _ = s.driver()
        if job_dir and os.path.isdir(job_dir):
            files += [os.path.join(job_dir, f) for f in sorted(os.listdir(job_dir))
                      if f != "driver.secret" and os.path.isfile(os.path.join(job_dir, f))]
    for f in files:
        with open(f, "rb") as fh:
            scan(f, fh.read())
    responses = [("GET /sessions", tac.api.get("/sessions", params={"size": 100000}))]
    for s in sessions:
        responses += [(f"GET {s.path}", s.api.get(s.path)),
                      (f"GET {s.path}/log", s.api.get(f"{s.path}/log", params={"size": -1})),
                      (f"GET {s.path}/statements", s.api.get(f"{s.path}/statements"))]
    for where, r in responses:
        gone = f"select deleted_at is not null from session where id = {fresh.id}"
        if r.status_code == 404 and where.startswith(f"GET {fresh.path}") and \
                tac.db.query(gone) == "t":
            continue   # run after the DELETE test (-k): nothing to read
        assert r.status_code == 200, tl.describe(r)
        scan(where, r.content)
    with open(os.path.join(var, "nginx", "logs", "access.log"), "rb") as fh:
        assert b"/driver/sync" in fh.read(), "premise: the drivers' syncs are in nginx's access log"
    issued = tac.db.query("select count(*) from batch where id < 0 and secret_hash is not null")
    assert int(issued) >= len(sessions), f"premise: drivers got secrets (SQL shows {issued})"
    if found:
        hashes = set(tac.db.query("select encode(secret_hash, 'hex') from batch "
                                  "where secret_hash is not null").split())
        what = {t[:12] + "...": ("A DRIVER SECRET" if hashlib.sha256(t.encode()).hexdigest() in hashes
                                 else "a stored secret hash" if t.lower() in hashes
                                 else "unknown 64-hex token", sorted(w)[:4])
                for t, w in found.items()}
        pytest.fail(f"64-hex-digit tokens (secret-shaped) found: {what}")


def test_delete_session_stops_its_driver(cfg, tac, fresh):
    s = fresh.require()
    s.wait_idle()
    did, job_dir, pid, _ = s.driver()
    job_dir = os.path.realpath(job_dir)

    def procs():
        return {p: c for p, c in tl.processes(lambda c: True).items()
                if job_dir in c or os.path.realpath(tl.cwd_of(p) or "/") == job_dir}

    before = procs()
    assert pid and tl.pid_alive(pid), f"premise: driver {did} process {pid} is alive"
    assert len(before) >= 2, f"premise: the driver's processes (shim, JVM, python) run: {before}"
    rows = tac.db.query("select count(*) from session")
    t0 = time.monotonic()
    r = tac.api.delete(s.path)
    assert tl.json_body(r, 200) == {"msg": "deleted"}, tl.describe(r)
    tl.error_msg(tac.api.get(s.path), 404, exact=f"Session '{s.id}' not found.")
    tl.error_msg(tac.api.get(f"{s.path}/state"), 404)
    tl.error_msg(tac.api.post(f"{s.path}/statements", json={"code": "1", "kind": "pyspark"}), 404)
    tl.error_msg(tac.api.delete(s.path), 404)
    listed = [x["id"] for x in tl.json_body(tac.api.get("/sessions", params={"size": 100000}),
                                            200)["sessions"]]
    assert s.id not in listed, f"deleted session {s.id} is still listed"
    tl.wait_until(lambda: not procs(), 15,
               lambda: f"the processes of driver {did} to end after DELETE "
                       f"({time.monotonic() - t0:.0f} s): {procs()}", interval=0.5)
    row = tac.db.query(f"select deleted_at is not null, coalesce(stop_reason, '') from session "
                       f"where id = {s.id}")
    assert row == f"t|DELETE /sessions/{s.id} by {cfg.user}", f"session row after DELETE: {row!r}"
    assert tac.db.query("select count(*) from session") == rows, "DELETE must keep the session row"
    tl.wait_until(lambda: tac.db.query(f"select state from batch where id = {did}") == "killed", 15,
               lambda: f"driver {did} to be 'killed' in SQL, it is "
                       f"{tac.db.query(f'select state from batch where id = {did}')!r}")


def test_stop_ends_the_session_and_keeps_it_listed(tac, main):
    """Livy's POST .../stop: the driver is stopped, the session stays visible (dead) with its
    statements.  Runs last: it ends `main`."""
    s = main.require()
    n = tl.json_body(s.api.get(f"{s.path}/statements"), 200)["total_statements"]
    assert tl.json_body(s.api.post(f"{s.path}/stop"), 200) == {"msg": "stopped"}
    tl.wait_until(lambda: s.state() == "dead", 30, f"session {s.id} to be dead after /stop")
    listed = [x["id"] for x in tl.json_body(tac.api.get("/sessions", params={"size": 100000}),
                                            200)["sessions"]]
    assert s.id in listed, "a stopped session stays listed (DELETE removes it)"
    assert tl.json_body(s.api.get(f"{s.path}/statements"), 200)["total_statements"] == n, \
        "a stopped session's statements stay readable"
    reason = tac.db.query(f"select stop_reason from session where id = {s.id}")
    assert reason.startswith(f"POST /sessions/{s.id}/stop by"), f"stop_reason {reason!r}"
    tl.error_msg(s.api.post(f"{s.path}/statements", json={"code": "1"}), 400, contains="dead")
