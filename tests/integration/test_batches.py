"""Batch lifecycle, logs, DELETE, list paging and names, against a real stack.

Real Spark is slow here (~7 s per job, more under load), so this module runs exactly three
Spark jobs, all submitted at once by the module fixture `launched` and watched concurrently by
a background poller (GET /batches/{id}/state every 0.5 s):

    ok     tests/jobs/ok.py 1500 <token>   prints 1500 numbered lines, counts range(1000), exit 0
           (sent with "numExecutors": "2", "driverCores": "1": numeric strings must be accepted)
    fail   file://.../tests/jobs/fail.py <token>   prints a marker, exits 3  (file:// form)
    sleep  tests/jobs/sleep.py <token>, "name": "nm-<random>"   prints its pid, sleeps 300 s;
           used for names, the duplicate-name check, the list, and DELETE while running

Tests rely on file order only for the sleep batch: the name and list tests come before the
DELETE test.  Every test also works alone (-k), because the fixture does all the launching.
The cap test at the end runs one more job of its own (ok.py with 10050 lines).
"""

import importlib.util
import os
import re
import time
import uuid
from dataclasses import dataclass

import pytest

import tacitus_testlib as tl

LINES = 1500
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+\S*$")
# A line reporting spark-submit's exit code 3, e.g. "spark-submit exited with code 3",
# "exit code: 3", "Process exited with status 3".
EXIT3_RE = re.compile(r"(?i)\bexit(?:ed|s|ing)?\b.*(?<![\w.:/-])3(?![\w:/-]|\.\d)"
                      r"|exit[\s_-]*(?:code|status|value)\W{0,3}3(?![\w:/-]|\.\d)")


@dataclass
class Job:
    key: str
    body: dict
    resp: object   # requests.Response of the POST
    id: object     # int, or None if the POST failed
    token: str


class Launched:
    def __init__(self, tac, watcher, run, name):
        self.tac = tac
        self.watcher = watcher
        self.run = run
        self.name = name
        self.jobs = {}

    def job(self, key):
        j = self.jobs[key]
        if j.id is None:
            pytest.fail(f"the {key} batch was not created, cannot test it: {tl.describe(j.resp)}")
        return j

    def wait_terminal(self, key, timeout=tl.JOB_TIMEOUT):
        j = self.job(key)
        st = self.watcher.wait_for(j.id, lambda s: s in tl.TERMINAL or s == tl.GONE, timeout)
        assert st is not None, (
            f"{key} batch {j.id} not finished after {timeout:.0f} s; states seen "
            f"{self.watcher.states(j.id)}; log tail {self.tac.log_tail(j.id)!r}")
        return st


@pytest.fixture(scope="module")
def launched(cfg, tac):
    run = uuid.uuid4().hex[:12]
    name = f"nm-{run}"
    watcher = tl.StateWatcher(cfg).start()
    lj = Launched(tac, watcher, run, name)
    specs = {
        "ok": {"file": cfg.job("ok.py"), "args": [str(LINES), f"{run}-ok"],
               "numExecutors": "2", "driverCores": "1"},
        "fail": {"file": "file://" + cfg.job("fail.py"), "args": [f"{run}-fail"]},
        "sleep": {"file": cfg.job("sleep.py"), "args": [f"{run}-sleep"], "name": name},
    }
    for key, body in specs.items():
        r, bid = tac.create_batch(body)
        lj.jobs[key] = Job(key, body, r, bid, body["args"][-1])
        if bid is not None:
            watcher.watch(bid)
    yield lj
    watcher.stop()
    for j in lj.jobs.values():  # never leave a sleeping Spark job behind
        if j.id is not None:
            try:
                if tac.state(j.id) in ("starting", "running"):
                    tac.delete_quietly(j.id)
            except Exception:
                pass


def wait_db_state(tac, batch_id, want, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        got = tac.db.batch_state(batch_id)
        if got == want:
            return
        assert time.monotonic() < deadline, \
            f"table batch: state of {batch_id} is {got!r}, expected {want!r} (waited {timeout:.0f} s)"
        time.sleep(0.5)


def get_batch(tac, ref):
    return tl.check_batch_object(tl.json_body(tac.api.get(f"/batches/{ref}"), 200), f"GET /batches/{ref}")


# --------------------------------------------------------------------------- /version

def test_version_is_livy_compatible(tac):
    body = tl.json_body(tac.api.get("/version"), 200)
    assert isinstance(body, dict) and "version" in body, f"/version has no 'version': {body!r}"
    v = body["version"]
    assert isinstance(v, str) and VERSION_RE.match(v), \
        f"version {v!r} does not match {VERSION_RE.pattern} (pylivy raises ValueError)"
    assert not tl.pylivy_version_lt(v, "0.5.0"), \
        f"version {v!r} compares below 0.5.0 the way pylivy compares (strings): legacy mode"


# --------------------------------------------------------------------------- create / get

def test_create_returns_starting_batch(cfg, launched):
    ids = set()
    for key in ("ok", "fail", "sleep"):
        j = launched.jobs[key]
        r = j.resp
        body = tl.json_body(r, 201)
        tl.check_batch_object(body, f"POST /batches ({key})")
        assert body["state"] == "starting", f"{key}: POST answered state {body['state']!r}, want 'starting'"
        assert r.headers.get("Location") == f"/batches/{body['id']}", \
            f"{key}: Location {r.headers.get('Location')!r}, want '/batches/{body['id']}'"
        assert body["owner"] == cfg.user, f"{key}: owner {body['owner']!r}, want {cfg.user!r}"
        want_name = launched.name if key == "sleep" else None
        assert body["name"] == want_name, f"{key}: name {body['name']!r}, want {want_name!r}"
        ids.add(body["id"])
    assert len(ids) == 3, f"three POSTs gave ids {ids}"


def test_get_batch_and_state(cfg, tac, launched):
    for key in ("ok", "fail", "sleep"):
        j = launched.job(key)
        obj = get_batch(tac, j.id)
        assert obj["id"] == j.id, f"{key}: GET /batches/{j.id} returned id {obj['id']}"
        assert obj["owner"] == cfg.user, f"{key}: owner {obj['owner']!r}"
        st = tl.json_body(tac.api.get(f"/batches/{j.id}/state"), 200)
        assert list(st) == tl.STATE_KEYS, f"{key}: /state keys {list(st)}, want exactly {tl.STATE_KEYS}"
        assert st["id"] == j.id, f"{key}: /state id {st['id']!r} != {j.id}"
        assert st["state"] in tl.BATCH_STATE_RANK, f"{key}: /state state {st['state']!r}"


def test_get_by_name(tac, launched):
    j = launched.job("sleep")
    obj = get_batch(tac, launched.name)
    assert obj["id"] == j.id, f"GET /batches/{launched.name} gave id {obj['id']}, want {j.id}"
    assert obj["name"] == launched.name
    st = tl.json_body(tac.api.get(f"/batches/{launched.name}/state"), 200)
    assert st.get("id") == j.id, f"/batches/{launched.name}/state gave {st!r}"


def test_duplicate_live_name_is_rejected(cfg, tac, launched):
    j = launched.job("sleep")
    st = tac.state(j.id)
    assert st in ("starting", "running"), \
        f"premise: the named sleep batch should still be live, it is {st!r}; log tail {tac.log_tail(j.id)!r}"
    before = tac.counts()
    r, bid = tac.create_batch({"file": cfg.job("ok.py"), "name": launched.name})
    if bid is not None:
        tac.delete_quietly(bid)
    tl.error_msg(r, 400, contains=launched.name)
    tac.assert_no_new_batch(before, "duplicate name")


# --------------------------------------------------------------------------- list

def test_list_and_paging(tac, launched):
    mine = [launched.job(k).id for k in ("ok", "fail", "sleep")]
    first = tac.list_batches()
    assert set(first) == tl.LIST_KEYS, f"GET /batches keys {sorted(first)}, want {sorted(tl.LIST_KEYS)}"
    assert "batches" not in first, "the list key must be 'sessions' (pylivy reads it)"
    total = first["total"]
    assert type(total) is int and total >= 3, f"total {total!r}"
    assert first["from"] == 0, f"default from {first['from']!r}"
    assert len(first["sessions"]) == min(total, 100), \
        f"default page has {len(first['sessions'])} items, total {total}, default size is 100"

    full = tac.list_batches(**{"from": 0, "size": max(total, 1)})
    assert full["total"] == total and full["from"] == 0
    ids = [s["id"] for s in full["sessions"]]
    assert len(ids) == total, f"size=total returned {len(ids)} of {total}"
    for s in full["sessions"]:
        tl.check_batch_object(s, "GET /batches item")
    assert ids == sorted(set(ids)), f"list is not ordered by ascending unique id: {ids}"
    for bid in mine:
        assert bid in ids, f"batch {bid} created by this suite is not listed: {ids}"
    assert [s["id"] for s in first["sessions"]] == ids[:100], "default page != first 100 of the full list"

    def page(frm, size):
        body = tac.list_batches(**{"from": frm, "size": size})
        assert body["total"] == total, f"from={frm}&size={size}: total {body['total']} != {total}"
        assert body["from"] == frm, f"from={frm}&size={size}: from echoed as {body['from']!r}"
        return [s["id"] for s in body["sessions"]]

    assert page(1, 2) == ids[1:3], "from=1&size=2 is not items 1..2 of the full list"
    assert page(total - 1, 5) == ids[-1:], "from=total-1&size=5 should give just the last batch"
    assert page(total, 100) == [], "from=total should give an empty page"
    assert page(0, 0) == [], "size=0 should give an empty page"
    assert page(0, -1) == [], "size=-1 on the list gives [] in Livy 0.9 (only /log treats it as 'all')"
    for bid in mine:
        k = ids.index(bid)
        assert page(k, 1) == [bid], f"from={k}&size=1 should be exactly batch {bid}"


# --------------------------------------------------------------------------- ok job

def test_ok_batch_succeeds(tac, launched):
    j = launched.job("ok")
    st = launched.wait_terminal("ok")
    states = launched.watcher.states(j.id)
    assert st == "success", f"ok.py ended {st!r} (states {states}); log tail {tac.log_tail(j.id)!r}"
    tl.check_transitions(states, "ok batch")
    assert "running" in states, \
        f"ok batch never showed 'running' while polled every 0.5 s (states {states})"
    assert not launched.watcher.errors, f"state polling errors: {launched.watcher.errors[:5]}"
    obj = get_batch(tac, j.id)
    assert obj["state"] == "success", f"GET /batches/{j.id} says {obj['state']!r} after /state said success"
    wait_db_state(tac, j.id, "success")


def test_ok_log_paged_like_airflow_is_complete(tac, launched):
    j = launched.job("ok")
    launched.wait_terminal("ok")
    lines, total, calls = tac.airflow_log(j.id, page=100)
    assert total > LINES + 2, f"total {total}: the log cannot hold the {LINES} printed lines"
    assert calls == total // 100 + 1, f"{calls} requests for total {total}"
    full = tac.full_log(j.id)
    assert len(full) == total, f"size=-1 gave {len(full)} lines, total says {total}"
    assert lines == full, "pages from=0,100,... reassembled differ from size=-1"
    assert full[0] == tl.LOG_HEAD, f"log must start with {tl.LOG_HEAD!r}, starts {full[:2]!r}"
    assert full[-1] == tl.LOG_TAIL, f"log must end with {tl.LOG_TAIL!r}, ends {full[-2:]!r}"
    bad = [(i, x) for i, x in enumerate(full[:-1]) if not isinstance(x, str) or "\n" in x]
    assert not bad, f"log entries must be single lines without newline: {bad[:3]}"

    prefix = f"TACITUS-LINE {j.token} "
    printed = [x for x in full if x.startswith(prefix)]
    expected = [f"{prefix}{i}" for i in range(LINES)]
    if printed != expected:
        mangled = [x for x in full if j.token in x and not x.startswith(prefix)][:5]
        missing = sorted(set(expected) - set(printed))[:5]
        dups = sorted({x for x in printed if printed.count(x) > 1})[:5]
        first_diff = next((i for i, (a, b) in enumerate(zip(printed, expected)) if a != b), None)
        pytest.fail(f"printed lines not found exactly once in order: got {len(printed)} of {LINES}; "
                    f"first difference at #{first_diff}; missing {missing}; duplicated {dups}; "
                    f"mangled {mangled}", pytrace=False)
    assert "TACITUS-OK 1000" in full, "ok.py's final marker 'TACITUS-OK 1000' is not in the log"


def test_log_from_size_semantics(tac, launched):
    j = launched.job("ok")
    launched.wait_terminal("ok")
    full = tac.full_log(j.id)
    total = len(full)
    assert total > 110, f"need a long log for this test, got {total} lines"

    def log(**params):
        body = tl.json_body(tac.api.get(f"/batches/{j.id}/log", params=params), 200)
        assert set(body) == tl.LOG_KEYS, f"{params}: keys {sorted(body)}"
        assert body["id"] == j.id and body["total"] == total, f"{params}: id/total {body['id']}/{body['total']}"
        return body["from"], body["log"]

    assert log() == (total - 100, full[-100:]), "no from/size: must be the tail of 100 lines"
    assert log(size=10) == (total - 10, full[-10:]), "size=10 without from: the last 10 lines"
    assert log(**{"from": 0}) == (0, full[:100]), "from=0 (sparkmagic): the first 100 lines"
    assert log(**{"from": 5, "size": 3}) == (5, full[5:8]), "from=5&size=3"
    assert log(size=-1) == (0, full), "size=-1: everything"
    assert log(**{"from": 5, "size": -1}) == (5, full[5:]), "from=5&size=-1: everything from line 5"
    assert log(**{"from": total - 3, "size": 100}) == (total - 3, full[-3:]), "a page clipped at the end"
    assert log(**{"from": total, "size": 100}) == (total, []), "from=total: empty, from echoed"
    assert log(**{"from": total + 7, "size": 100}) == (total + 7, []), "from past the end: empty, from echoed"


def list_item(tac, bid):
    """Batch bid as GET /batches shows it (the last page: bid is among the newest)."""
    total = tac.list_total()
    page = tac.list_batches(**{"from": max(0, total - 100), "size": 100})["sessions"]
    items = [s for s in page if s["id"] == bid]
    assert items, f"batch {bid} is not on the list's last page: {[s['id'] for s in page]}"
    return items[0]


def test_list_follows_a_growing_log(tac, cfg):
    """A worker keeps each listed batch's JSON by the values it was made from (its log by
    its line count): the list shows a running job's log as it grows, a text too long
    to keep (a line of 16 KiB) as well, and each item is what the batch's own GET says."""
    token = uuid.uuid4().hex[:12]
    r, bid = tac.create_batch({"file": cfg.job("lines.py"), "args": ["utf8", token, "60"]})
    assert bid is not None, f"POST /batches lines.py: {r.status_code} {r.text[:300]}"
    last = f"TACITUS-LINES {token} after 9"
    tails, item = set(), None
    try:
        deadline = time.monotonic() + tl.JOB_TIMEOUT
        while time.monotonic() < deadline:
            item = list_item(tac, bid)
            tails.add(tuple(item["log"]))
            if last in item["log"]:
                break
            time.sleep(0.3)
        assert item is not None and last in item["log"], \
            f"the list never showed {last!r}; its last log of batch {bid}: {item and item['log']!r}"
        assert len(tails) >= 3, \
            f"the list showed {len(tails)} logs of batch {bid} while it printed a line each 0.5 s: {tails!r}"
        # lines.py's long line is stored cut to the monitor's 16 KiB: a text too long to keep
        assert any(any(len(line.encode()) > 10000 for line in t) for t in tails), \
            "the list never showed the long line among the last lines (lines.py prints it first)"
        # the job sleeps after its last line: its log no longer changes
        assert list_item(tac, bid) == get_batch(tac, bid), \
            f"batch {bid}: the list's item differs from GET /batches/{bid}"
    finally:
        tac.delete_quietly(bid)


def test_log_rejects_non_numeric_params(tac, launched):
    j = launched.job("ok")
    for params in ({"from": "abc"}, {"size": "abc"}, {"from": "abc", "size": "10"}):
        r = tac.api.get(f"/batches/{j.id}/log", params=params)
        tl.error_msg(r, 400, exact='For input string: "abc"')


def test_batch_object_log_is_last_10_lines(tac, launched):
    for key in ("ok", "fail"):
        j = launched.job(key)
        launched.wait_terminal(key)
        full = tac.full_log(j.id)
        obj = get_batch(tac, j.id)
        assert obj["log"] == full[-10:], \
            f"{key}: batch 'log' {obj['log']!r} != last 10 lines of /log {full[-10:]!r}"


# --------------------------------------------------------------------------- failing job

def test_failed_batch_is_dead_with_marker_and_exit_code(tac, launched):
    j = launched.job("fail")
    st = launched.wait_terminal("fail")
    states = launched.watcher.states(j.id)
    assert st == "dead", f"fail.py (exit 3) ended {st!r}, want 'dead' (states {states})"
    tl.check_transitions(states, "fail batch")
    full = tac.full_log(j.id)
    assert full and full[0] == tl.LOG_HEAD and full[-1] == tl.LOG_TAIL, \
        f"log must be ['stdout: ', ..., '\\nstderr: '], got head {full[:2]!r} tail {full[-2:]!r}"
    marker = f"TACITUS-FAIL {j.token}"
    assert marker in full, f"marker {marker!r} printed by fail.py is not in the log; tail {full[-15:]!r}"
    exit_lines = [x for x in full if j.token not in x and EXIT3_RE.search(x)]
    assert exit_lines, f"no log line reports exit code 3 (e.g. 'spark-submit exited with code 3'); tail {full[-15:]!r}"
    assert get_batch(tac, j.id)["state"] == "dead"
    wait_db_state(tac, j.id, "dead")


# --------------------------------------------------------------------------- DELETE (keep last)

def test_delete_running_batch_kills_all_its_processes(tac, launched):
    j = launched.job("sleep")
    w = launched.watcher
    st = w.wait_for(j.id, lambda s: s != "starting", tl.JOB_TIMEOUT)
    assert st == "running", \
        f"sleep batch should be running, got {st!r} (states {w.states(j.id)}); log {tac.log_tail(j.id)!r}"

    pat = re.compile(rf"SLEEPING pid=(\d+) token={re.escape(j.token)}\b")
    pid, deadline = None, time.monotonic() + 120
    while pid is None:
        m = next((m for m in map(pat.search, tac.full_log(j.id)) if m), None)
        if m:
            pid = int(m.group(1))
            break
        cur = tac.state(j.id)
        assert cur == "running", f"sleep batch left 'running' ({cur!r}) before printing its pid"
        assert time.monotonic() < deadline, \
            f"no 'SLEEPING pid=' line in the log after 120 s; tail {tac.log_tail(j.id)!r}"
        time.sleep(1)

    # Premise: the processes exist now (the stack runs on this host).
    assert tl.pid_alive(pid), f"python driver pid {pid} from the log is not alive before DELETE"
    procs = tl.processes_with(j.token)
    assert pid in procs, f"pid {pid} is not a process carrying the batch token: {procs}"
    jvms = [p for p, c in procs.items() if "org.apache.spark.deploy.SparkSubmit" in c]
    assert jvms, f"no spark-submit JVM carrying the batch token before DELETE: {procs}"
    # every job runs in its own folder of the stack, in its work/ (the bad-input tests rely
    # on it)
    job_dir = os.path.join(os.path.realpath(tac.cfg.var), "jobs", f"batch-{j.id}", "work")
    assert all(tl.cwd_of(p) == job_dir for p in jvms + [pid]), \
        f"job processes do not run in {job_dir}: {[(p, tl.cwd_of(p)) for p in jvms + [pid]]}"
    rows = tac.db.batch_count()

    t0 = time.monotonic()
    r = tac.api.delete(f"/batches/{j.id}")
    assert tl.json_body(r, 200) == {"msg": "deleted"}, tl.describe(r)

    tl.error_msg(tac.api.get(f"/batches/{j.id}"), 404, exact=f"Session '{j.id}' not found.")
    tl.error_msg(tac.api.get(f"/batches/{j.id}/state"), 404)
    tl.error_msg(tac.api.get(f"/batches/{j.id}/log"), 404)
    tl.error_msg(tac.api.get(f"/batches/{launched.name}"), 404, exact=f"Session '{launched.name}' not found.")
    tl.error_msg(tac.api.delete(f"/batches/{j.id}"), 404)

    while True:
        alive = tl.pid_alive(pid)
        left = tl.processes_with(j.token)
        if not alive and not left:
            break
        assert time.monotonic() - t0 < 15, (
            f"15 s after DELETE: python driver {pid} alive={alive}; "
            f"processes still carrying the batch token: {left}")
        time.sleep(0.5)

    assert j.id not in [s["id"] for s in tac.list_batches(size=100000)["sessions"]], \
        "deleted batch is still listed by GET /batches"
    assert tac.db.batch_count() == rows, "DELETE must keep the batch row in the database"
    wait_db_state(tac, j.id, "killed")
    assert w.wait_for(j.id, lambda s: s == tl.GONE, 10) == tl.GONE, f"states seen {w.states(j.id)}"
    states = w.states(j.id)
    tl.check_transitions(states, "sleep batch")
    assert not any(s in ("success", "dead") for s in states), f"a killed batch showed {states}"


# --------------------------------------------------------------------------- caps

def test_log_size_is_capped(cfg, tac):
    """One answer holds at most 10000 log lines, whatever `size` asks (size=-1, Livy's
    "all", included): no request builds a whole history at once."""
    bid, st, _ = tac.run_batch({"file": cfg.job("ok.py"), "args": ["10050", "cap"]})
    assert st == "success", f"ok.py 10050 ended {st}"
    for params in ({"size": 100000}, {"from": 0, "size": 100000}, {"size": -1}, {"from": 5, "size": -1}):
        body = tl.json_body(tac.api.get(f"/batches/{bid}/log", params=params), 200)
        assert body["total"] > 10050, body["total"]
        assert len(body["log"]) == 10000, f"{params}: {len(body['log'])} lines of {body['total']}"
    head = tl.json_body(tac.api.get(f"/batches/{bid}/log", params={"from": 0, "size": 10}), 200)
    assert "TACITUS-LINE cap 0" in head["log"], f"paging no longer reaches the first lines: {head}"


def test_list_size_is_capped(tac):
    """One page holds at most 1000 batches, whatever `size` asks."""
    # 1001 finished batches more (made in SQL: no Spark needed), hidden again at the end
    lo, hi = tac.db.query(
        "WITH i AS (INSERT INTO batch (owner, request, argv, state, finished_at, exit_code) "
        "SELECT 'it-user', '{}', '[]', 'success', now(), 0 FROM generate_series(1, 1001) "
        "RETURNING id) SELECT min(id) || ' ' || max(id) FROM i").split()
    try:
        body = tac.list_batches(size=100000)
        assert body["total"] >= 1001 and len(body["sessions"]) == 1000, \
            f"size=100000: {len(body['sessions'])} batches of {body['total']}"
    finally:
        tac.db.query(f"UPDATE batch SET deleted_at = now() WHERE id BETWEEN {lo} AND {hi}")


def test_a_finished_job_leaves_no_folder(cfg, tac):
    """Once a job ended and its output is in PostgreSQL its folder goes (a busy host would
    otherwise keep every job's output twice, for ever): after success and after a kill."""
    token = f"gone-{uuid.uuid4().hex[:8]}"

    def folder(bid):
        return tac.db.query(f"select coalesce(job_dir, '') from batch where id = {int(bid)}")

    bid, st, _ = tac.run_batch({"file": cfg.job("quick.py"), "args": [token]})
    assert st == "success", f"batch {bid} ended {st}: {tac.log_tail(bid)}"
    d = folder(bid)
    assert d.startswith(os.path.realpath(cfg.var)) or d.startswith(cfg.var), d
    tl.wait_until(lambda: not os.path.exists(d), 10, f"the folder {d} of batch {bid} to go")
    assert f"TACITUS-QUICK {token} end" in tac.full_log(bid), "the output went with the folder"

    r, sleeper = tac.create_batch({"file": cfg.job("quick.py"), "args": [token, "120"]})
    assert sleeper is not None, tl.describe(r)
    tl.wait_until(lambda: f"TACITUS-QUICK {token} start" in tac.full_log(sleeper), 120,
                  f"batch {sleeper} to start")
    d = folder(sleeper)
    assert os.path.isdir(d), f"a running batch's folder {d!r} is missing"
    assert tl.json_body(tac.api.delete(f"/batches/{sleeper}"), 200) == {"msg": "deleted"}
    tl.wait_until(lambda: tac.db.batch_state(sleeper) == "killed", 60,
                  f"batch {sleeper} to be killed")
    tl.wait_until(lambda: not os.path.exists(d), 10, f"the folder {d} of batch {sleeper} to go")


SPARK_SUBMIT_LINE = re.compile(r"\d\d/\d\d/\d\d \d\d:\d\d:\d\d (TRACE|DEBUG|INFO|WARN|ERROR) ")


def test_odd_lines_come_back_byte_for_byte_in_any_window(cfg, tac):
    """Lines are stored in chunks of many lines (sql/015_log_chunks.sql): what the log shows
    is still exactly what the job printed, an empty line alone, tabs, backslashes, a carriage
    return inside a line and UTF-8 included, and a window starting anywhere (inside a chunk,
    across chunks, at a chunk's first line) shows exactly those lines."""
    spec = importlib.util.spec_from_file_location("odd", cfg.job("odd.py"))
    odd = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(odd)
    token = f"odd-{uuid.uuid4().hex[:8]}"
    bid, st, _ = tac.run_batch({"file": cfg.job("odd.py"), "args": [token]})
    assert st == "success", f"batch {bid} ended {st}: {tac.log_tail(bid)}"
    full = tac.full_log(bid)
    begin, end = f"TACITUS-ODD {token} begin", f"TACITUS-ODD {token} end"
    assert begin in full and end in full, f"markers missing: {full[:5]} ... {full[-5:]}"
    first, last = full.index(begin) + 1, full.index(end)
    want = odd.odd_lines(token)
    # spark-submit's own stderr (its JVM's log4j lines) may land between the job's lines
    got = [line for line in full[first:last] if not SPARK_SUBMIT_LINE.match(line)]
    assert got == want, \
        f"{len(got)} lines between the markers, {len(want)} printed; first difference at " \
        f"#{next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))}"

    def window(frm, size):
        body = tl.json_body(tac.api.get(f"/batches/{bid}/log", params={"from": frm, "size": size}), 200)
        return body["log"]

    # the groups' edges, and those of the chunks of 2,000 lines the 4,500 numbered ones
    # fill when stored at once (n - 4500, n - 2500, n - 500), a line either side
    n = len(want)
    starts = sorted({0, 1, 2, 8, 9, 10, 11, 12, n // 2, n - 1} |
                    {n - k + d for k in (4500, 2500, 500) for d in (-1, 0, 1)})
    for i in starts:
        for size in (1, 2, 3, 7, 2001):
            assert window(first + i, size) == full[first + i:first + i + size], \
                f"the window from={first + i}&size={size} differs from the whole log's lines"
