"""Waiting clients (beyond Livy): GET .../state?wait=N&since=STATE and a statement's
?wait=N&since=STATE answer when the state changes, or after N seconds with the state then;
GET .../state?until=end when the job's state is final; nginx holds the waiting clients, so
that no worker waits.  GET .../events streams a job's states and log lines as Server-Sent
Events.

integration.sh caps waits at WAIT_MAX seconds (tacitus.push.wait-max) and runs 3 instances
of 2 workers each: 6 workers in all.  The last tests (long_waits) restart the stack with a
cap of LONG_WAIT seconds, long enough for a whole Spark batch, and put it back at the end.
"""

import concurrent.futures
import json
import os
import signal
import time
import uuid

import shutil
import subprocess

import pytest

import tacitus_testlib as tl
from test_interactive import Sess, POOL_SQL, STARTUP_TIMEOUT

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WAIT_MAX = 10
LONG_WAIT = 150             # the cap long_waits sets: a batch of sleep.py ends well inside
WORKERS = 6
ANSWERED_SOON = 3.0         # a wake-up's answer: well inside a WAIT_MAX wait


def waited(api, path, wait, since, **kw):
    """GET path?wait=&since= (plus params); returns (response, seconds it took)."""
    t0 = time.monotonic()
    r = api.get(path, params=dict({"wait": wait, "since": since}, **kw.pop("params", {})), **kw)
    return r, time.monotonic() - t0


def ended(api, path, **params):
    """GET path?until=end (plus params); returns (response, seconds it took)."""
    t0 = time.monotonic()
    r = api.get(path, params=dict({"until": "end"}, **params), timeout=(10, LONG_WAIT + 60))
    return r, time.monotonic() - t0


def stack(*args):
    subprocess.run(["sh", os.path.join(ROOT, "app", "stack.sh"), *args], check=True,
                   stdout=subprocess.DEVNULL)


def state_of(r, bid):
    body = tl.json_body(r, 200)
    assert list(body) == tl.STATE_KEYS and body["id"] == bid, body
    return body["state"]


def sse(api, path):
    """The open event stream of path (a requests response, streaming)."""
    r = api.get(path, headers={"Accept": "text/event-stream"}, stream=True, timeout=(5, 60))
    assert r.status_code == 200, tl.describe(r)
    assert r.headers.get("Content-Type", "").startswith("text/event-stream"), r.headers
    return r


def sse_events(resp, within=tl.JOB_TIMEOUT):
    """(event, data) of each event of a text/event-stream response, as they come; fails
    the test after `within` seconds (nchan's pings keep a quiet stream open)."""
    deadline = time.monotonic() + within
    event, data, line = "message", [], b""
    for byte in resp.iter_content(chunk_size=1):
        if time.monotonic() > deadline:
            pytest.fail(f"the stream said nothing more after {within:.0f} s")
        if byte != b"\n":
            line += byte
            continue
        text, line = line.decode("utf-8"), b""
        if text == "":
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
        elif text.startswith("event:"):
            event = text[6:].strip()
        elif text.startswith("data:"):
            data.append(text[5:].lstrip())


def test_a_client_follows_a_batch_live(tac, cfg):
    """Its log lines as they are stored, then its end: every line before the end."""
    token = uuid.uuid4().hex[:8]
    r, bid = tac.create_batch({"file": cfg.job("lines.py"), "args": ["utf8", token, "1"]})
    assert r.status_code == 201, tl.describe(r)
    stream = sse(tac.api, f"/batches/{bid}/events")
    lines, states, froms = {}, [], []
    try:
        for event, data in sse_events(stream):
            assert data["id"] == bid, data
            if event == "log":
                assert not states or states[-1] not in tl.TERMINAL, "lines after the end"
                assert data["total"] >= data["from"] + len(data["lines"]), data
                lines.update(enumerate(data["lines"], data["from"]))
                froms.append(data["from"])
            elif event == "state":
                states.append(data["state"])
                if data["state"] in tl.TERMINAL:
                    break
    finally:
        stream.close()
    assert states[-1] == "success", f"states heard: {states}"
    # one publisher posts to an nginx, whatever the number of instances: no event twice
    assert len(froms) == len(set(froms)) and len(states) == len(set(states)), \
        f"events heard twice: lines from {froms}, states {states}"
    stored = tac.db.query(f"SELECT line FROM batch_log WHERE batch_id = {bid} "
                          "ORDER BY line_no").split("\n")
    assert all(stored[i] == line for i, line in lines.items()), "a line heard is not the stored one"
    heard = set(lines.values())
    for i in range(10):
        assert f"TACITUS-LINES {token} after {i}" in heard, f"line {i} not heard; heard {lines}"
    # a page of another site may not read a user's stream
    r = tac.api.get(f"/batches/{bid}/events", stream=True, timeout=(5, 10),
                    headers={"Accept": "text/event-stream", "Origin": "https://elsewhere.example"})
    try:
        grants = [h for h in r.headers if h.lower().startswith("access-control-")]
        assert r.status_code != 200 or not grants, f"{r.status_code} {r.headers}"
    finally:
        r.close()
    # without Accept: text/event-stream, a clear 406
    tl.error_msg(tac.api.get(f"/batches/{bid}/events"), 406, contains="text/event-stream")


def test_a_waiting_client_hears_each_change_of_a_batch(tac, cfg):
    r, bid = tac.create_batch({"file": cfg.job("sleep.py"), "args": ["push", "4"]})
    assert r.status_code == 201, tl.describe(r)
    seen, since = [], tl.json_body(r, 201)["state"]
    deadline = time.monotonic() + tl.JOB_TIMEOUT
    while since not in tl.TERMINAL:
        assert time.monotonic() < deadline, f"batch {bid} did not end; states {seen}"
        # a page of another site asking (Origin) gets no cross-origin grant
        r, took = waited(tac.api, f"/batches/{bid}/state", WAIT_MAX, since,
                         headers={"Origin": "https://elsewhere.example"})
        st = state_of(r, bid)
        assert not [h for h in r.headers if h.lower().startswith("access-control-")], r.headers
        if st == since:     # the wait ran out: then it took the whole wait, not less
            assert took >= WAIT_MAX - 0.5, f"{since!r} again after {took:.2f} s, not {WAIT_MAX}"
            continue
        # a change answers the waiting client at once: well before the wait runs out
        changed_at = float(tac.db.query(
            f"SELECT extract(epoch FROM max(at)) FROM batch_event WHERE batch_id = {bid}"))
        late = time.time() - changed_at
        assert late < ANSWERED_SOON, f"{since} -> {st} reached the client {late:.2f} s late"
        # the wake-up's answer (nchan's, or a worker's) is the plain GET's, headers too
        plain = tac.api.get(f"/batches/{bid}/state")
        assert r.headers.get("Content-Type") == plain.headers["Content-Type"], r.headers
        assert r.headers.get("X-Content-Type-Options") == "nosniff", r.headers
        assert not {"Etag", "Last-Modified", "Vary", "X-Accel-Redirect"} & set(r.headers), \
            r.headers
        seen.append(st)
        since = st
    assert seen[-2:] == ["running", "success"], f"states heard: {seen}"


def test_the_wait_runs_out_with_the_state_then(tac, cfg):
    bid, st, _ = tac.run_batch({"file": cfg.job("ok.py")})
    assert st == "success"
    r, took = waited(tac.api, f"/batches/{bid}/state", 2, "success")
    assert state_of(r, bid) == "success"
    assert 1.9 <= took < 2 + ANSWERED_SOON, f"a 2 s wait took {took:.2f} s"
    # capped by tacitus.push.wait-max
    r, took = waited(tac.api, f"/batches/{bid}/state", 100000, "success")
    assert state_of(r, bid) == "success"
    assert WAIT_MAX - 0.1 <= took < WAIT_MAX + ANSWERED_SOON, f"capped at {took:.2f} s"


def test_what_needs_no_wait_is_answered_at_once(tac, cfg):
    bid, st, _ = tac.run_batch({"file": cfg.job("ok.py")})
    for params in ({"wait": 30, "since": "running"},     # changed already
                   {"wait": 30},                         # no since: as Livy
                   {"since": "success"},                 # no wait
                   {"wait": 0, "since": "success"}):
        t0 = time.monotonic()
        r = tac.api.get(f"/batches/{bid}/state", params=params)
        assert state_of(r, bid) == "success", params
        assert time.monotonic() - t0 < ANSWERED_SOON, f"{params} waited"
    # by name as by id
    name = f"push-{uuid.uuid4().hex[:8]}"
    bid, st, _ = tac.run_batch({"file": cfg.job("ok.py"), "name": name})
    r, took = waited(tac.api, f"/batches/{name}/state", 1, "success")
    assert state_of(r, bid) == "success" and took >= 0.9, f"{took:.2f} s"


def test_a_bad_wait_or_since_is_a_400(tac, cfg):
    bid, _, _ = tac.run_batch({"file": cfg.job("ok.py")})
    for params, words in (({"wait": "-1", "since": "success"}, "whole number"),
                          ({"wait": "soon", "since": "success"}, "whole number"),
                          ({"wait": "1.5", "since": "success"}, "whole number"),
                          ({"wait": "5", "since": "finished"}, "batch state"),
                          ({"wait": "5", "since": "available"}, "batch state")):
        r = tac.api.get(f"/batches/{bid}/state", params=params)
        tl.error_msg(r, 400, contains=words)
    tl.error_msg(tac.api.get("/batches/999999999/state", params={"wait": 5, "since": "running"}),
                 404)


def test_waiting_clients_hold_no_worker(tac, cfg):
    """Five times as many waiters as workers: the API answers meanwhile, and the change
    (a DELETE) answers every one of them."""
    bid = tac.sleeping_batch(cfg.job("sleep.py"), f"push-{uuid.uuid4().hex[:6]}")
    n = WORKERS * 5
    apis = [tl.Api(cfg) for _ in range(n)]
    try:
        with concurrent.futures.ThreadPoolExecutor(n) as pool:
            futures = [pool.submit(waited, a, f"/batches/{bid}/state", WAIT_MAX, "running")
                       for a in apis]
            time.sleep(1.5)     # all of them reached nginx and wait there
            assert not any(f.done() for f in futures), "a waiter was answered without a change"
            for _ in range(WORKERS * 3):
                t0 = time.monotonic()
                tl.json_body(tac.api.get(f"/batches/{bid}"), 200)
                tl.json_body(tac.api.get("/version"), 200)
                assert time.monotonic() - t0 < ANSWERED_SOON, "the API stalled behind waiters"
            t_delete = time.monotonic()
            assert tac.api.delete(f"/batches/{bid}").status_code == 200
            for f in futures:
                r, _ = f.result(timeout=WAIT_MAX + 10)
                # it was deleted: the waiter's answer is the plain GET's, a 404
                tl.error_msg(r, 404)
            late = time.monotonic() - t_delete
            assert late < ANSWERED_SOON, f"the waiters heard of the DELETE {late:.2f} s later"
    finally:
        for a in apis:
            a.close()
        tac.delete_quietly(bid)


def publisher_pid(db):
    """The pid of the publisher that posts to nginx (the one holding its lock)."""
    names = db.query("SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                     "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND "
                     "a.application_name LIKE 'tacitus/%/publish/%'").split()
    assert len(names) == 1, f"publishers holding nginx's lock: {names}"
    return int(names[0].rsplit("/", 1)[1])


def worker_pids(db):
    """The pids of every instance's workers (each holds a connection from its start)."""
    names = db.query("SELECT application_name FROM pg_stat_activity "
                     "WHERE application_name LIKE 'tacitus/%/worker/%'").split()
    return [int(n.rsplit("/", 1)[1]) for n in names]


def test_a_batch_wake_up_needs_no_worker(tac, cfg):
    """A job's wake-up carries its answer: a waiting client hears its batch end while
    every worker of every instance is stopped."""
    bid = tac.sleeping_batch(cfg.job("sleep.py"), f"push-{uuid.uuid4().hex[:6]}", seconds=3)
    workers = worker_pids(tac.db)
    assert len(workers) == WORKERS, f"workers connected: {workers}"
    api = tl.Api(cfg)
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            fut = pool.submit(waited, api, f"/batches/{bid}/state", WAIT_MAX, "running")
            time.sleep(1.0)     # it reached nginx and waits there
            for pid in workers:
                os.kill(pid, signal.SIGSTOP)
            try:
                r, took = fut.result(timeout=WAIT_MAX + 5)
            except concurrent.futures.TimeoutError:
                pytest.fail("no answer while the workers were stopped: the wake-up went to "
                            "a worker instead of carrying its answer")
            finally:
                for pid in workers:
                    os.kill(pid, signal.SIGCONT)
            assert state_of(r, bid) == "success", r.text
            assert took < WAIT_MAX - 1, f"answered when the wait ran out ({took:.1f} s)"
    finally:
        api.close()
        tac.delete_quietly(bid)


def test_a_publisher_taking_over_wakes_the_waits_its_predecessor_missed(tac, cfg):
    """The publisher stalls (stopped, its lock held): a change then reaches no waiting
    client; killed, another publisher takes the lock and wakes the waits on what the
    job has left behind, long before they run out."""
    bid = tac.sleeping_batch(cfg.job("sleep.py"), f"push-{uuid.uuid4().hex[:6]}")
    pid = publisher_pid(tac.db)
    apis = [tl.Api(cfg), tl.Api(cfg)]
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            os.kill(pid, signal.SIGSTOP)
            try:
                futs = [pool.submit(waited, apis[0], f"/batches/{bid}/state", WAIT_MAX,
                                    "running"),
                        pool.submit(ended, apis[1], f"/batches/{bid}/state")]
                time.sleep(2.5)     # they reached nginx and wait there
                assert not any(f.done() for f in futs), "answered without a change"
                assert tac.api.delete(f"/batches/{bid}").status_code == 200
                time.sleep(1.5)
                # the scene is set: the change's wake-up went nowhere
                assert not any(f.done() for f in futs), "a stopped publisher's change was heard"
            finally:
                os.kill(pid, signal.SIGKILL)
            t_kill = time.monotonic()
            for f in futs:      # the wait on the version, the wait for the end
                r, _ = f.result(timeout=WAIT_MAX + 10)
                tl.error_msg(r, 404)
            late = time.monotonic() - t_kill
            assert late < ANSWERED_SOON, \
                f"the waiters heard of the DELETE {late:.2f} s after its publisher was replaced"
    finally:
        for a in apis:
            a.close()
        tac.delete_quietly(bid)
    tl.wait_until(lambda: len(tac.db.query(
        "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE "
        "l.locktype = 'advisory' AND l.granted AND "
        "a.application_name LIKE 'tacitus/%/publish/%'").split()) == 1, 10,
        "a publisher to hold nginx's lock again")


@pytest.fixture(scope="module")
def sess(tac):
    tl.wait_until(lambda: int(tac.db.query(POOL_SQL)) >= 1, STARTUP_TIMEOUT,
                  "an idle driver in the warm pool")
    s = Sess(tac, tac.api.post("/sessions", json={"kind": "pyspark"}), time.monotonic())
    yield s
    s.delete_quietly()


def test_a_session_and_its_statements_can_be_waited_on(tac, sess):
    path = sess.path
    st = sess.state()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while st != "idle":
        assert st in ("starting", "idle"), st
        assert time.monotonic() < deadline, "the session did not get idle"
        r, _ = waited(tac.api, f"{path}/state", WAIT_MAX, st)
        st = tl.json_body(r, 200)["state"]
    stream = sse(tac.api, f"{path}/events")
    r = sess.post("import time\ntime.sleep(3)\n6 * 7", "pyspark")
    n = tl.json_body(r, 201)["id"]
    stmt = tl.json_body(tac.api.get(f"{path}/statements/{n}"), 200)
    heard = []
    while stmt["state"] not in ("available", "cancelled"):
        r, took = waited(tac.api, f"{path}/statements/{n}", WAIT_MAX, stmt["state"])
        new = tl.json_body(r, 200)
        assert new["id"] == n and (new["state"] != stmt["state"] or took >= WAIT_MAX - 0.5), \
            f"{stmt['state']} -> {new['state']} after {took:.2f} s"
        heard.append(new["state"])
        stmt = new
    assert stmt["state"] == "available" and "42" in str(stmt["output"]), stmt
    # the session goes back to idle: a waiter on busy hears it (or it was idle already)
    r, took = waited(tac.api, f"{path}/state", WAIT_MAX, "busy")
    assert tl.json_body(r, 200)["state"] == "idle", f"after {took:.2f} s"
    tl.error_msg(tac.api.get(f"{path}/statements/{n}", params={"wait": 5, "since": "idle"}), 400,
                 contains="statement state")
    # a completion waits in nginx for the driver's answer, not in a worker; the route it
    # comes back by is nobody else's
    r = tac.api.post(f"{path}/completion", json={"code": "spa", "kind": "pyspark", "cursor": 3})
    assert "spark" in tl.json_body(r, 200)["candidates"], tl.describe(r)
    tl.error_msg(tac.api.post(f"{path}/completion/1", json={"code": "spa", "kind": "pyspark"}),
                 404)
    # the session's stream told the same: busy, then idle again
    states = []
    try:
        for event, data in sse_events(stream):
            if event == "state":
                assert data["id"] == sess.id, data
                states.append(data["state"])
                if states[-2:] == ["busy", "idle"]:
                    break
    finally:
        stream.close()
    assert states[-2:] == ["busy", "idle"], f"the session's stream said {states}"


def test_until_end_answers_a_finished_job_at_once_and_refuses_what_it_cannot_read(tac, cfg):
    bid, st, _ = tac.run_batch({"file": cfg.job("ok.py")})
    assert st == "success"
    for params in ({}, {"wait": 30}, {"wait": 0}):
        r, took = ended(tac.api, f"/batches/{bid}/state", **params)
        assert state_of(r, bid) == "success", params
        assert took < ANSWERED_SOON, f"{params}: a finished batch waited {took:.2f} s"
    for params, words in (({"until": "End"}, "until takes one value, end"),
                          ({"until": ""}, "until takes one value, end"),
                          ({"until": "success"}, "not 'success'"),
                          ({"wait": "soon"}, "whole number"),
                          ({"wait": "-5"}, "whole number"),
                          ({"since": "running"}, "leave since out")):
        r = tac.api.get(f"/batches/{bid}/state", params=dict({"until": "end"}, **params))
        tl.error_msg(r, 400, contains=words)
    tl.error_msg(tac.api.get("/batches/999999999/state", params={"until": "end"}), 404)
    # the msg echoes the value cut to 40 bytes, here inside a 4-byte character, and a
    # byte that is no UTF-8 at all: the body stays well-formed UTF-8 (U+FFFD for each)
    for until in ("a" + "\U0001D4E3" * 12, b"\xffend"):
        r = tac.api.get(f"/batches/{bid}/state", params={"until": until})
        try:
            r.content.decode("utf-8")
        except UnicodeDecodeError as e:
            raise AssertionError(f"until={until!r}: the 400's body is not UTF-8 ({e}): "
                                 f"{r.content!r}") from None
        tl.error_msg(r, 400, contains=["until takes one value, end", "\ufffd"])


def delete_wakes_its_end_wait(tac, cfg, job):
    """A wait for the end of the running job at path job (/batches/7, /sessions/3), held
    by nginx, is answered with the plain GET's 404 within ANSWERED_SOON of the job's
    DELETE, and not before it."""
    api = tl.Api(cfg)
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            fut = pool.submit(ended, api, f"{job}/state")
            time.sleep(1.5)     # it reached nginx and waits there
            assert not fut.done(), f"answered before the end: {fut.result()}"
            t_delete = time.monotonic()
            assert tac.api.delete(job).status_code == 200
            r, _ = fut.result(timeout=WAIT_MAX + 10)
            tl.error_msg(r, 404)
            late = time.monotonic() - t_delete
            assert late < ANSWERED_SOON, f"the wait for the end heard of the DELETE {late:.2f} s later"
    finally:
        api.close()


def test_until_end_runs_out_at_the_cap_and_a_delete_answers_it(tac, cfg):
    """A batch that outlives the cap: the state then, after the cap; a DELETE wakes the
    wait for the end at once, with the plain GET's 404."""
    bid = tac.sleeping_batch(cfg.job("sleep.py"), f"push-{uuid.uuid4().hex[:6]}")
    try:
        r, took = ended(tac.api, f"/batches/{bid}/state", wait=100000)
        assert state_of(r, bid) == "running"
        assert WAIT_MAX - 0.1 <= took < WAIT_MAX + ANSWERED_SOON, f"capped at {took:.2f} s"
        delete_wakes_its_end_wait(tac, cfg, f"/batches/{bid}")
    finally:
        tac.delete_quietly(bid)


def test_a_session_waits_for_its_end_too(tac, cfg, sess):
    """A session is not ended while idle: until=end holds it (here for wait=2 s) and answers
    the state then; a statement has no end to wait for; the session's DELETE wakes a wait
    for its end at once (the plain GET's 404).  The last test of the session."""
    r, took = ended(tac.api, f"{sess.path}/state", wait=2)
    assert tl.json_body(r, 200) == {"id": sess.id, "state": "idle"}
    assert 1.9 <= took < 2 + ANSWERED_SOON, f"a 2 s wait for the end took {took:.2f} s"
    tl.error_msg(tac.api.get(f"{sess.path}/statements/0", params={"until": "end"}), 400,
                 contains="a statement's state")
    delete_wakes_its_end_wait(tac, cfg, sess.path)


@pytest.fixture(scope="module")
def long_waits(cfg):
    """The stack restarted with tacitus.push.wait-max = LONG_WAIT s, put back at the end."""
    conf = os.path.join(os.environ["LIVY_CONF_DIR"], "livy.conf")
    shutil.copy(conf, conf + ".saved")
    with open(conf, "a") as f:
        f.write(f"tacitus.push.wait-max = {LONG_WAIT}s\n")
    stack("stop")
    stack("start")
    yield
    shutil.move(conf + ".saved", conf)
    stack("stop")
    stack("start")


def test_one_request_waits_for_a_batch_from_starting_to_its_end(tac, cfg, long_waits):
    r, bid = tac.create_batch({"file": cfg.job("sleep.py"), "args": ["push-end", "4"]})
    assert tl.json_body(r, 201)["state"] == "starting", tl.describe(r)
    r, took = ended(tac.api, f"/batches/{bid}/state")
    answered = time.time()
    assert state_of(r, bid) == "success", r.text
    finished = float(tac.db.query(
        f"SELECT extract(epoch FROM finished_at) FROM batch WHERE id = {bid}"))
    # held until the end, and answered as it came
    assert answered >= finished - 0.5, f"answered {finished - answered:.2f} s before the end"
    assert answered - finished < ANSWERED_SOON, \
        f"the end reached the client {answered - finished:.2f} s late"
    assert took < LONG_WAIT - 5, f"answered when the wait ran out ({took:.1f} s)"
    # the answer (nchan's) is the plain GET's, headers too
    plain = tac.api.get(f"/batches/{bid}/state")
    assert r.headers.get("Content-Type") == plain.headers["Content-Type"], r.headers
    assert not {"Etag", "Last-Modified", "Vary", "X-Accel-Redirect"} & set(r.headers), r.headers


def test_an_nginx_reload_keeps_the_waits_it_holds(tac, cfg, long_waits):
    """nginx reloads (app/stack.sh start on a running stack): a wait held across it is
    neither dropped nor frozen, it hears the job's change (here its DELETE: the plain
    GET's 404), as does a wait begun after it; the old workers end with their waits."""
    bid = tac.sleeping_batch(cfg.job("sleep.py"), f"push-{uuid.uuid4().hex[:6]}")
    apis = [tl.Api(cfg), tl.Api(cfg)]
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            held = pool.submit(ended, apis[0], f"/batches/{bid}/state")
            time.sleep(1.5)     # it reached nginx and waits there
            assert not held.done(), f"answered before the end: {held.result()}"
            pid = open(os.path.join(cfg.var, "nginx", "nginx.pid")).read().strip()
            old = subprocess.run(["pgrep", "-P", pid], capture_output=True,
                                 text=True).stdout.split()
            assert old, "no nginx workers found"
            stack("start")
            after = pool.submit(ended, apis[1], f"/batches/{bid}/state")
            time.sleep(2.0)
            # a requests.ConnectionError in result() would be a dropped connection
            assert not held.done(), f"the reload answered the held wait: {held.result()}"
            assert not after.done(), f"answered before the end: {after.result()}"
            t_delete = time.monotonic()
            assert tac.api.delete(f"/batches/{bid}").status_code == 200
            for fut in (held, after):
                try:
                    r, _ = fut.result(timeout=30)
                except concurrent.futures.TimeoutError:
                    pytest.fail("a wait across an nginx reload did not hear the DELETE")
                tl.error_msg(r, 404)
            late = time.monotonic() - t_delete
            assert late < ANSWERED_SOON, f"the waits heard of the DELETE {late:.2f} s later"
            tl.wait_until(lambda: not any(os.path.exists(f"/proc/{w}") for w in old), 15,
                          "nginx's old workers to end once their waits were answered")
    finally:
        for a in apis:
            a.close()
        tac.delete_quietly(bid)
