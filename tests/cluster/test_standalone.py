"""Spark standalone cluster mode for batches, on a real master and worker.

livy.conf says `livy.spark.master = spark://127.0.0.1:7077`, `livy.spark.deploy-mode =
cluster`, as a Livy admin writes it; tests/cluster/standalone.sh started the master (with
its REST submission server) and one worker.  Each test submits a driver of the test jar
(tests/cluster/jar) over the API and checks what the API shows against what the master
itself says (its REST server and its /json/ page, read here with requests).
"""

import ast
import os
import uuid

import requests

import tacitus_testlib as tl
from test_recovery import orphaned_on_a_gone_host

SA_TIMEOUT = 180.0          # submit -> FINISHED took ~15 s alone on 2 cores


def rest():
    return os.environ["TACITUS_SA_REST"].rstrip("/")


def master_ui():
    return os.environ["TACITUS_SA_MASTER_UI"].rstrip("/")


def jar():
    return os.environ["TACITUS_TEST_JAR"]


def driver_status(driver_id):
    r = requests.get(f"{rest()}/v1/submissions/status/{driver_id}", timeout=30)
    assert r.status_code == 200, f"the master answered {r.status_code}: {r.text[:300]}"
    return r.json()


def drivers():
    """Every driver the master shows (active and completed), by id."""
    r = requests.get(f"{master_ui()}/json/", timeout=30)
    assert r.status_code == 200, f"the master's /json/ answered {r.status_code}"
    body = r.json()
    return {d["id"]: d for d in body.get("activedrivers", []) + body.get("completeddrivers", [])}


def batch(tac, bid):
    return tl.json_body(tac.api.get(f"/batches/{bid}"), 200)


def events(tac, bid):
    return tac.db.query(f"SELECT to_state || ': ' || reason FROM batch_event "
                        f"WHERE batch_id = {int(bid)} ORDER BY at")


def body(cls, *args, **extra):
    return dict({"file": jar(), "className": f"tacitus.{cls}", "args": [str(a) for a in args]},
                **extra)


def test_success_with_the_drivers_whole_log(tac, cfg):
    n = 1000 + int(uuid.uuid4().int % 1000)
    bid, state, history = tac.run_batch(body("Count", n), timeout=SA_TIMEOUT)
    assert state == "success", f"batch {bid} ended {state} ({history}):\n{events(tac, bid)}"
    b = batch(tac, bid)
    driver = b["appId"]
    assert driver and driver.startswith("driver-"), b
    assert driver_status(driver)["driverState"] == "FINISHED"
    assert b["appInfo"]["driverLogUrl"].startswith(os.environ["TACITUS_SA_WORKER_UI"]), b
    assert f"driverId={driver}" in b["appInfo"]["driverLogUrl"], b
    log = tac.full_log(bid)
    # the driver's own stdout, read from its worker, not spark-submit's (there is none)
    assert f"TACITUS-COUNT {n}" in log, log[-30:]
    assert any(x.startswith(f"tacitus: the driver's log on its worker ({driver}") for x in log)
    ev = events(tac, bid)
    assert f"submitted to the standalone master" in ev and "running: driver" in ev, ev


def test_failure_is_dead_with_its_exception(tac, cfg):
    bid, state, history = tac.run_batch(body("Throw"), timeout=SA_TIMEOUT)
    assert state == "dead", f"batch {bid} ended {state} ({history}):\n{events(tac, bid)}"
    driver = batch(tac, bid)["appId"]
    assert driver_status(driver)["driverState"] in ("FAILED", "ERROR")
    log = tac.full_log(bid)
    assert any("TACITUS-THROW as asked" in x for x in log), log[-30:]
    assert f"dead: driver {driver}" in events(tac, bid), events(tac, bid)


def test_exit_code_is_dead(tac, cfg):
    bid, state, history = tac.run_batch(body("Exit1"), timeout=SA_TIMEOUT)
    assert state == "dead", f"batch {bid} ended {state} ({history}):\n{events(tac, bid)}"
    assert "TACITUS-EXIT 1" in tac.full_log(bid)


def test_delete_kills_on_the_master(tac, cfg):
    r, bid = tac.create_batch(body("Sleep", 600))
    assert r.status_code == 201, tl.describe(r)
    tl.wait_until(lambda: tac.state(bid) == "running", SA_TIMEOUT, f"batch {bid} running")
    driver = batch(tac, bid)["appId"]
    # the driver's log is read while it runs, not only at its end
    tl.wait_until(lambda: "TACITUS-SLEEP 600" in tac.full_log(bid), 60,
                  f"the running driver's first line in the log of batch {bid}")
    r = tac.api.delete(f"/batches/{bid}")
    assert r.status_code == 200, tl.describe(r)
    tl.wait_until(lambda: driver_status(driver)["driverState"] == "KILLED", 60,
                  f"driver {driver} KILLED on the master after DELETE")
    tl.wait_until(lambda: tac.db.batch_state(bid) == "killed", 60,
                  f"batch {bid} killed in the database")
    assert f"killed: driver {driver}" in events(tac, bid), events(tac, bid)
    # no driver left on the cluster
    assert drivers()[driver]["state"] == "KILLED", drivers()[driver]
    active = requests.get(f"{master_ui()}/json/", timeout=30).json().get("activedrivers", [])
    assert driver not in [d["id"] for d in active], active


def test_python_in_cluster_mode_is_a_400_that_writes_nothing(tac, cfg):
    before = tac.db.query("SELECT count(*) FROM batch")
    r, _ = tac.create_batch({"file": cfg.job("ok.py")})
    assert r.status_code == 400, tl.describe(r)
    assert "Python" in r.json()["msg"], r.json()
    r, _ = tac.create_batch({"file": jar()})       # no className: no main class to run
    assert r.status_code == 400, tl.describe(r)
    assert "class" in r.json()["msg"], r.json()
    assert tac.db.query("SELECT count(*) FROM batch") == before


def test_master_frozen_for_20_s(tac, cfg):
    """The master frozen (SIGSTOP) for 20 s while a driver runs: the job is unharmed,
    nothing is ended for want of an answer, the outage shows in /metrics, and the job
    ends right."""
    r, bid = tac.create_batch(body("Sleep", 30))
    assert r.status_code == 201, tl.describe(r)
    tl.wait_until(lambda: tac.state(bid) == "running", SA_TIMEOUT, f"batch {bid} running")
    with open(os.path.join(cfg.var, "standalone", "run", "master.pid")) as f:
        pid = int(f.read())
    tl.frozen_while_running(tac, bid, pid, 20, "tacitus_standalone_call_errors_total",
                            "the master")
    state, history = tac.wait_for_state(bid, timeout=SA_TIMEOUT)
    assert state == "success", f"batch {bid} ended {state} ({history}):\n{events(tac, bid)}"


def test_driver_the_master_does_not_know_is_dead(tac, cfg):
    """What a master that restarted says of a driver it no longer knows ("success":
    false): dead with that reason, never a silent success."""
    r, bid = tac.create_batch(body("Sleep", 600))
    assert r.status_code == 201, tl.describe(r)
    tl.wait_until(lambda: tac.state(bid) == "running", SA_TIMEOUT, f"batch {bid} running")
    driver = batch(tac, bid)["appId"]
    try:
        tac.db.query(f"UPDATE batch SET app_id = 'driver-20000101000000-9999' "
                     f"WHERE id = {int(bid)}")
        tl.wait_until(lambda: tac.db.batch_state(bid) == "dead", 60, f"batch {bid} dead")
        assert "dead: the standalone master knows no driver driver-20000101000000-9999" in \
            events(tac, bid), events(tac, bid)
    finally:
        requests.post(f"{rest()}/v1/submissions/kill/{driver}", timeout=30)


def test_every_instance_killed_then_adopted_from_any_host(tac, cfg):
    """kill -9 of every instance while a driver runs, its owner an instance of a host
    that is gone for good; a restart: another instance adopts the job (a standalone job
    is not tied to a host), it ends right, and the master has one driver of it: none
    submitted twice."""
    before = set(drivers())
    r, bid = tac.create_batch(body("Sleep", 25))
    assert r.status_code == 201, tl.describe(r)
    tl.wait_until(lambda: tac.state(bid) == "running", SA_TIMEOUT, f"batch {bid} running")
    driver = batch(tac, bid)["appId"]
    orphaned_on_a_gone_host(cfg, tac.db, bid)
    state, history = tac.wait_for_state(bid, timeout=SA_TIMEOUT)
    assert state == "success", f"batch {bid} ended {state} ({history}):\n{events(tac, bid)}"
    owner = tac.db.query(f"SELECT lease_owner FROM batch WHERE id = {int(bid)}")
    assert owner.startswith("app-"), f"batch {bid} was not adopted: its owner is {owner!r}"
    assert batch(tac, bid)["appId"] == driver
    new = set(drivers()) - before
    assert new == {driver}, f"drivers made meanwhile: {sorted(new)} (expected only {driver})"
    assert "TACITUS-SLEEP 25" in tac.full_log(bid)


def test_pyspark_session_runs_its_work_on_the_cluster(tac, cfg):
    """A Python driver cannot run on a standalone cluster in cluster mode: a session's
    driver runs here in client mode (its log says so), and a statement's work runs on the
    worker's executors (the master shows the session's application)."""
    r = tac.api.post("/sessions", json={"kind": "pyspark"})
    assert r.status_code == 201, tl.describe(r)
    sid = r.json()["id"]
    try:
        def state():
            return tl.json_body(tac.api.get(f"/sessions/{sid}/state"), 200)["state"]
        tl.wait_until(lambda: state() in ("idle", "dead", "error", "killed"), SA_TIMEOUT,
                      f"session {sid} idle")
        log = tl.json_body(tac.api.get(f"/sessions/{sid}/log", params={"size": -1}), 200)["log"]
        assert state() == "idle", log[-30:]
        assert any("this session's driver runs here (client mode)" in x for x in log), log[:10]
        r = tac.api.post(f"/sessions/{sid}/statements",
                         json={"code": "spark.sparkContext.master + ' ' + "
                                       "str(spark.range(1000).count())"})
        assert r.status_code == 201, tl.describe(r)
        n = r.json()["id"]

        def done():
            s = tl.json_body(tac.api.get(f"/sessions/{sid}/statements/{n}"), 200)
            return s if s["state"] in ("available", "error", "cancelled") else None
        s = tl.wait_until(done, SA_TIMEOUT, f"statement {n} of session {sid}")
        assert s["state"] == "available" and s["output"]["status"] == "ok", s
        assert s["output"]["data"]["text/plain"] == \
            f"'{os.environ['TACITUS_SA_MASTER']} 1000'", s["output"]
        body = requests.get(f"{master_ui()}/json/", timeout=30).json()
        assert any(a["state"] == "RUNNING" for a in body.get("activeapps", [])), body
        # its tasks ran in the worker's executors (their folders are the worker's)
        r = tac.api.post(f"/sessions/{sid}/statements",
                         json={"code": "sorted(set(sc.parallelize(range(4), 2).map("
                                       "lambda _: __import__('os').getcwd()).collect()))"})
        assert r.status_code == 201, tl.describe(r)
        n = r.json()["id"]
        s = tl.wait_until(done, SA_TIMEOUT, f"statement {n} of session {sid}")
        assert s["state"] == "available", s
        cwds = ast.literal_eval(s["output"]["data"]["text/plain"])
        work = os.environ["TACITUS_SA_WORK_DIR"]
        assert cwds and all(c.startswith(work + "/") for c in cwds), (cwds, work)
    finally:
        tac.api.delete(f"/sessions/{sid}")
