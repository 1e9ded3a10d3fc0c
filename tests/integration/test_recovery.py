"""Several stateless instances: crash recovery, no lost or doubled job, PostgreSQL outages.

These tests break the stack on purpose and put it back together afterwards:

    idempotency   Idempotency-Key rules on POST /batches (replay, conflict, bad keys)
    chaos         a burst of concurrent POSTs (some keyed, each keyed one sent twice) while one
                  whole instance is killed -9: every batch runs exactly once and succeeds
    adoption      kill -9 the instance holding a running batch: another adopts it, reads its
                  exit status, and the batch succeeds with its whole log; it does so at once
                  (well inside the lease) because the dead monitor's lock in PostgreSQL went
                  with its connection (also when it is killed a few ms after it claimed and
                  launched its only batch), while an instance stopped (SIGSTOP) but connected
                  keeps its lock and loses its batch only by its lease; a live monitor whose
                  connection the server ends runs nothing twice and takes its lock again
    restart       stack.sh stop + start: states kept, a job running across it succeeds, ids go on
    postgres      PostgreSQL stopped and started under light read load: 503 + Retry-After
                  while down, 200 again within ~2 s, nothing lost, jobs still launched
    max-creation  livy.server.session.max-creation counts batches of every instance together
    monitor       a monitor whose lease renewal fails retries once a second (no busy loop, no
                  flood of log lines), and renews again once the database accepts
    master        a worker whose fork failed is forked again once fork works (fork() made to
                  fail by build/failfork.so, a test-only LD_PRELOAD library)
    output        a line cut inside a character, or one PostgreSQL refuses, does not stop a
                  job's kill (tests/jobs/lines.py)
    groups        a gone job's process group number, held by a stranger, is not signalled
    leases        a monitor cycle longer than a lease does not let the lease lapse
                  (tests/jobs/bulk.py)
    names         a second instance with a running instance's name refuses to start

Every Spark job here is tests/jobs/quick.py (a real spark-submit of a Python file without a
SparkSession).  The stack is driven through app/stack.sh with the environment the harness
exported (TACITUS_VAR, TACITUS_INSTANCES, LIVY_CONF_DIR, ...), so it acts on the same stack.
A module fixture puts livy.conf back and restarts missing instances whatever happens, so that
the harness's own stop still works.  This module must stay last in collection order.
"""

import contextlib
import os
import pathlib
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
import requests

import tacitus_testlib as tl

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STACK = os.path.join(ROOT, "app", "stack.sh")
INSTANCES = int(os.environ.get("TACITUS_INSTANCES", "2"))
TOO_MANY = "Rejected, too many sessions are being created!"
ACTIVE = ("starting", "running")
LEASE_TAKEOVER = 15.0      # s from kill -9 until another instance holds the lease (6 s lease)
LOCK_TAKEOVER = 3.0        # s from kill -9 until another instance holds the lease, its lock gone
                           # (looked at every 250 ms; the lease would take 6 s)
RACE_TAKEOVER = 2.5        # s from kill -9 a few ms after the launch until adoption (lease 6 s)
RACE_ROUNDS = 6            # ... in that many rounds where the killed instance held nothing else
LEASE_SILENCE = 4.0        # s a stalled owner's lease stands at least (6 s on the observer's clock)
GONE_BY_LOCK = "its monitor's connection to the database is gone"
GONE_BY_LEASE = "its monitor stopped renewing its lease"
PG_RECOVERY = 3.0          # s from pg-start returning until requests are 200 again (~2 s + slack)


# --------------------------------------------------------------------------- helpers

def stack(cmd, timeout=240, env=None):
    """sh app/stack.sh CMD on the harness's stack; output goes to files (daemons keep fds).
    env: variables to set on top of the harness's environment."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.run(["sh", STACK, cmd], stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                           timeout=timeout, env={**os.environ, **(env or {})})
        err.seek(0)
        text = err.read()
    assert p.returncode == 0, f"sh app/stack.sh {cmd} failed ({p.returncode}): {text[-2000:]}"
    return text


def pid_file(cfg, n):
    return os.path.join(cfg.var, "run", f"app-{n}.pid")


def master_pid(cfg, n):
    try:
        with open(pid_file(cfg, n)) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def pid_gone(pid):
    """No such process at all (not even a zombie): what stack.sh's `kill -0` needs to see."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _live_processes(field, value):
    """Live (non-zombie) processes whose /proc stat field (after the command: 1 = parent,
    2 = process group) is value."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2:].split()
        if rest[0] != "Z" and int(rest[field]) == value:
            out.append(int(name))
    return out


def group_members(pgid):
    """Live (non-zombie) processes of process group pgid."""
    return _live_processes(2, pgid)


def socket_listens(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def kill_instance(cfg, n):
    """kill -9 the whole process group of instance app-n (master, workers, monitor)."""
    pid = master_pid(cfg, n)
    assert pid and tl.pid_alive(pid), f"app-{n} is not running (pid file says {pid})"
    os.killpg(pid, signal.SIGKILL)
    # init reaps the master a moment later; stack.sh start restarts only a pid that is gone
    tl.wait_until(lambda: pid_gone(pid) and not group_members(pid), 30,
               lambda: f"app-{n} (pid {pid}) to vanish; group left: {group_members(pid)}")
    return pid


def ensure_instances(cfg):
    """Start whatever is missing (killed instances, nginx, PostgreSQL) and wait until every
    instance listens on its socket again and the front door answers."""
    for n in range(1, INSTANCES + 1):
        pid = master_pid(cfg, n)
        if pid and not tl.pid_alive(pid):       # killed: wait until init reaped it
            tl.wait_until(lambda: pid_gone(pid), 30, f"pid {pid} of app-{n} to be reaped")
    stack("start")
    for n in range(1, INSTANCES + 1):
        pid = master_pid(cfg, n)
        assert pid and tl.pid_alive(pid), f"app-{n} is not running after stack.sh start"
        sock = os.path.join(cfg.var, "run", f"app-{n}.sock")
        tl.wait_until(lambda: socket_listens(sock), 30, f"app-{n} to listen on {sock}")
    # ... and the front door sends to them again (nginx holds an upstream it saw fail
    # for a moment: its 503 says "try again shortly")
    api = tl.Api(cfg)
    try:
        tl.wait_until(lambda: api.get("/version").status_code == 200, 30,
                      "the front door to answer GET /version")
    finally:
        api.close()


def orphaned_on_a_gone_host(cfg, db, job_id):
    """kill -9 of every instance while job `job_id` runs, its row then owned by an
    instance of a host gone for good ('gone-app' on gone-host.invalid), and every
    instance started again: only an instance that may adopt from any host can take it."""
    try:
        for n in range(1, INSTANCES + 1):
            kill_instance(cfg, n)
        db.query(f"UPDATE batch SET host = 'gone-host.invalid', lease_owner = 'gone-app' "
                 f"WHERE id = {int(job_id)}")
    finally:
        ensure_instances(cfg)


@contextlib.contextmanager
def livy_conf_changed(cfg, edit):
    """The stack restarted with livy.conf as edit(text) makes it, then as it was (whatever
    the body of the with did)."""
    conf = os.path.join(os.environ["LIVY_CONF_DIR"], "livy.conf")
    with open(conf) as f:
        original = f.read()
    with open(conf, "w") as f:
        f.write(edit(original))
    stack("stop")
    try:
        ensure_instances(cfg)
        yield
    finally:
        with open(conf, "w") as f:
            f.write(original)
        stack("stop")
        ensure_instances(cfg)


@contextlib.contextmanager
def client_deploy_mode(cfg):
    """The stack restarted with livy.spark.deploy-mode = client (the harness's cluster
    modes say cluster), then as it was."""
    def edit(text):
        assert "livy.spark.deploy-mode = cluster" in text, text
        return text.replace("livy.spark.deploy-mode = cluster", "livy.spark.deploy-mode = client")
    with livy_conf_changed(cfg, edit):
        yield


def db_rows(db, sql):
    out = db.query(sql)
    return [line.split("|") for line in out.splitlines()] if out else []


def running_events(db, bid):
    return int(db.query(f"select count(*) from batch_event where batch_id={int(bid)} "
                        f"and to_state='running'"))


def batch_row(db, bid):
    """(state, lease_owner, exit_code, pid) of a batch from the table."""
    r = db_rows(db, f"select state, coalesce(lease_owner,''), coalesce(exit_code::text,''), "
                    f"coalesce(pid::text,'') from batch where id={int(bid)}")
    assert r, f"batch {bid} has no row in table batch"
    return tuple(r[0])


def markers(tac, bid, token):
    """How often the job's "start" and "end" lines appear in its whole log (via the API)."""
    log = tac.full_log(bid)
    return log.count(f"TACITUS-QUICK {token} start"), log.count(f"TACITUS-QUICK {token} end")


def db_markers(db, bid, token):
    return int(db.query(f"select count(*) from batch_log where batch_id={int(bid)} "
                        f"and line='TACITUS-QUICK {token} start'"))


def active_count(db, drivers=False):
    """Batches (and session drivers too, when asked) starting or running."""
    return int(db.query("select count(*) from batch where state in ('starting','running')" +
                        ("" if drivers else " and id >= 0")))


def wait_db_terminal(db, ids, timeout=tl.JOB_TIMEOUT):
    """Wait until every batch in ids is success/dead/killed in the table; {id: state}."""
    ids = sorted(set(int(i) for i in ids))
    if not ids:
        return {}
    q = f"select id, state from batch where id in ({','.join(map(str, ids))})"

    def done():
        st = {int(i): s for i, s in db_rows(db, q)}
        return st if len(st) == len(ids) and all(s not in ACTIVE for s in st.values()) else None

    return tl.wait_until(done, timeout,
                      lambda: f"batches to end; table says {db_rows(db, q)}", interval=1.0)


def quick(cfg, token, seconds=None):
    body = {"file": cfg.job("quick.py"), "args": [token]}
    if seconds is not None:
        body["args"].append(str(seconds))
    return body


def check_ran_once(tac, bid, token, state="success"):
    """A finished quick.py batch: the wanted state, exit code 0, launched once, whole log."""
    st, owner, code, _ = batch_row(tac.db, bid)
    assert st == state, f"batch {bid} ({token}) ended {st!r}, want {state!r}; " \
                        f"log tail {tac.log_tail(bid)!r}"
    if state == "success":
        assert code == "0", f"batch {bid} ({token}): exit_code {code!r}, want 0"
    n = running_events(tac.db, bid)
    assert n == 1, f"batch {bid} ({token}): {n} batch_event rows to 'running' (launched {n} times)"
    start, end = markers(tac, bid, token)
    assert start == 1, f"batch {bid} ({token}): 'start' marker {start} times in its log"
    assert end == 1, f"batch {bid} ({token}): 'end' marker {end} times in its log"


def check_adopted_run(tac, bid, token, new_owner):
    """An adopted quick.py batch: it ends, ran once (check_ran_once), and its end was
    written by its adopter."""
    wait_db_terminal(tac.db, [bid], timeout=120)
    check_ran_once(tac, bid, token)
    actor = tac.db.query(f"select actor from batch_event where batch_id={bid} "
                         "and to_state='success'")
    assert actor == new_owner, f"success recorded by {actor!r}, the adopter was {new_owner!r}"


def check_503(resp):
    """A 503 while something is down: JSON {"msg"} and a usable Retry-After."""
    tl.error_msg(resp, 503)
    ra = resp.headers.get("Retry-After")
    assert ra is not None and ra.strip().isdigit(), \
        f"503 without an integer Retry-After header ({ra!r}): {tl.describe(resp)}"


# --------------------------------------------------------------------------- module fixture

@pytest.fixture(scope="module", autouse=True)
def stack_guard(cfg):
    """Whatever the tests do: livy.conf comes back and every instance runs at the end."""
    assert INSTANCES >= 2, f"these tests need several instances, TACITUS_INSTANCES={INSTANCES}"
    assert os.path.isfile(cfg.job("quick.py")), "tests/jobs/quick.py is missing"
    conf = os.path.join(os.environ["LIVY_CONF_DIR"], "livy.conf")
    with open(conf) as f:
        original = f.read()
    yield
    with open(conf) as f:
        changed = f.read() != original
    if changed:
        with open(conf, "w") as f:
            f.write(original)
        stack("stop")
    ensure_instances(cfg)


@pytest.fixture()
def run_id():
    return uuid.uuid4().hex[:10]


# --------------------------------------------------------------------------- 1. idempotency

def test_idempotency_key_replays_conflicts_and_rejects(cfg, tac, run_id):
    db = tac.db
    key = f"it-{run_id}"
    token = f"idem-{run_id}"
    body = quick(cfg, token)

    r1 = tac.api.post("/batches", json=body, headers={"Idempotency-Key": key})
    b1 = tl.check_batch_object(tl.json_body(r1, 201), "first keyed POST")
    bid = b1["id"]
    r2 = tac.api.post("/batches", json=body, headers={"Idempotency-Key": key})
    b2 = tl.check_batch_object(tl.json_body(r2, 201), "repeated keyed POST")
    assert b2["id"] == bid, f"same key and body gave ids {bid} and {b2['id']}"
    assert r1.headers.get("Location") == r2.headers.get("Location") == f"/batches/{bid}", \
        f"Locations {r1.headers.get('Location')!r}, {r2.headers.get('Location')!r}"
    n = int(db.query(f"select count(*) from batch where idempotency_key='{key}'"))
    assert n == 1, f"{n} rows carry Idempotency-Key {key} after two identical POSTs"

    # same key, another body: 422, nothing stored
    before = tac.counts()
    other = quick(cfg, token + "-other")
    r = tac.api.post("/batches", json=other, headers={"Idempotency-Key": key})
    tl.error_msg(r, 422)
    tac.assert_no_new_batch(before, "same key, other body")

    # bad keys: 400, nothing stored, no row with the key
    for bad in ["", "k" * 256, "tab\tinside", "bell\x07", "cl\u00e9"]:
        before = tac.counts()
        r = tac.api.post("/batches", json=quick(cfg, f"{token}-bad"),
                         headers={"Idempotency-Key": bad.encode("latin-1")})
        tl.error_msg(r, 400)
        tac.assert_no_new_batch(before, f"Idempotency-Key {bad[:20]!r}...")
    n = int(db.query(f"select count(*) from batch where request->'args'->>0 = '{token}-bad'"))
    assert n == 0, f"{n} rows were stored for POSTs with a bad Idempotency-Key"

    # the longest valid key (255 printable characters) is accepted
    long_key = ("L" + run_id + "~!") * 40
    long_key = long_key[:255]
    rl = tac.api.post("/batches", json=quick(cfg, f"{token}-long"),
                      headers={"Idempotency-Key": long_key})
    lid = tl.json_body(rl, 201)["id"]

    wait_db_terminal(db, [bid, lid])
    check_ran_once(tac, bid, token)
    check_ran_once(tac, lid, f"{token}-long")

    # after the end, the key still answers the same batch, as it is now
    r3 = tac.api.post("/batches", json=body, headers={"Idempotency-Key": key})
    b3 = tl.json_body(r3, 201)
    assert b3["id"] == bid and b3["state"] == "success", f"replay after the end: {b3!r}"
    assert running_events(db, bid) == 1, "a replay launched the batch again"
    n = int(db.query(f"select count(*) from batch where idempotency_key='{key}'"))
    assert n == 1, f"{n} rows carry Idempotency-Key {key} after three identical POSTs"


# --------------------------------------------------------------------------- 2. chaos

@dataclass
class Client:
    slot: int
    token: str
    key: object                   # str or None
    body: dict
    attempts: list = field(default_factory=list)   # (t_sent, status or exception text)
    bad: list = field(default_factory=list)        # descriptions of unacceptable answers
    final: object = None          # last status
    id: object = None             # batch id of a 201/200


def _post_like_a_client(cfg, c, t0, stagger):
    """POST once; on 503 retry (honouring Retry-After) only if an Idempotency-Key was sent."""
    api = tl.Api(cfg)
    headers = {"Idempotency-Key": c.key} if c.key else {}
    try:
        time.sleep(max(0.0, t0 + c.slot * stagger - time.monotonic()))
        deadline = time.monotonic() + 90
        while True:
            t = time.monotonic()
            try:
                r = api.post("/batches", json=c.body, headers=headers, timeout=(10, 60))
            except requests.RequestException as e:
                c.attempts.append((t, repr(e)))
                c.bad.append(f"transport error: {e!r}")
                return
            c.attempts.append((t, r.status_code))
            c.final = r.status_code
            if r.status_code in (200, 201):
                try:
                    c.id = r.json()["id"]
                except (ValueError, KeyError, TypeError):
                    c.bad.append(f"no id: {tl.describe(r)}")
                loc = r.headers.get("Location")
                if r.status_code == 201 and loc != f"/batches/{c.id}":
                    c.bad.append(f"Location {loc!r} for id {c.id}")
                return
            if r.status_code != 503:
                c.bad.append(tl.describe(r))
                return
            try:
                check_503(r)
            except AssertionError as e:
                c.bad.append(str(e))
            if not c.key or time.monotonic() > deadline:
                return              # without a key a 503 is an unknown outcome: no retry
            ra = r.headers.get("Retry-After", "1").strip()
            time.sleep(min(float(ra) if ra.isdigit() else 1.0, 5.0))
    finally:
        api.close()


def test_chaos_burst_with_an_instance_killed(cfg, tac, run_id):
    db = tac.db
    victim = INSTANCES
    prefix = f"chaos-{run_id}-"
    n_batches, n_keyed, stagger = 20, 5, 0.06
    keyed = set(random.sample(range(n_batches), n_keyed))
    clients = []
    slots = list(range(n_batches))
    random.shuffle(slots)
    for i in range(n_batches):
        token = f"{prefix}{i:02d}"
        body = quick(cfg, token, 2)
        key = f"ck-{run_id}-{i:02d}" if i in keyed else None
        for _ in range(2 if key else 1):       # a keyed POST is sent twice at once
            clients.append(Client(slots[i], token, key, body))

    t0 = time.monotonic() + 0.5
    kill_at = t0 + (n_batches // 2) * stagger
    try:
        with ThreadPoolExecutor(max_workers=len(clients)) as ex:
            futs = [ex.submit(_post_like_a_client, cfg, c, t0, stagger) for c in clients]
            time.sleep(max(0.0, kill_at - time.monotonic()))
            t_kill = time.monotonic()
            kill_instance(cfg, victim)
            held = db_rows(db, f"select id, state from batch where lease_owner = 'app-{victim}' "
                               f"and state in ('starting', 'running') order by id")
            for f in futs:
                f.result(timeout=180)
        # restart only once the others took over what the victim held (6 s leases); a
        # restarted app-N would simply go on with the batches leased to app-N
        tl.wait_until(lambda: not db_rows(db, f"select id from batch where lease_owner = "
                                           f"'app-{victim}' and state in ('starting', 'running')"),
                   LEASE_TAKEOVER, f"the other instances to take over the batches of app-{victim}")
    finally:
        ensure_instances(cfg)
    print(f"chaos: app-{victim} held {held} when it was killed")

    # ---- what the clients saw
    bad = [f"{c.token} key={c.key}: {b}" for c in clients for b in c.bad]
    assert not bad, "unacceptable answers during the burst:\n" + "\n".join(bad)
    firsts = [c.attempts[0][0] for c in clients if c.attempts]
    assert min(firsts) < t_kill < max(firsts), \
        "the instance was not killed in the middle of the burst (test timing is off)"
    for c in clients:
        if c.key:
            assert c.final == 201, f"keyed {c.token}: retries ended with {c.attempts}"
    by_key = {}
    for c in clients:
        if c.key:
            by_key.setdefault(c.key, set()).add(c.id)
    for k, ids in by_key.items():
        assert len(ids) == 1, f"Idempotency-Key {k} sent twice got different ids {ids}"
    unknown = sorted(c.token for c in clients if not c.key and c.final == 503)
    n503 = sum(1 for c in clients for _, st in c.attempts if st == 503)
    print(f"chaos: {len(clients)} clients, {n503} answers 503, unknown outcome: {unknown}")

    # ---- what the database holds
    rows = db_rows(db, f"select id, request->'args'->>0, coalesce(idempotency_key,'') "
                       f"from batch where request->'args'->>0 like '{prefix}%' order by id")
    by_token = {}
    for bid, token, key in rows:
        by_token.setdefault(token, []).append((int(bid), key))
    doubled = {t: v for t, v in by_token.items() if len(v) != 1}
    assert not doubled, f"tokens stored more than once (doubled jobs): {doubled}"
    for c in clients:
        got = by_token.get(c.token, [])
        if c.id is not None:
            assert got == [(c.id, c.key or "")], \
                f"{c.token}: answered id {c.id} (key {c.key}) but the table holds {got}"
    expected = {c.token for c in clients if c.id is not None}
    lost = expected - set(by_token)
    assert not lost, f"batches answered 201 but not stored: {sorted(lost)}"
    extra = set(by_token) - expected - set(unknown)
    assert not extra, f"stored batches no request can account for: {sorted(extra)}"
    ids = [v[0][0] for v in by_token.values()]
    assert len(set(ids)) == len(ids), f"ids are shared between tokens: {by_token}"

    # ---- every stored batch runs exactly once and succeeds
    states = wait_db_terminal(db, ids)
    not_ok = {t: (v[0][0], states[v[0][0]]) for t, v in by_token.items()
              if states[v[0][0]] != "success"}
    assert not not_ok, f"burst batches that did not succeed: {not_ok} " \
                       f"(unknown-outcome tokens: {unknown})"
    for token, v in sorted(by_token.items()):
        check_ran_once(tac, v[0][0], token)
    moved = db_rows(db, f"select b.id, e.actor, b.lease_owner from batch b join batch_event e "
                        f"on e.batch_id = b.id and e.to_state = 'running' where b.id in "
                        f"({','.join(map(str, ids))}) and e.actor is distinct from b.lease_owner")
    print(f"chaos: launched by one instance, ended by another (id, launcher, last owner): {moved}")


# --------------------------------------------------------------------------- 3. adoption

def test_running_batch_is_adopted_after_kill_9(cfg, tac, run_id):
    db = tac.db
    token = f"adopt-{run_id}"
    r, bid = tac.create_batch(quick(cfg, token, 25))
    assert bid is not None, f"batch not created: {tl.describe(r)}"
    killed = None
    try:
        tl.wait_until(lambda: batch_row(db, bid)[0] == "running" and db_markers(db, bid, token) == 1,
                   120, lambda: f"batch {bid} running with its start marker: {batch_row(db, bid)}")
        st, owner, _, pid = batch_row(db, bid)
        m = re.fullmatch(r"app-(\d+)", owner)
        assert m, f"batch {bid}: lease_owner {owner!r} is not an instance name"
        assert markers(tac, bid, token) == (1, 0), "the job ended before the kill (too fast)"
        killed = int(m.group(1))
        t_kill = time.monotonic()
        kill_instance(cfg, killed)
        assert tl.pid_alive(int(pid)), f"the job shim {pid} died with its instance {owner}"

        def taken_over():
            s, o, _, _ = batch_row(db, bid)
            assert s == "running", f"batch {bid} became {s!r} while its owner was dead"
            return o if o and o != owner else None

        new_owner = tl.wait_until(taken_over, LEASE_TAKEOVER - (time.monotonic() - t_kill),
                               f"another instance to take the lease of batch {bid} from {owner}")
        assert re.fullmatch(r"app-\d+", new_owner), f"new lease_owner {new_owner!r}"
    finally:
        if killed is not None:
            ensure_instances(cfg)

    check_adopted_run(tac, bid, token, new_owner)


def log_offsets(cfg):
    """The size of every instance's log now: where to read what they say from."""
    return {n: os.path.getsize(app_log(cfg, n)) for n in range(1, INSTANCES + 1)}


def adoption_lines(cfg, offsets, n, bid):
    """What app-n's monitor said, since offsets, about adopting batch bid."""
    return log_lines(log_since(app_log(cfg, n), offsets[n]), n, "monitor",
                     f"batch {bid}: adopted from ")


def running_with_marker(db, bid, token):
    tl.wait_until(lambda: batch_row(db, bid)[0] == "running" and db_markers(db, bid, token) == 1,
                  120, lambda: f"batch {bid} running with its start marker: {batch_row(db, bid)}")
    owner = batch_row(db, bid)[1]
    m = re.fullmatch(r"app-(\d+)", owner)
    assert m, f"batch {bid}: lease_owner {owner!r} is not an instance name"
    return owner, int(m.group(1))


def new_owner_of(db, bid, owner):
    s, o, _, _ = batch_row(db, bid)
    assert s == "running", f"batch {bid} became {s!r} while its owner was away"
    return o if o and o != owner else None


def kill_9_until_adopted(cfg, db, bid, owner, victim, interval):
    """kill -9 the whole instance victim (owner, running batch bid), then wait (a look
    every interval s) until another instance holds the batch: (its owner, seconds from
    the kill).  Not kill_instance: the clock runs from the kill, not from the group's end."""
    t_kill = time.monotonic()
    os.killpg(master_pid(cfg, victim), signal.SIGKILL)
    new_owner = tl.wait_until(lambda: new_owner_of(db, bid, owner), LEASE_TAKEOVER,
                              f"another instance to take batch {bid} from {owner}",
                              interval=interval)
    return new_owner, time.monotonic() - t_kill


def test_kill_9_is_adopted_at_once_by_its_lost_connection(cfg, tac, run_id):
    """The monitor of a killed instance loses its connection with it, and the lock it held
    on that connection with it: another instance adopts its running batch within
    LOCK_TAKEOVER (the lease alone would take 6 s), its log saying the connection is gone,
    and the batch runs once and succeeds."""
    db = tac.db
    token = f"fast-{run_id}"
    r, bid = tac.create_batch(quick(cfg, token, 20))
    assert bid is not None, f"batch not created: {tl.describe(r)}"
    killed = None
    try:
        owner, victim = running_with_marker(db, bid, token)
        offsets = log_offsets(cfg)
        killed = victim
        new_owner, took = kill_9_until_adopted(cfg, db, bid, owner, victim, 0.05)
        print(f"adoption: batch {bid} of {owner} taken by {new_owner} {took:.2f} s after kill -9")
        assert took < LOCK_TAKEOVER, \
            f"batch {bid} of the killed {owner} was adopted after {took:.1f} s (want < " \
            f"{LOCK_TAKEOVER} s): the lease, not the lost connection, told"
        n = int(new_owner.split("-")[1])
        said = tl.wait_until(lambda: adoption_lines(cfg, offsets, n, bid), 10,
                             f"{new_owner}'s log to say it adopted batch {bid}")
        assert any(f"adopted from {owner} ({GONE_BY_LOCK})" in x for x in said), said
    finally:
        if killed is not None:
            ensure_instances(cfg)
    check_adopted_run(tac, bid, token, new_owner)


def launched_owner(db, bid):
    """Wait, inside PostgreSQL (a look every 2 ms), until batch bid is running, i.e.
    launched; then its owner and how many other jobs (batches or session drivers) that
    owner holds starting or running: (owner, others).  Returns a few ms after the launch."""
    wait = (f"DO $$ BEGIN WHILE NOT EXISTS (SELECT 1 FROM batch WHERE id = {int(bid)} AND "
            f"state <> 'starting') LOOP PERFORM pg_sleep(0.002); END LOOP; END $$")
    p = subprocess.run(list(db.argv) + ["-Atq", "-c", wait, "-c",
                       "SELECT b.state, b.lease_owner, (SELECT count(*) FROM batch o WHERE "
                       "o.lease_owner = b.lease_owner AND o.state IN ('starting', 'running') "
                       f"AND o.id <> b.id) FROM batch b WHERE b.id = {int(bid)}"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"psql failed ({p.returncode}): {p.stderr.strip()}"
    st, owner, others = p.stdout.strip().split("|")
    assert st == "running", f"batch {bid} became {st!r}, not running"
    return owner, int(others)


def test_kill_9_right_after_the_claim_is_adopted_by_the_lost_connection(cfg, tac, run_id):
    """An instance killed a few ms after it claimed and launched its only job was never
    seen holding its lock by a look at the owners of running jobs (every 250 ms), yet its
    batch is adopted within RACE_TAKEOVER, by the lost connection, not the lease (6 s):
    every monitor's lock is looked at before it claims anything.  RACE_ROUNDS rounds in
    which the killed instance held nothing else (no warm pool here; each round's batch
    ends before the next round), each batch run once with its whole log."""
    def no_pool(text):
        return text + "\ntacitus.session.warm-pool = 0\n"

    with livy_conf_changed(cfg, no_pool):
        alone, rounds = 0, 0
        while alone < RACE_ROUNDS:
            assert rounds < 2 * RACE_ROUNDS, \
                f"in {rounds} rounds only {alone} claimer(s) held nothing else"
            rounds += 1
            alone += race_round(cfg, tac, f"race-{run_id}-{rounds}") == 0


def race_round(cfg, tac, token):
    """One round: once no batch is active, a batch, its claimer killed a few ms after the
    launch, adopted within RACE_TAKEOVER and run once.  Returns how many other jobs the
    killed instance held."""
    db = tac.db
    wait_db_terminal(db, [int(i) for (i,) in db_rows(
        db, "select id from batch where id >= 0 and state in ('starting','running')")])
    # it outlives the lease: adopted by the lease instead, it is still running then
    r, bid = tac.create_batch(quick(cfg, token, 8))
    assert bid is not None, f"batch not created: {tl.describe(r)}"
    killed = None
    try:
        owner, others = launched_owner(db, bid)
        victim = int(re.fullmatch(r"app-(\d+)", owner).group(1))
        killed = victim
        new_owner, took = kill_9_until_adopted(cfg, db, bid, owner, victim, 0.02)
        print(f"{token}: batch {bid} of {owner} (holding {others} other jobs) taken by "
              f"{new_owner} {took:.2f} s after kill -9 right after its launch")
        assert took < RACE_TAKEOVER, \
            f"batch {bid} of {owner}, killed right after it claimed it, was adopted after " \
            f"{took:.1f} s (want < {RACE_TAKEOVER} s): the lease, not the lost connection, told"
    finally:
        if killed is not None:
            ensure_instances(cfg)
    check_adopted_run(tac, bid, token, new_owner)
    return others


def test_a_stopped_but_connected_instance_is_adopted_by_its_lease(cfg, tac, run_id):
    """SIGSTOP of a whole instance: its connections stand and its monitor keeps its lock,
    so nobody may take that for its death; its batch is adopted only once its lease lapsed
    (no sooner than LEASE_SILENCE), its adopter's log saying so.  Woken again (SIGCONT), the
    stopped monitor does not take it back, and the batch runs once and succeeds."""
    db = tac.db
    token = f"stopped-{run_id}"
    r, bid = tac.create_batch(quick(cfg, token, 25))
    assert bid is not None, f"batch not created: {tl.describe(r)}"
    owner, victim = running_with_marker(db, bid, token)
    pid = master_pid(cfg, victim)
    offsets = log_offsets(cfg)
    t_stop = time.monotonic()
    os.killpg(pid, signal.SIGSTOP)
    try:
        # the database, never the API here: nginx may send a request to the stopped workers
        new_owner = tl.wait_until(lambda: new_owner_of(db, bid, owner), LEASE_TAKEOVER,
                                  f"another instance to take batch {bid} from the stopped "
                                  f"{owner}", interval=0.1)
        took = time.monotonic() - t_stop
    finally:
        os.killpg(pid, signal.SIGCONT)
    print(f"adoption: batch {bid} of the stopped {owner} taken by {new_owner} after {took:.2f} s")
    assert took >= LEASE_SILENCE, \
        f"batch {bid} of {owner}, stopped but connected, was adopted after {took:.1f} s: " \
        f"before its lease lapsed"
    n = int(new_owner.split("-")[1])
    said = tl.wait_until(lambda: adoption_lines(cfg, offsets, n, bid), 10,
                         f"{new_owner}'s log to say it adopted batch {bid}")
    assert any(f"adopted from {owner} ({GONE_BY_LEASE})" in x for x in said), said
    check_adopted_run(tac, bid, token, new_owner)
    assert batch_row(db, bid)[1] == new_owner, \
        f"batch {bid} went back to {batch_row(db, bid)[1]!r} after SIGCONT (adopter {new_owner})"


def monitor_lock_held(db, n):
    """Whether app-n's monitor holds its own lock on its connection: the session advisory
    lock keyed by the hash of its name (a bigint key shows its halves in classid, objid)."""
    return db.query(
        f"WITH k AS (SELECT hashtextextended('tacitus monitor app-{n}', 0) AS k) "
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid), k "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.mode = 'ExclusiveLock' "
        "AND l.objsubid = 1 AND l.classid = ((k.k >> 32) & 4294967295)::oid "
        "AND l.objid = (k.k & 4294967295)::oid "
        f"AND a.application_name LIKE 'tacitus/app-{n}/monitor/%'") != "0"


def test_a_live_monitor_whose_connection_drops_runs_nothing_twice(cfg, tac, run_id):
    """The server ends a live monitor's connection (pg_terminate_backend, three times, while
    batches are being claimed and launched): its lock goes with it, and others may take its
    launched batches before it notices, but only launched ones, so every batch runs once and
    succeeds; the monitor takes its lock again on its new connection."""
    db = tac.db
    token = f"blip-{run_id}"
    r, first = tac.create_batch(quick(cfg, f"{token}-0", 15))
    assert first is not None, f"batch not created: {tl.describe(r)}"
    owner, victim = running_with_marker(db, first, f"{token}-0")
    tl.wait_until(lambda: monitor_lock_held(db, victim), 30, f"app-{victim}'s monitor to hold "
                  "its lock")
    ids = [first]
    for i in range(1, 4):
        r, bid = tac.create_batch(quick(cfg, f"{token}-{i}", 3))
        assert bid is not None, f"batch not created: {tl.describe(r)}"
        ids.append(bid)
        db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 f"WHERE application_name LIKE 'tacitus/app-{victim}/monitor/%'")
        time.sleep(0.3)
    wait_db_terminal(db, ids, timeout=180)
    for i, bid in enumerate(ids):
        check_ran_once(tac, bid, f"{token}-{i}")
    tl.wait_until(lambda: monitor_lock_held(db, victim), 10,
                  f"app-{victim}'s monitor to hold its lock again on its new connection")


def test_a_live_owner_with_an_old_lease_is_not_declared_dead(cfg, tac, run_id):
    """Staleness is judged on the observer's clock, never the database's.

    After a long PostgreSQL outage (nobody could renew) or a jump of the database's clock,
    a live monitor's leases carry an expiry far in the past.  Here a running batch is made
    to look like the job of a monitor "ghost" on another host whose lease expired an hour
    ago by the database's clock, and which keeps renewing (its expiry moves every half
    second).  The instances must leave it alone: judged by the database's clock it is an
    hour past its lease and the grace, and would be ended dead at once."""
    db = tac.db
    token = f"ghost-{run_id}"
    r, bid = tac.create_batch(quick(cfg, token, 60))
    assert bid is not None, f"batch not created: {tl.describe(r)}"
    tl.wait_until(lambda: batch_row(db, bid)[0] == "running" and db_markers(db, bid, token) == 1,
                  120, lambda: f"batch {bid} running with its start marker: {batch_row(db, bid)}")
    host, owner = db_rows(db, f"select host, lease_owner from batch where id={bid}")[0]
    try:
        db.query(f"update batch set host = 'ghost-host', lease_owner = 'ghost', "
                 f"lease_expires_at = now() - interval '1 hour' where id = {bid}")
        end = time.monotonic() + 12           # two leases and more, at one look a second
        while time.monotonic() < end:
            db.query(f"update batch set lease_expires_at = lease_expires_at + "
                     f"interval '1 millisecond' where id = {bid} and lease_owner = 'ghost'")
            time.sleep(0.5)
        st, now_owner, _, _ = batch_row(db, bid)
        events = db_rows(db, f"select to_state, actor, reason from batch_event "
                             f"where batch_id = {bid} and to_state not in ('starting', 'running')")
        assert st == "running" and now_owner == "ghost" and not events, \
            f"batch {bid} of a live (renewing) owner with an old lease was taken: state {st!r}, " \
            f"owner {now_owner!r}, events {events}"
    finally:
        db.query(f"update batch set host = '{host}', lease_owner = '{owner}', "
                 f"lease_expires_at = now() + interval '6 seconds' where id = {bid}")
        tac.api.delete(f"/batches/{bid}")
    wait_db_terminal(db, [bid], timeout=120)


# --------------------------------------------------------------------------- 4. restart

def test_stop_and_start_keep_states_and_ids(cfg, tac, run_id):
    db = tac.db
    token = f"restart-{run_id}"
    r, bid = tac.create_batch(quick(cfg, token, 12))
    assert bid is not None, f"batch not created: {tl.describe(r)}"
    tl.wait_until(lambda: batch_row(db, bid)[0] == "running" and db_markers(db, bid, token) == 1,
               120, lambda: f"batch {bid} running with its start marker: {batch_row(db, bid)}")
    shim = int(batch_row(db, bid)[3])
    before = {int(i): s for i, s in db_rows(db, "select id, state from batch")}
    max_id = max(before)

    try:
        stack("stop")
        for n in range(1, INSTANCES + 1):
            assert master_pid(cfg, n) is None, f"app-{n} still has a pid file after stop"
        assert tl.pid_alive(shim), "a graceful stop must leave running jobs running"
    finally:
        ensure_instances(cfg)

    after = {int(i): s for i, s in db_rows(db, "select id, state from batch")}
    missing = set(before) - set(after)
    assert not missing, f"rows lost across the restart: {sorted(missing)}"
    for i, s in before.items():
        if s in ACTIVE:
            assert tl.BATCH_STATE_RANK[after[i]] >= tl.BATCH_STATE_RANK[s], \
                f"batch {i} went back from {s!r} to {after[i]!r}"
        else:
            assert after[i] == s, f"batch {i} was {s!r} before the restart, {after[i]!r} after"

    wait_db_terminal(db, [bid], timeout=120)
    check_ran_once(tac, bid, token)

    token2 = f"restart-new-{run_id}"
    r, new_id = tac.create_batch(quick(cfg, token2))
    assert new_id is not None, f"POST after the restart failed: {tl.describe(r)}"
    assert new_id > max_id, f"id {new_id} after the restart is not above the old max {max_id}"
    wait_db_terminal(db, [new_id])
    check_ran_once(tac, new_id, token2)


# --------------------------------------------------------------------------- 5. PostgreSQL

@dataclass
class Seen:
    t0: float
    t1: float
    path: str
    status: object                # int, or exception text
    resp: object = None


def _reader(cfg, bid, stop, seen):
    api = tl.Api(cfg)
    paths = [f"/batches/{bid}/state", "/batches"]
    i = 0
    try:
        while not stop.is_set():
            path = paths[i % 2]
            i += 1
            t0 = time.monotonic()
            try:
                r = api.get(path, timeout=(5, 30))
                seen.append(Seen(t0, time.monotonic(), path, r.status_code, r))
            except requests.RequestException as e:
                seen.append(Seen(t0, time.monotonic(), path, repr(e)))
            stop.wait(0.05)
    finally:
        api.close()


def test_postgres_restart_under_read_load(cfg, tac, run_id):
    db = tac.db
    token = f"pg-{run_id}"
    r, bid = tac.create_batch(quick(cfg, token, 5))     # runs across the outage
    assert bid is not None, f"batch not created: {tl.describe(r)}"
    tl.wait_until(lambda: batch_row(db, bid)[0] == "running", 120, f"batch {bid} to run")
    ids_before = {int(i) for (i,) in db_rows(db, "select id from batch")}

    seen, stop = [], threading.Event()
    th = threading.Thread(target=_reader, args=(cfg, bid, stop, seen), daemon=True)
    th.start()
    pg_down = False
    try:
        time.sleep(0.5)
        stack("pg-stop")
        pg_down = True
        t_down = time.monotonic()
        tl.wait_until(lambda: {s.path for s in seen if s.t0 > t_down and s.status == 503}
                   == {f"/batches/{bid}/state", "/batches"}, 20,
                   "a 503 from both endpoints while PostgreSQL is down")
        time.sleep(1.0)
        t_up_call = time.monotonic()
        stack("pg-start")
        pg_down = False
        t_up = time.monotonic()
        time.sleep(PG_RECOVERY + 2.0)
    finally:
        if pg_down:
            stack("pg-start")
        stop.set()
        th.join(timeout=60)

    print(f"postgres: {len(seen)} reads, {sum(s.status == 503 for s in seen)} got 503; "
          f"non-200 after pg-start: {[(round(s.t0 - t_up, 2), s.status) for s in seen if s.t0 >= t_up and s.status != 200]}")
    errors = [f"{s.path}: {s.status}" for s in seen if not isinstance(s.status, int)]
    assert not errors, f"transport errors: {errors[:5]}"
    odd = [tl.describe(s.resp) for s in seen if s.status not in (200, 503)]
    assert not odd, f"answers other than 200/503: {odd[:5]}"
    for s in seen:
        if s.status == 503:
            check_503(s.resp)
    during = [s for s in seen if s.t0 > t_down and s.t1 < t_up_call]
    assert during and all(s.status == 503 for s in during), \
        f"while PostgreSQL was down: {[(s.path, s.status) for s in during if s.status != 503]}"
    late = [s for s in seen if s.t0 >= t_up and s.status != 200]
    if late:
        worst = max(s.t0 for s in late) - t_up
        assert worst < PG_RECOVERY, \
            f"still {late[-1].status} {worst:.1f} s after pg-start returned (want < {PG_RECOVERY} s)"
    ok_after = {s.path for s in seen if s.t0 >= t_up + PG_RECOVERY and s.status == 200}
    assert ok_after == {f"/batches/{bid}/state", "/batches"}, \
        f"no 200 from both endpoints after recovery: {ok_after}"

    ids_after = {int(i) for (i,) in db_rows(db, "select id from batch")}
    assert ids_after == ids_before, \
        f"rows changed across the outage: lost {sorted(ids_before - ids_after)}, " \
        f"new {sorted(ids_after - ids_before)}"
    wait_db_terminal(db, [bid], timeout=120)
    check_ran_once(tac, bid, token)

    token2 = f"pg-new-{run_id}"
    r, new_id = tac.create_batch(quick(cfg, token2))
    assert new_id is not None, f"POST after the outage failed: {tl.describe(r)}"
    wait_db_terminal(db, [new_id])
    check_ran_once(tac, new_id, token2)


# --------------------------------------------------------------------------- 5b. sessions

def _statement(tac, sid, code, timeout=60):
    """POST a statement to session sid and wait until it is available; its output."""
    r = tac.api.post(f"/sessions/{sid}/statements", json={"code": code})
    assert r.status_code == 201, f"POST statement {code!r}: {tl.describe(r)}"
    n = r.json()["id"]

    def done():
        st = tac.api.get(f"/sessions/{sid}/statements/{n}").json()
        return st if st["state"] == "available" else None
    return tl.wait_until(done, timeout, f"statement {code!r} of session {sid} to be available")["output"]


def _driver_row(db, sid):
    rows = db_rows(db, f"select b.id, b.state, coalesce(b.lease_owner, ''), coalesce(b.pid, 0) "
                       f"from session s join batch b on b.id = s.driver_id where s.id = {int(sid)}")
    assert rows, f"no driver row for session {sid}"
    did, state, owner, pid = rows[0]
    return int(did), state, owner, int(pid)


def test_session_survives_kill_9_of_its_monitor_and_a_lost_driver_ends_dead(cfg, tac):
    """The driver reports to any instance, so a session works on while the instance whose
    monitor launched it is dead, and another instance adopts its driver; it keeps its state
    over a stop and start of the whole stack; a driver that dies ends its session dead with
    the reason in the session's log."""
    db = tac.db
    r = tac.api.post("/sessions", json={"kind": "pyspark"})
    assert r.status_code == 201, f"POST /sessions: {tl.describe(r)}"
    sid = r.json()["id"]
    tl.wait_until(lambda: tac.api.get(f"/sessions/{sid}/state").json()["state"] == "idle", 120,
               f"session {sid} to be idle")
    assert _statement(tac, sid, "x = 41")["status"] == "ok"

    did, _, owner, _ = _driver_row(db, sid)
    victim = int(owner.split("-")[1])
    kill_instance(cfg, victim)
    try:
        # served by the other instances at once: nothing waits for the lease to expire
        out = _statement(tac, sid, "x + 1", timeout=30)
        assert out["data"]["text/plain"] == "42", f"the session lost its state: {out}"
        tl.wait_until(lambda: _driver_row(db, sid)[2] not in ("", owner), LEASE_TAKEOVER,
                   f"another instance to adopt driver {did} of the killed {owner}")
        assert _driver_row(db, sid)[1] == "running"
        assert tac.api.get(f"/sessions/{sid}/state").json()["state"] == "idle"
        first = tac.api.get(f"/sessions/{sid}/statements/0").json()
        assert first["state"] == "available" and first["output"]["status"] == "ok", \
            f"a result from before the crash is gone: {first}"
    finally:
        ensure_instances(cfg)

    # a whole stop and start (make stop; make run): the driver waits, and goes on
    stack("stop")
    ensure_instances(cfg)
    out = _statement(tac, sid, "x + 2", timeout=60)
    assert out["data"]["text/plain"] == "43", f"the session lost its state over a restart: {out}"

    # the driver dies (not its shim): the session ends dead, and says why
    shim = _driver_row(db, sid)[3]
    victims = [p for p in group_members(shim) if p != shim]
    assert victims, f"driver {did} has no process but its shim {shim}"
    for p in victims:
        os.kill(p, signal.SIGKILL)
    tl.wait_until(lambda: tac.api.get(f"/sessions/{sid}/state").json()["state"] == "dead", 60,
               f"session {sid} to be dead after its driver was killed")
    log = tac.api.get(f"/sessions/{sid}/log", params={"size": -1}).json()["log"]
    assert any(line.startswith("tacitus: spark-submit") for line in log), \
        f"the session's log does not say why it ended: {log[-5:]}"
    r = tac.api.post(f"/sessions/{sid}/statements", json={"code": "1"})
    tl.error_msg(r, 400, contains="dead")
    assert not group_members(shim), f"processes of the dead driver remain: {group_members(shim)}"


# --------------------------------------------------------------------------- 6. max-creation

def _set_max_creation(conf, text, value):
    """max-creation = value, and no warm pool (its driver would count)."""
    new = text
    for key, v in (("livy.server.session.max-creation", value), ("tacitus.session.warm-pool", 0)):
        line = f"{key} = {v}"
        pat = re.compile(r"(?m)^\s*" + re.escape(key) + r"\s*=.*$")
        new = pat.sub(line, new) if pat.search(new) else new.rstrip("\n") + "\n" + line + "\n"
    with open(conf, "w") as f:
        f.write(new)


def test_max_creation_counts_every_instance(cfg, tac, run_id):
    db = tac.db
    conf = os.path.join(os.environ["LIVY_CONF_DIR"], "livy.conf")
    with open(conf) as f:
        original = f.read()
    tl.wait_until(lambda: active_count(db) == 0, tl.JOB_TIMEOUT,
               lambda: f"no batch starting/running before the test ({active_count(db)} are)")
    sleepers, extra, cid = [], [], None
    try:
        _set_max_creation(conf, original, 2)
        stack("stop")
        ensure_instances(cfg)
        # the pool's drivers are retired by the restarted monitors
        tl.wait_until(lambda: active_count(db, drivers=True) == 0, 60,
                   lambda: f"pooled drivers to stop ({active_count(db, drivers=True)} left)")

        for name in ("a", "b"):
            r, bid = tac.create_batch(quick(cfg, f"max-{run_id}-{name}", 20))
            assert bid is not None, f"sleeper {name} under the limit rejected: {tl.describe(r)}"
            sleepers.append(bid)

        def over_limit(what):
            # one per instance in a row: nginx's round-robin spreads them over the instances
            for k in range(INSTANCES):
                before = tac.counts()
                r = tac.api.post("/batches", json=quick(cfg, f"max-{run_id}-over"))
                if r.status_code == 201:
                    extra.append(r.json()["id"])
                tl.error_msg(r, 400, exact=TOO_MANY)
                tac.assert_no_new_batch(before, f"{what}, POST {k + 1}")

        over_limit("two batches just created")
        tl.wait_until(lambda: all(batch_row(db, b)[0] == "running" for b in sleepers), 120,
                   "both sleepers to run")
        over_limit("two batches running")
        n = int(db.query(f"select count(*) from batch where request->'args'->>0 "
                         f"= 'max-{run_id}-over'"))
        assert n == 0, f"{n} rows stored for rejected POSTs"

        # a killed batch no longer counts
        r = tac.api.delete(f"/batches/{sleepers[0]}")
        assert r.status_code == 200, f"DELETE failed: {tl.describe(r)}"
        tl.wait_until(lambda: batch_row(db, sleepers[0])[0] == "killed", 60,
                   lambda: f"sleeper a to be killed: {batch_row(db, sleepers[0])}")
        r, cid = tac.create_batch(quick(cfg, f"max-{run_id}-c"))
        assert cid is not None, f"POST with one active batch rejected: {tl.describe(r)}"
    finally:
        for b in sleepers + extra:
            if batch_row(db, b)[0] in ACTIVE:
                tac.delete_quietly(b)
        with open(conf, "w") as f:
            f.write(original)
        stack("stop")
        ensure_instances(cfg)

    states = wait_db_terminal(db, sleepers + [cid])
    assert [states[b] for b in sleepers] == ["killed", "killed"], \
        f"both sleepers should have ended killed: {states}"
    check_ran_once(tac, cid, f"max-{run_id}-c")
    # the restored limit (100) is in effect again
    r, bid = tac.create_batch(quick(cfg, f"max-{run_id}-d"))
    assert bid is not None, f"POST after restoring livy.conf failed: {tl.describe(r)}"
    wait_db_terminal(db, [bid])


# --------------------------------------------------------------------------- 7. monitor

RENEWAL_FAILED = "database: lease renewal failed"

# While it_monitor_gate says so, every lease renewal of one monitor (known by the
# application_name that store_open gives it: tacitus/<instance>/monitor/<pid>) raises, on a
# connection that stays up.  Once the gate is open, each renewal that gets through counts in
# it_monitor_renewals (a sequence: nextval sticks whatever the transaction does).
GATE_SQL = """
CREATE TABLE it_monitor_gate (fail boolean NOT NULL);
INSERT INTO it_monitor_gate VALUES (true);
CREATE SEQUENCE it_monitor_renewals;
CREATE FUNCTION it_monitor_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('application_name') LIKE '{app}'
       AND current_query() LIKE 'UPDATE batch SET lease_expires_at%' THEN
        IF (SELECT fail FROM it_monitor_gate) THEN
            RAISE EXCEPTION 'integration test: lease renewal refused';
        END IF;
        PERFORM nextval('it_monitor_renewals');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER it_monitor_gate BEFORE UPDATE ON batch
    FOR EACH STATEMENT EXECUTE FUNCTION it_monitor_gate();
"""
UNGATE_SQL = """
DROP TRIGGER IF EXISTS it_monitor_gate ON batch;
DROP FUNCTION IF EXISTS it_monitor_gate();
DROP TABLE IF EXISTS it_monitor_gate;
DROP SEQUENCE IF EXISTS it_monitor_renewals;
"""


def app_log(cfg, n):
    return os.path.join(cfg.var, "log", f"app-{n}.log")


def log_since(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def log_lines(text, n, role, needle):
    """The lines of app-n's role (master, worker, monitor) that contain needle."""
    return [line for line in text.splitlines() if f" app-{n} {role}[" in line and needle in line]


def renewals(db):
    return int(db.query("SELECT CASE WHEN is_called THEN last_value ELSE 0 END "
                        "FROM it_monitor_renewals"))


def test_monitor_waits_after_a_failed_lease_renewal(cfg, tac):
    """A lease renewal that fails on a live connection is tried again after the maintenance
    period (1 s): a few log lines in 3 s, not a loop that spins and logs at full speed; once
    the database accepts again, the monitor renews again."""
    db = tac.db
    n = 1
    app = f"tacitus/app-{n}/monitor/%"
    path = app_log(cfg, n)
    tl.wait_until(lambda: db.query("SELECT count(*) FROM pg_stat_activity "
                                   f"WHERE application_name LIKE '{app}'") == "1", 30,
                  f"the monitor of app-{n} to be connected")
    try:
        start = os.path.getsize(path)
        db.query(GATE_SQL.format(app=app))
        time.sleep(3.0)
        failed = log_lines(log_since(path, start), n, "monitor", RENEWAL_FAILED)
        print(f"monitor: {len(failed)} failed lease renewals of app-{n} in 3 s")
        assert failed, f"no {RENEWAL_FAILED!r} line from app-{n}'s monitor in 3 s: " \
                       "the trigger did not make its lease renewals fail"
        assert len(failed) <= 10, \
            f"{len(failed)} {RENEWAL_FAILED!r} lines from app-{n}'s monitor in 3 s (want at " \
            f"most 10: one try per second); it retries without waiting: {failed[:2]}"

        db.query("UPDATE it_monitor_gate SET fail = false")
        tl.wait_until(lambda: renewals(db) >= 1, 10,
                      f"a lease renewal of app-{n}'s monitor to succeed once the database accepts")
        mark, first = os.path.getsize(path), renewals(db)
        tl.wait_until(lambda: renewals(db) >= first + 2, 10,
                      f"app-{n}'s monitor to go on renewing (once a second)")
        late = log_lines(log_since(path, mark), n, "monitor", RENEWAL_FAILED)
        assert not late, f"app-{n}'s monitor failed to renew after the database accepted: {late}"
    finally:
        db.query(UNGATE_SQL)


# --------------------------------------------------------------------------- 8. master

FAILFORK = os.path.join(ROOT, "build", "failfork.so")
WORKERS = int(os.environ.get("TACITUS_WORKERS", "3"))
RESPAWN = 5.0              # s from fork working again until the master has every child back


def children(pid):
    """Live (non-zombie) child processes of pid but the keeper (which holds the rights over job
    accounts, include/keeper.h: the master forks it once, never again)."""
    return [p for p in _live_processes(1, pid) if comm(p) != "tacitus-keeper"]


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def backends(db, n, role):
    """Pids of app-n's processes of role (worker, monitor) connected to PostgreSQL."""
    out = db.query("SELECT application_name FROM pg_stat_activity "
                   f"WHERE application_name LIKE 'tacitus/app-{n}/{role}/%'")
    return {int(name.rsplit("/", 1)[1]) for name in out.splitlines()}


def preloaded(pid):
    """True if failfork.so is mapped into process pid."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            return FAILFORK in f.read()
    except OSError:
        return False


def stop_instance(cfg, n):
    """SIGTERM to app-n's master, a graceful stop of that instance alone; wait until it is gone."""
    pid = master_pid(cfg, n)
    if not pid or pid_gone(pid):
        return
    os.kill(pid, signal.SIGTERM)
    tl.wait_until(lambda: pid_gone(pid) and not group_members(pid), 30,
                  lambda: f"app-{n} (pid {pid}) to stop; group left: {group_members(pid)}")


def fcgi_get(sock, path, query, user):
    """GET path?query over FastCGI straight to an instance's socket, as nginx sends it
    (nginx/fastcgi_params); returns (status, body)."""
    def record(kind, content=b""):
        return bytes([1, kind, 0, 1, len(content) >> 8, len(content) & 255, 0, 0]) + content

    def size(b):
        return bytes([len(b)]) if len(b) < 128 else (len(b) | 1 << 31).to_bytes(4, "big")

    def pair(k, v):
        k, v = k.encode(), v.encode()
        return size(k) + size(v) + k + v

    params = {"REQUEST_METHOD": "GET", "DOCUMENT_URI": path, "REQUEST_URI": f"{path}?{query}",
              "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
              "REMOTE_USER": user}
    body = b"".join(pair(k, v) for k, v in params.items())
    out = b""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(sock)
        s.sendall(record(1, bytes([0, 1, 0, 0, 0, 0, 0, 0])) + record(4, body) + record(4)
                  + record(5))
        buf = b""
        while True:
            while len(buf) < 8 or len(buf) < 8 + int.from_bytes(buf[4:6], "big") + buf[6]:
                chunk = s.recv(65536)
                assert chunk, f"{sock} closed the FastCGI connection before the end of {path}"
                buf += chunk
            kind, size, pad = buf[1], int.from_bytes(buf[4:6], "big"), buf[6]
            content, buf = buf[8:8 + size], buf[8 + size + pad:]
            if kind == 6:           # FCGI_STDOUT
                out += content
            elif kind == 3:         # FCGI_END_REQUEST
                break
    head, _, text = out.partition(b"\r\n\r\n")
    m = re.search(rb"^Status: (\d+)", head, re.M)
    return (int(m.group(1)) if m else 200), text.decode("utf-8", "replace")


def test_master_forks_again_after_a_failed_fork(cfg, tac, tmp_path):
    """When fork() fails as a worker is to be replaced (as at the host's process limit), the
    master tries again later: once fork works, it has all its workers again."""
    assert os.path.isfile(FAILFORK), f"{FAILFORK} is missing: make build/failfork.so"
    db = tac.db
    n = 2
    path = app_log(cfg, n)
    sock = os.path.join(cfg.var, "run", f"app-{n}.sock")
    # a folder the server's user reaches (it runs the wrapper and looks for the gate)
    shared = pathlib.Path(tempfile.mkdtemp(prefix="tac-failfork-"))
    shared.chmod(0o755)
    gate = str(shared / "fail-fork")
    # app-n alone starts through a wrapper of its binary that preloads failfork.so (what the
    # instance execs, the job shims, drops it); ASan must accept a library before its own
    wrapper = shared / "tacitus"
    real = os.environ.get("TACITUS_BIN", os.path.join(ROOT, "build", "tacitus"))
    wrapper.write_text("#!/bin/sh\n"
                       f"LD_PRELOAD={shlex.quote(FAILFORK)} TACITUS_FAIL_FORK={shlex.quote(gate)} "
                       'ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" '
                       f'exec {shlex.quote(real)} "$@"\n')
    wrapper.chmod(0o755)
    # the stack looks for the shim beside the binary it is given; the instance launches
    # the one beside the binary it runs (the real one)
    (shared / "tacitus-shim").symlink_to(real + "-shim")
    try:
        stop_instance(cfg, n)
        stack("start", env={"TACITUS_BIN": str(wrapper)})
        master = master_pid(cfg, n)
        assert master and tl.pid_alive(master), f"app-{n} did not start with failfork.so"
        assert preloaded(master), f"app-{n}'s master {master} does not have {FAILFORK} loaded"

        def workers():
            kids = children(master)
            return [p for p in kids if p in backends(db, n, "worker")], kids

        tl.wait_until(lambda: len(workers()[0]) == WORKERS, 30,
                      lambda: f"app-{n}'s {WORKERS} workers to connect: {workers()}")
        victim = workers()[0][0]
        mark = os.path.getsize(path)
        open(gate, "w").close()
        os.kill(victim, signal.SIGKILL)
        tl.wait_until(lambda: log_lines(log_since(path, mark), n, "master", "fork: "), 10,
                      f"app-{n}'s master to log a failed fork after worker {victim} was killed")
        os.unlink(gate)

        def whole():
            w, kids = workers()
            # the workers, the monitor, the webhook sender and the publisher
            return len(w) == WORKERS and len(kids) == WORKERS + 3 and victim not in kids
        tl.wait_until(whole, RESPAWN,
                      lambda: f"app-{n}'s master to have {WORKERS} workers, its monitor, its "
                              "webhook sender and its publisher again "
                              f"within {RESPAWN:.0f} s once fork works (workers connected, "
                              f"children): {workers()}; its log: "
                              f"{log_lines(log_since(path, mark), n, 'master', '')[-5:]}")
        print("master: " + " | ".join(log_lines(log_since(path, mark), n, "master", "")))
        status, text = fcgi_get(sock, "/batches", "size=1", cfg.user)
        assert status == 200 and '"sessions"' in text, \
            f"GET /batches straight to app-{n} after the failed fork: {status} {text[:300]!r}"
    finally:
        if os.path.exists(gate):
            os.unlink(gate)
        stop_instance(cfg, n)
        ensure_instances(cfg)
        shutil.rmtree(shared, ignore_errors=True)
    assert not preloaded(master_pid(cfg, n)), f"app-{n} still runs with {FAILFORK}"


# --------------------------------------------------------------------------- 9. hostile output

KILL_BOUND = 30.0          # s from DELETE to killed: SIGTERM at once, SIGKILL 5 s later
LINE_LIMIT = 16384         # bytes: the monitor's longest log line (TRACK_MAX_LINE)
LONG_LINE = "a" + "\u00e9" * 10000
POISON_REFUSED = "integration test: poisoned line refused"

# PostgreSQL refuses a log line for a reason of its own (here a trigger's exception): the
# monitor must store something else instead and go on with the job
POISON_SQL = f"""
CREATE FUNCTION it_poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.lines ~ '(^|\\n)TACITUS-POISON' THEN    -- a line of the chunk starts so
        RAISE EXCEPTION '{POISON_REFUSED}';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER it_poison BEFORE INSERT ON batch_log_chunk FOR EACH ROW
    EXECUTE FUNCTION it_poison();
"""
UNPOISON_SQL = """
DROP TRIGGER IF EXISTS it_poison ON batch_log_chunk;
DROP FUNCTION IF EXISTS it_poison();
"""


def lines_job(cfg, kind, token):
    return {"file": cfg.job("lines.py"), "args": [kind, token, "300"]}


def job_output(db, bid, name="stdout"):
    """What job bid wrote to its stdout (or stderr) file so far, b"" before its launch."""
    d = db.query(f"select coalesce(job_dir, '') from batch where id={int(bid)}")
    try:
        with open(os.path.join(d, name), "rb") as f:
            return f.read()
    except OSError:
        return b""


def delete_and_wait_killed(tac, bid):
    """DELETE the batch; it must be killed within KILL_BOUND seconds."""
    r = tac.api.delete(f"/batches/{bid}")
    assert r.status_code == 200, f"DELETE /batches/{bid}: {tl.describe(r)}"
    t0 = time.monotonic()
    tl.wait_until(lambda: batch_row(tac.db, bid)[0] == "killed", KILL_BOUND,
                  lambda: f"batch {bid} to be killed within {KILL_BOUND:.0f} s of its DELETE: "
                          f"{batch_row(tac.db, bid)}; log tail {db_log_tail(tac.db, bid)}")
    return time.monotonic() - t0


def db_log(db, bid):
    """Every stored log line of batch bid, in order (the API hides a deleted batch's log)."""
    out = subprocess.run(db.argv + ["-Atc", f"select line from batch_log where batch_id={int(bid)} "
                                    "order by line_no", "-R", "\x1e"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"psql: {out.stderr}"
    text = out.stdout[:-1] if out.stdout.endswith("\n") else out.stdout
    return text.split("\x1e") if text else []


def db_log_tail(db, bid, n=5):
    return [line[:120] for line in db_log(db, bid)[-n:]]


def test_a_line_longer_than_the_limit_does_not_wedge_its_job(cfg, tac, run_id):
    """A line of "a" + 10,000 "é" (20,001 bytes) used to be cut at byte 16,384, inside a
    character: PostgreSQL refused that append and every later one, and since storing output came
    first, the job could no longer be killed.  It is DELETEd and killed in bounded time, and its
    log holds the line, in pieces cut between characters."""
    db = tac.db
    token = f"utf8-{run_id}"
    r, bid = tac.create_batch(lines_job(cfg, "utf8", token))
    assert bid is not None, f"batch not created: {tl.describe(r)}"
    try:
        tl.wait_until(lambda: f"TACITUS-LINES {token} after 3".encode() in job_output(db, bid),
                      120, f"batch {bid} to print its long line and what follows")
        took = delete_and_wait_killed(tac, bid)
    finally:
        if batch_row(db, bid)[0] in ACTIVE:
            tac.delete_quietly(bid)
    print(f"utf8: batch {bid} killed {took:.1f} s after its DELETE")
    log = db_log(db, bid)
    assert "".join(log).count(LONG_LINE) == 1, \
        f"the long line is not in the log of batch {bid} (in pieces): {db_log_tail(db, bid)}"
    pieces = [line for line in log if "\u00e9" in line]
    assert all(len(p.encode()) <= LINE_LIMIT for p in pieces), \
        f"pieces longer than {LINE_LIMIT} bytes: {[len(p.encode()) for p in pieces]}"
    assert not any("?" in p or "\ufffd" in p for p in pieces), "a character of the line was lost"
    assert f"TACITUS-LINES {token} after 3" in log, "the lines after the long one are not stored"


def test_a_line_the_database_refuses_does_not_wedge_its_job(cfg, tac, run_id):
    """A line that PostgreSQL refuses (here: a trigger raises) is replaced by a line of the
    monitor's saying so, the lines after it are stored, and the job is killed on DELETE."""
    db = tac.db
    token = f"poison-{run_id}"
    db.query(POISON_SQL)
    bid = None
    try:
        r, bid = tac.create_batch(lines_job(cfg, "poison", token))
        assert bid is not None, f"batch not created: {tl.describe(r)}"
        tl.wait_until(lambda: f"TACITUS-LINES {token} after 3".encode() in job_output(db, bid),
                      120, f"batch {bid} to print its poisoned line and what follows")
        took = delete_and_wait_killed(tac, bid)
    finally:
        db.query(UNPOISON_SQL)
        if bid is not None and batch_row(db, bid)[0] in ACTIVE:
            tac.delete_quietly(bid)
    print(f"poison: batch {bid} killed {took:.1f} s after its DELETE")
    log = db_log(db, bid)
    notes = [line for line in log if re.fullmatch(
        r"tacitus: \d+ bytes of output could not be stored: " + re.escape(POISON_REFUSED), line)]
    assert len(notes) >= 1, f"no line saying what could not be stored: {db_log_tail(db, bid, 12)}"
    assert not any(line.startswith("TACITUS-POISON") for line in log), "the refused line is stored"
    assert f"TACITUS-LINES {token} after 3" in log, \
        f"the lines after the refused one are not stored: {db_log_tail(db, bid, 12)}"


# --------------------------------------------------------------------------- 10. process groups

def start_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    return int(stat[stat.rindex(")") + 2:].split()[19])


def fake_job(db, pid, pid_start, job_dir, owner):
    """A row of an old job of `owner`'s, running, whose shim was process pid (started at
    pid_start): what the monitor finds when the job's shim is long gone.  Deleted, so that
    the API does not list it.  Returns its id."""
    with open("/proc/sys/kernel/random/boot_id") as f:
        boot = f.read().strip()
    return int(db.query(
        "INSERT INTO batch (request, argv, state, lease_owner, lease_expires_at, host, boot_id, "
        "pid, pid_start, job_dir, launched_at, deleted_at) VALUES "
        f"('{{\"file\": \"fake\"}}', '[]', 'running', '{owner}', now() + interval '1 minute', "
        f"'{socket.gethostname()}', '{boot}', {int(pid)}, {int(pid_start)}, '{job_dir}', now(), "
        "now()) RETURNING id").splitlines()[0])


def marked(pid):
    """The TACITUS_JOB entry process pid was started with, or None."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read().split(b"\0")
    except OSError:
        return None
    found = [e.decode() for e in env if e.startswith(b"TACITUS_JOB=")]
    return found[0] if found else None


def test_a_process_group_is_signalled_only_when_it_is_the_jobs(cfg, tac, tmp_path, run_id):
    """When a job's shim is gone, the monitor used to send SIGKILL to the process group with
    the shim's old pid, whoever held that number by then (pids wrap).  What is left of a real
    job's group still goes (its processes carry the job's marker); but two strangers that hold
    numbers that rows of gone jobs name, one leading its own group (a reused pid), one left in
    a group whose leader exited, are not signalled, and both jobs end."""
    db = tac.db
    owner = "app-1"

    # a real job whose shim dies: spark-submit and its Python driver carry the marker and go
    token = f"group-{run_id}"
    r, bid = tac.create_batch(quick(cfg, token, 120))
    assert bid is not None, f"batch not created: {tl.describe(r)}"
    try:
        tl.wait_until(lambda: batch_row(db, bid)[0] == "running" and db_markers(db, bid, token) == 1,
                      120, lambda: f"batch {bid} running with its start marker: {batch_row(db, bid)}")
        shim = int(batch_row(db, bid)[3])
        rest = [p for p in group_members(shim) if p != shim]
        want = f"TACITUS_JOB=%s/{shim}/{start_ticks(shim)}" % \
            open("/proc/sys/kernel/random/boot_id").read().strip()
        assert rest and all(marked(p) == want for p in rest), \
            f"the processes of batch {bid} do not all carry {want}: {[(p, marked(p)) for p in rest]}"
        os.kill(shim, signal.SIGKILL)
        tl.wait_until(lambda: batch_row(db, bid)[0] == "dead", 30,
                      lambda: f"batch {bid} to end once its shim was killed: {batch_row(db, bid)}")
        tl.wait_until(lambda: not group_members(shim), 10,
                      lambda: f"what was left of batch {bid}'s group to go: {group_members(shim)}")
    finally:
        if batch_row(db, bid)[0] in ACTIVE:
            tac.delete_quietly(bid)
    leader = subprocess.Popen(["sleep", "300"], start_new_session=True)
    sh = subprocess.Popen(["sh", "-c", "sleep 300 & echo $!"], start_new_session=True,
                          stdout=subprocess.PIPE, text=True)
    orphan = int(sh.stdout.readline())
    sh.wait(timeout=10)
    ids = []
    try:
        assert tl.pid_alive(orphan) and group_members(sh.pid) == [orphan], \
            f"group {sh.pid}: {group_members(sh.pid)}"
        ids.append(fake_job(db, leader.pid, start_ticks(leader.pid) + 1, str(tmp_path), owner))
        ids.append(fake_job(db, sh.pid, 4242, str(tmp_path), owner))
        states = wait_db_terminal(db, ids, timeout=30)
        assert set(states.values()) == {"killed"}, f"the fake jobs ended {states}"
        assert leader.poll() is None, \
            f"the stranger {leader.pid} leading group {leader.pid} was killed (signal " \
            f"{-leader.returncode if leader.returncode else 0}) when job {ids[0]} ended"
        assert tl.pid_alive(orphan), \
            f"the stranger {orphan} in group {sh.pid} (its leader gone) was killed when job " \
            f"{ids[1]} ended"
    finally:
        for p in (leader.pid, orphan):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        leader.wait(timeout=10)
    why = db.query(f"select reason from batch_event where batch_id={ids[0]} and to_state='killed'")
    print(f"groups: jobs {ids} ended ({why!r}); strangers {leader.pid} and {orphan} unharmed")


# --------------------------------------------------------------------------- 11. leases

BULK_MIB = 10              # MiB the job prints: ten rounds of the monitor's 1 MiB reads
BULK_DELAY = 1.0           # s each append of its lines takes (a trigger sleeps)

# Every statement that stores lines of the bulk job takes BULK_DELAY seconds: storing its
# output after it ended takes one cycle of ~BULK_MIB * BULK_DELAY seconds, longer than a lease
SLOW_SQL = f"""
CREATE FUNCTION it_slow_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM added WHERE lines ~ '(^|\\n)TACITUS-BULK ') THEN
        PERFORM pg_sleep({BULK_DELAY});
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER it_slow_log AFTER INSERT ON batch_log_chunk REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION it_slow_log();
"""
UNSLOW_SQL = """
DROP TRIGGER IF EXISTS it_slow_log ON batch_log_chunk;
DROP FUNCTION IF EXISTS it_slow_log();
"""


def test_a_long_monitor_cycle_keeps_its_leases(cfg, tac, run_id):
    """A monitor renews its leases on its own clock, not once per cycle: while one cycle stores
    a job's 10 MiB of output in ten slow statements (~10 s, the lease is 6 s), the job's lease
    never lapses (polled in the database) and no other instance takes the job over."""
    db = tac.db
    token = f"bulk-{run_id}"
    db.query(SLOW_SQL)
    seen, bid = [], None
    try:
        r, bid = tac.create_batch({"file": cfg.job("bulk.py"), "args": [token, str(BULK_MIB)]})
        assert bid is not None, f"batch not created: {tl.describe(r)}"
        deadline = time.monotonic() + tl.JOB_TIMEOUT
        while time.monotonic() < deadline:
            row = db_rows(db, "select state, coalesce(lease_owner, ''), "
                              "coalesce(extract(epoch from lease_expires_at - now()), 0) "
                              f"from batch where id={int(bid)}")[0]
            if row[0] not in ACTIVE:
                break
            if row[0] == "running":
                seen.append((time.monotonic(), row[1], float(row[2])))
            time.sleep(0.2)
    finally:
        db.query(UNSLOW_SQL)
    state = batch_row(db, bid)[0]
    assert state == "success", f"batch {bid} ended {state!r}; log tail {db_log_tail(db, bid)}"
    assert seen, f"batch {bid} was never seen running"
    owners = sorted({o for _, o, _ in seen})
    low = min(seen, key=lambda s: s[2])
    print(f"leases: {len(seen)} polls over {seen[-1][0] - seen[0][0]:.1f} s while running, "
          f"owners {owners}, least time left on the lease {low[2]:.2f} s")
    assert low[2] > 0, f"the lease of batch {bid} lapsed ({low[2]:.2f} s left at a poll): its " \
                       f"monitor did not renew it during a long cycle"
    assert len(owners) == 1, f"batch {bid} changed hands while it ran: {owners}"
    n = int(db.query(f"select count(*) from batch_log where batch_id={int(bid)} "
                     f"and line like 'TACITUS-BULK {token} %'"))
    end = db.query(f"select line from batch_log where batch_id={int(bid)} "
                   f"and line like 'TACITUS-BULK-END {token} %'")
    assert end and int(end.split()[-1]) == n, f"{n} bulk lines stored, the job printed {end!r}"


# --------------------------------------------------------------------------- 12. instance names

def test_a_second_instance_with_the_same_name_refuses_to_start(cfg, tac):
    """An instance whose name another running instance has (here app-1, with a socket of its
    own, so that nothing local stops it) exits non-zero with a line saying why, at once, and
    the first one goes on unharmed."""
    import pyspark
    n = 1
    first = master_pid(cfg, n)
    assert first and tl.pid_alive(first), f"app-{n} is not running"
    sock_dir = tempfile.mkdtemp(prefix="tac-dup-")       # short: a socket path has 107 bytes
    sock = os.path.join(sock_dir, "app.sock")
    out = os.path.join(sock_dir, "app.log")
    real = os.environ.get("TACITUS_BIN", os.path.join(ROOT, "build", "tacitus"))
    env = {**os.environ, **tl.psql_env(cfg), "SPARK_HOME": os.path.dirname(pyspark.__file__)}
    with open(out, "w") as log:
        p = subprocess.Popen([real, "serve", "--instance", f"app-{n}", "--socket", sock,
                              "--var", cfg.var, "--sql", os.path.join(ROOT, "sql"),
                              "--workers", "1"],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True, env=env)
    try:
        rc = p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        rc = None
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
    with open(out) as f:
        text = f.read()
    left = os.path.exists(sock)
    shutil.rmtree(sock_dir, ignore_errors=True)
    assert rc is not None, f"a second instance named app-{n} still ran after 20 s: {text[-800:]}"
    assert rc != 0, f"a second instance named app-{n} exited {rc}: {text[-800:]}"
    assert f"another instance named app-{n} is running" in text, \
        f"no line says why the second app-{n} stopped: {text[-800:]}"
    assert "AddressSanitizer" not in text and "runtime error:" not in text, text[-2000:]
    assert not left, "the refused instance left a socket behind"
    print(f"names: the second app-{n} exited {rc}: "
          f"{[line for line in text.splitlines() if 'another instance' in line]}")
    # the first one is unharmed: same master, answering, its monitor connected
    assert master_pid(cfg, n) == first and tl.pid_alive(first), f"app-{n}'s master changed"
    status, body = fcgi_get(os.path.join(cfg.var, "run", f"app-{n}.sock"), "/batches", "size=1",
                            cfg.user)
    assert status == 200 and '"sessions"' in body, f"app-{n} after the refusal: {status} {body[:200]}"
    assert backends(tac.db, n, "monitor"), f"app-{n}'s monitor is not connected"
    stop = log_lines(log_since(app_log(cfg, n), 0), n, "master", "another instance")
    assert not stop, f"app-{n} itself saw a namesake: {stop}"
